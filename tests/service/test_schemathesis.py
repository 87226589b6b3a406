"""Property-based fuzzing of every operation in the OpenAPI document (schemathesis): no input,
authenticated or not, makes the server answer 5xx; every 4xx is a JSON error object."""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, settings

OP = "operator-key-fuzz01"


def _app():
    import atexit
    import shutil
    import tempfile

    from lotusar.catalog.ingest import ingest_path
    from lotusar.catalog.store import open_catalog
    from lotusar.catalog.synthetic import synthetic_items
    from lotusar.service.app import ServiceConfig, create_app
    from lotusar.service.demo import build_demo

    d = tempfile.mkdtemp(prefix="lotusar-fuzz-")
    atexit.register(shutil.rmtree, d, True)
    build_demo(d, size=256)
    url = os.path.join(d, "cat.sqlite")
    cat = open_catalog(url)
    ingest_path(cat, os.path.join(d, "products"))
    cat.put_items(synthetic_items(50, seed=8))
    cat.close()
    old = os.environ.get("LOTUSAR_API_KEYS")
    os.environ["LOTUSAR_API_KEYS"] = f"{OP}=operator:fuzz"  # read once by create_app, then restored
    try:
        return create_app(ServiceConfig(catalog_url=url, data_roots=[d], read_rate_per_s=0, write_rate_per_s=0))
    finally:
        if old is None:
            del os.environ["LOTUSAR_API_KEYS"]
        else:
            os.environ["LOTUSAR_API_KEYS"] = old


APP = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case):
    for headers in (None, {"Authorization": f"Bearer {OP}"}):
        response = case.call(headers=headers)
        assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
        if 400 <= response.status_code < 500:
            body = response.json()
            assert "code" in body and "description" in body
