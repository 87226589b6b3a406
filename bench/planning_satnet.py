"""SatNet weeks (Deep Space Network, 2018) with `lotusar plan satnet`, next to the published baselines.

For each week in ../shared/data/satnet-dsn-dev/cases: the CLI at ``--time-limit-s`` (default
300 s, the issue's setting), the benchmark's own verifier.py on the written solution, and the
metrics: T_S (arrays counted once), satisfied requests, U_rms, U_max, against Delta-MILP
(Claudet et al. 2022) and RL/PPO (Goh et al. 2021). Writes bench/results/planning_satnet.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "satnet-dsn-dev"
PUBLISHED = {  # method: week -> (T_S h, satisfied, U_rms, U_max)
    "Delta-MILP": {"W10_2018": (822, 203, 0.26, 0.48), "W20_2018": (1059, 249, 0.21, 0.64)},
    "RL (PPO)": {"W10_2018": (886, 204, 0.28, 0.71), "W20_2018": (1000, 223, 0.27, 0.81)},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--time-limit-s", type=float, default=300.0)
    ap.add_argument("--weeks", nargs="*", default=None)
    args = ap.parse_args()
    from rich.console import Console
    from rich.table import Table

    weeks = args.weeks or sorted(p.name for p in (DATA / "cases").iterdir() if p.is_dir())
    rows = []
    for week in weeks:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "sol.json"
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, "-m", "lotusar", "plan", "satnet", str(DATA / "cases" / week),
                                "--time-limit-s", str(args.time_limit_s), "--out", str(out), "--json"],
                               capture_output=True, text=True, check=True)
            wall = time.perf_counter() - t0
            m = json.loads(r.stdout)
            v = subprocess.run([sys.executable, str(DATA / "verifier.py"), str(DATA / "cases" / week), str(out)],
                               capture_output=True, text=True)
        rows.append({"week": week, "method": "lotusar", "T_S_h": m["hours_allocated"],
                     "satisfied": m["requests_satisfied"], "u_rms": m["u_rms"], "u_max": m["u_max"],
                     "verifier": v.stdout.split(":")[0].strip(), "wall_s": wall, "time_limit_s": args.time_limit_s})
        for meth, d in PUBLISHED.items():
            ts, sat, urms, umax = d[week]
            rows.append({"week": week, "method": meth, "T_S_h": ts, "satisfied": sat, "u_rms": urms, "u_max": umax})
    t = Table(title=f"SatNet at {args.time_limit_s:g} s")
    for c in ("week", "method", "T_S_h", "satisfied", "u_rms", "u_max", "verifier", "wall_s"):
        t.add_column(c)
    for r in rows:
        t.add_row(*(f"{r[c]:.4g}" if isinstance(r.get(c), float) else str(r.get(c, "")) for c in
                    ("week", "method", "T_S_h", "satisfied", "u_rms", "u_max", "verifier", "wall_s")))
    Console().print(t)
    res = Path(__file__).resolve().parent / "results" / "planning_satnet.json"
    res.parent.mkdir(exist_ok=True)
    res.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
