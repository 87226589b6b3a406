"""The fleet-wide vectorised opportunity search against the orbit stage's per-request search
(`lotusar.orbit.access.sar_opportunities`, an independent implementation: its own grid,
Hermite interpolation and bisection per AOI point): the same overflights, zero-Doppler times
within 0.05 s, incidence and off-nadir within 0.01°, durations equal."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from conftest import START
from lotusar.orbit.access import sar_opportunities
from lotusar.planning.tasking import random_requests
from lotusar.planning.tasking.candidates import MARGIN_S, min_dwell_s, request_candidates, sar_satellites
from lotusar.planning.tasking.plan import expand_requests
from lotusar.timeutil import parse_utc, to_datetime64


def test_vectorised_candidates_match_the_per_request_search(fleet):
    t0 = parse_utc(START)
    t1 = t0 + timedelta(days=2)
    reqs = expand_requests(random_requests(40, start=t0, end=t1, seed=21), fleet)
    rcs = {rc.request_id: rc for rc in request_candidates(reqs, fleet, t0, t1)}
    ep = to_datetime64(t0)
    n_ref = 0
    for sat in sar_satellites(fleet):
        for r in reqs:
            if r.mode not in sat.sar_payload().modes:
                continue
            mode = sat.sar_mode(r.mode)
            lo, hi = max(r.incidence_min_deg, mode.incidence_min_deg), min(r.incidence_max_deg, mode.incidence_max_deg)
            if hi <= lo:
                continue
            sides = [s for s in mode.look_sides if r.look_side in ("any", s)]
            look = "both" if len(sides) == 2 else sides[0]
            opps = sar_opportunities(sat, r.polygon(), (lo, hi), t0, t1, look=look, swath_km=float(mode.swath_km),
                                     step_s=20.0, max_points=80, mode_name=r.mode)
            for o in opps:
                if (o.coverage != "full" or o.fraction_in_window < 1.0 or r.pass_direction not in ("any", o.direction)
                        or o.off_nadir_centroid_deg > sat.platform.max_roll_deg):
                    continue
                t_ref = float((o.centroid_time - ep) / np.timedelta64(1, "ns")) / 1e9
                s0 = float((o.start - ep) / np.timedelta64(1, "ns")) / 1e9
                s1 = float((o.end - ep) / np.timedelta64(1, "ns")) / 1e9
                rel = (r.earliest_start - t0).total_seconds()
                dl = (r.deadline - t0).total_seconds()
                if s0 < rel or s1 > dl:      # a take inside the request window only (no sliding needed)
                    continue
                n_ref += 1
                mine = [c for c in rcs[r.id].candidates if c.satellite == sat.name and c.look_side == o.look_side
                        and abs(c.t_ref_s - t_ref) < 5.0]
                assert len(mine) == 1, f"{r.id}: overflight at {t_ref:.0f} s ({o.look_side}) missing"
                c = mine[0]
                assert abs(c.t_ref_s - t_ref) < 0.05
                assert abs(c.incidence_deg - o.incidence_centroid_deg) < 0.01
                assert abs(c.off_nadir_deg - o.off_nadir_centroid_deg) < 0.01
                assert c.direction == o.direction
                assert abs(c.duration_s - round(max(s1 - s0, min_dwell_s(mode)) + 2 * MARGIN_S, 3)) < 0.05
    assert n_ref >= 10
