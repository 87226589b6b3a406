"""One test suite, two backends (SQLite+R-tree and PostgreSQL/PostGIS): ingest and search.

Search results are checked against a brute-force oracle (shapely intersection, interval
overlap and Python comparisons over all items), not against the code's own earlier output.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from shapely.geometry import box, shape

from lotusar.catalog.query import build_query
from lotusar.catalog.store import open_catalog
from lotusar.catalog.synthetic import synthetic_items
from lotusar.errors import NotFoundError, ValidationError

N = 400


@pytest.fixture
def filled(catalog_url):
    items = synthetic_items(N, seed=3, region=(-20, 30, 40, 60))
    cat = open_catalog(catalog_url)
    res = cat.put_items(items)
    assert len(res.inserted) == N
    yield cat, items
    cat.close()


def _t(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def _ids(items):
    return sorted(i["id"] for i in items)


def test_ingest_idempotent_and_update(filled):
    cat, items = filled
    again = cat.put_items(items[:50])
    assert len(again.unchanged) == 50 and not again.inserted and not again.updated
    changed = dict(items[0], properties={**items[0]["properties"], "view:incidence_angle": 12.5})
    r = cat.put_item(changed)
    assert r.updated == [items[0]["id"]]
    assert cat.get_item(items[0]["collection"], items[0]["id"])["properties"]["view:incidence_angle"] == 12.5
    assert cat.count_items() == N


def test_batch_is_all_or_nothing(catalog_url):
    cat = open_catalog(catalog_url)
    items = synthetic_items(20, seed=5)
    bad = dict(items[13], bbox=[0, 0, 0.001, 0.001])
    with pytest.raises(ValidationError, match="does not contain"):
        cat.put_items(items[:13] + [bad] + items[14:])
    assert cat.count_items() == 0
    cat.close()


def test_assets_must_exist_and_match_checksum(catalog_url, tmp_path):
    f = tmp_path / "scene.tif"
    f.write_bytes(b"abc" * 100)
    cat = open_catalog(catalog_url)
    it = synthetic_items(1, seed=1, asset_path=f)[0]
    missing = dict(it, id="missing", assets={"data": {**it["assets"]["data"], "href": str(tmp_path / "not_written_yet.tif")}})
    with pytest.raises(ValidationError, match="does not exist"):
        cat.put_item(missing)
    f2 = tmp_path / "scene2.tif"
    f2.write_bytes(b"abd" * 100)
    corrupt = dict(it, id="corrupt", assets={"data": {**it["assets"]["data"], "href": str(f2)}})
    with pytest.raises(ValidationError, match="checksum"):
        cat.put_item(corrupt)
    assert cat.count_items() == 0
    assert cat.put_item(it).inserted == [it["id"]]
    cat.close()


def test_unknown_collection_rejected(catalog_url):
    cat = open_catalog(catalog_url)
    it = dict(synthetic_items(1)[0], collection="somebody-else")
    with pytest.raises(ValidationError, match="does not exist"):
        cat.put_item(it)
    with pytest.raises(NotFoundError):
        cat.get_collection("somebody-else")
    cat.close()


@pytest.mark.parametrize("bbox", [[0, 40, 10, 50], [-20, 30, -15, 33], [35, 55, 40, 60]])
def test_bbox_search_matches_shapely_oracle(filled, bbox):
    cat, items = filled
    got = cat.search_all(build_query({"bbox": bbox, "limit": 37}))
    want = [i for i in items if shape(i["geometry"]).intersects(box(*bbox))]
    assert _ids(got) == _ids(want)
    assert len(want) > 0 or bbox == [35, 55, 40, 60]


def test_intersects_datetime_and_filter_match_oracle(filled):
    cat, items = filled
    poly = {"type": "Polygon", "coordinates": [[[-10, 35], [30, 38], [20, 58], [-10, 35]]]}
    a, b = "2025-02-01T00:00:00Z", "2025-07-01T00:00:00Z"
    flt = {"op": "and", "args": [
        {"op": "=", "args": [{"property": "sar:instrument_mode"}, "SM"]},
        {"op": ">=", "args": [{"property": "view:incidence_angle"}, 30]},
        {"op": "not", "args": [{"op": "in", "args": [{"property": "platform"}, ["lotusat-2"]]}]}]}
    got = cat.search_all(build_query({"intersects": poly, "datetime": f"{a}/{b}", "filter": flt, "limit": 10}))
    g = shape(poly)
    want = [i for i in items if g.intersects(shape(i["geometry"]))
            and _t(i["properties"]["start_datetime"]) <= _t(b) and _t(i["properties"]["end_datetime"]) >= _t(a)
            and i["properties"]["sar:instrument_mode"] == "SM" and i["properties"]["view:incidence_angle"] >= 30
            and i["properties"]["platform"] != "lotusat-2"]
    assert len(want) > 3
    assert _ids(got) == _ids(want)
    # STAC query extension, the same question
    got_q = cat.search_all(build_query({"intersects": poly, "datetime": f"{a}/{b}", "limit": 500, "query": {
        "sar:instrument_mode": {"eq": "SM"}, "view:incidence_angle": {"gte": 30}, "platform": {"neq": "lotusat-2"}}}))
    assert _ids(got_q) == _ids(want)


def test_sort_and_paging_cover_everything_once(filled):
    cat, items = filled
    got = cat.search_all(build_query({"sortby": "-view:incidence_angle", "limit": 23}))
    assert len(got) == N and len({i["id"] for i in got}) == N
    inc = [i["properties"]["view:incidence_angle"] for i in got]
    assert inc == sorted(inc, reverse=True)
    by_time = cat.search_all(build_query({"sortby": [{"field": "datetime", "direction": "asc"}], "limit": 50}))
    ts = [_t(i["properties"]["datetime"]) for i in by_time]
    assert ts == sorted(ts)


def test_token_is_stable_when_items_are_added(filled):
    cat, items = filled
    q = build_query({"sortby": "+id", "limit": 10})
    p1 = cat.search(q)
    # insert items that sort before the current position: the next page must not shift
    extra = synthetic_items(5, seed=9)
    for k, e in enumerate(extra):
        e["id"] = f"AAA_{k}"
    cat.put_items(extra)
    p2 = cat.search(build_query({"sortby": "+id", "limit": 10, "token": p1.next_token}))
    all_ids = sorted(i["id"] for i in items)
    assert [i["id"] for i in p1.items] == all_ids[:10]
    assert [i["id"] for i in p2.items] == all_ids[10:20]
    with pytest.raises(ValidationError, match="different search"):
        cat.search(build_query({"sortby": "-id", "limit": 10, "token": p1.next_token}))


def test_antimeridian_bbox(catalog_url):
    cat = open_catalog(catalog_url)
    items = synthetic_items(200, seed=11, region=(170, -10, 180, 10)) + synthetic_items(200, seed=12, region=(-180, -10, -170, 10))
    cat.put_items(items)
    got = cat.search_all(build_query({"bbox": [175, -5, -175, 5], "limit": 100}))
    g = shape({"type": "MultiPolygon", "coordinates": [[[[175, -5], [180, -5], [180, 5], [175, 5], [175, -5]]],
                                                       [[[-180, -5], [-175, -5], [-175, 5], [-180, 5], [-180, -5]]]]})
    want = [i for i in items if g.intersects(shape(i["geometry"]))]
    assert _ids(got) == _ids(want) and len(want) > 10
    cat.close()


def test_collection_extent_covers_items(filled):
    cat, items = filled
    col = cat.get_collection("lotusar-slc")
    w, s, e, n = col["extent"]["spatial"]["bbox"][0]
    assert w <= min(i["bbox"][0] for i in items) + 1e-4 and e >= max(i["bbox"][2] for i in items) - 1e-4
    t0, t1 = col["extent"]["temporal"]["interval"][0]
    assert t0 == min(i["properties"]["start_datetime"] for i in items)


@pytest.mark.parametrize("params, message", [
    ({"bbox": "1,2,3"}, "4"),
    ({"datetime": "2025-02-01T00:00:00Z/2025-01-01T00:00:00Z"}, "end before start"),
    ({"filter": {"op": "~~", "args": []}}, "not supported"),
    ({"filter": {"op": ">", "args": [{"property": "x"}, [1, 2]]}}, "literal"),
    ({"sortby": [{"field": "id", "direction": "up"}]}, "direction"),
    ({"limit": 0}, "limit"),
    ({"bbox": [0, 0, 1, 1], "intersects": {"type": "Point", "coordinates": [0, 0]}}, "not both"),
])
def test_bad_search_parameters(params, message):
    with pytest.raises(ValidationError, match=message):
        build_query(params)



