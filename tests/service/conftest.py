"""Fixtures: a catalog URL on each backend (SQLite file; PostgreSQL/PostGIS server started here)."""

from __future__ import annotations

import pytest

@pytest.fixture(scope="session")
def pg_server():
    """A private PostgreSQL+PostGIS server for the session (skips when not installed)."""
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
    """A fresh, empty catalog on each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "catalog.sqlite")
    return request.getfixturevalue("pg_server").new_database()
