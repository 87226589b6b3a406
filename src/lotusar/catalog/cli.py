"""`lotusar catalog` commands (parse and delegate only)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


def register_top_level(root: typer.Typer) -> None:
    """Mount top-level commands owned by the catalog stage (``lotusar batch``)."""
