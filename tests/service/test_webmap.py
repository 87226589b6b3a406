"""The operator web map, end to end in headless Chromium (Selenium + system chromedriver):
footprints and a flood tile are visible (screenshot pixels and DOM), and no request leaves
localhost (Chrome's network log)."""

from __future__ import annotations

import io
import json
import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

from lotusar.catalog.ingest import ingest_path
from lotusar.catalog.store import open_catalog
from lotusar.service.app import WEB_DIR, BackgroundServer, ServiceConfig

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")


def _driver(profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--window-size=1200,800", f"--user-data-dir={profile}",
              "--disable-features=OptimizationHints,MediaRouter,Translate", "--disable-domain-reliability"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service(DRIVER), options=opts)


@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="chromium/chromedriver not installed")
@pytest.mark.skipif(not (WEB_DIR / "node_modules" / "leaflet" / "dist" / "leaflet.js").exists(),
                    reason="Leaflet not installed (scripts/install-web-deps.sh)")
def test_web_map_in_headless_chromium(tmp_path):
    from PIL import Image

    from lotusar.service.demo import build_demo

    build_demo(tmp_path / "demo", size=512)
    url = str(tmp_path / "cat.sqlite")
    cat = open_catalog(url)
    ingest_path(cat, tmp_path / "demo" / "products")
    cat.close()
    with BackgroundServer(ServiceConfig(catalog_url=url, data_roots=[str(tmp_path / "demo")])) as srv:
        drv = _driver(tmp_path / "profile")
        try:
            drv.get(srv.url + "/map")
            t0 = time.monotonic()
            while time.monotonic() - t0 < 40:
                st = drv.execute_script("var s=document.getElementById('status'); return [s.dataset.ready, s.dataset.floodTiles];")
                if st[0] in ("true", "error") and int(st[1]) > 0:
                    break
                time.sleep(0.25)
            time.sleep(1.0)  # let the last tiles paint
            status = drv.execute_script("return Object.assign({}, document.getElementById('status').dataset);")
            assert status["ready"] == "true", status
            n_fp = drv.execute_script("return document.querySelectorAll('.leaflet-overlay-pane path.footprint').length;")
            tiles = drv.execute_script(
                "return Array.from(document.querySelectorAll('.flood-tiles img.leaflet-tile-loaded')).map(function(i){return i.src;});")
            n_track = drv.execute_script("return document.querySelectorAll('path.ground-track').length;")
            n_mask = drv.execute_script("return document.querySelectorAll('path.station-mask').length;")
            n_acq = drv.execute_script("return document.querySelectorAll('path.acquisition').length;")
            png = drv.get_screenshot_as_png()
            (tmp_path / "map.png").write_bytes(png)
            # the time slider: at its start only the products of the first acquisition remain
            n_early = drv.execute_script(
                "var s=document.getElementById('slider'); s.value=0; s.dispatchEvent(new Event('input'));"
                "return document.querySelectorAll('.leaflet-overlay-pane path.footprint').length;")
            label = drv.execute_script("return document.getElementById('slider-label').textContent;")
            perf = drv.get_log("performance")
        finally:
            drv.quit()
    assert n_fp == 3 and int(status["footprints"]) == 3  # flood, ARD and plan items
    assert n_early == 2 and label.startswith("2025-10-30T05:55")  # the plan (2025-10-31) is hidden
    assert len(tiles) > 0 and all("/tiles/flood_20251030/" in s for s in tiles)
    assert int(status["fleetFeatures"]) >= 2  # fleet ground tracks + station masks from lotusar.orbit
    assert n_track >= 2 and n_mask >= 2 and n_acq == 2
    px = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    # flood water (30,100,230) drawn at 0.9 opacity under faint plan overlays: strongly blue pixels
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    water = ((b > 170) & (b - r > 120) & (b - g > 70)).sum()
    orange = (np.abs(px - [255, 140, 0]).max(axis=-1) <= 20).sum()
    assert water > 2000, water
    assert orange > 200, orange
    # every request the page made went to this server
    urls = []
    for entry in perf:
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    assert urls
    # chrome:// pages (the browser's own new-tab page) never touch the network; everything else must
    net = [u for u in urls if not u.startswith(("data:", "blob:", "about:", "chrome:", "chrome-untrusted:", "devtools:"))]
    assert all(urlparse(u).scheme in ("http", "https", "ws", "wss") for u in net), net
    hosts = {urlparse(u).hostname for u in net}
    assert hosts == {"127.0.0.1"}, hosts
