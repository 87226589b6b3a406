"""Shared test fixtures.

Reference data lives beside the project in ``../shared/data/<set>``; tests that need a set ask
for it with ``shared_data("<set>")`` and skip cleanly when it is absent.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data():
    """``shared_data(name)`` → Path of ``../shared/data/<name>``, or skip when absent."""

    def get(name: str) -> Path:
        p = SHARED_DATA / name
        if not p.exists():
            pytest.skip(f"shared data set {name!r} not present at {p}")
        return p

    return get


@pytest.fixture(scope="session")
def run_cli():
    """Run ``lotusar ARGS`` in a subprocess; returns CompletedProcess (text mode)."""

    def run(*args: str, check: bool = False, timeout: float = 600, cwd: str | Path | None = None):
        proc = subprocess.run(
            [sys.executable, "-m", "lotusar", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=cwd,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"lotusar {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
        return proc

    return run


@pytest.fixture(scope="session")
def pg_server():
    """A private PostgreSQL+PostGIS server for the session (skips when not installed).

    Shared by the catalog and service tests (both run their suites on each backend).
    """
    from lotusar.catalog.pgserver import TempPostgres
    from lotusar.errors import NotFoundError

    try:
        srv = TempPostgres(dbname="template_lotusar")
    except NotFoundError as e:
        pytest.skip(str(e))
    yield srv
    srv.stop()


@pytest.fixture(params=["sqlite", "postgis"])
def catalog_url(request, tmp_path):
    """A fresh, empty catalog on each backend (SQLite file; PostgreSQL/PostGIS database)."""
    if request.param == "sqlite":
        return str(tmp_path / "catalog.sqlite")
    return request.getfixturevalue("pg_server").new_database()
