"""Emergency re-planning: insert urgent requests into a committed plan, keeping what can be kept.

Lexicographic: each urgent request (priority 0 unless told otherwise: above every committed
request) goes on its EARLIEST feasible overflight, sliding inside its visibility window
(:mod:`candidates`); among the ways to fit it there, the one that drops the fewest committed
takes' requests, then takes the fewest committed takes out of their visibility windows (to
another overflight), then slides the fewest inside their windows, then loses the least
weight, then looks with the smallest pitch.
Only acquisitions of lower priority may be dropped; dropped ones are reported as unplanned
with the urgent request that displaced them. A greedy pass then fills freed room (additions
never change committed takes).

``metrics.plan_stability`` = previous takes still acquired in their visibility window (same
request, satellite, overflight and look side; the start may have slid inside the window) /
previous takes; ``metrics.takes_unchanged`` (and ``stability``) = previous takes with the very
same start / previous takes; ``metrics.request_stability`` = previously planned requests still
planned (possibly on another overflight) / previously planned requests.
Only the new requests' opportunities are computed (the plan file carries the others).
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import numpy as np

from lotusar.errors import InputFormatError, ValidationError
from lotusar.fileio import read_json
from lotusar.fleet import load_fleet
from lotusar.planning.tasking.candidates import Candidate, DownlinkWindow, request_candidates, sar_satellites
from lotusar.planning.tasking.core import Problem, SatParams, Schedule, greedy, insert_stable, recover_displaced
from lotusar.planning.tasking.plan import PLAN_FORMAT, Plan, as_requests, assemble, expand_requests
from lotusar.planning.tasking.requests import TaskingRequest, parse_requests
from lotusar.timeutil import parse_utc

EMERGENCY_PRIORITY = 0
EXTRA_ORDERS = 6        # shuffled insertion orders tried while half the time limit is left


def read_plan(path) -> dict:
    p = Path(path)
    d = read_json(p)
    if not isinstance(d, dict) or d.get("format") != PLAN_FORMAT:
        raise InputFormatError(f"{p}: field 'format': not a lotusar tasking plan (expected {PLAN_FORMAT!r})")
    for k in ("window", "acquisitions", "requests", "replan_state"):
        if k not in d:
            raise InputFormatError(f"{p}: field {k!r}: missing")
    return d


def _load_fleet(ref, fleet):
    if isinstance(fleet, (str, Path)):
        return load_fleet(fleet), str(fleet)
    if fleet is not None:
        return fleet, None if ref in (None, "default") else ref
    return load_fleet(None if ref in (None, "default") else ref), None if ref in (None, "default") else ref


def problem_from_plan_dict(d: dict, fleet=None):
    """Rebuild (problem, schedule, root requests, fleet, fleet_path) from a plan file's content."""
    fleet, fleet_path = _load_fleet(d.get("fleet"), fleet)
    t0, t1 = parse_utc(d["window"]["start"], "window.start"), parse_utc(d["window"]["end"], "window.end")
    st = d["replan_state"]
    roots = parse_requests(d["requests"], "plan.requests")
    subs = [TaskingRequest.model_validate(r) for r in st["sub_requests"]]
    cands: dict[str, list] = {r.id: [] for r in subs}
    for c in st["candidates"]:
        cands.setdefault(c["request_id"], []).append(Candidate(**c))
    windows = [DownlinkWindow(**w) for w in st["windows"]]
    planned_on = set(d.get("constraints", {}).get("satellites", {})) or {s.name for s in sar_satellites(fleet)}
    sats = {s.name: SatParams.from_satellite(s, t0, t1) for s in fleet.satellites if s.name in planned_on}
    prob = Problem(subs, cands, sats, windows, t0, t1)
    prob.reasons.update(st.get("reasons", {}))
    sched = Schedule(prob)
    for a in d["acquisitions"]:
        s = round((parse_utc(a["start"]) - t0).total_seconds(), 3)
        sub = a.get("sub_request_id", a["request_id"])
        # the candidate whose window holds the start (a take may have been slid inside it)
        near = [x for x in prob.cands_by_req.get(sub, []) if x.satellite == a["satellite"] and (
            abs(x.start_s - s) < 0.01 or (x.slidable and x.window_start_s - 0.01 <= s <= x.window_end_s + 0.01))]
        if not near:
            raise InputFormatError(f"plan: acquisition of {a['request_id']} at {a['start']} matches no candidate")
        c = min(near, key=lambda x: abs(x.start_s - s))
        sched.add(c if abs(c.start_s - s) < 1e-4 else c.at(s))
    return prob, sched, roots, fleet, fleet_path


def _take_key(c) -> tuple:
    return c.request_id, c.satellite, round(c.start_s, 3)


def _insert_in_order(prob: Problem, sched: Schedule, order, deadline_t: float):
    """Insert ``order`` one after the other (:func:`insert_stable`), then put displaced requests
    back (:func:`recover_displaced`). Mutates ``prob.reasons`` and ``sched``."""
    inserted, lost = [], []
    for rid in order:
        ok, gone = insert_stable(prob, sched, rid)
        if ok:
            inserted.append(rid)
        lost.extend(gone)
    recover_displaced(prob, sched, lost, deadline_t)
    return inserted, lost


def _insert_all(prob: Problem, sched: Schedule, subs, previous_windows, t_start: float, time_limit_s: float):
    """The new requests in the order of their earliest opportunity (priority first); while time
    is left (half the limit), also in other orders (reversed within a priority, fewest
    candidates first, seeded shuffles), keeping the one that inserts the most new requests, then loses the
    fewest committed requests, then keeps the most committed takes in their windows."""
    def earliest(i):
        return min((c.start_s for c in prob.cands_by_req[i]), default=1e18)

    ids = [r.id for r in subs]
    pri = {i: prob.requests[i].priority for i in ids}
    orders = [sorted(ids, key=lambda i: (pri[i], earliest(i), i)),
              sorted(ids, key=lambda i: (pri[i], -earliest(i), i)),
              sorted(ids, key=lambda i: (pri[i], len(prob.cands_by_req[i]), earliest(i), i))]
    rng = np.random.default_rng(0)      # then seeded shuffles within each priority, reproducible
    for _ in range(EXTRA_ORDERS):
        keys = rng.random(len(ids))
        orders.append([i for _, i in sorted(zip(keys, ids), key=lambda t: (pri[t[1]], t[0]))])
    best = None
    base_reasons = dict(prob.reasons)
    for k, order in enumerate(orders):
        if k and (time.perf_counter() - t_start > 0.5 * time_limit_s or order in orders[:k]):
            continue
        trial = sched.copy()
        prob.reasons = dict(base_reasons)
        inserted, lost = _insert_in_order(prob, trial, order, t_start + time_limit_s)
        still_lost = sum(1 for (r, _i) in previous_windows if r not in trial.sel)
        kept = sum(1 for c in trial.sel.values() if (c.request_id, c.idx) in previous_windows)
        score = (-len(inserted), still_lost, -kept)
        if best is None or score < best[0]:
            best = (score, trial, inserted, lost, dict(prob.reasons))
    _, trial, inserted, lost, reasons = best
    prob.reasons = reasons
    return trial, inserted, lost


def replan(plan, new_requests, fleet=None, time_limit_s: float = 5.0, urgent: bool = True) -> Plan:
    """Insert ``new_requests`` into ``plan`` (a :class:`Plan`, a plan dict or a plan file path)."""
    t_start = time.perf_counter()
    if isinstance(plan, Plan):
        prob, roots, fleet_path = copy.copy(plan.problem), list(plan.requests), plan.fleet_path
        prob.requests, prob.order, prob.reasons = dict(prob.requests), list(prob.order), dict(prob.reasons)
        prob.cands_by_req, prob.cands = dict(prob.cands_by_req), dict(prob.cands)
        sched = plan.schedule.copy()
        sched.p = prob
        if fleet is None or isinstance(fleet, (str, Path)):
            fleet = load_fleet(fleet if fleet is not None else fleet_path)
    else:
        d = read_plan(plan) if isinstance(plan, (str, Path)) else plan
        prob, sched, roots, fleet, fleet_path = problem_from_plan_dict(d, fleet)
    previous = {_take_key(c) for c in sched.sel.values()}
    previous_windows = {(c.request_id, c.idx) for c in sched.sel.values()}
    known = {r.id for r in roots}
    new = []
    for r in as_requests(new_requests):
        if r.id in known:
            raise ValidationError(f"new request id {r.id!r} already in the plan (field 'id')")
        if urgent:
            r = r.model_copy(update={"priority": EMERGENCY_PRIORITY})
        new.append(r)
    subs = expand_requests(new, fleet)
    start_idx = max(prob.cands, default=-1) + 1
    rcs = request_candidates(subs, fleet, prob.epoch, prob.end, start_idx=start_idx)
    for r in subs:
        prob.requests[r.id] = r
        prob.order.append(r.id)
    for rc in rcs:
        prob.cands_by_req[rc.request_id] = rc.candidates
        for c in rc.candidates:
            prob.cands[c.idx] = c
        if rc.reason:
            prob.reasons[rc.request_id] = rc.reason
    t_cand = time.perf_counter() - t_start
    # urgent ones first, by their earliest candidate, then by priority
    sched, inserted, lost = _insert_all(prob, sched, subs, previous_windows, t_start, time_limit_s)
    # fill freed room with previously unplanned requests (additions never lower stability)
    if time.perf_counter() - t_start < time_limit_s:
        sched = greedy(prob, sched, [i for i in prob.order if i not in sched.sel])
    kept = sum(1 for c in sched.sel.values() if _take_key(c) in previous)
    stability = kept / len(previous) if previous else 1.0                # takes unchanged
    in_window = sum(1 for c in sched.sel.values() if (c.request_id, c.idx) in previous_windows)
    plan_stability = in_window / len(previous) if previous else 1.0      # takes kept (slid or not)
    prev_ids = {p[0] for p in previous}
    still = sum(1 for rid in prev_ids if rid in sched.sel)           # possibly moved to another take
    request_stability = still / len(prev_ids) if prev_ids else 1.0
    lost = [r for r in lost if r not in sched.sel]
    info = {"replan_s": None, "candidates_s": t_cand, "inserted": inserted, "displaced_not_replanned": lost,
            "previous_acquisitions": len(previous), "unchanged": kept, "slid_in_window": in_window - kept,
            "moved_to_other_pass": still - in_window, "dropped": len(prev_ids) - still}
    out = assemble(prob, sched, roots + new, (prob.epoch, prob.end), fleet_path, info, stability)
    info["replan_s"] = time.perf_counter() - t_start
    out.metrics["stability"] = stability
    out.metrics["takes_unchanged"] = stability
    out.metrics["plan_stability"] = plan_stability
    out.metrics["request_stability"] = request_stability
    out.metrics["replan_s"] = info["replan_s"]
    return out
