"""Shared test fixtures.

Reference data lives beside the project in ``../shared/data/<set>``; tests that need a set ask
for it with ``shared_data("<set>")`` and skip cleanly when it is absent.

Real parts (PostgreSQL/PostGIS, headless Chromium + ChromeDriver) are installed by
``scripts/install-system-deps.sh``. A test that needs one asks ``real_part(ok, why)``: when
the part is missing it is skipped on a developer machine but FAILS under ``CI=true``, so a CI
run cannot go green with the PostGIS or browser tests silently skipped. Only GPU tests skip
everywhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lotusar.catalog.pgserver import TempPostgres
from lotusar.errors import NotFoundError

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


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing_real_part(why: str) -> None:
    """A real part the test needs is missing: fail under CI=true, skip otherwise."""
    if in_ci():
        pytest.fail(f"CI=true and a required part is missing: {why} (run scripts/install-system-deps.sh as root)",
                    pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def real_part():
    """``real_part(ok, why)``: when ``ok`` is false, fail under CI=true, else skip."""

    def check(ok: bool, why: str) -> None:
        if not ok:
            missing_real_part(why)

    return check


@pytest.fixture(scope="session")
def chromium():
    """(chromium binary, chromedriver) paths; fails under CI=true / skips when not installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    if not (browser and driver):
        missing_real_part("chromium/chromedriver not installed")
    return browser, driver


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
    """A private PostgreSQL+PostGIS server for the session (skips when not installed; fails under CI).

    Shared by the catalog and service tests (both run their suites on each backend).
    """
    try:
        srv = TempPostgres(dbname="template_lotusar")
    except NotFoundError as e:
        missing_real_part(str(e))
    yield srv
    srv.stop()


@pytest.fixture(params=["sqlite", "postgis"])
def catalog_url(request, tmp_path):
    """A fresh, empty catalog on each backend (SQLite file; PostgreSQL/PostGIS database)."""
    if request.param == "sqlite":
        return str(tmp_path / "catalog.sqlite")
    return request.getfixturevalue("pg_server").new_database()
