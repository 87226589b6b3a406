"""Emergency scenario: a 2-day plan of 300 random requests over Vietnam, then 5 urgent flood
requests (central Vietnam) inserted by `replan` through the Python API used by the end-to-end
scenario. Checked: every constraint (independent checker), each urgent request on its earliest
overflight not taken by another urgent one, only conflicting acquisitions displaced, re-plan
time, plan and request stability reported in the JSON (their values for the default one-SAR fleet are
in docs/planning_tasking.md)."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from plan_checker import _sec, _t, check_plan
from test_cli_plan import _assert_earliest

from conftest import START

FLOOD_POINTS = [(106.6, 17.47), (107.19, 16.75), (107.6, 16.46), (108.2, 16.05), (108.47, 15.57)]


@pytest.mark.slow
def test_emergency_replan_300_plus_5(fleet):
    from lotusar.planning.tasking import TaskingRequest, plan_requests, random_requests, replan
    from lotusar.planning.tasking.requests import BBOX_VIETNAM
    from lotusar.timeutil import parse_utc

    t0 = parse_utc(START)
    t1 = t0 + timedelta(days=2)
    base = plan_requests(random_requests(300, BBOX_VIETNAM, t0, t1, seed=0), fleet, t0, t1, time_limit_s=4)
    d0 = json.loads(json.dumps(base.to_json_dict(), default=float))
    assert check_plan(d0, fleet) == []
    assert len(base.acquisitions) >= 10
    urgent = [TaskingRequest(id=f"FLOOD{i}", aoi={"type": "Point", "coordinates": list(p)}, mode="stripmap",
                             earliest_start=t0, deadline=t1, priority=1, weight=10, requester="flood-agency",
                             max_latency_s=6 * 3600.0)
              for i, p in enumerate(FLOOD_POINTS)]
    tic = time.perf_counter()
    new = replan(base, urgent, fleet, time_limit_s=5)
    dt = time.perf_counter() - tic
    assert dt <= 10.0, f"re-plan took {dt:.1f} s"
    d1 = json.loads(json.dumps(new.to_json_dict(), default=float))
    assert check_plan(d1, fleet) == []
    inserted = {a["request_id"] for a in d1["acquisitions"] if a["request_id"].startswith("FLOOD")}
    assert len(inserted) >= 2
    _assert_earliest(d1)
    # latency honoured for the urgent ones
    for a in d1["acquisitions"]:
        if a["request_id"] in inserted:
            assert a["latency_s"] is not None and a["latency_s"] <= 6 * 3600.0
    # only acquisitions in conflict with an inserted urgent one were displaced
    t00 = _t(d1["window"]["start"])
    now = {(a["request_id"], a["start"]) for a in d1["acquisitions"]}
    gone = [a for a in d0["acquisitions"] if (a["request_id"], a["start"]) not in now]
    urg = [a for a in d1["acquisitions"] if a["request_id"] in inserted]
    for g in gone:
        gs, ge = _sec(g["start"], t00), _sec(g["end"], t00)
        rg = (-1 if g["look_side"] == "left" else 1) * g["off_nadir_deg"]
        hit = False
        for u in urg:
            us, ue = _sec(u["start"], t00), _sec(u["end"], t00)
            ru = (-1 if u["look_side"] == "left" else 1) * u["off_nadir_deg"]
            gap = us - ge if gs <= us else gs - ue
            hit |= gap < 30.0 + max(abs(ru - rg), abs(u["pitch_deg"] - g["pitch_deg"]))
        # a take slid inside its window for an urgent one was in conflict where it was
        now_same = [a for a in d1["acquisitions"] if a["request_id"] == g["request_id"]]
        assert hit or now_same, f"{g['request_id']} displaced without a conflict"
    assert new.stability == pytest.approx(1 - len(gone) / len(d0["acquisitions"]))
    # both stabilities in the plan JSON, recomputed here from the two plans
    prev_ids = {a["request_id"] for a in d0["acquisitions"]}
    still = {a["request_id"] for a in d1["acquisitions"]} & prev_ids
    assert d1["metrics"]["takes_unchanged"] == pytest.approx(1 - len(gone) / len(d0["acquisitions"]))
    # plan stability: a committed take still acquired in its visibility window (same part of the
    # request, satellite, look side, same overflight: start within the ±20° pitch window)
    in_window = [a for a in d0["acquisitions"] if any(
        b["sub_request_id"] == a["sub_request_id"] and b["satellite"] == a["satellite"]
        and b["look_side"] == a["look_side"] and abs(_sec(b["start"], t00) - _sec(a["start"], t00)) < 120.0
        for b in d1["acquisitions"])]
    assert d1["metrics"]["plan_stability"] == pytest.approx(len(in_window) / len(d0["acquisitions"]))
    assert d1["metrics"]["request_stability"] == pytest.approx(len(still) / len(prev_ids))
    assert d1["metrics"]["replan_s"] <= 10.0
    print(f"\nemergency: base {len(d0['acquisitions'])} acquisitions, inserted {sorted(inserted)}, "
          f"takes unchanged {new.stability:.3f}, plan stability {d1['metrics']['plan_stability']:.3f}, "
          f"request stability {d1['metrics']['request_stability']:.3f}, "
          f"re-plan {dt:.2f} s")
