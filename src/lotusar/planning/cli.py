"""`lotusar plan` commands (parse and delegate only): `spot5` here; `requests`, `solve`, `replan`
from :mod:`lotusar.planning.tasking.cli`."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("spot5")
def spot5_cmd(
    file: Path = typer.Argument(..., help="SPOT5 instance (.spot)."),
    time_limit_s: float = typer.Option(60.0, "--time-limit-s", help="Wall-clock limit (s); the best assignment so far is returned."),
    workers: int = typer.Option(2, "--workers", help="CP-SAT workers."),
    json_out: bool = typer.Option(False, "--json", help="Print {profit, optimal, assignment} as JSON."),
) -> None:
    """Solve a SPOT5 photograph-selection instance; the assignment is re-verified before printing."""
    import time

    from lotusar.cliutil import print_json, print_table
    from lotusar.errors import ValidationError
    from lotusar.planning.spot5 import evaluate_assignment, solve_spot5
    from lotusar.planning.spot5_io import read_spot5

    if time_limit_s <= 0:
        raise ValidationError("--time-limit-s must be > 0")
    t_start = time.perf_counter()
    inst = read_spot5(file)
    res = solve_spot5(inst, time_limit_s=time_limit_s, workers=workers, started_at=t_start)
    profit, problems = evaluate_assignment(inst, res.values)
    if problems:
        raise RuntimeError(f"internal: infeasible assignment ({problems[0]})")
    if json_out:
        print_json({"profit": profit, "optimal": res.optimal, "assignment": res.assignment()})
    else:
        print_table([{"instance": str(file), "photographs": inst.n, "selected": int((res.values != 0).sum()),
                      "profit": profit, "optimal": res.optimal, "time_s": res.time_s}], title="SPOT5")


@app.command("satnet")
def satnet_cmd(
    case_dir: Path = typer.Argument(..., help="SatNet case folder (problem.json, maintenance.csv)."),
    time_limit_s: float = typer.Option(300.0, "--time-limit-s", help="Wall-clock limit (s); anytime."),
    out: Path = typer.Option(..., "--out", help="Solution JSON (the benchmark's track list)."),
    workers: int = typer.Option(2, "--workers", help="CP-SAT workers."),
    json_out: bool = typer.Option(False, "--json", help="Print hours_allocated, u_rms, u_max, requests_satisfied."),
) -> None:
    """Schedule a SatNet (Deep Space Network) week: tracks on antennas, scored with the benchmark's metrics."""
    from lotusar.cliutil import print_json, print_table, to_json
    from lotusar.fileio import write_text_atomic
    from lotusar.planning.satnet import read_case, score, solve_satnet, to_solution, verify_solution

    case = read_case(case_dir)
    tracks, info = solve_satnet(case, time_limit_s=time_limit_s, workers=workers)
    sol = to_solution(case, tracks)
    problems = verify_solution(case, sol)
    if problems:
        raise RuntimeError(f"internal: invalid schedule ({problems[0]})")
    write_text_atomic(out, to_json(sol))
    s = score(case, sol)
    row = {k: s[k] for k in ("hours_allocated", "u_rms", "u_max", "requests_satisfied", "tracks")}
    if json_out:
        print_json(row | {"hours_verifier_total": s["hours_verifier_total"], "time_s": info["time_s"]})
    else:
        print_table([{"case": case.name, **row, "time_s": info["time_s"]}], title="SatNet")


def _register_tasking() -> None:
    """Mount `lotusar plan requests|solve|replan` from the tasking package."""
    from lotusar.planning.tasking.cli import register

    register(app)


_register_tasking()
