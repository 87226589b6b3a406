"""One request through `plan_single_request` (the service's POST /tasking/requests call): alone
and inserted into a committed plan, every answer re-checked: the plan by the independent
checker (skyfield passes, transitions with pitch, recorder, ...), the answer's fields against
the plan and the geometry (footprint holds the point, incidence in the request's window)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from plan_checker import check_plan
from shapely.geometry import Point, shape

from conftest import START
from lotusar.planning.tasking import TaskingRequest, plan_requests, plan_single_request, random_requests
from lotusar.timeutil import parse_utc

P = (107.0, 16.5)


def _req(rid, **kw):
    t0 = parse_utc(START)
    d = dict(id=rid, aoi={"type": "Point", "coordinates": list(P)}, mode="stripmap", earliest_start=t0,
             deadline=t0 + timedelta(days=2), max_latency_s=6 * 3600.0)
    d.update(kw)
    return TaskingRequest(**d)


def _assert_answer(out, fleet, req):
    plan_d = json.loads(json.dumps(out["plan"].to_json_dict(), default=float))
    assert check_plan(plan_d, fleet) == []
    assert out["feasible"] and out["reason"] is None and out["acquisitions"]
    stations = {s.name for s in fleet.stations}
    for a in out["acquisitions"]:
        assert shape(a["footprint"]).contains(Point(*P))
        assert req.incidence_min_deg <= a["incidence_deg"] <= req.incidence_max_deg
        assert parse_utc(a["start"]) >= req.earliest_start and parse_utc(a["end"]) <= req.deadline
        assert a["downlinks"] and all(d["station"] in stations for d in a["downlinks"])
        assert parse_utc(a["on_ground"]) >= parse_utc(a["end"]) and a["latency_s"] <= req.max_latency_s
        same = [x for x in plan_d["acquisitions"] if x["request_id"] == req.id and x["start"] == a["start"]]
        assert len(same) == 1 and same[0]["satellite"] == a["satellite"]


def test_single_request_alone_and_unplannable(fleet):
    req = _req("ONE")
    tic = time.perf_counter()
    out = plan_single_request(req, fleet=fleet)
    assert time.perf_counter() - tic < 30.0
    _assert_answer(out, fleet, req)
    bad = plan_single_request(_req("HIGH", incidence_min_deg=60, incidence_max_deg=70), fleet=fleet)
    assert not bad["feasible"] and not bad["acquisitions"] and "incidence outside the mode" in bad["reason"]


def test_single_request_into_a_committed_plan(fleet):
    t0 = parse_utc(START)
    t1 = t0 + timedelta(days=2)
    base = plan_requests(random_requests(60, start=t0, end=t1, seed=5), fleet, t0, t1, time_limit_s=2)
    req = _req("INS", priority=1, weight=10)
    tic = time.perf_counter()
    out = plan_single_request(req, base, fleet=fleet)
    assert time.perf_counter() - tic < 30.0
    _assert_answer(out, fleet, req)
    m = out["metrics"]
    assert 0.0 <= m["plan_stability"] <= 1.0 and 0.0 <= m["request_stability"] <= 1.0
    kept = {(a["request_id"], a["start"]) for a in out["plan"].acquisitions}
    before = [(a["request_id"], a["start"]) for a in base.acquisitions]
    assert m["takes_unchanged"] == sum(k in kept for k in before) / len(before)
    t0s = parse_utc(START)
    in_window = [a for a in base.acquisitions if any(
        b["sub_request_id"] == a["sub_request_id"] and b["satellite"] == a["satellite"] and b["look_side"] == a["look_side"]
        and abs((parse_utc(b["start"]) - parse_utc(a["start"])).total_seconds()) < 120.0
        for b in out["plan"].acquisitions)]
    assert m["plan_stability"] == len(in_window) / len(before) >= m["takes_unchanged"]
    assert t0s <= parse_utc(out["acquisitions"][0]["start"])
