"""The lotusar HTTP API (FastAPI): one router per area, assembled here.

``create_app(ServiceConfig(...))`` builds the ASGI app; ``lotusar serve`` runs it with uvicorn.

Routers (``lotusar.service.routers``): ``stac`` (STAC API 1.0: landing page, conformance,
collections, items, search, queryables, operator writes, downloads, ``/docs``), ``tasking``
(requests planned by the planning stage, the committed plan), ``plans`` (plans in the
catalog, station passes), ``tiles`` (XYZ tiles and TileJSON of COGs), ``webmap`` (the operator
map). The app state (``app.state``) holds the configuration, the catalog, the API keys, the
data roots, the fleet and the tasking service; routers reach it through dependencies.

Errors: a :class:`lotusar.errors.LotusarError` is a 4xx STAC API error object
``{"code", "description"}`` (NotFound → 404, Unauthorized → 401, Forbidden → 403, any other
→ 400), as are FastAPI's request validation errors and the framework's own 404/405; anything
else is a bug: logged with its traceback and answered 500.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from dataclasses import asdict, fields
from functools import partial
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lotusar.catalog.store import open_catalog
from lotusar.errors import LotusarError, NotFoundError
from lotusar.fleet import load_fleet
from lotusar.service.common import ForbiddenError, ServiceConfig, UnauthorizedError, error_response, resolve_in_roots
from lotusar.service.routers import guide, plans, stac, tasking, tiles, webmap
from lotusar.service.security import GuardMiddleware, KeyStore, TokenBuckets
from lotusar.service.tasking import Tasking

__all__ = ["WEB_DIR", "BackgroundServer", "ServiceConfig", "app_from_env", "create_app", "serve"]

WEB_DIR = webmap.WEB_DIR

log = logging.getLogger("lotusar.service")

HTTP_CODES = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}


def _lotusar_error(request: Request, exc: Exception):
    status, code = 400, "BadRequest"
    if isinstance(exc, NotFoundError):
        status, code = 404, "NotFound"
    elif isinstance(exc, UnauthorizedError):
        status, code = 401, "Unauthorized"
    elif isinstance(exc, ForbiddenError):
        status, code = 403, "Forbidden"
    text = str(exc).splitlines()[0] if str(exc) else code
    return error_response(status, code, text)


def _validation_error(request: Request, exc: Exception):
    errs = exc.errors() if isinstance(exc, RequestValidationError) else []
    first = errs[0] if errs else {}
    loc = ".".join(str(x) for x in first.get("loc", []))
    return error_response(400, "BadRequest", f"{loc}: {first.get('msg', 'invalid request')}")


def _http_error(request: Request, exc: Exception):
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    detail = exc.detail if isinstance(exc, StarletteHTTPException) else ""
    return error_response(status, HTTP_CODES.get(status, "Error"), str(detail))


def _internal_error(request: Request, exc: Exception):
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(500, "InternalServerError", f"internal error ({type(exc).__name__}); see the server log")


def data_roots(cfg: ServiceConfig) -> list[Path]:
    given = cfg.data_roots or os.environ.get("LOTUSAR_DATA_ROOTS", "").split(os.pathsep)
    return [Path(r).resolve() for r in given if r] or [Path.cwd().resolve()]


def create_app(config: ServiceConfig | None = None) -> GuardMiddleware:
    """The ASGI application serving the catalog at ``config.catalog_url``."""
    cfg = config or ServiceConfig()
    app = FastAPI(
        title=cfg.title,
        version="1.0.0",
        description=("STAC API (core, collections, features, item-search with query/filter/sort) over the lotusar "
                     "catalog, plus tasking, passes/plans, XYZ tiles of COGs, asset downloads and the operator web map. "
                     "Writes need `Authorization: Bearer <API key>` or `X-API-Key` (roles: requester, operator)."),
        openapi_tags=[{"name": "STAC"}, {"name": "Tasking"}, {"name": "Plans"}, {"name": "Tiles"}, {"name": "Web map"}],
        docs_url=None, redoc_url=None,  # FastAPI's Swagger/ReDoc pages load their scripts from a CDN
        openapi_url=None,               # served by the STAC router with the STAC API's media type
    )
    catalog = open_catalog(cfg.catalog_url)
    fleet = load_fleet(cfg.fleet_file)  # a broken fleet file fails here, loudly
    roots = data_roots(cfg)
    app.state.config = cfg
    app.state.catalog = catalog
    app.state.keys = KeyStore.from_env_or_file(cfg.keys_file)
    app.state.roots = roots
    app.state.resolve_local = partial(resolve_in_roots, roots)
    app.state.fleet = fleet
    app.state.tasking = Tasking(catalog, fleet, cfg.fleet_file, cfg.tasking_time_limit_s)

    app.add_exception_handler(LotusarError, _lotusar_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _internal_error)
    for r in (stac.router, tasking.router, plans.router, tiles.router, webmap.router, guide.router):
        app.include_router(r)

    guarded = GuardMiddleware(app, max_body_bytes=cfg.max_body_bytes,
                              read_buckets=TokenBuckets(cfg.read_rate_per_s, cfg.read_burst),
                              write_buckets=TokenBuckets(cfg.write_rate_per_s, cfg.write_burst))
    return guarded


def app_from_env() -> GuardMiddleware:
    """ASGI app factory for uvicorn worker processes (config in ``$LOTUSAR_SERVICE_CONFIG``)."""
    d = json.loads(os.environ.get("LOTUSAR_SERVICE_CONFIG", "{}"))
    return create_app(ServiceConfig(**{f.name: d[f.name] for f in fields(ServiceConfig) if f.name in d}))


def serve(host: str = "127.0.0.1", port: int = 8000, config: ServiceConfig | None = None, log_level: str = "warning",
          announce=None, workers: int = 1, on_empty=None) -> None:
    """Run the API with uvicorn (blocking); ``announce(url)`` is called once the app is built,
    ``on_empty(catalog_url)`` when the catalog holds no item.

    ``workers > 1`` runs that many server processes on the same socket (each with its own
    catalog connections; rate limits then apply per process).
    """
    cfg = config or ServiceConfig()
    app = create_app(cfg)  # fails here, with a one-line error, on a bad catalog/keys/fleet file
    if on_empty is not None and app.state.catalog.count_items() == 0:
        on_empty(app.state.catalog.url)
    if announce:
        announce(f"http://{host}:{port}/")
    if workers > 1:
        app.state.catalog.close()
        os.environ["LOTUSAR_SERVICE_CONFIG"] = json.dumps(asdict(cfg))
        uvicorn.run("lotusar.service.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, access_log=False, timeout_keep_alive=30, backlog=2048)
        return
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, timeout_keep_alive=30, backlog=2048)


class BackgroundServer:
    """Run the API with uvicorn in a daemon thread on 127.0.0.1 (tests, benchmarks)."""

    def __init__(self, config: ServiceConfig, port: int | None = None, host: str = "127.0.0.1"):
        if port is None:
            with socket.socket() as s:
                s.bind((host, 0))
                port = s.getsockname()[1]
        self.port = port
        self.url = f"http://{host}:{port}"
        self.app = create_app(config)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host=host, port=port, log_level="error", access_log=False,
                                                    timeout_keep_alive=30, backlog=512))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        t0 = time.monotonic()
        while not self.server.started:
            if time.monotonic() - t0 > 20 or not self.thread.is_alive():
                raise RuntimeError("API server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.app.state.catalog.close()
