"""The ``lotusar`` command: ``lotusar <stage> <verb>``.

Each stage owns a Typer app in ``lotusar/<stage>/cli.py``; this module only mounts them and
turns user errors (:class:`lotusar.errors.LotusarError`, missing files, bad values) into one
line on stderr with exit status 2 — never a traceback for a user error.
"""

from __future__ import annotations

import sys

import typer

from lotusar import __version__
from lotusar.cliutil import fail
from lotusar.errors import LotusarError

app = typer.Typer(
    name="lotusar",
    help="lotusar — Earth-observation mission system (fleet, orbits, planning, ground station, SAR, products, apps, catalog).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _mount() -> None:
    from lotusar.apps.cli import app as apps_app
    from lotusar.catalog.cli import app as catalog_app
    from lotusar.catalog.cli import register_top_level as catalog_top
    from lotusar.fleet.cli import app as fleet_app
    from lotusar.geo.cli import register as geo_register
    from lotusar.groundstation.cli import app as gs_app
    from lotusar.orbit.cli import app as orbit_app
    from lotusar.planning.cli import app as plan_app
    from lotusar.sar.cli import app as sar_app
    from lotusar.sar.readers.cli import register as real_data_register
    from lotusar.scenario.cli import app as scenario_app
    from lotusar.service.cli import register_top_level as service_top

    geo_register(sar_app)  # `lotusar sar calibrate|multilook|despeckle|geocode|ard`
    real_data_register(sar_app)  # `lotusar sar s1-decode|read-raw|doppler|focus-real|gotcha`
    app.add_typer(fleet_app, name="fleet", help="Satellites, payloads and ground stations.")
    app.add_typer(orbit_app, name="orbit", help="Elements, propagation, passes, Doppler, SAR access.")
    app.add_typer(plan_app, name="plan", help="Tasking requests, acquisition/downlink planning, SPOT5.")
    app.add_typer(gs_app, name="gs", help="CCSDS chain, Level-0, beacons, link budgets.")
    app.add_typer(sar_app, name="sar", help="SAR simulation, focusing, image quality, products.")
    app.add_typer(apps_app, name="apps", help="Flood maps, ship detection, change detection.")
    app.add_typer(catalog_app, name="catalog", help="STAC catalog: ingest and search.")
    app.add_typer(scenario_app, name="scenario", help="End-to-end scenarios (typhoon).")
    catalog_top(app)  # `lotusar batch`
    service_top(app)  # `lotusar serve`


@app.command("version")
def version() -> None:
    """Print the lotusar version."""
    typer.echo(__version__)


_mount()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; user errors → one line, exit 2."""
    try:
        app(args=argv, standalone_mode=True)
    except LotusarError as e:
        fail(str(e))
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as e:
        name = getattr(e, "filename", None)
        fail(f"{e.strerror or e}: {name}" if name else str(e))
    except KeyboardInterrupt:
        sys.stderr.write("lotusar: interrupted\n")
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
