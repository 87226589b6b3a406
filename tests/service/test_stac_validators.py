"""Conformance by the real validators, offline with the vendored schemas in
``../shared/data/stac-schemas``: stac-api-validator (through ``../shared/tools/stac-api-validate``)
against a running server for every conformance class the landing page claims, and stac-validator
on every kind of item the project writes. Skips cleanly when ``../shared`` is absent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from stac_validator.validate import StacValidate

from lotusar.catalog.ingest import ingest_path
from lotusar.catalog.items import STAC_VERSION, make_item
from lotusar.catalog.store import open_catalog
from lotusar.catalog.synthetic import synthetic_items
from lotusar.service.app import BackgroundServer, ServiceConfig
from lotusar.service.demo import build_demo

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = ROOT.parent / "shared" / "tools" / "stac-api-validate"

# landing-page conformance class → stac-api-validator --conformance value
VALIDATOR_CLASS = {
    "https://api.stacspec.org/v1.0.0/core": "core",
    "https://api.stacspec.org/v1.0.0/collections": "collections",
    "https://api.stacspec.org/v1.0.0/ogcapi-features": "features",
    "https://api.stacspec.org/v1.0.0/item-search": "item-search",
    "https://api.stacspec.org/v1.0.0/item-search#sort": "item-search#sort",
    "https://api.stacspec.org/v1.0.0-rc.1/item-search#filter": "filter",
    "https://api.stacspec.org/v1.0.0-rc.1/item-search#query": "item-search#query",
    "https://api.stacspec.org/v1.0.0/ogcapi-features#sort": "features#sort",
}
# OGC/CQL2 classes the validator checks as part of the classes above (filter: cql2-json,
# basic-cql2, advanced comparison operators; features: core, geojson, oas30)
CHECKED_WITHIN = ("http://www.opengis.net/spec/",)

QUERY_ARGS = ["--query-comparison-field", "sat:relative_orbit", "--query-eq-value", "5", "--query-neq-value", "5",
              "--query-lt-value", "30", "--query-lte-value", "5", "--query-gt-value", "5", "--query-gte-value", "5",
              "--query-substring-field", "sar:instrument_mode", "--query-starts-with-value", "S",
              "--query-ends-with-value", "M", "--query-contains-value", "S",
              "--query-in-field", "sar:polarizations", "--query-in-values", "VV,HH"]


@pytest.fixture(scope="module")
def schemas(shared_data):
    s = shared_data("stac-schemas")
    return {url: str(s / rel) for url, rel in json.loads((s / "url-map.json").read_text()).items()}


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    d = tmp_path_factory.mktemp("demo")
    return d, build_demo(d, size=256)


def test_stac_api_validator_passes_every_claimed_class(schemas, products, tmp_path):
    if not WRAPPER.is_file():
        pytest.skip(f"stac-api-validate wrapper not present at {WRAPPER}")
    d, paths = products
    url = str(tmp_path / "c.sqlite")
    cat = open_catalog(url)
    ingest_path(cat, d / "products")
    cat.put_items(synthetic_items(60, seed=4, region=(-10, 35, 5, 45), asset_path=paths["flood"]))
    cat.close()
    with BackgroundServer(ServiceConfig(catalog_url=url, data_roots=[str(d)])) as srv:
        claimed = httpx.get(srv.url + "/").json()["conformsTo"]
        unknown = [c for c in claimed if c not in VALIDATOR_CLASS and not c.startswith(CHECKED_WITHIN)]
        assert not unknown, f"claimed classes the validator is not run for: {unknown}"
        args = [a for c in claimed if c in VALIDATOR_CLASS for a in ("--conformance", VALIDATOR_CLASS[c])]
        geom = {"type": "Polygon", "coordinates": [[[-10, 35], [5, 35], [5, 45], [-10, 45], [-10, 35]]]}
        p = subprocess.run([sys.executable, str(WRAPPER), "--root-url", srv.url + "/", *args, "--collection", "lotusar-slc",
                            "--geometry", json.dumps(geom), *QUERY_ARGS],
                           capture_output=True, text=True, timeout=300, cwd=tmp_path)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-4000:]
    assert "Errors: none" in out and "Failed." not in out and "BLOCKED" not in out, out[-4000:]


def _valid(item: dict, schemas: dict) -> None:
    v = StacValidate(schema_map=schemas, extensions=True)
    assert v.validate_dict(item), (item["id"], v.message)


def test_every_item_the_project_writes_passes_stac_validator(schemas, products, tmp_path):
    d, paths = products
    written = [json.loads(Path(paths[k]).read_text()) for k in ("flood_item", "ard_item", "plan_item")]
    box = {"type": "Polygon", "coordinates": [[[105, 20], [106, 20], [106, 21], [105, 21], [105, 20]]]}
    raw = tmp_path / "scene.bin"
    raw.write_bytes(b"\0" * 64)
    det = tmp_path / "ships.geojson"
    det.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.5, 20.5]}, "properties": {"score": 0.9}}]}))
    for path, kind in ((raw, "raw"), (raw, "level0"), (det, "detections")):
        written.append(make_item(path, kind, geometry=box if kind != "detections" else None, item_id=f"x-{kind}",
                                 datetime_utc="2025-01-01T00:00:00Z", orbit_state="ascending", relative_orbit=12,
                                 incidence_angle_deg=30.0).to_dict(include_self_link=False, transform_hrefs=False))
    written += synthetic_items(3, seed=1)
    for it in written:
        assert it["stac_version"] == STAC_VERSION
        _valid(it, schemas)


def test_served_items_collections_and_landing_share_one_stac_version(products, tmp_path):
    d, _ = products
    url = str(tmp_path / "c.sqlite")
    cat = open_catalog(url)
    ingest_path(cat, d / "products")
    cat.close()
    with BackgroundServer(ServiceConfig(catalog_url=url, data_roots=[str(d)])) as srv, httpx.Client(base_url=srv.url) as c:
        versions = {c.get("/").json()["stac_version"]}
        versions |= {col["stac_version"] for col in c.get("/collections").json()["collections"]}
        versions |= {f["stac_version"] for f in c.get("/search", params={"limit": 100}).json()["features"]}
        land = c.get("/").json()
        desc = next(lk for lk in land["links"] if lk["rel"] == "service-desc")
        r = c.get(desc["href"])
        assert r.headers["content-type"] == desc["type"] == "application/vnd.oai.openapi+json;version=3.0"
        assert r.json()["openapi"].startswith("3.")
        # limit above the maximum is capped, not refused; CSV bbox in a POST body and bad datetimes are refused
        big = c.get("/search", params={"limit": 100000})
        assert big.status_code == 200 and big.json()["numberReturned"] == 3
        assert c.post("/search", json={"bbox": "-1,38,0,40"}).status_code == 400
        for bad in ("1985-04-12", "2025-10-30T05:55:00", "yesterday", "2025-13-01T00:00:00Z"):
            assert c.get("/search", params={"datetime": bad}).status_code == 400, bad
            assert c.post("/search", json={"datetime": bad}).status_code == 400, bad
        # CQL2 between (both JSON forms) equals the explicit comparison
        both = {"op": "and", "args": [{"op": ">=", "args": [{"property": "view:incidence_angle"}, 30]},
                                      {"op": "<=", "args": [{"property": "view:incidence_angle"}, 40]}]}
        want = [f["id"] for f in c.post("/search", json={"filter": both}).json()["features"]]
        for f in ({"op": "between", "args": [{"property": "view:incidence_angle"}, 30, 40]},
                  {"op": "between", "args": [{"property": "view:incidence_angle"}, [30, 40]]}):
            assert [x["id"] for x in c.post("/search", json={"filter": f}).json()["features"]] == want and want
    assert versions == {STAC_VERSION}
