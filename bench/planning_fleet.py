"""Fleet-wide tasking at national scale: N random requests over Vietnam × D days, whole fleet.

Times: opportunity search (one vectorised pass per satellite), first valid plan (search +
downlink windows + greedy), the full anytime solve (greedy → local search → CP-SAT →
priority repair → exact check) at ``--time-limit-s``; peak RSS of the process. With
``--check`` the plan is re-verified by the tests' independent checker (skyfield passes and
pitch). Defaults: 5,000 requests × 7 days (the issue's size). Writes
bench/results/planning_fleet.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--days", type=float, default=7.0)
    ap.add_argument("--time-limit-s", type=float, default=20.0)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    from lotusar.fleet import load_fleet
    from lotusar.planning.tasking import random_requests
    from lotusar.planning.tasking.candidates import request_candidates
    from lotusar.planning.tasking.core import greedy
    from lotusar.planning.tasking.plan import assemble, build_problem, expand_requests, solve
    from lotusar.timeutil import parse_utc

    fleet = load_fleet()
    t0 = parse_utc("2022-10-25T12:00:00Z")
    t1 = t0 + timedelta(days=args.days)
    reqs = random_requests(args.n, start=t0, end=t1, seed=args.n)
    subs = expand_requests(reqs, fleet)
    tic = time.perf_counter()
    rcs = request_candidates(subs, fleet, t0, t1)
    t_cand = time.perf_counter() - tic
    cands = {rc.request_id: rc.candidates for rc in rcs}
    reasons = {rc.request_id: rc.reason for rc in rcs if rc.reason}
    prob = build_problem(reqs, fleet, t0, t1, sub_requests=subs, cands=cands, reasons=reasons)
    first = greedy(prob)
    t_first = time.perf_counter() - tic
    sched, info = solve(prob, args.time_limit_s)
    plan = assemble(prob, sched, reqs, (t0, t1), None, info)
    t_total = time.perf_counter() - tic
    row = {"requests": args.n, "days": args.days, "sub_requests": len(subs),
           "candidates": sum(len(c) for c in cands.values()), "candidates_s": round(t_cand, 2),
           "first_valid_plan_s": round(t_first, 2), "first_plan_acquisitions": len(first.sel),
           "total_s": round(t_total, 2), "time_limit_s": args.time_limit_s, "acquisitions": len(plan.acquisitions),
           "value_first": list(first.key()), "value_final": info["final_value"],
           "cpsat_used": info.get("cpsat", {}).get("used"), "peak_rss_mb": round(
               resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if args.check:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "planning" / "tasking"))
        from plan_checker import check_plan

        d = json.loads(json.dumps(plan.to_json_dict(), default=float))
        problems = check_plan(d, fleet)
        row["checker_problems"] = len(problems)
        row["checker_first"] = problems[:3]
    print(json.dumps(row, indent=2))
    out = Path(__file__).resolve().parent / "results" / "planning_fleet.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(row, indent=2))


if __name__ == "__main__":
    main()
