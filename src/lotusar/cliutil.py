"""Helpers every stage's Typer CLI uses: JSON output, rich tables, one-line errors.

Stage CLIs (``lotusar/<stage>/cli.py``) only parse arguments and delegate to the library;
they import heavy modules inside the command functions so ``lotusar --help`` stays fast.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from lotusar.timeutil import iso_utc


def _default(o: Any) -> Any:
    if isinstance(o, (datetime, date)):
        return iso_utc(o) if isinstance(o, datetime) else o.isoformat()
    if isinstance(o, np.datetime64):
        return iso_utc(o)
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return None if not math.isfinite(float(o)) else float(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "model_dump"):
        return o.model_dump(mode="json")
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def to_json(obj: Any, indent: int | None = 2) -> str:
    """JSON text for CLI output (datetimes as ISO 8601 UTC 'Z', numpy scalars as numbers)."""
    return json.dumps(obj, default=_default, indent=indent, allow_nan=False)


def print_json(obj: Any) -> None:
    """Print ``obj`` as JSON on stdout (the ``--json`` output of every query command)."""
    sys.stdout.write(to_json(obj) + "\n")


def print_table(rows: Sequence[Mapping[str, Any]], columns: Iterable[str] | None = None, title: str | None = None) -> None:
    """Print rows as a rich table on stdout."""
    from rich.console import Console
    from rich.table import Table

    rows = list(rows)
    cols = list(columns) if columns is not None else (list(rows[0].keys()) if rows else [])
    table = Table(title=title)
    for c in cols:
        table.add_column(c)
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c, "")
            if isinstance(v, float):
                v = f"{v:.3f}"
            elif isinstance(v, (datetime, np.datetime64)):
                v = _default(v)
            cells.append(str(v))
        table.add_row(*cells)
    Console().print(table)


def fail(message: str, code: int = 2) -> None:
    """Print one line ``lotusar: error: <message>`` on stderr and exit with ``code``."""
    first = str(message).strip().splitlines()[0] if str(message).strip() else "error"
    sys.stderr.write(f"lotusar: error: {first}\n")
    raise SystemExit(code)
