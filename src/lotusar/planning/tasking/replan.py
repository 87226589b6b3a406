"""Emergency re-planning: insert urgent requests into a committed plan, keeping what can be kept.

Each urgent request (priority 0 unless told otherwise: above every committed request) goes on
its EARLIEST feasible candidate: the candidates are tried in time order and the first one that
fits after removing only acquisitions of lower priority is taken; the removed acquisitions are
re-inserted on another of their candidates when possible, otherwise reported as unplanned with
the urgent request that displaced them. Nothing else moves. ``stability`` is the fraction of the
previous plan's acquisitions kept unchanged (same request, satellite and time).
Only the new requests' opportunities are computed (the plan file carries the others).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from lotusar.errors import InputFormatError, ValidationError
from lotusar.planning.tasking.candidates import Candidate, DownlinkWindow, request_candidates
from lotusar.planning.tasking.core import Problem, SatParams, Schedule, greedy, insert_with_eviction
from lotusar.planning.tasking.plan import PLAN_FORMAT, Plan, assemble, expand_requests
from lotusar.planning.tasking.requests import TaskingRequest, parse_requests

EMERGENCY_PRIORITY = 0


def read_plan(path) -> dict:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputFormatError(f"{p}: line {e.lineno}: not valid JSON ({e.msg})") from None
    if not isinstance(d, dict) or d.get("format") != PLAN_FORMAT:
        raise InputFormatError(f"{p}: field 'format': not a lotusar tasking plan (expected {PLAN_FORMAT!r})")
    for k in ("window", "acquisitions", "requests", "replan_state"):
        if k not in d:
            raise InputFormatError(f"{p}: field {k!r}: missing")
    return d


def _load_fleet(ref, fleet):
    from lotusar.fleet import load_fleet

    if isinstance(fleet, (str, Path)):
        return load_fleet(fleet), str(fleet)
    if fleet is not None:
        return fleet, None if ref in (None, "default") else ref
    return load_fleet(None if ref in (None, "default") else ref), None if ref in (None, "default") else ref


def problem_from_plan_dict(d: dict, fleet=None):
    """Rebuild (problem, schedule, root requests, fleet, fleet_path) from a plan file's content."""
    from lotusar.timeutil import parse_utc

    fleet, fleet_path = _load_fleet(d.get("fleet"), fleet)
    t0, t1 = parse_utc(d["window"]["start"], "window.start"), parse_utc(d["window"]["end"], "window.end")
    st = d["replan_state"]
    roots = parse_requests(d["requests"], "plan.requests")
    subs = [TaskingRequest.model_validate(r) for r in st["sub_requests"]]
    cands: dict[str, list] = {r.id: [] for r in subs}
    for c in st["candidates"]:
        cands.setdefault(c["request_id"], []).append(Candidate(**c))
    windows = [DownlinkWindow(**w) for w in st["windows"]]
    from lotusar.planning.tasking.candidates import sar_satellites

    sats = {s.name: SatParams.from_satellite(s, t0, t1) for s in sar_satellites(fleet)}
    prob = Problem(subs, cands, sats, windows, t0, t1)
    prob.reasons.update(st.get("reasons", {}))
    sched = Schedule(prob)
    by_key = {(c.request_id, c.satellite, round(c.start_s, 3)): c for c in prob.cands.values()}
    epoch = t0
    for a in d["acquisitions"]:
        s = (parse_utc(a["start"]) - epoch).total_seconds()
        c = by_key.get((a.get("sub_request_id", a["request_id"]), a["satellite"], round(s, 3)))
        if c is None:  # tolerate ms rounding of the ISO times
            near = [x for x in prob.cands_by_req.get(a.get("sub_request_id", a["request_id"]), [])
                    if x.satellite == a["satellite"] and abs(x.start_s - s) < 0.01]
            if not near:
                raise InputFormatError(f"plan: acquisition of {a['request_id']} at {a['start']} matches no candidate")
            c = near[0]
        sched.add(c)
    return prob, sched, roots, fleet, fleet_path


def replan(plan, new_requests, fleet=None, time_limit_s: float = 5.0, urgent: bool = True) -> Plan:
    """Insert ``new_requests`` into ``plan`` (a :class:`Plan`, a plan dict or a plan file path)."""
    t_start = time.perf_counter()
    if isinstance(plan, Plan):
        d = None
        import copy

        prob, roots, fleet_path = copy.copy(plan.problem), list(plan.requests), plan.fleet_path
        prob.requests, prob.order, prob.reasons = dict(prob.requests), list(prob.order), dict(prob.reasons)
        prob.cands_by_req, prob.cands = dict(prob.cands_by_req), dict(prob.cands)
        sched = plan.schedule.copy()
        sched.p = prob
        if fleet is None or isinstance(fleet, (str, Path)):
            from lotusar.fleet import load_fleet

            fleet = load_fleet(fleet if fleet is not None else fleet_path)
    else:
        d = read_plan(plan) if isinstance(plan, (str, Path)) else plan
        prob, sched, roots, fleet, fleet_path = problem_from_plan_dict(d, fleet)
    previous = {(c.request_id, c.satellite, c.start_s) for c in sched.sel.values()}
    known = {r.id for r in roots}
    from lotusar.planning.tasking.plan import as_requests

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
    order = sorted((r.id for r in subs), key=lambda i: (prob.requests[i].priority,
                   min((c.start_s for c in prob.cands_by_req[i]), default=1e18), i))
    inserted, lost = [], []
    for rid in order:
        ok, gone = insert_with_eviction(prob, sched, rid)
        if ok:
            inserted.append(rid)
        lost.extend(gone)
    # fill freed room with previously unplanned requests (additions never lower stability)
    if time.perf_counter() - t_start < time_limit_s:
        sched = greedy(prob, sched, [i for i in prob.order if i not in sched.sel])
    kept = sum(1 for c in sched.sel.values() if (c.request_id, c.satellite, c.start_s) in previous)
    stability = kept / len(previous) if previous else 1.0
    prev_ids = {p[0] for p in previous}
    still = sum(1 for rid in prev_ids if rid in sched.sel)           # possibly moved to another take
    request_stability = still / len(prev_ids) if prev_ids else 1.0
    info = {"replan_s": None, "candidates_s": t_cand, "inserted": inserted, "displaced_not_replanned": lost,
            "previous_acquisitions": len(previous), "kept": kept}
    out = assemble(prob, sched, roots + new, (prob.epoch, prob.end), fleet_path, info, stability)
    info["replan_s"] = time.perf_counter() - t_start
    out.metrics["stability"] = stability
    out.metrics["request_stability"] = request_stability
    return out
