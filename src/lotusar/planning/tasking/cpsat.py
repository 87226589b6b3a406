"""CP-SAT model of the selection problem, lexicographic by priority, warm-started by the heuristic.

Variables: one Boolean per candidate. Constraints: at most one candidate per request;
pairwise exclusion of candidates of one satellite that overlap once the transition time
(mode change + roll) is added; the sliding-window duty cycle at every candidate start; the
recorder as a linear reservoir: with ``d_k`` the volume dumped in downlink window k,
``stored(k) = Σ vol·x (acquired before window k) − Σ_{j<k} d_j`` must satisfy
``0 ≤ d_k ≤ stored(k)``, ``d_k ≤ rate·(LOS − start)`` and ``stored(k) ≤ memory``. Latency
and energy are checked exactly afterwards; a CP-SAT plan that fails the exact check is not
used. Priority levels are solved in order (1 first), each fixing the weighted count of the
levels above it (a strict lexicographic objective), each solve hinted with the incumbent.
"""

from __future__ import annotations

import math
import time

import numpy as np
from ortools.sat.python import cp_model

from lotusar.planning.tasking.core import Schedule

VOL_UNIT = 1e6   # bits per integer unit in the model (Mbit)
T_UNIT = 10.0    # model time units per second (duty cycle)
BUILD_SHARE = 0.5   # the model is dropped (incumbent kept) when building it takes more of the limit


def cpsat_improve(problem, sched, time_limit_s: float, workers: int = 2):
    t0 = time.perf_counter()
    # the incumbent's takes where they are placed (possibly slid), the others where they start
    placed = {c.idx: c for c in sched.sel.values()}
    cands = [placed.get(c.idx, c) for cs in problem.cands_by_req.values() for c in cs]
    info: dict = {"n_vars": len(cands), "levels": [], "used": False}
    if not cands:
        return sched, info
    m = cp_model.CpModel()
    x = {c.idx: m.new_bool_var(f"x{c.idx}") for c in cands}
    for cs in problem.cands_by_req.values():
        if len(cs) > 1:
            m.add_at_most_one(x[c.idx] for c in cs)
    for sat, sp in problem.sats.items():
        cs = sorted([c for c in cands if c.satellite == sat], key=lambda c: c.start_s)
        if not cs:
            continue
        st = np.array([c.start_s for c in cs])
        en = np.array([c.end_s for c in cs])
        roll = np.array([c.roll_deg for c in cs])
        pitch = np.array([c.pitch_deg for c in cs])
        codes: dict[str, int] = {}
        rid = np.array([codes.setdefault(c.request_id, len(codes)) for c in cs])
        reach = np.searchsorted(st, en + sp.mode_transition_s + 180.0 / sp.roll_rate_deg_s, side="left")
        for i in range(len(cs)):
            j = np.arange(i + 1, max(i + 1, int(reach[i])))
            if j.size == 0:
                continue
            need = sp.mode_transition_s + np.maximum(np.abs(roll[j] - roll[i]), np.abs(pitch[j] - pitch[i])) \
                / sp.roll_rate_deg_s
            bad = j[(st[j] - en[i] < need - 1e-9) & (rid[j] != rid[i])]
            xa = x[cs[i].idx].negated()
            for k in bad:
                m.add_bool_or([xa, x[cs[k].idx].negated()])
        # duty cycle, sliding window starting at each candidate start
        cap = int(math.floor(sp.max_imaging_s_per_orbit * T_UNIT))
        last = np.searchsorted(st, st + sp.period_s, side="left")
        for i in range(len(cs)):
            k = np.arange(i, int(last[i]))
            k = np.concatenate([np.nonzero(en[:i] > st[i])[0], k]) if i else k
            ov = np.clip(np.minimum(en[k], st[i] + sp.period_s) - np.maximum(st[k], st[i]), 0, None)
            if ov.sum() * T_UNIT > cap:
                m.add(cp_model.LinearExpr.weighted_sum([x[cs[q].idx] for q in k],
                                                      [int(math.ceil(o * T_UNIT)) for o in ov]) <= cap)
        if time.perf_counter() - t0 > BUILD_SHARE * time_limit_s:
            info["skipped"] = "model building took more than its share of the time limit"
            return sched, info
        # recorder reservoir over downlink windows: stored_k = stored_(k-1) + acquired − dumped_(k-1)
        mem = int(math.floor(sp.memory_bits / VOL_UNIT))
        vol = np.array([int(math.ceil(c.volume_bits / VOL_UNIT)) for c in cs])
        wins = problem.windows.get(sat, [])
        bounds = [w.start_s for w in wins] + [problem.end_s + 1.0]
        # a take counts before window k when it ends by the window's start
        ends_before = np.searchsorted(bounds, en, side="left")
        stored_prev, d_prev = None, None
        for k, _tb in enumerate(bounds):
            new = np.nonzero(ends_before == k)[0]
            acquired = cp_model.LinearExpr.weighted_sum([x[cs[q].idx] for q in new], [int(vol[q]) for q in new])
            stored = m.new_int_var(0, mem, f"s_{sat}_{k}")
            if stored_prev is None or d_prev is None:
                m.add(stored == acquired)
            else:
                m.add(stored == stored_prev + acquired - d_prev)
            if k < len(wins):
                w = wins[k]
                cap_k = int(math.floor(sp.downlink_rate_bps * (w.usable_end_s - w.start_s) / VOL_UNIT))
                d = m.new_int_var(0, max(cap_k, 0), f"d_{sat}_{k}")
                m.add(d <= stored)
                stored_prev, d_prev = stored, d
    levels = sorted({r.priority for r in problem.requests.values()})
    W = 1000  # weights to integers (milli)
    best = sched
    hint = {c.idx for c in sched.sel.values()}
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    fixed: list[int] = []
    for lv in levels:
        left = time_limit_s - (time.perf_counter() - t0)
        if left <= 0.05:
            break
        m.clear_hints()
        for c in cands:
            m.add_hint(x[c.idx], c.idx in hint)
        expr = sum(int(round(c.weight * W)) * x[c.idx] for c in cands
                   if problem.requests[c.request_id].priority == lv)
        if isinstance(expr, int):
            continue
        m.maximize(expr)
        solver.parameters.max_time_in_seconds = max(0.05, left / max(1, len(levels) - len(fixed)))
        status = solver.solve(m)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # no solution within this level's share of time: keep the incumbent's value for the
            # level (the hint is feasible) and go on with the next level
            val = sum(int(round(c.weight * W)) for c in cands
                      if c.idx in hint and problem.requests[c.request_id].priority == lv)
            info["levels"].append({"priority": lv, "status": solver.status_name(status), "value": val / W})
            m.add(expr >= val)
            fixed.append(lv)
            continue
        val = int(round(solver.objective_value))
        info["levels"].append({"priority": lv, "status": solver.status_name(status), "value": val / W,
                               "bound": solver.best_objective_bound / W})
        m.add(expr >= val)
        fixed.append(lv)
        hint = {c.idx for c in cands if solver.value(x[c.idx])}
    # exact check of the CP-SAT selection; keep it only if valid and lexicographically better
    if info["levels"] and hint:
        trial = Schedule(problem)
        for c in cands:
            if c.idx in hint:
                trial.add(c)
        evs = {s: problem.evaluate(s, trial.by_sat[s]) for s in problem.sats}
        ok = all(e.ok for e in evs.values())
        info["exact_check"] = ok if ok else "; ".join(f"{s}: {e.reason}" for s, e in evs.items() if not e.ok)
        if ok and trial.key() > best.key():
            for req_id in trial.sel:
                problem.reasons.pop(req_id, None)
            best = trial
            info["used"] = True
    info["time_s"] = time.perf_counter() - t0
    return best, info
