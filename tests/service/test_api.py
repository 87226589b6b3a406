"""The HTTP API on both backends: a real STAC client (pystac-client), an equivalent STAC API
conformance check for the classes claimed, tiles, tasking, downloads and the security rules."""

from __future__ import annotations

import io
import json

import httpx
import numpy as np
import pytest

from lotusar.catalog.ingest import ingest_path
from lotusar.catalog.items import validate_item
from lotusar.catalog.store import open_catalog
from lotusar.catalog.synthetic import synthetic_items
from lotusar.service.app import BackgroundServer, ServiceConfig

OP = "operator-key-0001"
REQ_A = "requester-key-aaaa"
REQ_B = "requester-key-bbbb"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from lotusar.service.demo import build_demo

    d = tmp_path_factory.mktemp("demo")
    return d, build_demo(d, size=512)


def _fill(url, demo_dir):
    cat = open_catalog(url)
    ingest_path(cat, demo_dir / "products")
    cat.put_items(synthetic_items(150, seed=4, region=(-10, 35, 5, 45)))
    cat.close()


@pytest.fixture
def server(catalog_url, demo, monkeypatch):
    monkeypatch.setenv("LOTUSAR_API_KEYS", f"{OP}=operator:ops,{REQ_A}=requester:alice,{REQ_B}=requester:bob")
    d, _ = demo
    _fill(catalog_url, d)
    with BackgroundServer(ServiceConfig(catalog_url=catalog_url, data_roots=[str(d)], write_rate_per_s=100, write_burst=100)) as srv:
        yield srv


SEARCHES = [
    dict(bbox=[-5, 38, 0, 42]),
    dict(bbox=[-1, 39, 0, 40], datetime="2025-10-01T00:00:00Z/.."),
    dict(intersects={"type": "Polygon", "coordinates": [[[-8, 36], [2, 37], [-3, 44], [-8, 36]]]},
         datetime="2025-02-01T00:00:00Z/2025-09-01T00:00:00Z"),
    dict(collections=["lotusar-slc"], filter={"op": "and", "args": [{"op": "=", "args": [{"property": "sar:instrument_mode"}, "SC"]},
                                                                   {"op": "<", "args": [{"property": "view:incidence_angle"}, 35]}]},
         filter_lang="cql2-json"),
    dict(query={"sat:orbit_state": {"eq": "descending"}}, sortby="-datetime"),
    dict(ids=["flood_20251030", "ard_20251030"]),
]


def _client_search(url, kw):
    from pystac_client import Client

    c = Client.open(url)
    items = c.search(max_items=500, limit=17, **kw).item_collection()
    return [i.to_dict(transform_hrefs=False) for i in items]


def test_pystac_client_results_equal_on_both_backends(pg_server, demo, tmp_path, monkeypatch):
    d, _ = demo
    urls = [str(tmp_path / "c.sqlite"), pg_server.new_database()]
    for u in urls:
        _fill(u, d)
    results = []
    for u in urls:
        with BackgroundServer(ServiceConfig(catalog_url=u, data_roots=[str(d)])) as srv:
            results.append([json.loads(json.dumps(_client_search(srv.url, kw)).replace(srv.url, "BASE")) for kw in SEARCHES])
    for kw, a, b in zip(SEARCHES, *results):
        assert len(a) > 0, kw
        assert a == b, kw
    # the answers are right, not only equal: bbox search against shapely
    from shapely.geometry import box, shape

    every = synthetic_items(150, seed=4, region=(-10, 35, 5, 45))
    want = {i["id"] for i in every if shape(i["geometry"]).intersects(box(-5, 38, 0, 42))}
    got = {i["id"] for i in results[0][0]} - {"flood_20251030", "ard_20251030", "plan_20251031"}
    assert got == want


def test_stac_api_conformance(server):
    """Equivalent of stac-api-validator for core, collections, features, item-search (+sort/filter/query)."""
    base = server.url
    with httpx.Client(base_url=base, timeout=30) as c:
        land = c.get("/")
        assert land.status_code == 200 and land.headers["content-type"].startswith("application/json")
        L = land.json()
        assert L["type"] == "Catalog" and L["stac_version"] and L["id"] and L["description"]
        rels = {lk["rel"] for lk in L["links"]}
        assert {"self", "root", "conformance", "data", "search", "service-desc"} <= rels
        conf = c.get("/conformance").json()["conformsTo"]
        assert conf == L["conformsTo"]
        for cls in ("https://api.stacspec.org/v1.0.0/core", "https://api.stacspec.org/v1.0.0/item-search",
                    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"):
            assert cls in conf
        oas = c.get("/openapi.json").json()
        assert oas["openapi"].startswith("3.") and "/search" in oas["paths"]
        assert {"get", "post"} <= set(oas["paths"]["/search"])
        # collections
        cols = c.get("/collections").json()["collections"]
        assert {"lotusar-flood", "lotusar-ard", "lotusar-plan", "lotusar-slc"} <= {x["id"] for x in cols}
        for col in cols:
            assert col["type"] == "Collection" and col["license"] and col["extent"]["spatial"]["bbox"]
            one = c.get(f"/collections/{col['id']}").json()
            assert one["id"] == col["id"] and any(lk["rel"] == "items" for lk in one["links"])
            fc = c.get(f"/collections/{col['id']}/items", params={"limit": 5})
            assert fc.headers["content-type"].startswith("application/geo+json")
            for f in fc.json()["features"]:
                assert f["collection"] == col["id"]
                validate_item(f)
                self_href = next(lk["href"] for lk in f["links"] if lk["rel"] == "self")
                assert httpx.get(self_href).json()["id"] == f["id"]
        # item-search: GET and POST agree; limit respected; paging covers all exactly once
        g = c.get("/search", params={"bbox": "-10,35,5,45", "limit": 7}).json()
        p = c.post("/search", json={"bbox": [-10, 35, 5, 45], "limit": 7}).json()
        assert g["type"] == "FeatureCollection" and len(g["features"]) == 7
        assert [f["id"] for f in g["features"]] == [f["id"] for f in p["features"]]
        seen, nxt, pages = [], next(lk for lk in g["links"] if lk["rel"] == "next"), 0
        seen += [f["id"] for f in g["features"]]
        while nxt and pages < 100:
            r = httpx.get(nxt["href"]).json()
            seen += [f["id"] for f in r["features"]]
            nxt = next((lk for lk in r["links"] if lk["rel"] == "next"), None)
            pages += 1
        seen_post, body = [], {"bbox": [-10, 35, 5, 45], "limit": 11}
        while body:
            r = c.post("/search", json=body).json()
            seen_post += [f["id"] for f in r["features"]]
            nl = next((lk for lk in r["links"] if lk["rel"] == "next"), None)
            body = nl["body"] if nl else None
        assert len(seen) == len(set(seen)) == 150 + 3 and sorted(seen) == sorted(seen_post)
        # datetime semantics
        r = c.get("/search", params={"datetime": "2025-10-30T05:55:05Z", "limit": 100}).json()
        assert {f["id"] for f in r["features"]} == {"flood_20251030", "ard_20251030"}
        # sortby
        r = c.get("/search", params={"sortby": "+view:incidence_angle", "collections": "lotusar-slc", "limit": 50}).json()
        inc = [f["properties"]["view:incidence_angle"] for f in r["features"]]
        assert inc == sorted(inc) and len(inc) == 50
        # service-doc: rendered locally, nothing fetched from elsewhere
        doc = c.get("/docs")
        assert doc.status_code == 200 and "/search" in doc.text and "<script" not in doc.text and "://" not in doc.text
        # queryables (filter extension)
        q = c.get("/queryables").json()
        assert q["type"] == "object" and "sar:instrument_mode" in q["properties"]
        # errors: 4xx with a JSON body {code, description}
        for resp in (c.get("/search", params={"bbox": "1,2,3"}), c.get("/search", params={"datetime": "yesterday"}),
                     c.post("/search", json={"filter": {"op": "nope", "args": []}}), c.get("/collections/none"),
                     c.get("/collections/lotusar-slc/items/none"), c.get("/search", params={"limit": "-1"}),
                     c.post("/search", content=b"{not json", headers={"content-type": "application/json"})):
            assert 400 <= resp.status_code < 500, resp.text
            e = resp.json()
            assert set(e) == {"code", "description"} and e["description"]


def _png_rgba(data):
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def test_tiles_downloads_and_tilejson(server, demo):
    d, paths = demo
    with httpx.Client(base_url=server.url, timeout=30) as c:
        tj = c.get("/tiles/flood_20251030/data/tilejson.json").json()
        assert tj["bounds"] == pytest.approx([-0.6, 39.1, -0.2, 39.5])
        import morecantile

        wmq = morecantile.tms.get("WebMercatorQuad")
        t = wmq.tile(-0.42, 39.3, 10)
        r = c.get(f"/tiles/flood_20251030/data/{t.z}/{t.x}/{t.y}.png")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        px = _png_rgba(r.content)
        blue = np.all(px == [30, 100, 230, 255], axis=-1).mean()
        clear = (px[..., 3] == 0).mean()
        assert blue > 0.02 and clear > 0.2  # flood water drawn, dry land transparent
        far = wmq.tile(100.0, -30.0, 10)
        assert c.get(f"/tiles/flood_20251030/data/{far.z}/{far.x}/{far.y}.png").status_code == 204
        assert c.get("/tiles/flood_20251030/data/3/99/0.png").status_code == 400
        assert c.get("/tiles/flood_20251030/data/30/0/0.png").status_code == 400
        ard = c.get(f"/tiles/ard_20251030/data/{t.z}/{t.x}/{t.y}.png", params={"rescale": "0,0.2"})
        assert ard.status_code == 200 and _png_rgba(ard.content)[..., :3].std() > 5
        dl = c.get("/collections/lotusar-flood/items/flood_20251030/assets/data")
        assert dl.status_code == 200 and dl.content == paths["flood"].read_bytes()
        part = c.get("/collections/lotusar-flood/items/flood_20251030/assets/data", headers={"Range": "bytes=0-15"})
        assert part.status_code == 206 and part.content == paths["flood"].read_bytes()[:16]


def test_security_rules(server, demo, tmp_path):
    d, paths = demo
    it = json.loads(paths["ard_item"].read_text())
    it["id"] = "ard_copy"
    with httpx.Client(base_url=server.url, timeout=30) as c:
        # unauthorised writes are refused; a requester may not ingest
        assert c.post("/collections/lotusar-ard/items", json=it).status_code == 401
        assert c.post("/collections/lotusar-ard/items", json=it, headers={"Authorization": "Bearer wrong-key-123"}).status_code == 401
        assert c.post("/collections/lotusar-ard/items", json=it, headers={"X-API-Key": REQ_A}).status_code == 403
        r = c.post("/collections/lotusar-ard/items", json=it, headers={"Authorization": f"Bearer {OP}"})
        assert r.status_code == 201 and r.json()["inserted"] == 1
        assert c.get("/collections/lotusar-ard/items/ard_copy").status_code == 200
        # no publishing of files outside the data roots, no traversal through asset keys/paths
        outside = tmp_path / "secret.tif"
        outside.write_bytes(b"secret")
        evil = dict(it, id="evil", assets={"data": {"href": str(outside), "type": "image/tiff"}})
        assert c.post("/collections/lotusar-ard/items", json=evil, headers={"Authorization": f"Bearer {OP}"}).status_code == 403
        evil2 = dict(it, id="evil2", assets={"data": {"href": str(d / ".." / outside.parent.name / "secret.tif"), "type": "image/tiff"}})
        assert c.post("/collections/lotusar-ard/items", json=evil2, headers={"Authorization": f"Bearer {OP}"}).status_code in (400, 403)
        for path in ("/collections/lotusar-ard/items/ard_20251030/assets/..%2F..%2F..%2Fetc%2Fpasswd",
                     "/collections/lotusar-ard/items/..%2F..%2Fetc/assets/data",
                     "/tiles/..%2F..%2Fetc%2Fpasswd/data/1/0/0.png", "/map/static/..%2F..%2Fapp.py",
                     "/map/vendor/leaflet/..%2F..%2F..%2F..%2Fapp.py"):
            r = c.get(path)
            assert r.status_code in (400, 403, 404) and b"root:" not in r.content and b"def create_app" not in r.content
        # an item catalogued by a local user with a file outside the roots is not served
        cat = server.app.state.catalog
        cat.put_item(dict(evil, id="local_evil"))
        r = c.get("/collections/lotusar-ard/items/local_evil/assets/data")
        assert r.status_code == 403 and b"secret" not in r.content
        # request size limit
        r = c.post("/search", content=b"{" + b" " * (2 << 20) + b"}", headers={"content-type": "application/json"})
        assert r.status_code == 413 and r.json()["code"] == "PayloadTooLarge"


def test_rate_limit(catalog_url, tmp_path):
    with BackgroundServer(ServiceConfig(catalog_url=catalog_url, data_roots=[str(tmp_path)], read_rate_per_s=0.5, read_burst=10)) as srv:
        codes = [httpx.get(srv.url + "/conformance").status_code for _ in range(30)]
    assert codes[:10] == [200] * 10 and 429 in codes


AOI_VALENCIA = {"type": "Polygon", "coordinates": [[[-0.42, 39.28], [-0.38, 39.28], [-0.38, 39.32], [-0.42, 39.32], [-0.42, 39.28]]]}


def test_tasking_flow_and_map_layers(server):
    body = {"aoi": AOI_VALENCIA, "earliest_start": "2025-11-01T00:00:00Z", "deadline": "2025-11-03T00:00:00Z", "priority": 2,
            "mode": "stripmap"}
    with httpx.Client(base_url=server.url, timeout=60) as c:
        assert c.post("/tasking/requests", json=body).status_code == 401
        r = c.post("/tasking/requests", json=body, headers={"X-API-Key": REQ_A})
        assert r.status_code == 201
        t = r.json()
        assert t["status"] == "planned" and t["owner"] == "alice" and t["acquisitions"]
        bad = c.post("/tasking/requests", json={**body, "deadline": "2025-10-01T00:00:00Z"}, headers={"X-API-Key": REQ_A})
        assert bad.status_code == 400 and "deadline" in bad.json()["description"]
        old = c.post("/tasking/requests", json={**body, "start": "2025-11-01T00:00:00Z"}, headers={"X-API-Key": REQ_A})
        assert old.status_code == 400 and "start" in old.json()["description"]  # one model: the planner's fields only
        assert c.get(f"/tasking/requests/{t['id']}", headers={"X-API-Key": REQ_B}).status_code == 404  # not bob's
        assert c.patch(f"/tasking/requests/{t['id']}", json={"status": "acquired"}, headers={"X-API-Key": REQ_A}).status_code == 403
        r = c.patch(f"/tasking/requests/{t['id']}", json={"status": "acquired"}, headers={"Authorization": f"Bearer {OP}"})
        assert r.status_code == 200 and r.json()["status"] == "acquired"
        mine = c.get(f"/tasking/requests/{t['id']}", headers={"X-API-Key": REQ_A}).json()
        assert mine["acquisitions"][0]["satellite"] == "LOTUSat-1" and [h["status"] for h in mine["history"]][-1] == "acquired"
        assert [h["status"] for h in mine["history"]] == ["received", "planned", "acquired"]
        assert c.patch(f"/tasking/requests/{t['id']}", json={"status": "planned"}, headers={"X-API-Key": OP}).status_code == 400
        for st in ("downlinked", "processed"):
            assert c.patch(f"/tasking/requests/{t['id']}", json={"status": st}, headers={"X-API-Key": OP}).json()["status"] == st
        assert c.patch(f"/tasking/requests/{t['id']}", json={"status": "delivered"}, headers={"X-API-Key": OP}).status_code == 400
        delivered = {"status": "delivered", "items": [{"collection": "lotusar-flood", "id": "flood_20251030"}]}
        done = c.patch(f"/tasking/requests/{t['id']}", json=delivered,
                       headers={"X-API-Key": OP}).json()
        assert done["status"] == "delivered" and done["items"][0]["href"] == "/collections/lotusar-flood/items/flood_20251030"
        assert len(c.get("/tasking/requests", headers={"X-API-Key": REQ_B}).json()["requests"]) == 0
        layers = c.get("/map/layers.geojson").json()
        kinds = [f["properties"]["kind"] for f in layers["features"]]
        assert kinds.count("ground_track") == 1 and kinds.count("station_mask") == 1
        assert kinds.count("acquisition") == 2 + len(mine["acquisitions"])
        # a requester cancels her request: it leaves the committed plan
        r2 = c.post("/tasking/requests", json={**body, "deadline": "2025-11-04T00:00:00Z"}, headers={"X-API-Key": REQ_A}).json()
        plan = c.get("/tasking/plan", headers={"X-API-Key": OP}).json()
        assert r2["id"] in {a["request_id"] for a in plan["acquisitions"]} or r2["status"] == "unplannable"
        assert c.get("/tasking/plan", headers={"X-API-Key": REQ_A}).status_code == 403
        assert c.delete(f"/tasking/requests/{r2['id']}", headers={"X-API-Key": REQ_B}).status_code == 404
        assert c.delete(f"/tasking/requests/{r2['id']}", headers={"X-API-Key": REQ_A}).json()["status"] == "cancelled"
        plan = c.get("/tasking/plan", headers={"X-API-Key": OP}).json()
        assert r2["id"] not in {a["request_id"] for a in plan["acquisitions"]} | {q["id"] for q in plan["requests"]}
        ps = c.get("/passes", params={"start": "2025-10-31T00:00:00Z", "end": "2025-10-31T06:00:00Z"}).json()
        assert ps["planned"]["type"] == "FeatureCollection"
        for p in ps["passes"]:  # predicted by the orbit stage for the default fleet
            assert "2025-10-31T00:00:00Z" <= p["aos"] < p["los"] <= "2025-10-31T06:00:01Z"
        assert c.get("/passes", params={"start": "2025-10-31T00:00:00Z", "end": "2025-11-30T00:00:00Z"}).status_code == 400
        plans = c.get("/plans").json()
        assert [f["id"] for f in plans["features"]] == ["plan_20251031"]
        assert len(c.get("/plans/plan_20251031/features", params={"kind": "acquisition"}).json()["features"]) == 2


def test_station_mask_geometry_against_spherical_trig():
    """Visibility circle radius λ = arccos(R cos ε/(R+h)) − ε; vertices at λ·R great-circle distance."""
    from lotusar.service.fleetlayers import R_EARTH_M, coverage_half_angle_deg, small_circle

    lam = coverage_half_angle_deg(500e3, 5.0)
    # SMAD route: nadir angle η from sin η = R cos ε / (R + h), then λ = 90° − ε − η
    eta = np.degrees(np.arcsin(R_EARTH_M * np.cos(np.radians(5.0)) / (R_EARTH_M + 500e3)))
    assert lam == pytest.approx(90.0 - 5.0 - eta, abs=1e-9)
    assert lam == pytest.approx(17.53, abs=0.01)
    assert coverage_half_angle_deg(500e3, 90.0 - 1e-9) == pytest.approx(0.0, abs=1e-6)
    ring = np.radians(np.array(small_circle(21.0, 105.5, lam)))
    p1, l1 = np.radians(21.0), np.radians(105.5)
    hav = np.sin((ring[:, 1] - p1) / 2) ** 2 + np.cos(p1) * np.cos(ring[:, 1]) * np.sin((ring[:, 0] - l1) / 2) ** 2
    d_m = 2 * R_EARTH_M * np.arcsin(np.sqrt(hav))
    assert np.allclose(d_m, np.radians(lam) * R_EARTH_M, rtol=1e-5)


def test_fleet_layers_endpoint(server):
    r = httpx.get(server.url + "/map/fleet.geojson", params={"start": "2025-10-30T05:00:00Z", "end": "2025-10-30T06:40:00Z"})
    assert r.status_code == 200
    feats = r.json()["features"]
    from lotusar.fleet import load_fleet

    fl = load_fleet(None)
    names = [f["properties"]["satellite"] for f in feats if f["properties"]["kind"] == "ground_track"]
    # satellites whose elements no longer propagate (decayed by 2025) have no track
    assert 1 <= len(names) <= len(fl.satellites) and set(names) <= {s.name for s in fl.satellites}
    assert sum(f["properties"]["kind"] == "station_mask" for f in feats) == len(fl.stations)
    for f in feats:
        if f["properties"]["kind"] == "ground_track":
            for piece in f["geometry"]["coordinates"]:
                lon = np.array(piece)[:, 0]
                assert np.all(np.abs(np.diff(lon)) < 180)  # split at the antimeridian
    too_long = {"start": "2025-10-30T05:00:00Z", "end": "2025-11-05T00:00:00Z"}
    assert httpx.get(server.url + "/map/fleet.geojson", params=too_long).status_code == 400


def test_planning_stage_plan_json_is_catalogued_and_mapped(catalog_url, tmp_path, monkeypatch):
    """A plan in the planning stage's JSON (acquisitions + downlinks) → item, map layer, downlinks."""
    from lotusar.catalog.items import make_item

    box = {"type": "Polygon", "coordinates": [[[105, 20], [106, 20], [106, 21], [105, 21], [105, 20]]]}
    plan = {"start": "2025-11-01T00:00:00Z", "end": "2025-11-03T00:00:00Z",
            "acquisitions": [{"request_id": "R1", "satellite": "LOTUSat-1", "start": "2025-11-01T03:00:00Z", "end": "2025-11-01T03:00:20Z",
                              "look_side": "right", "incidence_deg": 32.0, "volume_bits": 8e9, "footprint": box}],
            "downlinks": [{"satellite": "LOTUSat-1", "station": "Hoa Lac", "start": "2025-11-01T03:10:00Z", "end": "2025-11-01T03:18:00Z"}],
            "unplanned": []}
    p = tmp_path / "plan_solved.json"
    p.write_text(json.dumps(plan))
    it = make_item(p, "plan").to_dict(include_self_link=False, transform_hrefs=False)
    assert it["bbox"] == [105.0, 20.0, 106.0, 21.0] and it["properties"]["start_datetime"] == "2025-11-01T00:00:00Z"
    cat = open_catalog(catalog_url)
    cat.put_item(it)
    cat.close()
    with BackgroundServer(ServiceConfig(catalog_url=catalog_url, data_roots=[str(tmp_path)])) as srv:
        layers = httpx.get(srv.url + "/map/layers.geojson").json()["features"]
        assert [f["properties"]["request_id"] for f in layers if f["properties"]["kind"] == "acquisition"] == ["R1"]
        ps = httpx.get(srv.url + "/passes", params={"start": "2025-11-01T00:00:00Z", "end": "2025-11-02T00:00:00Z"}).json()
        assert [d["station"] for d in ps["planned_downlinks"]] == ["Hoa Lac"]


def test_tile_of_a_non_raster_asset_is_a_4xx(catalog_url, tmp_path):
    from lotusar.catalog.items import make_item

    fake = tmp_path / "not_a_raster.tif"
    fake.write_bytes(b"this is not a GeoTIFF")
    box = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    raw = tmp_path / "scene.bin"
    raw.write_bytes(b"\0" * 64)
    it = make_item(raw, "raw", geometry=box, datetime_utc="2025-01-01T00:00:00Z").to_dict(include_self_link=False, transform_hrefs=False)
    it["assets"]["data"] = {**it["assets"]["data"], "href": str(fake), "type": "image/tiff", "file:checksum": None, "file:size": None}
    it["assets"]["data"] = {k: v for k, v in it["assets"]["data"].items() if v is not None}
    cat = open_catalog(catalog_url)
    cat.put_item(it)
    cat.close()
    with BackgroundServer(ServiceConfig(catalog_url=catalog_url, data_roots=[str(tmp_path)])) as srv:
        r = httpx.get(srv.url + f"/tiles/{it['id']}/data/1/0/0.png")
        assert r.status_code == 400 and "not a readable raster" in r.json()["description"]
        assert httpx.get(srv.url + f"/tiles/{it['id']}/data/tilejson.json").status_code == 400
