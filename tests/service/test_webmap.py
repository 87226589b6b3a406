"""The operator web map, clicked through in headless Chromium (Selenium + the system chromedriver).

One server over the demo products (Valencia flood map, ARD, plan) and a flood map over Quảng
Bình, Vietnam, written here:

- the basemap is drawn (Natural Earth land/countries/provinces, screenshot colours), ground
  tracks and station masks lie in the default view, the time slider hides later products;
- clicking a footprint opens its STAC item with download links; "zoom to" shows the flood tiles;
- the flood statistics per province match the area of the flooded block computed
  independently on the WGS84 ellipsoid (pyproj.Geod);
- an area drawn by clicks near Ho Chi Minh City, its feasible passes listed, the request
  submitted and shown planned, its acquisition footprint covering the area;
- no request leaves localhost (Chrome's network log).

Needs Chromium + ChromeDriver (``scripts/install-system-deps.sh``) and the front-end packages
(``scripts/install-web-deps.sh``): skipped when missing, failed under ``CI=true``.
"""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np
import pytest
import rasterio
from PIL import Image
from pyproj import Geod
from rasterio.transform import from_bounds
from shapely.geometry import box, shape

from lotusar.catalog.ingest import ingest_path
from lotusar.catalog.items import make_item
from lotusar.catalog.store import open_catalog
from lotusar.service.app import BackgroundServer, ServiceConfig
from lotusar.service.demo import build_demo
from lotusar.service.routers.webmap import LEAFLET_DIR
from lotusar.service.web import basemap

OPERATOR_KEY = "map-test-operator"
VN_BOUNDS = (106.0, 17.2, 106.6, 17.6)     # W, S, E, N: part of Quảng Bình and the sea off it
VN_FLOOD_BLOCK = (106.2, 17.3, 106.4, 17.5)  # inside Quảng Bình, on the 0.001° pixel grid
VN_ITEM = "flood_quangbinh_20251030"
AOI_HCMC = [(106.70, 10.78), (106.74, 10.78), (106.74, 10.82), (106.70, 10.82)]  # ~4.4 km square: one stripmap strip


def _vn_flood(folder: Path) -> Path:
    """A classified flood map (0 dry, 1 open flood, 255 no data) at 0.001° with one flooded block."""
    w, s, e, n = VN_BOUNDS
    cols, rows = round((e - w) / 0.001), round((n - s) / 0.001)
    classes = np.zeros((rows, cols), np.uint8)
    bw, bs, be, bn = VN_FLOOD_BLOCK
    classes[round((n - bn) / 0.001):round((n - bs) / 0.001), round((bw - w) / 0.001):round((be - w) / 0.001)] = 1
    classes[:, :20] = 255
    p = folder / f"{VN_ITEM}.tif"
    with rasterio.open(p, "w", driver="GTiff", width=cols, height=rows, count=1, dtype="uint8", crs="EPSG:4326",
                       transform=from_bounds(w, s, e, n, cols, rows), nodata=255, tiled=True, blockxsize=256, blockysize=256) as ds:
        ds.write(classes, 1)
        ds.write_colormap(1, {0: (235, 225, 200, 255), 1: (30, 100, 230, 255), 255: (0, 0, 0, 0)})
        ds.update_tags(ACQUISITION_START="2025-10-30T11:00:00Z", ACQUISITION_STOP="2025-10-30T11:00:20Z", LOTUSAR_PRODUCT="flood")
    it = make_item(p, "flood", item_id=VN_ITEM, orbit_state="ascending", incidence_angle_deg=30.0)
    (folder / f"{VN_ITEM}.item.json").write_text(json.dumps(it.to_dict(include_self_link=False, transform_hrefs=False)))
    return p


@pytest.fixture(scope="module")
def map_server(tmp_path_factory, chromium, real_part):
    real_part((LEAFLET_DIR / "leaflet.js").is_file() and basemap.available(),
              "web map packages not installed (scripts/install-web-deps.sh)")
    root = tmp_path_factory.mktemp("webmap")
    build_demo(root / "demo", size=512)
    _vn_flood(root / "demo" / "products")
    url = str(root / "cat.sqlite")
    cat = open_catalog(url)
    ingest_path(cat, root / "demo" / "products")
    cat.close()
    keys = root / "keys.json"
    keys.write_text(json.dumps({OPERATOR_KEY: {"role": "operator", "name": "ops"}}))
    cfg = ServiceConfig(catalog_url=url, data_roots=[str(root / "demo")], keys_file=str(keys))
    with BackgroundServer(cfg) as srv:
        yield srv, root


def _driver(profile: Path, browser: str, driver: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--window-size=1400,900", f"--user-data-dir={profile}",
              "--disable-features=OptimizationHints,MediaRouter,Translate", "--disable-domain-reliability"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=opts)


def _wait(drv, js: str, timeout_s: float = 40.0):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        v = drv.execute_script(js)
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {js}")


def _status(drv) -> dict:
    return drv.execute_script("return Object.assign({}, document.getElementById('status').dataset);")


def _click_lonlat(drv, lon: float, lat: float) -> None:
    """A real mouse click on the map at (lon, lat)."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    x, y = drv.execute_script(f"var p = lotusarMap.map.latLngToContainerPoint([{lat}, {lon}]); return [p.x, p.y];")
    el = drv.find_element(By.ID, "map")
    r = el.rect
    ActionChains(drv).move_to_element_with_offset(el, int(x - r["width"] / 2), int(y - r["height"] / 2)).click().perform()


def _in_view(drv, css: str) -> int:
    """How many elements matching ``css`` have their box inside the map's visible part."""
    return drv.execute_script(
        "var m = document.getElementById('map').getBoundingClientRect(); var n = 0;"
        f"document.querySelectorAll({css!r}).forEach(function (e) {{ var b = e.getBoundingClientRect();"
        "  if (b.right > m.left && b.left < m.right && b.bottom > m.top && b.top < m.bottom && (b.width > 0 || b.height > 0)) n++; });"
        "return n;")


def _hosts(perf: list) -> set:
    urls = []
    for entry in perf:
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    assert urls
    # chrome:// pages (the browser's own new-tab page) never touch the network; everything else must
    net = [u for u in urls if not u.startswith(("data:", "blob:", "about:", "chrome:", "chrome-untrusted:", "devtools:"))]
    assert all(urlparse(u).scheme in ("http", "https", "ws", "wss") for u in net), net
    return {urlparse(u).hostname for u in net}


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_map_basemap_items_flood_tiles_and_statistics(map_server, chromium, tmp_path):
    srv, root = map_server
    drv = _driver(tmp_path / "profile", *chromium)
    try:
        drv.get(srv.url + "/map")
        _wait(drv, "var s = document.getElementById('status').dataset; return s.ready !== 'false' && Number(s.floodStatsRows) > 0;")
        time.sleep(1.0)  # let the canvas paint
        status = _status(drv)
        assert status["ready"] == "true" and status["errors"] == "0", status
        png_default = drv.get_screenshot_as_png()
        n_fp = drv.execute_script("return document.querySelectorAll('.leaflet-footprints-pane path.footprint').length;")
        tracks_in_view, masks_in_view = _in_view(drv, "path.ground-track"), _in_view(drv, "path.station-mask")
        scale = drv.execute_script("return document.querySelector('.leaflet-control-scale-line').textContent;")
        # cursor coordinates: hover over Quảng Bình
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By

        drv.execute_script("lotusarMap.map.setView([17.4, 106.3], 9, {animate: false});")
        time.sleep(0.3)
        el = drv.find_element(By.ID, "map")
        x, y = drv.execute_script("var p = lotusarMap.map.latLngToContainerPoint([17.45, 106.25]); return [p.x, p.y];")
        ActionChains(drv).move_to_element_with_offset(el, int(x - el.rect["width"] / 2), int(y - el.rect["height"] / 2)).perform()
        coords = drv.find_element(By.ID, "cursor-coords").text
        stats_rows = drv.execute_script(
            "return Array.from(document.querySelectorAll('#flood-stats tr.stats-row')).map(function (r) {"
            " return [r.dataset.name, Number(r.cells[1].textContent), Number(r.cells[2].textContent)]; });")
        # the time slider: at its start only the products of the first acquisition remain
        n_early = drv.execute_script(
            "var s=document.getElementById('slider'); s.value=0; s.dispatchEvent(new Event('input'));"
            "return document.querySelectorAll('.leaflet-footprints-pane path.footprint').length;")
        label = drv.execute_script("return document.getElementById('slider-label').textContent;")
        drv.execute_script("var s=document.getElementById('slider'); s.value=1000; s.dispatchEvent(new Event('input'));")
        # click the Valencia flood map's footprint: its STAC item and downloads, then zoom to it
        drv.execute_script("lotusarMap.map.setView([39.3, -0.4], 8, {animate: false});")
        time.sleep(0.3)
        _click_lonlat(drv, -0.25, 39.45)
        popup_item = _wait(drv, "var p = document.querySelector('.item-popup'); return p && p.dataset.item;", 10)
        downloads = drv.execute_script(
            "return Array.from(document.querySelectorAll('.item-popup a.asset-download')).map(function (a) { return a.href; });")
        item_json = drv.execute_script("var a = document.querySelector('.item-popup a.item-json'); return a && a.href;")
        drv.execute_script("document.querySelector('.item-popup a.zoom-to').click();")
        time.sleep(0.5)
        _wait(drv, "return document.querySelectorAll('.flood-tiles img.leaflet-tile-loaded').length > 0;", 30)
        time.sleep(1.5)  # let the last tiles paint
        tiles = drv.execute_script(
            "return Array.from(document.querySelectorAll('.flood-tiles img.leaflet-tile-loaded')).map(function (i) { return i.src; });")
        png_flood = drv.get_screenshot_as_png()
        hosts = _hosts(drv.get_log("performance"))
    finally:
        drv.quit()
    (tmp_path / "map.png").write_bytes(png_default)
    (tmp_path / "flood.png").write_bytes(png_flood)

    # basemap: Natural Earth land (1 multipolygon), 241 countries, 63 provinces of Vietnam, drawn
    assert (status["basemapLand"], status["basemapCountries"], status["basemapProvinces"]) == ("1", "241", "63"), status
    px = _pixels(png_default)
    land = (np.abs(px - [242, 239, 230]).max(axis=-1) <= 6).sum()
    sea = (np.abs(px - [169, 198, 222]).max(axis=-1) <= 6).sum()
    assert land > 20_000 and sea > 20_000, (land, sea)
    assert scale and ("km" in scale or " m" in scale), scale
    m = re.match(r"N (\d+\.\d+)° +E (\d+\.\d+)° +· (.+)", coords)
    assert m and abs(float(m[1]) - 17.45) < 0.01 and abs(float(m[2]) - 106.25) < 0.01 and m[3] == "Quảng Bình", coords
    # data: flood (Valencia, Quảng Bình), ARD and plan items; plan/fleet tracks and masks in the default view
    assert n_fp == 4 and int(status["footprints"]) == 4, (n_fp, status)
    assert int(status["fleetFeatures"]) >= 2  # fleet ground tracks + station masks from lotusar.orbit
    assert tracks_in_view >= 1 and masks_in_view >= 1, (tracks_in_view, masks_in_view)
    assert n_early == 2 and label.startswith("2025-10-30T05:55")  # Quảng Bình (11:00) and the plan (10-31) hidden
    # the clicked footprint: a Valencia product of the demo with its asset downloads served here
    assert popup_item in ("flood_20251030", "ard_20251030"), popup_item
    assert item_json.endswith(f"/items/{popup_item}") and downloads
    assert all(f"/items/{popup_item}/assets/" in d for d in downloads), downloads
    r = httpx.get(downloads[0], timeout=10)
    assert r.status_code == 200 and r.content[:2] in (b"II", b"MM")  # a GeoTIFF
    # flood tiles after "zoom to": strongly blue water pixels, the orange footprint outline
    assert tiles and all("/tiles/flood_20251030/" in s for s in tiles), tiles
    pf = _pixels(png_flood)
    r_, g_, b_ = pf[..., 0], pf[..., 1], pf[..., 2]
    water = ((b_ > 170) & (b_ - r_ > 120) & (b_ - g_ > 70)).sum()
    orange = (np.abs(pf - [255, 140, 0]).max(axis=-1) <= 20).sum()
    assert water > 2000, water
    assert orange > 200, orange
    # flood statistics per province: the flooded block lies in Quảng Bình; its area on the ellipsoid
    w, s, e, n = VN_FLOOD_BLOCK
    ref_km2 = abs(Geod(ellps="WGS84").polygon_area_perimeter([w, e, e, w], [s, s, n, n])[0]) / 1e6
    qb = [row for row in stats_rows if row[0] == "Quảng Bình"]
    assert len(qb) == 1 and qb[0][1] == pytest.approx(ref_km2, rel=2e-3), (qb, ref_km2)
    spain = [row for row in stats_rows if row[0] == "Spain"]
    assert len(spain) == 1 and spain[0][1] > 0
    st = httpx.get(f"{srv.url}/map/flood-stats/{VN_ITEM}", timeout=30).json()
    unit = next(u for u in st["units"] if u["name"] == "Quảng Bình")
    assert unit["flooded_km2"] == pytest.approx(ref_km2, rel=1e-3) and unit["level"] == "province"
    assert all(u["flooded_km2"] == 0 for u in st["units"] if u["name"] != "Quảng Bình")
    # every request the page made went to this server
    assert hosts == {"127.0.0.1"}, hosts


def test_map_draw_feasibility_submit_planned(map_server, chromium, tmp_path):
    from selenium.webdriver.common.by import By

    srv, _ = map_server
    drv = _driver(tmp_path / "profile", *chromium)
    try:
        drv.get(srv.url + "/map")
        _wait(drv, "return document.getElementById('status').dataset.ready !== 'false';")
        drv.execute_script("lotusarMap.map.setView([10.8, 106.72], 12, {animate: false});")
        time.sleep(0.5)
        drv.find_element(By.ID, "draw-btn").click()
        for lon, lat in AOI_HCMC:
            _click_lonlat(drv, lon, lat)
            time.sleep(0.1)
        drv.find_element(By.ID, "draw-finish").click()
        n_vertices = int(_status(drv)["vertices"])
        n_area = drv.execute_script("return document.querySelectorAll('path.draw-area').length;")
        from selenium.webdriver.support.ui import Select

        modes = [o.get_attribute("value") for o in Select(drv.find_element(By.ID, "task-mode")).options]
        Select(drv.find_element(By.ID, "task-mode")).select_by_value("stripmap")
        inc = [float(drv.find_element(By.ID, i).get_attribute("value")) for i in ("task-inc-min", "task-inc-max")]
        for fid, text in (("task-start", "2022-10-25T12:00:00Z"), ("task-end", "2022-10-27T12:00:00Z"), ("api-key", OPERATOR_KEY)):
            f = drv.find_element(By.ID, fid)
            f.clear()
            f.send_keys(text)
        drv.find_element(By.ID, "feas-btn").click()
        opp_text = _wait(drv, "var t = document.getElementById('feas-out').textContent; return t && t !== 'checking…' ? t : null;", 60)
        n_opp = int(_status(drv)["opportunities"] or 0)
        drv.find_element(By.ID, "submit-btn").click()
        _wait(drv, "var s = document.getElementById('status').dataset.requestStatus, t = document.getElementById('task-out').textContent;"
                   "return (s && s !== 'received') || t.indexOf('error') === 0;", 90)
        status = _status(drv)["requestStatus"]
        request_id = _status(drv)["requestId"]
        shown = drv.find_element(By.ID, "task-out").text
        assert status == "planned", (shown, opp_text)
        n_req_acq = _wait(drv, "return document.querySelectorAll('path.request-acquisition').length;", 10)
        time.sleep(0.5)
        (tmp_path / "tasking.png").write_bytes(drv.get_screenshot_as_png())
        hosts = _hosts(drv.get_log("performance"))
    finally:
        drv.quit()
    assert n_vertices == 4 and n_area == 1
    fleet_modes = httpx.get(f"{srv.url}/map/modes", timeout=10).json()["modes"]
    stripmap = next(m for m in fleet_modes if m["name"] == "stripmap")
    assert modes == [m["name"] for m in fleet_modes] and "stripmap" in modes
    assert inc == [stripmap["incidence_min_deg"], stripmap["incidence_max_deg"]]  # the form takes the mode's range
    assert n_opp >= 1 and "feasible passes" in opp_text, opp_text
    assert status == "planned", shown
    assert n_req_acq >= 1 and request_id in shown and "planned" in shown
    # the request as the API returns it: planned acquisitions whose footprints cover the drawn area
    t = httpx.get(f"{srv.url}/tasking/requests/{request_id}", headers={"X-API-Key": OPERATOR_KEY}, timeout=10).json()
    assert t["status"] == "planned" and t["acquisitions"]
    aoi = shape({"type": "Polygon", "coordinates": [AOI_HCMC + AOI_HCMC[:1]]})
    union = shape(t["acquisitions"][0]["footprint"])
    for a in t["acquisitions"][1:]:
        union = union.union(shape(a["footprint"]))
    assert union.buffer(1e-6).covers(aoi)
    for a in t["acquisitions"]:
        assert a["mode"] == "stripmap" and inc[0] <= a["incidence_deg"] <= inc[1], a
        assert "2022-10-25T12:00:00" <= a["start"] <= "2022-10-27T12:00:00", a
    assert box(*aoi.bounds).area > 0 and hosts == {"127.0.0.1"}, hosts
