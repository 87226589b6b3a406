"""`lotusar serve` (parse and delegate only)."""

from __future__ import annotations

import typer


def register_top_level(root: typer.Typer) -> None:
    """Mount ``lotusar serve`` on the root app."""
