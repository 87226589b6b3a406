"""Open the scenario's web map in headless Chromium and keep a screenshot (when installed).

The service (``lotusar.service``) serves the scenario catalog; the page at ``/map`` draws the
flood-map tiles, the product footprints and the scenario's plan layer (imaging ground track,
acquisition footprint, downlink pass, station mask). What the page shows is read back from its
DOM and saved with the screenshot, so the run records that the map really displays them.
Skipped, with the reason, when Chromium, ChromeDriver or the web map's npm assets are missing.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from lotusar.fileio import write_bytes_atomic
from lotusar.service.app import WEB_DIR, BackgroundServer, ServiceConfig


def _driver(profile: Path, chromium: str, driver: str):
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--window-size=1200,800", f"--user-data-dir={profile}",
              "--disable-features=OptimizationHints,MediaRouter,Translate", "--disable-domain-reliability"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(driver), options=opts)


def screenshot(catalog_path: str | Path, data_root: str | Path, png_path: str | Path, timeout_s: float = 40.0) -> dict:
    """Serve the catalog, open /map headless, save a PNG; return what the DOM shows."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not (chromium and driver):
        return {"skipped": "Chromium/ChromeDriver not installed (scripts/install-system-deps.sh)"}
    if not (WEB_DIR / "node_modules" / "leaflet" / "dist" / "leaflet.js").exists():
        return {"skipped": "web map assets not installed (scripts/install-web-deps.sh)"}
    config = ServiceConfig(catalog_url=str(catalog_path), data_roots=[str(data_root)])
    with tempfile.TemporaryDirectory() as prof, BackgroundServer(config) as srv:
        drv = _driver(Path(prof), chromium, driver)
        try:
            drv.get(srv.url + "/map")
            t0 = time.monotonic()
            while time.monotonic() - t0 < timeout_s:
                st = drv.execute_script("var s=document.getElementById('status'); return [s.dataset.ready, s.dataset.floodTiles];")
                if st[0] in ("true", "error") and int(st[1] or 0) > 0:
                    break
                time.sleep(0.25)
            time.sleep(1.0)
            status = drv.execute_script("return Object.assign({}, document.getElementById('status').dataset);")
            shown = {
                "ready": status.get("ready"),
                "footprints": drv.execute_script("return document.querySelectorAll('.leaflet-overlay-pane path.footprint').length;"),
                "flood_tiles": drv.execute_script("return document.querySelectorAll('.flood-tiles img.leaflet-tile-loaded').length;"),
                "ground_tracks": drv.execute_script("return document.querySelectorAll('path.ground-track').length;"),
                "station_masks": drv.execute_script("return document.querySelectorAll('path.station-mask').length;"),
                "acquisitions": drv.execute_script("return document.querySelectorAll('path.acquisition').length;"),
            }
            write_bytes_atomic(png_path, drv.get_screenshot_as_png())
        finally:
            drv.quit()
    shown["png"] = str(png_path)
    return shown
