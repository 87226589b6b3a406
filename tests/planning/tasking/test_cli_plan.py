"""CLI plans re-verified by the independent checker; bad input → one line, exit 2, no file."""

from __future__ import annotations

import copy
import json

import pytest
from plan_checker import check_plan

from conftest import END_1D, START


@pytest.fixture(scope="module")
def solved(tmp_path_factory, plan_cli):
    d = tmp_path_factory.mktemp("tasking")
    req = d / "req.json"
    r = plan_cli("plan", "requests", "generate", "--n", 40, "--start", START, "--end", END_1D, "--seed", 5, "--out", req)
    assert r.returncode == 0, r.stderr
    out = d / "plan.json"
    r = plan_cli("plan", "solve", "--requests", req, "--start", START, "--end", END_1D, "--out", out,
                 "--time-limit-s", 3, "--json")
    assert r.returncode == 0, r.stderr
    return d, json.loads(out.read_text()), json.loads(r.stdout)


def test_solve_writes_a_valid_plan(solved, fleet):
    d, plan, summary = solved
    assert plan["acquisitions"], "the scenario should plan something"
    assert check_plan(plan, fleet) == []
    # every acquisition's data is on a downlink that lists its request
    for a in plan["acquisitions"]:
        assert a["downlink_indices"], a
        for j in a["downlink_indices"]:
            assert a["request_id"] in plan["downlinks"][j]["request_ids"]
    m = plan["metrics"]
    assert m["CR"] == pytest.approx(m["completed"] / m["requests"])
    assert summary["acquisitions"] == len(plan["acquisitions"])
    assert len(plan["acquisitions"]) + len(plan["unplanned"]) == m["requests"]
    assert m["PC_wh"] > 0
    assert (d / "plan_gantt.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cmds = json.loads((d / "plan_commands.json").read_text())
    assert sum(len(v) for v in cmds.values()) == 2 * (len(plan["acquisitions"]) + len(plan["downlinks"]))
    # memory/energy profiles are present per SAR satellite
    assert set(plan["memory"]) == set(plan["energy"]) == {"LOTUSat-1"}


def test_checker_catches_violations(solved, fleet):
    _, plan, _ = solved
    a0 = plan["acquisitions"][0]
    # 1) an acquisition moved onto the next one (overlap / transition)
    if len(plan["acquisitions"]) > 1:
        bad = copy.deepcopy(plan)
        bad["acquisitions"][1]["start"], bad["acquisitions"][1]["end"] = a0["start"], a0["end"]
        assert any("transition" in v for v in check_plan(bad, fleet))
    # 2) a downlink shifted 2 h out of its pass
    bad = copy.deepcopy(plan)
    from datetime import datetime, timedelta

    def sh(s):
        return (datetime.fromisoformat(s.replace("Z", "+00:00")) + timedelta(hours=2)).isoformat().replace("+00:00", "Z")

    bad["downlinks"][0]["start"], bad["downlinks"][0]["end"] = sh(bad["downlinks"][0]["start"]), sh(bad["downlinks"][0]["end"])
    assert any("not inside a pass" in v for v in check_plan(bad, fleet))
    # 3) a recorder overflow (volume inflated beyond memory) and a downlink of more than was stored
    bad = copy.deepcopy(plan)
    bad["acquisitions"][0]["volume_bits"] = 1e15
    assert any("above capacity" in v for v in check_plan(bad, fleet))
    bad = copy.deepcopy(plan)
    bad["acquisitions"] = []
    assert any("below zero" in v for v in check_plan(bad, fleet))
    # 4) a request silently dropped
    bad = copy.deepcopy(plan)
    bad["unplanned"] = bad["unplanned"][1:]
    assert any("neither planned nor unplanned" in v for v in check_plan(bad, fleet))


def test_replan_cli_inserts_urgent_on_earliest_feasible(solved, plan_cli, fleet):
    d, plan, _ = solved
    # urgent requests at points the base plan already images (so they compete for its slots)
    urgent = []
    for i, a in enumerate(plan["acquisitions"][:2]):
        r = next(q for q in plan["requests"] if q["id"] == a["request_id"])
        urgent.append({"id": f"URG{i}", "aoi": r["aoi"], "mode": "stripmap", "earliest_start": START,
                       "deadline": END_1D, "priority": 2, "weight": 5, "requester": "flood-agency"})
    add = d / "urgent.json"
    add.write_text(json.dumps(urgent))
    out = d / "new.json"
    r = plan_cli("plan", "replan", "--plan", d / "plan.json", "--add", add, "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    new = json.loads(out.read_text())
    assert check_plan(new, fleet) == []
    s = json.loads(r.stdout)
    assert 0.0 <= new["stability"] <= 1.0 and s["stability"] == new["stability"]
    assert {q["id"]: q["priority"] for q in new["requests"]}["URG0"] == 0   # raised to emergency
    # kept = previous acquisitions present unchanged
    prev = {(a["request_id"], a["start"]) for a in plan["acquisitions"]}
    kept = sum((a["request_id"], a["start"]) in prev for a in new["acquisitions"])
    assert new["stability"] == pytest.approx(kept / len(prev))
    _assert_earliest(new)


def _assert_earliest(new, prefixes=("URG", "FLOOD")):
    """Each urgent request sits on its earliest overflight not blocked by another urgent one."""
    from plan_checker import _sec, _t

    t0 = _t(new["window"]["start"])
    cands = new["replan_state"]["candidates"]
    acq = {a["request_id"]: a for a in new["acquisitions"]}
    urgent_acqs = [a for a in new["acquisitions"] if a["priority"] == 0]
    for q in new["requests"]:
        if q["priority"] != 0:
            continue
        mine = sorted((c for c in cands if c["request_id"] == q["id"]), key=lambda c: c["start_s"])
        t_taken = _sec(acq[q["id"]]["start"], t0) if q["id"] in acq else float("inf")
        for c in mine:
            if c["start_s"] >= t_taken - 900:   # same overflight or later
                break
            # an earlier overflight: it must be blocked by another urgent acquisition (transition)
            blocked = False
            for a in urgent_acqs:
                if a["request_id"] == q["id"] or a["satellite"] != c["satellite"]:
                    continue
                s, e = _sec(a["start"], t0), _sec(a["end"], t0)
                ra = (-1 if a["look_side"] == "left" else 1) * a["off_nadir_deg"]
                rc = (-1 if c["look_side"] == "left" else 1) * c["off_nadir_deg"]
                need = 30.0 + abs(ra - rc) / 1.0
                gap = c["start_s"] - e if s <= c["start_s"] else s - c["end_s"]
                blocked |= gap < need
            assert blocked, f"{q['id']}: earlier feasible candidate at {c['start_s']:.0f} s not used"


@pytest.mark.parametrize("patch, needle", [
    ({"deadline": "2022-10-24T00:00:00Z"}, "deadline"),
    ({"mode": "wideswath"}, "mode"),
    ({"aoi": {"type": "Polygon", "coordinates": [[[106, 16], [107, 17], [107, 16], [106, 17], [106, 16]]]}}, "aoi"),
])
def test_bad_requests_exit_2_one_line_no_plan(tmp_path, plan_cli, patch, needle):
    req = {"id": "X", "aoi": {"type": "Point", "coordinates": [106, 16]}, "mode": "stripmap",
           "earliest_start": START, "deadline": END_1D}
    req.update(patch)
    f = tmp_path / "r.json"
    f.write_text(json.dumps([req]))
    out = tmp_path / "p.json"
    r = plan_cli("plan", "solve", "--requests", f, "--start", START, "--end", END_1D, "--out", out)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr
    assert not out.exists()
    r = plan_cli("plan", "requests", "validate", f)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def test_bad_window_and_bad_plan_file(tmp_path, plan_cli):
    f = tmp_path / "r.json"
    f.write_text("[]")
    r = plan_cli("plan", "solve", "--requests", f, "--start", END_1D, "--end", START, "--out", tmp_path / "p.json")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    notplan = tmp_path / "x.json"
    notplan.write_text('{"hello": 1}')
    r = plan_cli("plan", "replan", "--plan", notplan, "--add", f, "--out", tmp_path / "n.json")
    assert r.returncode == 2 and "format" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    broken = tmp_path / "b.json"
    broken.write_text("[{")
    r = plan_cli("plan", "requests", "validate", broken)
    assert r.returncode == 2 and "line 1" in r.stderr
