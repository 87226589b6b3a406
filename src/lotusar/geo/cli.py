"""`lotusar sar calibrate|multilook|despeckle|geocode|ard` (the products stage mounts its
commands on the `sar` app; parse and delegate only)."""

from __future__ import annotations

import typer


def register(sar_app: typer.Typer) -> None:
    """Add the products commands to the ``sar`` Typer app."""
