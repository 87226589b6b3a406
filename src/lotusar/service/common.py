"""What every router of the HTTP API shares: JSON responses, STAC link building, API-key roles,
and the data-root check for asset files.

The application state (``request.app.state``) holds ``config`` (:class:`ServiceConfig`),
``catalog`` (the open :class:`lotusar.catalog.store.Catalog`), ``keys`` (:class:`KeyStore`),
``roots`` (resolved data roots) and ``resolve_local`` (asset href → a file inside the roots).
Routers read it through the dependencies below; nothing is captured in closures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

from fastapi import Depends, Header, Request
from fastapi.responses import Response

from lotusar.catalog.store import Catalog
from lotusar.errors import LotusarError, NotFoundError
from lotusar.service.security import Principal

GEOJSON = "application/geo+json"
OPENAPI_MEDIA = "application/vnd.oai.openapi+json;version=3.0"


@dataclass
class ServiceConfig:
    catalog_url: str | None = None
    data_roots: list[str] = field(default_factory=list)
    keys_file: str | None = None
    read_rate_per_s: float = 2000.0
    read_burst: float = 4000.0
    write_rate_per_s: float = 5.0
    write_burst: float = 20.0
    max_body_bytes: int = 1 << 20
    title: str = "lotusar STAC API"
    fleet_file: str | None = None
    tasking_time_limit_s: float = 10.0


class UnauthorizedError(LotusarError):
    """No valid API key for an operation that needs one (HTTP 401)."""


class ForbiddenError(LotusarError):
    """The caller's role may not do this, or a file lies outside the data roots (HTTP 403)."""


def json_response(obj: Any, media: str = "application/json", status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(obj, separators=(",", ":"), allow_nan=False), media_type=media, status_code=status,
                    headers=headers)


def error_response(status: int, code: str, description: str) -> Response:
    r = json_response({"code": code, "description": description}, status=status)
    if status == 401:
        r.headers["WWW-Authenticate"] = "Bearer"
    return r


# ------------------------------------------------------------------------------ dependencies
def get_catalog(request: Request) -> Catalog:
    return request.app.state.catalog


def principal(request: Request,
              authorization: str | None = Header(None, description="Bearer API key"),
              x_api_key: str | None = Header(None, description="API key (alternative to Authorization)")) -> Principal:
    """The caller named by its API key (``X-API-Key`` or ``Authorization: Bearer``); 401 without."""
    key = x_api_key
    if not key and authorization and authorization.lower().startswith("bearer "):
        key = authorization[7:].strip()
    p = request.app.state.keys.lookup(key)
    if p is None:
        raise UnauthorizedError("a valid API key is required for this operation")
    return p


def operator(p: Principal = Depends(principal)) -> Principal:
    if not p.has("operator"):
        raise ForbiddenError(f"role {p.role!r} may not do this; operator required")
    return p


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# ---------------------------------------------------------------------------- data roots
def resolve_in_roots(roots: list[Path], href: str) -> Path:
    """The local file an asset href names, when it lies inside one of ``roots``."""
    u = urlparse(href)
    if u.scheme not in ("", "file"):
        raise NotFoundError("asset is not a local file")
    p = Path(u.path if u.scheme == "file" else href).resolve()
    if not any(p == r or r in p.parents for r in roots):
        raise ForbiddenError("asset file lies outside the served data roots")
    if not p.is_file():
        raise NotFoundError("asset file is missing on the server")
    return p


# ------------------------------------------------------------------------------ STAC links
def item_out(it: dict, b: str) -> dict:
    """An item as served: STAC links, local asset hrefs rewritten to the download endpoint."""
    c, i = it["collection"], it["id"]
    out = dict(it)
    out["links"] = [
        {"rel": "self", "href": f"{b}/collections/{c}/items/{i}", "type": GEOJSON},
        {"rel": "parent", "href": f"{b}/collections/{c}", "type": "application/json"},
        {"rel": "collection", "href": f"{b}/collections/{c}", "type": "application/json"},
        {"rel": "root", "href": f"{b}/", "type": "application/json"},
    ] + list(it.get("links", []))
    assets = {}
    for k, a in it.get("assets", {}).items():
        if urlparse(a.get("href", "")).scheme in ("", "file"):
            a = {**a, "href": f"{b}/collections/{c}/items/{i}/assets/{k}"}
        assets[k] = a
    out["assets"] = assets
    return out


def feature_collection(items: list[dict], b: str, next_link: dict | None, self_href: str) -> dict:
    links = [{"rel": "root", "href": f"{b}/", "type": "application/json"},
             {"rel": "self", "href": self_href, "type": GEOJSON}]
    if next_link:
        links.append(next_link)
    return {"type": "FeatureCollection", "features": [item_out(i, b) for i in items],
            "links": links, "numberReturned": len(items)}


def get_next_link(request: Request, token: str | None, path: str) -> dict | None:
    if not token:
        return None
    q = [(k, v) for k, v in request.query_params.multi_items() if k != "token"] + [("token", token)]
    return {"rel": "next", "href": f"{base_url(request)}{path}?{urlencode(q)}", "type": GEOJSON, "method": "GET"}
