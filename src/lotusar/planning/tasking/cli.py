"""`lotusar plan requests|solve|replan` (parse and delegate only; heavy imports inside commands).

The coordinator mounts these on the ``lotusar plan`` Typer app with ``register(plan_app)``.
"""

from __future__ import annotations

from pathlib import Path

import typer

requests_app = typer.Typer(no_args_is_help=True, help="Tasking requests: generate, validate.")


def _status(msg: str):
    import contextlib
    import sys

    if sys.stderr.isatty():
        from rich.console import Console

        return Console(stderr=True).status(msg)
    return contextlib.nullcontext()


class _progress:
    """Rich progress bar on an interactive stderr; yields a ``cb(done, total)`` (no-op otherwise)."""

    def __init__(self, label: str):
        self.label = label
        self.prog = None
        self.task = None

    def __enter__(self):
        import sys

        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import Progress

        self.prog = Progress(console=Console(stderr=True), transient=True)
        self.prog.__enter__()

        def cb(done, total):
            if self.task is None:
                self.task = self.prog.add_task(self.label, total=total)
            self.prog.update(self.task, completed=done + 1)

        return cb

    def __exit__(self, *exc):
        if self.prog is not None:
            self.prog.__exit__(*exc)
        return False


def _side_outputs(plan_d: dict, out: Path, gantt: bool, timeline: bool) -> list[str]:
    from lotusar.cliutil import to_json
    from lotusar.fileio import write_text_atomic
    from lotusar.planning.tasking.report import command_timeline, gantt_png, station_schedule

    written = []
    stem = out.with_suffix("")
    if timeline:
        p1 = Path(f"{stem}_commands.json")
        write_text_atomic(p1, to_json(command_timeline(plan_d)) + "\n")
        p2 = Path(f"{stem}_stations.json")
        write_text_atomic(p2, to_json(station_schedule(plan_d)) + "\n")
        written += [str(p1), str(p2)]
    if gantt:
        p3 = Path(f"{stem}_gantt.png")
        gantt_png(plan_d, p3)
        written.append(str(p3))
    return written


def _summary(plan_d: dict, out: Path, extra: list[str], as_json: bool) -> None:
    from lotusar.cliutil import print_json, print_table

    m = plan_d["metrics"]
    s = {"plan": str(out), "files": extra, **{k: m.get(k) for k in (
        "requests", "completed", "CR", "WCR", "TAT_s", "PC_wh", "acquisitions", "downlinks", "mean_latency_s")},
         "unplanned": len(plan_d["unplanned"])}
    if "stability" in plan_d:
        s["stability"] = plan_d["stability"]
        s["replan_s"] = plan_d["solver"].get("replan_s")
        s["inserted"] = plan_d["solver"].get("inserted")
    if as_json:
        print_json(s)
    else:
        print_table([{"key": k, "value": v} for k, v in s.items()], ["key", "value"], title="lotusar plan")


@requests_app.command("generate")
def requests_generate(
    n: int = typer.Option(300, "--n", help="number of requests"),
    start: str = typer.Option(..., "--start", help="window start (ISO 8601 UTC)"),
    end: str = typer.Option(..., "--end", help="window end (ISO 8601 UTC)"),
    seed: int = typer.Option(0, "--seed"),
    bbox: str = typer.Option("102.2,8.6,109.4,23.3", "--bbox", help="lon_min,lat_min,lon_max,lat_max (default: Vietnam)"),
    prefix: str = typer.Option("R", "--prefix", help="id prefix"),
    geojson: bool = typer.Option(False, "--geojson", help="write a GeoJSON FeatureCollection"),
    out: Path = typer.Option(..., "--out", help="requests JSON to write"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Write N reproducible random requests (seeded) inside a bounding box."""
    from lotusar.cliutil import print_json, to_json
    from lotusar.errors import ValidationError
    from lotusar.fileio import write_text_atomic
    from lotusar.planning.tasking.requests import random_requests, requests_to_geojson, requests_to_json

    try:
        bb = tuple(float(x) for x in bbox.split(","))
    except ValueError:
        raise ValidationError(f"--bbox: {bbox!r} is not four numbers") from None
    if len(bb) != 4 or bb[2] <= bb[0] or bb[3] <= bb[1]:
        raise ValidationError(f"--bbox: {bbox!r} must be lon_min,lat_min,lon_max,lat_max with min < max")
    reqs = random_requests(n, bb, start, end, seed, prefix=prefix)
    obj = requests_to_geojson(reqs) if geojson else requests_to_json(reqs)
    write_text_atomic(out, to_json(obj) + "\n")
    if as_json:
        print_json({"out": str(out), "n": len(reqs)})
    else:
        typer.echo(f"wrote {len(reqs)} requests to {out}")


@requests_app.command("validate")
def requests_validate(
    file: Path = typer.Argument(..., help="requests JSON (list) or GeoJSON FeatureCollection"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Validate a requests file (one line naming the request and field on error, exit 2)."""
    from lotusar.cliutil import print_json, print_table
    from lotusar.planning.tasking.requests import read_requests

    reqs = read_requests(file)
    rows = [{"id": r.id, "mode": r.mode, "priority": r.priority, "weight": r.weight,
             "earliest_start": r.earliest_start, "deadline": r.deadline, "look_side": r.look_side,
             "pass_direction": r.pass_direction} for r in reqs]
    if as_json:
        print_json({"valid": True, "n": len(reqs), "requests": rows})
    else:
        print_table(rows, title=f"{file}: {len(reqs)} valid requests")


def solve_cmd(
    requests: Path = typer.Option(..., "--requests", help="requests JSON / GeoJSON"),
    out: Path = typer.Option(..., "--out", help="plan JSON to write"),
    fleet: Path | None = typer.Option(None, "--fleet", help="fleet TOML (default: embedded fleet)"),
    start: str | None = typer.Option(None, "--start", help="window start (default: fleet reference epoch)"),
    end: str | None = typer.Option(None, "--end", help="window end (default: start + 1 day)"),
    time_limit_s: float = typer.Option(10.0, "--time-limit-s", help="solver time limit (anytime)"),
    no_cpsat: bool = typer.Option(False, "--no-cpsat", help="heuristic only"),
    gantt: bool = typer.Option(True, "--gantt/--no-gantt", help="write <out>_gantt.png"),
    timeline: bool = typer.Option(True, "--timeline/--no-timeline", help="write <out>_commands.json, <out>_stations.json"),
    cloud: Path | None = typer.Option(None, "--cloud", help="cloud-probability forecast grid (JSON) for camera takes; "
                                      "default: the climatology"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
) -> None:
    """Plan requests into a conflict-free acquisition + downlink plan (JSON, written atomically)."""
    from lotusar.cliutil import to_json
    from lotusar.fileio import write_text_atomic
    from lotusar.fleet import load_fleet
    from lotusar.planning.tasking.plan import plan_requests
    from lotusar.planning.tasking.requests import read_requests
    from lotusar.timeutil import parse_utc, parse_window

    fl = load_fleet(fleet)
    t0 = parse_utc(start, "start") if start else parse_utc(fl.reference_epoch or "2022-10-25T12:00:00Z")
    if end:
        t0, t1 = parse_window(t0, end)
    else:
        from datetime import timedelta

        t1 = t0 + timedelta(days=1)
    reqs = read_requests(requests)
    from lotusar.planning.tasking.optical import read_cloud_field

    cloud_field = read_cloud_field(cloud) if cloud is not None else None
    with _progress("imaging opportunities") as cb:
        plan = plan_requests(reqs, fl, t0, t1, time_limit_s=time_limit_s,
                             fleet_path=str(fleet.resolve()) if fleet else None, use_cpsat=not no_cpsat,
                             progress=cb, cloud=cloud_field)
    d = plan.to_json_dict()
    write_text_atomic(out, to_json(d) + "\n")
    extra = _side_outputs(d, out, gantt, timeline)
    _summary(d, out, extra, as_json)


def replan_cmd(
    plan: Path = typer.Option(..., "--plan", help="committed plan JSON (from `lotusar plan solve`)"),
    add: Path = typer.Option(..., "--add", help="urgent requests JSON / GeoJSON"),
    out: Path = typer.Option(..., "--out", help="new plan JSON to write"),
    fleet: Path | None = typer.Option(None, "--fleet", help="fleet TOML (default: the plan's)"),
    time_limit_s: float = typer.Option(5.0, "--time-limit-s"),
    keep_priority: bool = typer.Option(False, "--keep-priority", help="do not raise the new requests to emergency priority 0"),
    gantt: bool = typer.Option(True, "--gantt/--no-gantt"),
    timeline: bool = typer.Option(True, "--timeline/--no-timeline"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Insert urgent requests into a committed plan on their earliest feasible pass."""
    from lotusar.cliutil import to_json
    from lotusar.fileio import write_text_atomic
    from lotusar.fleet import load_fleet
    from lotusar.planning.tasking.replan import read_plan, replan
    from lotusar.planning.tasking.requests import read_requests

    d0 = read_plan(plan)
    new = read_requests(add)
    fl = load_fleet(fleet) if fleet else None
    with _status(f"re-planning with {len(new)} new requests"):
        p = replan(d0, new, fl, time_limit_s=time_limit_s, urgent=not keep_priority)
    d = p.to_json_dict()
    write_text_atomic(out, to_json(d) + "\n")
    extra = _side_outputs(d, out, gantt, timeline)
    _summary(d, out, extra, as_json)


def register(plan_app: typer.Typer) -> None:
    """Add `requests`, `solve` and `replan` to the `lotusar plan` app."""
    plan_app.add_typer(requests_app, name="requests", help="Tasking requests: generate, validate.")
    plan_app.command("solve")(solve_cmd)
    plan_app.command("replan")(replan_cmd)
