"""`lotusar scenario run typhoon` (parse and delegate only)."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)

SCENARIOS = ("typhoon",)


@app.command("run")
def run(
    name: str = typer.Argument(..., help="Scenario name: typhoon."),
    out: Path = typer.Option(Path("out/typhoon"), "--out", help="Output folder for every product and the STAC catalog."),
    scale: str = typer.Option("small", "--scale", help="small (512² SLC, ~1 min) or full (2048² SLC, a few minutes)."),
    dask: str = typer.Option(None, "--dask", help="Dask scheduler address for the heavy stages (e.g. tcp://host:8786)."),
    warning_time: str = typer.Option(None, "--warning-time", help="ISO 8601 UTC time of the flood warning "
                                     "(default: the fleet's reference epoch, near its elements)."),
    seed: int = typer.Option(2020, "--seed", help="Random seed (scene texture, speckle, noise, channel)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON instead of tables."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
) -> None:
    """Run an end-to-end scenario: warning → plan → raw → downlink → SLC → ARD → flood map → catalog."""
    from lotusar.cliutil import print_json
    from lotusar.errors import ValidationError
    from lotusar.scenario.report import print_summary
    from lotusar.scenario.run import run_typhoon

    if name not in SCENARIOS:
        raise ValidationError(f"unknown scenario {name!r}: expected one of {', '.join(SCENARIOS)}")
    res = run_typhoon(out, scale=scale, dask_address=dask, warning_time=warning_time, seed=seed, quiet=quiet or as_json)
    if as_json:
        print_json(res.summary)
    else:
        print_summary(res)
