"""Exact evaluation on a hand-made problem: battery state of charge against a plain loop,
FIFO recorder / downlink timing against hand arithmetic, duty cycle and transition limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from lotusar.planning.tasking.candidates import Candidate, DownlinkWindow
from lotusar.planning.tasking.core import ENERGY_STEP_S, Problem, SatParams, Schedule
from lotusar.planning.tasking.requests import TaskingRequest

T0 = datetime(2022, 10, 25, 12, tzinfo=UTC)
HOURS = 6


def _sat(**kw):
    n = int(HOURS * 3600 / ENERGY_STEP_S) + 1
    t = np.arange(n) * ENERGY_STEP_S
    lit = (t % 5700.0) < 3600.0                     # 60 min sun, 35 min eclipse
    p = dict(name="S", memory_bits=1e11, downlink_rate_bps=1e8, roll_rate_deg_s=1.0, mode_transition_s=30.0,
             max_imaging_s_per_orbit=100.0, period_s=5700.0, battery_wh=500.0, power_generation_w=600.0,
             idle_power_w=300.0, imaging_power_w=1500.0, downlink_power_w=400.0, sun_t_s=t, sun_lit=lit)
    p.update(kw)
    return SatParams(**p)


def _cand(i, s, dur, roll=20.0, vol_rate=1e9):
    return Candidate(idx=i, request_id=f"R{i}", satellite="S", start_s=s, end_s=s + dur,
                     look_side="right" if roll >= 0 else "left", direction="descending", incidence_deg=abs(roll) + 3,
                     off_nadir_deg=abs(roll), volume_bits=dur * vol_rate, mode="stripmap", priority=3, weight=1.0)


def _problem(cands, windows, **kw):
    reqs = [TaskingRequest(id=c.request_id, aoi={"type": "Point", "coordinates": [106, 16]}, earliest_start=T0,
                           deadline=T0 + timedelta(hours=HOURS)) for c in cands]
    return Problem(reqs, {c.request_id: [c] for c in cands}, {"S": _sat(**kw)}, windows, T0, T0 + timedelta(hours=HOURS))


def test_battery_matches_a_plain_loop():
    cands = [_cand(0, 4000.0, 40.0), _cand(1, 4200.0, 50.0, roll=-25.0)]
    win = [DownlinkWindow("S", "G", 4500.0, 5100.0, 4560.0, 40.0)]
    prob = _problem(cands, win)
    ev = prob.evaluate("S", cands)
    assert ev.ok
    sp = prob.sats["S"]
    soc = [sp.battery_wh]
    dl = ev.downlinks[0]
    for k, t in enumerate(sp.sun_t_s):
        img = sum(max(0.0, min(t + 60, c.end_s) - max(t, c.start_s)) for c in cands)
        down = max(0.0, min(t + 60, dl[2]) - max(t, dl[1]))
        e = (sp.power_generation_w * 60 * sp.sun_lit[k] - sp.idle_power_w * 60 - sp.imaging_power_w * img
             - sp.downlink_power_w * down) / 3600
        soc.append(min(sp.battery_wh, soc[-1] + e))
    np.testing.assert_allclose(ev.energy[1], soc, atol=1e-9)
    # PC = imaging + downlink energy
    assert ev.energy_wh == pytest.approx((1500 * 90 + 400 * (dl[2] - dl[1])) / 3600)


def test_fifo_downlink_and_latency():
    cands = [_cand(0, 1000.0, 10.0), _cand(1, 1100.0, 20.0)]      # 1e10 + 2e10 bits
    win = [DownlinkWindow("S", "G", 1940.0, 2300.0, 2000.0, 40.0), DownlinkWindow("S", "G", 3940.0, 4500.0, 4000.0, 40.0)]
    ev = _problem(cands, win).evaluate("S", cands)
    assert ev.ok
    assert len(ev.downlinks) == 1                                  # the second pass has nothing to dump
    (w0, s0, e0, v0, _, _), = ev.downlinks
    assert (s0, e0, v0) == (2000.0, pytest.approx(2300.0), pytest.approx(3e10))   # 300 s × 1e8 = all 3e10 bits
    assert ev.on_ground_s[0] == pytest.approx(2000.0 + 1e10 / 1e8)  # first in, first out
    assert ev.on_ground_s[1] == pytest.approx(2300.0)
    tm, lv = ev.memory
    assert np.interp(1120.0, tm, lv) == pytest.approx(3e10)
    assert np.interp(2150.0, tm, lv) == pytest.approx(3e10 - 150 * 1e8)
    assert np.interp(2300.0, tm, lv) == pytest.approx(0.0, abs=1.0)


def test_memory_duty_transition_and_energy_limits():
    win = [DownlinkWindow("S", "G", 1940.0, 2300.0, 2000.0, 40.0)]
    a, b = _cand(0, 1000.0, 10.0, roll=20.0), _cand(1, 1050.0, 10.0, roll=-20.0)   # gap 40 s < 30 + 40 s
    assert _problem([a, b], win).evaluate("S", [a, b]).reason == "conflict"
    b2 = _cand(1, 1080.0, 10.0, roll=-20.0)                                         # gap 70 s = 30 + 40
    assert _problem([a, b2], win).evaluate("S", [a, b2]).ok
    big = [_cand(0, 1000.0, 60.0), _cand(1, 1200.0, 60.0)]                          # 120 s > 100 s/orbit
    assert "duty cycle" in _problem(big, win).evaluate("S", big).reason
    full = [_cand(0, 1000.0, 10.0, vol_rate=2e10)]                                  # 2e11 > 1e11 bits
    assert _problem(full, win).evaluate("S", full).reason == "memory full"
    # a battery too small for a 60 s take in eclipse (1500 W × 60 s = 25 Wh out of 30 Wh usable)
    tiny = [_cand(0, 4000.0, 60.0)]
    ev = _problem(tiny, win, battery_wh=30.0, max_imaging_s_per_orbit=1000).evaluate("S", tiny)
    assert ev.reason.startswith("energy")
    sched = Schedule(_problem(tiny, win, battery_wh=30.0, max_imaging_s_per_orbit=1000))
    assert sched.try_add(tiny[0])[0] is False
