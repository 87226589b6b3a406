"""Tasking requests: validation (field named), point → square, strips, GeoJSON round trip, generator."""

from __future__ import annotations

import json
import math

import pytest

from conftest import END_2D, START
from lotusar.errors import ValidationError
from lotusar.planning.tasking.requests import (
    BBOX_VIETNAM,
    KM_PER_DEG,
    POINT_SQUARE_KM,
    STRIP_FILL,
    TaskingRequest,
    parse_requests,
    random_requests,
    request_from_dict,
    requests_to_geojson,
    requests_to_json,
    split_request,
)


def _req(**kw):
    d = {"id": "A", "aoi": {"type": "Point", "coordinates": [106.0, 16.5]}, "mode": "stripmap",
         "earliest_start": START, "deadline": END_2D}
    d.update(kw)
    return d


def test_point_becomes_small_square():
    r = request_from_dict(_req())
    p = r.polygon()
    minx, miny, maxx, maxy = p.bounds
    assert (maxy - miny) * KM_PER_DEG == pytest.approx(POINT_SQUARE_KM, rel=1e-9)
    assert (maxx - minx) * KM_PER_DEG * math.cos(math.radians(16.5)) == pytest.approx(POINT_SQUARE_KM, rel=1e-9)
    assert p.centroid.x == pytest.approx(106.0) and p.centroid.y == pytest.approx(16.5)


@pytest.mark.parametrize("patch, field", [
    ({"deadline": "2022-10-24T00:00:00Z"}, "deadline"),
    ({"mode": "wideswath"}, "mode"),
    ({"aoi": {"type": "Polygon", "coordinates": [[[106, 16], [107, 17], [107, 16], [106, 17], [106, 16]]]}}, "aoi"),
    ({"aoi": {"type": "LineString", "coordinates": [[106, 16], [107, 17]]}}, "aoi"),
    ({"priority": -1}, "priority"),
    ({"incidence_min_deg": 40, "incidence_max_deg": 30}, "incidence_max_deg"),
    ({"earliest_start": "yesterday"}, "earliest_start"),
])
def test_bad_request_names_the_field(patch, field):
    with pytest.raises(ValidationError) as e:
        request_from_dict(_req(**patch), "f.json: requests[0]")
    msg = str(e.value)
    assert f"field '{field}'" in msg and "\n" not in msg and "requests[0]" in msg


def test_duplicate_ids_refused():
    with pytest.raises(ValidationError, match="duplicate"):
        parse_requests([_req(), _req()])


def test_wide_area_split_into_strips_that_tile_it():
    # 40 km (east-west) × 20 km stripmap area, swath 12 km → strips ≤ 10.8 km wide
    lat = 16.0
    w = 40 / (KM_PER_DEG * math.cos(math.radians(lat)))
    h = 20 / KM_PER_DEG
    aoi = {"type": "Polygon", "coordinates": [[[106, lat], [106 + w, lat], [106 + w, lat + h], [106, lat + h], [106, lat]]]}
    r = request_from_dict(_req(aoi=aoi, weight=4.0))
    parts = split_request(r, swath_km=12.0)
    assert len(parts) == math.ceil(40 / (STRIP_FILL * 12))
    assert all(p.parent_id == "A" for p in parts)
    union = parts[0].polygon()
    for p in parts[1:]:
        union = union.union(p.polygon())
        minx, _, maxx, _ = p.polygon().bounds
        assert (maxx - minx) * KM_PER_DEG * math.cos(math.radians(lat + h / 2)) <= STRIP_FILL * 12 + 1e-6
    assert union.symmetric_difference(r.polygon()).area < 1e-9 * r.polygon().area + 1e-12
    # a small request is not split
    assert split_request(request_from_dict(_req()), 12.0) == [request_from_dict(_req())]


def test_spotlight_scene_also_cut_along_track():
    aoi = {"type": "Polygon", "coordinates": [[[106, 16], [106.05, 16], [106.05, 16.3], [106, 16.3], [106, 16]]]}
    r = request_from_dict(_req(aoi=aoi, mode="spotlight"))
    parts = split_request(r, swath_km=10.0, scene_length_km=10.0)
    assert len(parts) == math.ceil(0.3 * KM_PER_DEG / 9.0)


def test_geojson_and_json_round_trip():
    reqs = random_requests(25, BBOX_VIETNAM, START, END_2D, seed=3)
    again = parse_requests(json.loads(json.dumps(requests_to_geojson(reqs))))
    assert [r.model_dump() for r in again] == [r.model_dump() for r in reqs]
    again2 = parse_requests(json.loads(json.dumps(requests_to_json(reqs))))
    assert [r.model_dump() for r in again2] == [r.model_dump() for r in reqs]


def test_generator_is_seeded_and_inside_the_box():
    a = random_requests(50, BBOX_VIETNAM, START, END_2D, seed=11)
    b = random_requests(50, BBOX_VIETNAM, START, END_2D, seed=11)
    c = random_requests(50, BBOX_VIETNAM, START, END_2D, seed=12)
    assert requests_to_json(a) == requests_to_json(b) != requests_to_json(c)
    for r in a:
        x, y = r.polygon().centroid.coords[0]
        assert BBOX_VIETNAM[0] <= x <= BBOX_VIETNAM[2] and BBOX_VIETNAM[1] <= y <= BBOX_VIETNAM[3]
        assert r.deadline > r.earliest_start
        assert isinstance(r, TaskingRequest)
    assert {r.priority for r in a} <= {1, 2, 3, 4, 5}


def test_tiles_fit_the_swath_across_a_tilted_track():
    from lotusar.planning.tasking.requests import track_tilt_deg

    # i = 97.4°, T = 94.6 min at 17° N: inertial heading asin(cos i / cos φ) = −7.7°, plus the
    # Earth's rotation (0.44 km/s east) against ~7.06 km/s ground speed → ≈ 11.3° from the meridian
    tilt = track_tilt_deg(97.42, 5675.0, 17.0)
    assert tilt == pytest.approx(11.3, abs=0.2)
    aoi = {"type": "Polygon", "coordinates": [[[106.5, 16.33], [107.85, 16.33], [107.85, 17.52], [106.5, 17.52], [106.5, 16.33]]]}
    r = request_from_dict(_req(aoi=aoi))
    parts = split_request(r, swath_km=12.0, tilt_deg=tilt)
    c, s = math.cos(math.radians(tilt)), math.sin(math.radians(tilt))
    area = 0.0
    for p in parts:
        minx, miny, maxx, maxy = p.polygon().bounds
        w = (maxx - minx) * KM_PER_DEG * math.cos(math.radians(0.5 * (miny + maxy)))
        h = (maxy - miny) * KM_PER_DEG
        assert w * c + h * s <= STRIP_FILL * 12.0 + 1e-6
        area += p.polygon().area
    assert area == pytest.approx(r.polygon().area, rel=1e-9)
