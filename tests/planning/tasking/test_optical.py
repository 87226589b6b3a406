"""MicroDragon's camera in the plan: optical and SAR requests together, a request that accepts
either sensor, night passes excluded by the sun elevation, a cloud forecast that excludes or
discounts takes. Every plan re-verified by the independent checker (sun elevation from the
Almanac's solar position, camera volume from skyfield's ground speed, pitch, transitions,
recorder, downlinks in skyfield passes)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from plan_checker import _sun_elevation_deg, check_plan

from conftest import START
from lotusar.errors import InputFormatError
from lotusar.planning.tasking import TaskingRequest, plan_requests, random_requests
from lotusar.planning.tasking.optical import MIN_SUN_ELEVATION_DEG, read_cloud_field
from lotusar.timeutil import parse_utc

T0 = parse_utc(START)
T1 = T0 + timedelta(days=2)


def _opt(rid, lon, lat, **kw):
    d = dict(id=rid, aoi={"type": "Point", "coordinates": [lon, lat]}, sensor="optical", earliest_start=T0,
             deadline=T1, weight=5)
    d.update(kw)
    return TaskingRequest(**d)


def _checked(plan, fleet):
    d = json.loads(json.dumps(plan.to_json_dict(), default=float))
    assert check_plan(d, fleet) == []
    return d


def test_optical_and_sar_in_one_plan(fleet):
    reqs = random_requests(40, start=T0, end=T1, seed=5)
    reqs += [_opt(f"OPT{i}", 106.0 + 0.5 * i, 12.0 + i) for i in range(3)]
    reqs += [_opt(f"ANY{i}", 105.5 + 0.4 * i, 20.5 - i, sensor="any") for i in range(3)]
    d = _checked(plan_requests(reqs, fleet, T0, T1, time_limit_s=3), fleet)
    by_sensor = {a["sensor"] for a in d["acquisitions"]}
    assert by_sensor == {"sar", "optical"}
    for a in d["acquisitions"]:
        if a["sensor"] == "optical":
            assert a["satellite"] == "MicroDragon"
            mid = parse_utc(a["start"]) + (parse_utc(a["end"]) - parse_utc(a["start"])) / 2
            lon, lat = next(r["aoi"]["coordinates"] for r in d["requests"] if r["id"] == a["request_id"])
            assert _sun_elevation_deg(mid, lat, lon) >= MIN_SUN_ELEVATION_DEG - 0.5
    got = {a["request_id"] for a in d["acquisitions"]}
    assert any(r.startswith("OPT") for r in got) and any(r.startswith("ANY") for r in got)


def test_night_only_window_is_unplannable(fleet):
    # MicroDragon's orbit is sun-synchronous: its ascending passes are in the evening
    # (over 98° E, 16° N on day 2: nearly overhead, sun −24°)
    night = _opt("NIGHT", 98.0, 16.0, pass_direction="ascending")
    p = plan_requests([night], fleet, T0, T1, time_limit_s=1)
    assert not p.acquisitions
    assert "sun above" in p.unplanned[0]["reason"]


def test_cloud_forecast_excludes_or_discounts(fleet, tmp_path):
    req = _opt("C", 106.0, 12.0, max_cloud_probability=0.6)

    def field(p):
        f = tmp_path / f"cloud_{p}.json"
        f.write_text(json.dumps({"lon0": 100.0, "lat0": 5.0, "dlon": 1.0, "dlat": 1.0, "times": [START],
                                 "probability": [[[p] * 12 for _ in range(20)]]}))
        return read_cloud_field(f)

    cloudy = plan_requests([req], fleet, T0, T1, time_limit_s=1, cloud=field(0.9))
    assert not cloudy.acquisitions and "cloud probability" in cloudy.unplanned[0]["reason"]
    clear = plan_requests([req], fleet, T0, T1, time_limit_s=1, cloud=field(0.25))
    d = _checked(clear, fleet)
    assert d["acquisitions"] and d["acquisitions"][0]["cloud_probability"] == pytest.approx(0.25)
    take = clear.schedule.sel["C"]
    assert take.weight == pytest.approx(req.weight * (1 - 0.25))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"lon0": 0, "lat0": 0, "dlon": 1, "dlat": 1, "times": [START], "probability": [[[1.5]]]}))
    with pytest.raises(InputFormatError, match="probability"):
        read_cloud_field(bad)
