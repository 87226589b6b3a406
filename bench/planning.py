"""Planning benchmark, SPOT5 part: time to reach the reference profit, ours vs plain CP-SAT.

For every instance both solvers run in the same process, one after the other, on the same
2 CP-SAT workers and the same wall-clock limit:

* **lotusar** — :func:`lotusar.planning.spot5.solve_spot5` (value dominance, component
  decomposition with exact profit curves, lexicographic weight levels, warm start);
* **plain** — the straightforward model (one Boolean per photograph/value, at most one per
  photograph, one clause per forbidden tuple, capacity as a linear constraint, no hint),
  :func:`lotusar.planning.spot5.solve_spot5_plain`.

Reported per instance: the reference profit (README), each solver's best profit, the time at
which each first reached the reference (``-`` when it did not within the limit; for ours on
instances without a capacity this is the end of the last component's proof, since the total
is only known then), the speed-up (plain time / ours), whether optimality was proven, and
the total run times (time to proof when both prove optimality). The scaling part of the planning
benchmark (tasking requests) is ``bench/planning_tasking.py``.

Usage: ``python bench/planning.py [--quick] [--time-limit-s S] [--instances 8,54,...]``;
writes ``bench/results/planning.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "spot5"
QUICK = ["8", "54", "404", "503", "28", "5", "408", "505", "509", "1502", "1401"]


def run(names: list[str], time_limit_s: float) -> list[dict]:
    from lotusar.planning.spot5 import solve_spot5, solve_spot5_plain
    from lotusar.planning.spot5_io import read_spot5

    ref = {r["instance"]: r for r in csv.DictReader(open(DATA / "known_values.csv"))}
    rows = []
    for name in names:
        inst = read_spot5(DATA / "instances" / f"{name}.spot")
        target = int(ref[name]["profit"])
        ours = solve_spot5(inst, time_limit_s=time_limit_s)
        t_ours = next((t for t, v in ours.stats.get("trace_s", []) if v >= target), None)
        hits: list[float] = []

        def seen(t, v, hits=hits, target=target):
            if v >= target and not hits:
                hits.append(t)

        plain = solve_spot5_plain(inst, time_limit_s=time_limit_s, on_solution=seen)
        t_plain = hits[0] if hits else (plain.time_s if plain.profit >= target else None)
        rows.append({
            "instance": name, "photographs": inst.n, "reference": target, "reference_status": ref[name]["status"],
            "ours_profit": ours.profit, "ours_time_to_ref_s": t_ours, "ours_optimal": ours.optimal,
            "plain_profit": plain.profit, "plain_time_to_ref_s": t_plain, "plain_optimal": plain.optimal,
            "speedup": (t_plain / t_ours) if (t_plain and t_ours) else None,
            "ours_time_s": ours.time_s, "plain_time_s": plain.time_s,
            "proof_speedup": (plain.time_s / ours.time_s) if (ours.optimal and plain.optimal) else None,
            "components": ours.stats.get("components"), "time_limit_s": time_limit_s,
        })
        print(f"{name}: ours {ours.profit} ({t_ours}) plain {plain.profit} ({t_plain})", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="single-orbit instances, 1502 and 1401 only")
    ap.add_argument("--time-limit-s", type=float, default=None)
    ap.add_argument("--instances", default=None, help="comma-separated instance names")
    a = ap.parse_args()
    if a.instances:
        names = a.instances.split(",")
    elif a.quick:
        names = QUICK
    else:
        names = [r["instance"] for r in csv.DictReader(open(DATA / "known_values.csv"))]
    tl = a.time_limit_s or (30.0 if a.quick else 120.0)
    t0 = time.time()
    rows = run(names, tl)
    from rich.console import Console
    from rich.table import Table

    tab = Table(title=f"SPOT5: time to the reference profit (2 workers, limit {tl:.0f} s)")
    for c in ("instance", "reference", "ours", "ours t (s)", "plain", "plain t (s)", "speed-up", "ours optimal",
              "ours total (s)", "plain total (s)", "proof speed-up"):
        tab.add_column(c)
    for r in rows:
        f = lambda x: "-" if x is None else f"{x:.2f}"  # noqa: E731
        tab.add_row(r["instance"], str(r["reference"]), str(r["ours_profit"]), f(r["ours_time_to_ref_s"]),
                    str(r["plain_profit"]), f(r["plain_time_to_ref_s"]), f(r["speedup"]), str(r["ours_optimal"]),
                    f(r["ours_time_s"]), f(r["plain_time_s"]), f(r["proof_speedup"]))
    Console().print(tab)
    both = [r for r in rows if r["speedup"]]
    summary = {
        "reached_reference_ours": sum(r["ours_time_to_ref_s"] is not None for r in rows),
        "reached_reference_plain": sum(r["plain_time_to_ref_s"] is not None for r in rows),
        "instances": len(rows),
        "faster_on_both_solved": sum(r["speedup"] > 1 for r in both), "both_solved": len(both),
        "proven_ours": sum(bool(r["ours_optimal"]) for r in rows), "proven_plain": sum(bool(r["plain_optimal"]) for r in rows),
    }
    out = ROOT / "bench" / "results" / "planning.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"quick": a.quick, "time_limit_s": tl, "wall_s": time.time() - t0,
                               "summary": summary, "spot5": rows}, indent=1))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
