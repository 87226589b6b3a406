"""Tasking planner scaling: requests over Vietnam for the default fleet.

For each size: time to candidates (orbit stage), time to the first valid plan (greedy), value
of the heuristic (greedy + local search) as a ratio to the lexicographic CP-SAT result of the
same run (the peer), total solve time, peak RSS, then an emergency re-plan of 5 urgent requests
(time, stability). ``--quick``: 100 and 300 requests over 2 days; full: 100, 1000, 5000 over 7 days.
Writes bench/results/planning_tasking.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import timedelta
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--time-limit-s", type=float, default=10.0)
    args = ap.parse_args()
    from rich.console import Console
    from rich.table import Table

    from lotusar.fleet import load_fleet
    from lotusar.planning.tasking import TaskingRequest, random_requests, replan
    from lotusar.planning.tasking.plan import assemble, build_problem, solve
    from lotusar.planning.tasking.requests import BBOX_VIETNAM
    from lotusar.timeutil import parse_utc

    fleet = load_fleet()
    t0 = parse_utc(fleet.reference_epoch)
    sizes, days = ([100, 300], 2) if args.quick else ([100, 1000, 5000], 7)
    t1 = t0 + timedelta(days=days)
    rows = []
    for n in sizes:
        reqs = random_requests(n, BBOX_VIETNAM, t0, t1, seed=n)
        tic = time.perf_counter()
        prob = build_problem(reqs, fleet, t0, t1)
        t_cand = time.perf_counter() - tic
        tic = time.perf_counter()
        sched, info = solve(prob, args.time_limit_s)
        t_solve = time.perf_counter() - tic
        plan = assemble(prob, sched, reqs, (prob.epoch, prob.end), None, info)
        heur = info["local_search_value"]
        final = info["final_value"]
        # ratio of heuristic to final on the highest priority level where they differ (1.0 = same)
        ratio = 1.0
        for h, f in zip(heur, final):
            if abs(h - f) > 1e-9:
                ratio = h / f if f else 1.0
                break
        urgent = [TaskingRequest(id=f"FLOOD{i}", aoi={"type": "Point", "coordinates": p}, mode="stripmap",
                                 earliest_start=t0, deadline=t1, priority=1, weight=10)
                  for i, p in enumerate([[106.6, 17.47], [107.19, 16.75], [107.6, 16.46], [108.2, 16.05], [108.47, 15.57]])]
        tic = time.perf_counter()
        new = replan(plan, urgent, fleet, time_limit_s=5)
        t_replan = time.perf_counter() - tic
        rows.append({
            "requests": n, "days": days, "candidates": len(prob.cands), "candidates_s": round(t_cand, 2),
            "first_valid_plan_s": round(t_cand + info["greedy_s"], 2), "solve_s": round(t_solve, 2),
            "heuristic_vs_cpsat": round(ratio, 4), "cpsat_used": bool(info.get("cpsat", {}).get("used")),
            "acquisitions": plan.metrics["acquisitions"], "CR": round(plan.metrics["CR"], 4),
            "WCR": round(plan.metrics["WCR"], 4), "replan_s": round(t_replan, 2),
            "takes_unchanged": round(new.stability, 3), "plan_stability": round(new.metrics["plan_stability"], 3),
            "request_stability": round(new.metrics["request_stability"], 3),
            "urgent_inserted": len(new.solver["inserted"]),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        })
    t = Table(title="lotusar tasking planner (default fleet, Vietnam)")
    t.add_column("metric")
    for r in rows:
        t.add_column(f"{r['requests']} requests")
    for k in rows[0]:
        t.add_row(k, *[str(r[k]) for r in rows])
    Console().print(t)
    out = Path(__file__).resolve().parent / "results" / "planning_tasking.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"quick": args.quick, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
