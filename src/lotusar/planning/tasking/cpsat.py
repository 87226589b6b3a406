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


def cpsat_improve(problem, sched, time_limit_s: float, workers: int = 2):
    t0 = time.perf_counter()
    # the incumbent's takes where they are placed (possibly slid), the others where they start
    placed = {c.idx: c for c in sched.sel.values()}
    cands = [placed.get(c.idx, c) for cs in problem.cands_by_req.values() for c in cs]
    info = {"n_vars": len(cands), "levels": [], "used": False}
    if not cands:
        return sched, info
    m = cp_model.CpModel()
    x = {c.idx: m.NewBoolVar(f"x{c.idx}") for c in cands}
    for cs in problem.cands_by_req.values():
        if len(cs) > 1:
            m.AddAtMostOne(x[c.idx] for c in cs)
    for sat, sp in problem.sats.items():
        cs = sorted([c for c in cands if c.satellite == sat], key=lambda c: c.start_s)
        if not cs:
            continue
        st = np.array([c.start_s for c in cs])
        en = np.array([c.end_s for c in cs])
        for i, a in enumerate(cs):
            j = i + 1
            while j < len(cs) and cs[j].start_s < a.end_s + sp.mode_transition_s + 180.0 / sp.roll_rate_deg_s:
                b = cs[j]
                if b.request_id != a.request_id and b.start_s - a.end_s < sp.transition_s(a, b) - 1e-9:
                    m.AddBoolOr([x[a.idx].Not(), x[b.idx].Not()])
                j += 1
        # duty cycle, sliding window starting at each candidate start
        cap = int(math.floor(sp.max_imaging_s_per_orbit * T_UNIT))
        for i in range(len(cs)):
            ov = np.clip(np.minimum(en, st[i] + sp.period_s) - np.maximum(st, st[i]), 0, None)
            idx = np.nonzero(ov > 0)[0]
            if ov[idx].sum() * T_UNIT > cap:
                m.Add(sum(int(math.ceil(ov[k] * T_UNIT)) * x[cs[k].idx] for k in idx) <= cap)
        # recorder reservoir over downlink windows
        mem = int(math.floor(sp.memory_bits / VOL_UNIT))
        vol = {c.idx: int(math.ceil(c.volume_bits / VOL_UNIT)) for c in cs}
        total = sum(vol.values())
        if total > mem or True:
            wins = problem.windows.get(sat, [])
            d_prev = []
            bounds = [w.start_s for w in wins] + [problem.end_s + 1.0]
            for k, tb in enumerate(bounds):
                before = [c for c in cs if c.end_s <= tb]
                stored = sum(vol[c.idx] * x[c.idx] for c in before) - sum(d_prev)
                m.Add(stored <= mem)
                if k < len(wins):
                    w = wins[k]
                    cap_k = int(math.floor(sp.downlink_rate_bps * (w.usable_end_s - w.start_s) / VOL_UNIT))
                    d = m.NewIntVar(0, max(cap_k, 0), f"d_{sat}_{k}")
                    m.Add(d <= stored)
                    d_prev.append(d)
    levels = sorted({r.priority for r in problem.requests.values()})
    W = 1000  # weights to integers (milli)
    best = sched
    hint = {c.idx for c in sched.sel.values()}
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    fixed = []
    for lv in levels:
        left = time_limit_s - (time.perf_counter() - t0)
        if left <= 0.05:
            break
        m.ClearHints()
        for c in cands:
            m.AddHint(x[c.idx], c.idx in hint)
        expr = sum(int(round(problem.requests[c.request_id].weight * W)) * x[c.idx] for c in cands
                   if problem.requests[c.request_id].priority == lv)
        if isinstance(expr, int):
            continue
        m.Maximize(expr)
        solver.parameters.max_time_in_seconds = max(0.05, left / max(1, len(levels) - len(fixed)))
        st = solver.Solve(m)
        if st not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # no solution within this level's share of time: keep the incumbent's value for the
            # level (the hint is feasible) and go on with the next level
            val = sum(int(round(problem.requests[c.request_id].weight * W)) for c in cands
                      if c.idx in hint and problem.requests[c.request_id].priority == lv)
            info["levels"].append({"priority": lv, "status": solver.StatusName(st), "value": val / W})
            m.Add(expr >= val)
            fixed.append(lv)
            continue
        val = int(round(solver.ObjectiveValue()))
        info["levels"].append({"priority": lv, "status": solver.StatusName(st), "value": val / W,
                               "bound": solver.BestObjectiveBound() / W})
        m.Add(expr >= val)
        fixed.append(lv)
        hint = {c.idx for c in cands if solver.Value(x[c.idx])}
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
            for rid in trial.sel:
                problem.reasons.pop(rid, None)
            best = trial
            info["used"] = True
    info["time_s"] = time.perf_counter() - t0
    return best, info
