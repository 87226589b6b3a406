"""Tasking from the API, checked against an overflight computed independently with skyfield:
the planned acquisition lies inside a LOTUSat-1 pass over the area, sees the area's centre at
zero Doppler during the take, at an incidence inside the requested range, and its footprint
covers the area. A window too short for any pass answers ``unplannable`` with a reason."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import numpy as np
import pytest
from shapely.geometry import shape
from shapely.ops import unary_union
from skyfield.api import EarthSatellite, load, wgs84
from skyfield.framelib import itrs

from lotusar.fleet import load_fleet
from lotusar.service.app import BackgroundServer, ServiceConfig
from lotusar.timeutil import parse_utc

OP = "operator-key-task01"
REQ = "requester-key-task1"
# a 4.4 km × 4.4 km field near Dong Hoi (Quang Binh)
AOI = {"type": "Polygon", "coordinates": [[[106.58, 17.44], [106.62, 17.44], [106.62, 17.48], [106.58, 17.48], [106.58, 17.44]]]}


@pytest.fixture
def server(tmp_path, monkeypatch):
    monkeypatch.setenv("LOTUSAR_API_KEYS", f"{OP}=operator:ops,{REQ}=requester:hanh")
    with BackgroundServer(ServiceConfig(catalog_url=str(tmp_path / "c.sqlite"), data_roots=[str(tmp_path)])) as srv:
        yield srv


def _skyfield_sat(when: str = "2025-11-01T00:00:00Z"):
    """LOTUSat-1 from the fleet file's element set nearest to ``when``, as a skyfield satellite."""
    sat = load_fleet(None).satellite("LOTUSat-1")
    t = np.datetime64(when.rstrip("Z"), "ns")
    es = min(sat.element_sets(), key=lambda e: abs(e.epoch - t))
    ts = load.timescale(builtin=True)
    return EarthSatellite(es.line1, es.line2, es.name, ts), ts


def _incidence_and_range(es, ts, when, lat_deg, lon_deg):
    """Incidence (deg) at the ground point and slant range (m) from skyfield's ITRS positions."""
    t = ts.from_datetimes(list(when))
    sat = es.at(t).frame_xyz(itrs).m.T                       # (N, 3)
    gp = wgs84.latlon(lat_deg, lon_deg).itrs_xyz.m            # (3,)
    phi, lam = np.radians(lat_deg), np.radians(lon_deg)
    normal = np.array([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])
    d = sat - gp
    rng = np.linalg.norm(d, axis=1)
    return np.degrees(np.arccos(d @ normal / rng)), rng


def test_request_planned_inside_an_independent_skyfield_overflight(server):
    body = {"aoi": AOI, "mode": "stripmap", "earliest_start": "2025-11-01T00:00:00Z", "deadline": "2025-11-03T00:00:00Z",
            "priority": 1, "look_side": "any", "incidence_min_deg": 25.0, "incidence_max_deg": 45.0}
    t0 = time.monotonic()
    r = httpx.post(server.url + "/tasking/requests", json=body, headers={"X-API-Key": REQ}, timeout=60)
    elapsed = time.monotonic() - t0
    assert r.status_code == 201, r.text
    t = r.json()
    assert elapsed < 30.0
    assert t["status"] == "planned" and t["acquisitions"], t.get("reason")
    got = httpx.get(server.url + f"/tasking/requests/{t['id']}", headers={"X-API-Key": REQ}).json()
    for k in ("status", "acquisitions", "aoi", "mode", "earliest_start", "deadline", "priority", "look_side",
              "incidence_min_deg", "incidence_max_deg"):
        assert got[k] == t[k], k
    es, ts = _skyfield_sat()
    lat_c, lon_c = 17.46, 106.60
    aoi = shape(AOI)
    for a in t["acquisitions"]:
        assert a["satellite"] == "LOTUSat-1" and a["mode"] == "stripmap"
        start, end = parse_utc(a["start"]), parse_utc(a["end"])
        assert parse_utc(body["earliest_start"]) <= start < end <= parse_utc(body["deadline"])
        # inside an overflight: the satellite is above the area's horizon (skyfield events)
        tt, ev = es.find_events(wgs84.latlon(lat_c, lon_c), ts.from_datetime(start - timedelta(minutes=20)),
                                ts.from_datetime(end + timedelta(minutes=20)), altitude_degrees=0.0)
        rises = [x.utc_datetime() for x, e in zip(tt, ev) if e == 0]
        sets = [x.utc_datetime() for x, e in zip(tt, ev) if e == 2]
        assert any(ri <= start and any(st >= end for st in sets) for ri in rises)
        # the area's centre passes zero Doppler (closest approach) during the take
        n = int((end - start).total_seconds() / 0.05) + 2400
        grid = [start - timedelta(seconds=60) + timedelta(seconds=0.05 * k) for k in range(n)]
        inc, rng = _incidence_and_range(es, ts, grid, lat_c, lon_c)
        k = int(np.argmin(rng))
        assert start - timedelta(seconds=0.5) <= grid[k] <= end + timedelta(seconds=0.5)
        # incidence inside the requested range and the mode's, and as reported (TLE/frames agree to < 0.3 deg)
        assert body["incidence_min_deg"] <= inc[k] <= body["incidence_max_deg"]
        assert a["incidence_deg"] == pytest.approx(inc[k], abs=0.3)
        assert a["look_side"] in ("left", "right") and a["downlink"]["station"]
    cover = unary_union([shape(a["footprint"]) for a in t["acquisitions"]])
    assert cover.contains(aoi)
    assert cover.area < 50 * aoi.area  # a swath piece, not the whole pass


def test_too_short_window_is_unplannable_with_a_reason(server):
    body = {"aoi": AOI, "mode": "stripmap", "earliest_start": "2025-11-01T00:00:00Z", "deadline": "2025-11-01T00:05:00Z",
            "priority": 1}
    es, ts = _skyfield_sat()
    # independently: no LOTUSat-1 overflight above 10 deg over the area in these 5 minutes
    _, ev = es.find_events(wgs84.latlon(17.46, 106.60), ts.utc(2025, 11, 1, 0, 0), ts.utc(2025, 11, 1, 0, 5), altitude_degrees=10.0)
    assert len(ev) == 0
    r = httpx.post(server.url + "/tasking/requests", json=body, headers={"X-API-Key": REQ}, timeout=60)
    assert r.status_code == 201
    t = r.json()
    assert t["status"] == "unplannable" and t["acquisitions"] == [] and "opportunit" in t["reason"]
    assert httpx.get(server.url + f"/tasking/requests/{t['id']}", headers={"X-API-Key": REQ}).json()["reason"] == t["reason"]


def test_emergency_request_is_inserted_into_the_committed_plan(server):
    h = {"X-API-Key": OP}
    base = {"aoi": AOI, "mode": "stripmap", "earliest_start": "2025-11-01T00:00:00Z", "deadline": "2025-11-03T00:00:00Z"}
    first = httpx.post(server.url + "/tasking/requests", json={**base, "priority": 5}, headers={"X-API-Key": REQ}, timeout=60).json()
    assert first["status"] == "planned"
    urgent = httpx.post(server.url + "/tasking/requests", json={**base, "priority": 0}, headers=h, timeout=60).json()
    assert urgent["status"] == "planned"
    plan = httpx.get(server.url + "/tasking/plan", headers=h).json()
    assert plan["solver"].get("inserted") is not None  # the planner's emergency re-plan made this plan
    acq = {a["request_id"]: a for a in plan["acquisitions"]}
    assert acq[urgent["id"]]["start"] == urgent["acquisitions"][0]["start"][:len(acq[urgent["id"]]["start"])]
    # the displaced or kept first request follows the committed plan
    after = httpx.get(server.url + f"/tasking/requests/{first['id']}", headers={"X-API-Key": REQ}).json()
    assert (after["status"] == "planned") == (first["id"] in acq)
    # operators re-plan everything open and commit it
    r = httpx.post(server.url + "/tasking/plan/replan", headers=h, timeout=60)
    assert r.status_code == 200 and r.json()["acquisitions"] >= 1
    assert httpx.post(server.url + "/tasking/plan/replan", headers={"X-API-Key": REQ}).status_code == 403


def test_wide_area_is_planned_in_strips_whose_footprints_cover_it(server):
    """A 22 km × 22 km area (wider than one stripmap swath) over a week: strips, each imaged on a
    LOTUSat-1 overflight (skyfield: above the area's horizon), together covering the area."""
    aoi = {"type": "Polygon", "coordinates": [[[105.7, 20.9], [105.9, 20.9], [105.9, 21.1], [105.7, 21.1], [105.7, 20.9]]]}
    body = {"aoi": aoi, "mode": "stripmap", "earliest_start": "2025-11-01T00:00:00Z", "deadline": "2025-11-08T00:00:00Z",
            "priority": 2}
    t = httpx.post(server.url + "/tasking/requests", json=body, headers={"X-API-Key": REQ}, timeout=60).json()
    assert t["status"] == "planned", t.get("reason")
    assert len({a["sub_request_id"] for a in t["acquisitions"]}) >= 2
    es, ts = _skyfield_sat()
    site = wgs84.latlon(21.0, 105.8)
    for a in t["acquisitions"]:
        mid = parse_utc(a["start"]) + (parse_utc(a["end"]) - parse_utc(a["start"])) / 2
        alt, _, _ = (es - site).at(ts.from_datetime(mid)).altaz()
        assert alt.degrees > 10.0
        assert 20.0 <= a["incidence_deg"] <= 50.0
    cover = unary_union([shape(a["footprint"]) for a in t["acquisitions"]])
    assert cover.contains(shape(aoi))
