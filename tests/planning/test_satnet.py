"""SatNet (Deep Space Network weeks): the independent checker against the README's numbers for
the four reference greedy schedules, the checker on corrupted schedules, and `lotusar plan
satnet` on a real week accepted by the benchmark's own verifier.py and by the checker, with
U_rms and U_max no worse than the best published baseline (Delta-MILP, Claudet et al. 2022)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from satnet_checker import check  # noqa: E402

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "satnet-dsn-dev"
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="satnet-dsn-dev data absent")

# README table "Baselines computed here": T_S per antenna entry, arrays once, satisfied, U_rms, U_max
GREEDY = {
    ("W10_2018", "vp_hours"): (1020.12, 928.92, 195, 0.3565, 1.0000),
    ("W10_2018", "start"): (881.12, 852.44, 201, 0.3013, 0.9167),
    ("W20_2018", "vp_hours"): (1176.74, 1084.91, 208, 0.3532, 0.9192),
    ("W20_2018", "start"): (1081.24, 1059.91, 233, 0.2711, 0.7466),
}
# best published U_rms / U_max per week (Delta-MILP, Claudet et al. 2022, Table 4)
PUBLISHED = {"W10_2018": (0.26, 0.48), "W20_2018": (0.21, 0.64)}


@pytest.mark.parametrize("week, order", list(GREEDY))
def test_checker_reproduces_the_reference_greedy_numbers(week, order):
    sol = json.loads((DATA / "baselines" / f"greedy_{week}_{order}.json").read_text())
    errors, m = check(DATA / "cases" / week, sol)
    ts, ts1, sat, urms, umax = GREEDY[(week, order)]
    assert errors == []
    assert round(m["hours_per_antenna_entry"], 2) == ts and round(m["hours_arrays_once"], 2) == ts1
    assert m["satisfied"] == sat
    assert round(m["u_rms"], 4) == urms and round(m["u_max"], 4) == umax


def test_checker_refuses_corrupted_schedules():
    case = DATA / "cases" / "W10_2018"
    sol = json.loads((DATA / "baselines" / "greedy_W10_2018_start.json").read_text())
    t = dict(sol[0])
    bad_setup = [dict(t, START_TIME=t["START_TIME"] + 60)] + sol[1:]
    short = [dict(t, TRACKING_OFF=t["TRACKING_ON"] + 60, END_TIME=t["TRACKING_ON"] + 60 + t["END_TIME"] - t["TRACKING_OFF"])] + sol[1:]
    other = next(x for x in sol[1:] if x["RESOURCE"] == t["RESOURCE"])
    overlap = sol + [dict(other, TRACK_ID=t["TRACK_ID"], SC=t["SC"])]
    for corrupted in (bad_setup, short, overlap):
        assert check(case, corrupted)[0], "corruption not detected"


@pytest.mark.slow
def test_cli_week_valid_and_at_least_as_fair_as_published(tmp_path):
    week = "W10_2018"
    out = tmp_path / "sol.json"
    r = subprocess.run([sys.executable, "-m", "lotusar", "plan", "satnet", str(DATA / "cases" / week),
                        "--time-limit-s", "60", "--out", str(out), "--json"], capture_output=True, text=True, timeout=400)
    assert r.returncode == 0, r.stderr
    printed = json.loads(r.stdout)
    sol = json.loads(out.read_text())
    # the benchmark's own verifier
    v = subprocess.run([sys.executable, str(DATA / "verifier.py"), str(DATA / "cases" / week), str(out), "--verbose"],
                       capture_output=True, text=True, timeout=120)
    assert v.returncode == 0 and "Status: VALID" in v.stdout, v.stdout[-2000:]
    errors, m = check(DATA / "cases" / week, sol)
    assert errors == []
    assert printed["u_rms"] == pytest.approx(m["u_rms"], abs=1e-9)
    assert printed["u_max"] == pytest.approx(m["u_max"], abs=1e-9)
    assert printed["requests_satisfied"] == m["satisfied"]
    assert printed["hours_allocated"] == pytest.approx(m["hours_arrays_once"], abs=1e-6)
    urms, umax = PUBLISHED[week]
    assert m["u_rms"] <= urms and m["u_max"] <= umax
    print(f"\nsatnet {week} at 60 s: T_S {m['hours_arrays_once']:.1f} h, satisfied {m['satisfied']}, "
          f"U_rms {m['u_rms']:.4f}, U_max {m['u_max']:.4f}")


def test_cli_bad_case_is_a_one_line_error(tmp_path):
    (tmp_path / "problem.json").write_text("[{]")
    (tmp_path / "maintenance.csv").write_text("week,year,starttime,endtime,antenna\n")
    r = subprocess.run([sys.executable, "-m", "lotusar", "plan", "satnet", str(tmp_path), "--out",
                        str(tmp_path / "s.json")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "problem.json" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "s.json").exists()
