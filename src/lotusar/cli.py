"""The ``lotusar`` command: ``lotusar <stage> <verb>``.

Each stage owns a Typer app in ``lotusar/<stage>/cli.py``; this module only mounts them and
turns user errors (:class:`lotusar.errors.LotusarError`, missing files, bad values) into one
line on stderr with exit status 2 — never a traceback for a user error.

Stages are mounted lazily: ``lotusar orbit passes ...`` imports the orbit stage's CLI only
(not the planner's solver or the SAR processor); ``lotusar --help`` and an unknown command
mount them all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache

import typer

from lotusar import __version__
from lotusar.cliutil import fail
from lotusar.errors import LotusarError

HELP = "lotusar — Earth-observation mission system (fleet, orbits, planning, ground station, SAR, products, apps, catalog)."


def _fleet() -> typer.Typer:
    from lotusar.fleet.cli import app

    return app


def _orbit() -> typer.Typer:
    from lotusar.orbit.cli import app

    return app


def _plan() -> typer.Typer:
    from lotusar.planning.cli import app

    return app


def _gs() -> typer.Typer:
    from lotusar.groundstation.cli import app

    return app


@cache  # the product and real-data commands are added to the sar app once per process
def _sar() -> typer.Typer:
    from lotusar.geo.cli import register as geo_register
    from lotusar.sar.cli import app
    from lotusar.sar.readers.cli import register as real_data_register

    geo_register(app)  # `lotusar sar calibrate|multilook|despeckle|geocode|ard`
    real_data_register(app)  # `lotusar sar s1-decode|read-raw|doppler|gotcha`
    return app


def _apps() -> typer.Typer:
    from lotusar.apps.cli import app

    return app


def _catalog() -> typer.Typer:
    from lotusar.catalog.cli import app

    return app


def _scenario() -> typer.Typer:
    from lotusar.scenario.cli import app

    return app


def _batch(root: typer.Typer) -> None:
    from lotusar.catalog.cli import register_top_level

    register_top_level(root)  # `lotusar batch`


def _serve(root: typer.Typer) -> None:
    from lotusar.service.cli import register_top_level

    register_top_level(root)  # `lotusar serve`


STAGES: dict[str, tuple[Callable[[], typer.Typer], str]] = {
    "fleet": (_fleet, "Satellites, payloads and ground stations."),
    "orbit": (_orbit, "Elements, propagation, passes, Doppler, SAR access."),
    "plan": (_plan, "Tasking requests, acquisition/downlink planning, SPOT5."),
    "gs": (_gs, "CCSDS chain, Level-0, beacons, link budgets."),
    "sar": (_sar, "SAR simulation, focusing, image quality, products."),
    "apps": (_apps, "Flood maps, ship detection, change detection."),
    "catalog": (_catalog, "STAC catalog: ingest and search."),
    "scenario": (_scenario, "End-to-end scenarios (typhoon)."),
}
TOP_LEVEL: dict[str, Callable[[typer.Typer], None]] = {"batch": _batch, "serve": _serve}


def _root() -> None:
    pass


def version() -> None:
    """Print the lotusar version."""
    typer.echo(__version__)


def build_app(only: str | None = None) -> typer.Typer:
    """The root Typer app with every stage mounted, or only the stage/top-level command ``only``."""
    root = typer.Typer(name="lotusar", help=HELP, no_args_is_help=True, add_completion=False,
                       pretty_exceptions_enable=False)
    root.callback()(_root)  # a group even when only one command is mounted
    root.command("version")(version)
    for name, (load, help_text) in STAGES.items():
        if only in (None, name):
            root.add_typer(load(), name=name, help=help_text)
    for name, register in TOP_LEVEL.items():
        if only in (None, name):
            register(root)
    return root


def _stage_of(args: list[str]) -> str | None:
    """The stage or top-level command the arguments invoke (None: mount them all)."""
    first = next((a for a in args if not a.startswith("-")), None)
    return first if first in STAGES or first in TOP_LEVEL or first == "version" else None


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; user errors → one line, exit 2."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        build_app(_stage_of(args))(args=args, prog_name="lotusar", standalone_mode=True)
    except LotusarError as e:
        fail(str(e))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as e:
        name = getattr(e, "filename", None)
        fail(f"{e.strerror or e}: {name}" if name else str(e))
    except KeyboardInterrupt:
        sys.stderr.write("lotusar: interrupted\n")
        raise SystemExit(130) from None


def __getattr__(name: str) -> typer.Typer:  # `lotusar.cli.app`: the full app, built on demand
    if name == "app":
        return build_app()
    raise AttributeError(name)


if __name__ == "__main__":
    main()
