"""The lotusar HTTP API (FastAPI): STAC API, tasking, passes/plans, tiles, downloads, web map.

``create_app(ServiceConfig(...))`` builds the ASGI app; ``lotusar serve`` runs it with uvicorn.

STAC API 1.0: landing page ``/`` (``conformsTo``), ``/conformance``, ``/collections``,
``/collections/{id}``, ``/collections/{id}/items`` (+ ``/{item}``), ``/search`` GET and POST
(bbox, intersects, datetime, ids, collections, query, filter (CQL2-JSON), sortby, limit,
keyset ``token`` in the ``next`` link), ``/queryables``. Errors are STAC API error objects
``{"code", "description"}`` with a 4xx status. Asset hrefs of local files are rewritten to the
download endpoint ``/collections/{c}/items/{i}/assets/{key}``, which serves only files inside
the configured data roots (no path ever comes from the request).
"""

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

from fastapi import Body, Depends, FastAPI, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from lotusar.errors import LotusarError, NotFoundError, ValidationError
from lotusar.service.security import GuardMiddleware, KeyStore, Principal, TokenBuckets

STAC_VERSION = "1.0.0"

CONFORMANCE = [
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/collections",
    "https://api.stacspec.org/v1.0.0/ogcapi-features",
    "https://api.stacspec.org/v1.0.0/item-search",
    "https://api.stacspec.org/v1.0.0/item-search#sort",
    "https://api.stacspec.org/v1.0.0-rc.1/item-search#filter",
    "https://api.stacspec.org/v1.0.0-rc.1/item-search#query",
    "https://api.stacspec.org/v1.0.0/ogcapi-features#sort",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
]

GEOJSON = "application/geo+json"
WEB_DIR = Path(__file__).resolve().parent / "web"


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


def _err(status: int, code: str, description: str):
    from fastapi.responses import JSONResponse

    return JSONResponse({"code": code, "description": description}, status_code=status)


def _json(obj: Any, media: str = "application/json", status: int = 200):
    from fastapi.responses import Response

    return Response(json.dumps(obj, separators=(",", ":"), allow_nan=False), media_type=media, status_code=status)


def create_app(config: ServiceConfig | None = None):
    """The FastAPI application serving the catalog at ``config.catalog_url``."""
    from lotusar.catalog.query import build_query
    from lotusar.catalog.store import open_catalog
    from lotusar.service import tasking

    cfg = config or ServiceConfig()
    catalog = open_catalog(cfg.catalog_url)
    keys = KeyStore.from_env_or_file(cfg.keys_file)
    roots = [Path(r).resolve() for r in (cfg.data_roots or os.environ.get("LOTUSAR_DATA_ROOTS", "").split(os.pathsep)) if r] or [Path.cwd().resolve()]

    app = FastAPI(
        title=cfg.title,
        version="1.0.0",
        description=("STAC API (core, collections, features, item-search with query/filter/sort) over the lotusar "
                     "catalog, plus tasking, passes/plans, XYZ tiles of COGs, asset downloads and the operator web map. "
                     "Writes need `Authorization: Bearer <API key>` (roles: requester, operator)."),
        openapi_tags=[{"name": "STAC"}, {"name": "Tasking"}, {"name": "Plans"}, {"name": "Tiles"}, {"name": "Web map"}],
        docs_url=None, redoc_url=None,  # FastAPI's Swagger/ReDoc pages load their scripts from a CDN
    )
    app.state.catalog = catalog
    app.state.config = cfg

    # --------------------------------------------------------------------------- errors
    @app.exception_handler(NotFoundError)
    async def _nf(request, exc):
        return _err(404, "NotFound", str(exc))

    @app.exception_handler(LotusarError)
    async def _le(request, exc):
        return _err(400, "BadRequest", str(exc).splitlines()[0] if str(exc) else "bad request")

    @app.exception_handler(RequestValidationError)
    async def _rv(request, exc):
        errs = exc.errors()
        first = errs[0] if errs else {}
        loc = ".".join(str(x) for x in first.get("loc", []))
        return _err(400, "BadRequest", f"{loc}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    async def _he(request, exc):
        code = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed", 413: "PayloadTooLarge"}.get(exc.status_code, "Error")
        r = _err(exc.status_code, code, str(exc.detail))
        if exc.status_code == 401:
            r.headers["WWW-Authenticate"] = "Bearer"
        return r

    @app.exception_handler(ValueError)
    async def _ve(request, exc):
        return _err(400, "BadRequest", str(exc).splitlines()[0] if str(exc) else "bad value")

    # ------------------------------------------------------------------------------- auth
    def principal(authorization: str | None = Header(None, description="Bearer API key"),
                  x_api_key: str | None = Header(None, description="API key (alternative to Authorization)")) -> Principal:
        from fastapi import HTTPException

        key = x_api_key
        if not key and authorization and authorization.lower().startswith("bearer "):
            key = authorization[7:].strip()
        p = keys.lookup(key)
        if p is None:
            raise HTTPException(401, "a valid API key is required for this operation")
        return p

    def operator(p: Principal = Depends(principal)) -> Principal:
        from fastapi import HTTPException

        if not p.has("operator"):
            raise HTTPException(403, f"role {p.role!r} may not do this; operator required")
        return p

    # ---------------------------------------------------------------------------- helpers
    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def item_out(it: dict, b: str) -> dict:
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
            u = urlparse(a.get("href", ""))
            if u.scheme in ("", "file"):
                a = {**a, "href": f"{b}/collections/{c}/items/{i}/assets/{k}"}
                if str(a.get("type", "")).startswith("image/tiff"):
                    a.setdefault("roles", [])
            assets[k] = a
        out["assets"] = assets
        return out

    def collection_out(col: dict, b: str) -> dict:
        cid = col["id"]
        out = dict(col)
        out["links"] = [
            {"rel": "self", "href": f"{b}/collections/{cid}", "type": "application/json"},
            {"rel": "parent", "href": f"{b}/", "type": "application/json"},
            {"rel": "root", "href": f"{b}/", "type": "application/json"},
            {"rel": "items", "href": f"{b}/collections/{cid}/items", "type": GEOJSON},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "href": f"{b}/collections/{cid}/queryables", "type": "application/schema+json"},
        ] + [lk for lk in col.get("links", []) if lk.get("rel") not in ("self", "parent", "root", "items")]
        out.setdefault("stac_version", STAC_VERSION)
        return out

    def feature_collection(page, b: str, next_link: dict | None, self_href: str) -> dict:
        links = [{"rel": "root", "href": f"{b}/", "type": "application/json"},
                 {"rel": "self", "href": self_href, "type": GEOJSON}]
        if next_link:
            links.append(next_link)
        return {"type": "FeatureCollection", "features": [item_out(i, b) for i in page.items],
                "links": links, "numberReturned": len(page.items)}

    def get_next_link(request: Request, token: str | None, path: str) -> dict | None:
        if not token:
            return None
        q = [(k, v) for k, v in request.query_params.multi_items() if k != "token"] + [("token", token)]
        return {"rel": "next", "href": f"{base(request)}{path}?{urlencode(q)}", "type": GEOJSON, "method": "GET"}

    def resolve_local(href: str) -> Path:
        u = urlparse(href)
        if u.scheme not in ("", "file"):
            raise NotFoundError("asset is not a local file")
        p = Path(u.path if u.scheme == "file" else href).resolve()
        if not any(p == r or r in p.parents for r in roots):
            from fastapi import HTTPException

            raise HTTPException(403, "asset file lies outside the served data roots")
        if not p.is_file():
            raise NotFoundError("asset file is missing on the server")
        return p

    # ---------------------------------------------------------------------------- STAC core
    @app.get("/", tags=["STAC"], summary="Landing page (STAC API core)")
    def landing(request: Request):
        b = base(request)
        links = [
            {"rel": "self", "href": f"{b}/", "type": "application/json"},
            {"rel": "root", "href": f"{b}/", "type": "application/json"},
            {"rel": "conformance", "href": f"{b}/conformance", "type": "application/json"},
            {"rel": "data", "href": f"{b}/collections", "type": "application/json"},
            {"rel": "search", "href": f"{b}/search", "type": GEOJSON, "method": "GET"},
            {"rel": "search", "href": f"{b}/search", "type": GEOJSON, "method": "POST"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "href": f"{b}/queryables", "type": "application/schema+json"},
            {"rel": "service-desc", "href": f"{b}/openapi.json", "type": "application/vnd.oai.openapi+json;version=3.0"},
            {"rel": "service-doc", "href": f"{b}/docs", "type": "text/html"},
            {"rel": "alternate", "href": f"{b}/map", "type": "text/html", "title": "operator web map"},
        ] + [{"rel": "child", "href": f"{b}/collections/{c['id']}", "type": "application/json", "title": c.get("title", c["id"])}
             for c in catalog._collection_rows()]
        return _json({"type": "Catalog", "id": "lotusar", "title": cfg.title, "stac_version": STAC_VERSION,
                      "description": "Catalog of lotusar SAR products: raw, Level-0, SLC, ARD, flood maps, detections, plans.",
                      "conformsTo": CONFORMANCE, "links": links})

    @app.get("/conformance", tags=["STAC"], summary="Conformance classes")
    def conformance():
        return _json({"conformsTo": CONFORMANCE})

    @app.get("/collections", tags=["STAC"], summary="All collections")
    def collections(request: Request):
        b = base(request)
        cols = [collection_out(c, b) for c in catalog.list_collections()]
        return _json({"collections": cols, "links": [{"rel": "self", "href": f"{b}/collections", "type": "application/json"},
                                                     {"rel": "root", "href": f"{b}/", "type": "application/json"}]})

    @app.get("/collections/{collection_id}", tags=["STAC"], summary="One collection")
    def collection(request: Request, collection_id: str = PathParam(..., max_length=200)):
        return _json(collection_out(catalog.get_collection(collection_id), base(request)))

    @app.get("/collections/{collection_id}/items", tags=["STAC"], summary="Items of a collection (OGC API Features)")
    def collection_items(request: Request, collection_id: str = PathParam(..., max_length=200),
                         bbox: str | None = Query(None, max_length=200), datetime: str | None = Query(None, max_length=100),
                         limit: int = Query(10, ge=1, le=10000), token: str | None = Query(None, max_length=2000),
                         filter: str | None = Query(None, max_length=20000), sortby: str | None = Query(None, max_length=500)):
        catalog.get_collection(collection_id)
        q = build_query({"bbox": bbox, "datetime": datetime, "limit": limit, "token": token, "filter": filter, "sortby": sortby,
                         "collections": [collection_id]})
        page = catalog.search(q)
        path = f"/collections/{collection_id}/items"
        return _json(feature_collection(page, base(request), get_next_link(request, page.next_token, path), str(request.url)), GEOJSON)

    @app.get("/collections/{collection_id}/items/{item_id}", tags=["STAC"], summary="One item")
    def item(request: Request, collection_id: str = PathParam(..., max_length=200), item_id: str = PathParam(..., max_length=200)):
        return _json(item_out(catalog.get_item(collection_id, item_id), base(request)), GEOJSON)

    @app.get("/search", tags=["STAC"], summary="Item search (GET)")
    def search_get(request: Request,
                   bbox: str | None = Query(None, max_length=200, description="W,S,E,N"),
                   intersects: str | None = Query(None, max_length=100000, description="GeoJSON geometry"),
                   datetime: str | None = Query(None, max_length=100, description="instant or A/B (.. for open)"),
                   ids: str | None = Query(None, max_length=20000), collections: str | None = Query(None, max_length=5000),
                   limit: int = Query(10, ge=1, le=10000), token: str | None = Query(None, max_length=2000),
                   sortby: str | None = Query(None, max_length=500, description="+field,-field"),
                   filter: str | None = Query(None, max_length=100000, description="CQL2-JSON"),
                   filter_lang: str | None = Query(None, alias="filter-lang", max_length=20),
                   query: str | None = Query(None, max_length=20000, description="STAC query extension JSON")):
        params = {"bbox": bbox, "intersects": intersects, "datetime": datetime, "ids": ids, "collections": collections,
                  "limit": limit, "token": token, "sortby": sortby, "filter": filter, "filter-lang": filter_lang, "query": query}
        q = build_query({k: v for k, v in params.items() if v is not None})
        page = catalog.search(q)
        return _json(feature_collection(page, base(request), get_next_link(request, page.next_token, "/search"), str(request.url)), GEOJSON)

    @app.post("/search", tags=["STAC"], summary="Item search (POST, JSON body)")
    def search_post(request: Request, body: dict[str, Any] = Body(..., examples=[{"bbox": [-10, 35, 5, 45], "datetime": "2025-01-01T00:00:00Z/..", "limit": 10}])):
        q = build_query(body)
        page = catalog.search(q)
        b = base(request)
        nxt = None
        if page.next_token:
            nxt = {"rel": "next", "href": f"{b}/search", "type": GEOJSON, "method": "POST",
                   "body": {**body, "token": page.next_token}, "merge": False}
        return _json(feature_collection(page, b, nxt, f"{b}/search"), GEOJSON)

    def queryables_doc(b: str, cid: str | None) -> dict:
        props = {
            "id": {"type": "string", "title": "Item id"},
            "collection": {"type": "string"},
            "geometry": {"$ref": "https://geojson.org/schema/Geometry.json"},
            "datetime": {"type": "string", "format": "date-time"},
            "platform": {"type": "string"},
            "sar:instrument_mode": {"type": "string"},
            "sar:frequency_band": {"type": "string"},
            "sar:product_type": {"type": "string"},
            "sat:orbit_state": {"type": "string", "enum": ["ascending", "descending"]},
            "sat:relative_orbit": {"type": "integer"},
            "view:incidence_angle": {"type": "number"},
            "lotusar:product_type": {"type": "string"},
        }
        return {"$schema": "https://json-schema.org/draft/2019-09/schema", "$id": f"{b}/" + (f"collections/{cid}/" if cid else "") + "queryables",
                "type": "object", "title": "Queryables", "properties": props, "additionalProperties": True}

    @app.get("/queryables", tags=["STAC"], summary="Queryable properties (filter extension)")
    def queryables(request: Request):
        return _json(queryables_doc(base(request), None), "application/schema+json")

    @app.get("/collections/{collection_id}/queryables", tags=["STAC"], summary="Queryables of a collection")
    def collection_queryables(request: Request, collection_id: str = PathParam(..., max_length=200)):
        catalog.get_collection(collection_id)
        return _json(queryables_doc(base(request), collection_id), "application/schema+json")

    # ------------------------------------------------------------------------ writes (operator)
    @app.post("/collections", tags=["STAC"], summary="Create or replace a collection (operator)", status_code=201)
    def post_collection(request: Request, body: dict[str, Any] = Body(...), who: Principal = Depends(operator)):
        changed = catalog.put_collection(body)
        return _json({"id": body.get("id"), "changed": changed}, status=201 if changed else 200)

    @app.post("/collections/{collection_id}/items", tags=["STAC"], summary="Ingest an item or a FeatureCollection of items (operator)", status_code=201)
    def post_items(request: Request, collection_id: str = PathParam(..., max_length=200), body: dict[str, Any] = Body(...),
                   who: Principal = Depends(operator)):
        items = body.get("features") if body.get("type") == "FeatureCollection" else [body]
        if not isinstance(items, list) or not items:
            raise ValidationError("body must be a STAC item or a FeatureCollection of items")
        for it in items:
            if not isinstance(it, dict):
                raise ValidationError("features must be STAC item objects")
            if it.get("collection", collection_id) != collection_id:
                raise ValidationError(f"item {it.get('id')!r} names collection {it.get('collection')!r}, posted to {collection_id!r}")
            it["collection"] = collection_id
            for k, a in (it.get("assets") or {}).items():
                if isinstance(a, dict) and isinstance(a.get("href"), str) and urlparse(a["href"]).scheme in ("", "file"):
                    resolve_local(a["href"])  # an operator may only publish files inside the data roots
        r = catalog.put_items(items)
        return _json(r.as_dict(), status=201 if r.inserted or r.updated else 200)

    @app.delete("/collections/{collection_id}/items/{item_id}", tags=["STAC"], summary="Delete an item (operator)")
    def delete_item(collection_id: str = PathParam(..., max_length=200), item_id: str = PathParam(..., max_length=200),
                    who: Principal = Depends(operator)):
        if not catalog.delete_item(collection_id, item_id):
            raise NotFoundError(f"item {item_id!r} not found in collection {collection_id!r}")
        return _json({"deleted": item_id})

    # ----------------------------------------------------------------------------- downloads
    @app.get("/collections/{collection_id}/items/{item_id}/assets/{asset_key}", tags=["STAC"], summary="Download an asset (HTTP range supported)")
    def download(collection_id: str = PathParam(..., max_length=200), item_id: str = PathParam(..., max_length=200),
                 asset_key: str = PathParam(..., max_length=200)):
        it = catalog.get_item(collection_id, item_id)
        a = it.get("assets", {}).get(asset_key)
        if a is None:
            raise NotFoundError(f"item {item_id!r} has no asset {asset_key!r}")
        u = urlparse(a["href"])
        if u.scheme in ("http", "https"):
            return RedirectResponse(a["href"], status_code=307)
        p = resolve_local(a["href"])
        return FileResponse(p, media_type=a.get("type") or "application/octet-stream", filename=p.name)

    # --------------------------------------------------------------------------------- tiles
    @app.get("/tiles/{item_id}/{asset_key}/{z}/{x}/{y}.png", tags=["Tiles"], summary="XYZ tile of a COG asset (rio-tiler)",
             responses={200: {"content": {"image/png": {}}}, 204: {"description": "tile outside the image"}})
    def tile(item_id: str = PathParam(..., max_length=200), asset_key: str = PathParam(..., max_length=200),
             z: int = PathParam(..., ge=0, le=24), x: int = PathParam(..., ge=0), y: int = PathParam(..., ge=0),
             collection: str | None = Query(None, max_length=200), band: int = Query(1, ge=1, le=64),
             rescale: str | None = Query(None, max_length=60, description="lo,hi"),
             transparent: str | None = Query(None, max_length=100, description="comma-separated values drawn transparent")):
        from lotusar.service.tiles import render_tile

        it = catalog.find_item(item_id, collection)
        a = it.get("assets", {}).get(asset_key)
        if a is None:
            raise NotFoundError(f"item {item_id!r} has no asset {asset_key!r}")
        if "tiff" not in str(a.get("type", "image/tiff")).lower():
            raise ValidationError(f"asset {asset_key!r} is not a GeoTIFF")
        rs = None
        if rescale:
            try:
                lo, hi = (float(v) for v in rescale.split(","))
            except ValueError:
                raise ValidationError("rescale must be lo,hi") from None
            if not (hi > lo) or not all(abs(v) < 1e300 for v in (lo, hi)):
                raise ValidationError("rescale needs lo < hi")
            rs = (lo, hi)
        if transparent is None:
            is_flood = ("flood" in it["collection"].lower() or "flood" in it["id"].lower()
                        or it["properties"].get("lotusar:product_type") == "flood")
            tr = (0,) if is_flood else ()  # dry land transparent over other layers
        else:
            try:
                tr = tuple(int(v) for v in transparent.split(",") if v.strip())
            except ValueError:
                raise ValidationError("transparent must be comma-separated integers") from None
        png = render_tile(resolve_local(a["href"]), z, x, y, band=band, rescale=rs, transparent=tr)
        if png is None:
            return Response(status_code=204, headers={"Cache-Control": "public, max-age=300"})
        return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=300"})

    @app.get("/tiles/{item_id}/{asset_key}/tilejson.json", tags=["Tiles"], summary="TileJSON of a COG asset")
    def tilejson(request: Request, item_id: str = PathParam(..., max_length=200), asset_key: str = PathParam(..., max_length=200),
                 collection: str | None = Query(None, max_length=200)):
        from lotusar.service.tiles import raster_info

        it = catalog.find_item(item_id, collection)
        a = it.get("assets", {}).get(asset_key)
        if a is None:
            raise NotFoundError(f"item {item_id!r} has no asset {asset_key!r}")
        p = resolve_local(a["href"])
        try:
            info = raster_info(str(p), p.stat().st_mtime_ns)
        except Exception as e:  # rasterio/rio-tiler errors for a non-raster file
            raise ValidationError(f"asset {asset_key!r} is not a readable raster ({type(e).__name__})") from None
        return _json({"tilejson": "2.2.0", "name": f"{item_id}/{asset_key}", "bounds": info["bounds"],
                      "minzoom": info["minzoom"], "maxzoom": max(info["maxzoom"], info["minzoom"]),
                      "tiles": [f"{base(request)}/tiles/{item_id}/{asset_key}/{{z}}/{{x}}/{{y}}.png?collection={it['collection']}"]})

    # ------------------------------------------------------------------------------- tasking
    @app.post("/tasking/requests", tags=["Tasking"], summary="Submit a tasking request (requester or operator)", status_code=201)
    def submit_task(body: dict[str, Any] = Body(..., examples=[{"aoi": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
                                                                 "start": "2025-06-01T00:00:00Z", "end": "2025-06-03T00:00:00Z", "priority": 3}]),
                    who: Principal = Depends(principal)):
        task = tasking.new_request(body, owner=who.name)
        task = tasking.plan(task)
        catalog.put_task(task)
        return _json(task, status=201)

    @app.get("/tasking/requests", tags=["Tasking"], summary="Tasking requests (own ones; all for operators)")
    def list_tasks(limit: int = Query(100, ge=1, le=1000), who: Principal = Depends(principal)):
        tasks = catalog.list_tasks(None if who.has("operator") else who.name, limit)
        return _json({"requests": tasks})

    @app.get("/tasking/requests/{request_id}", tags=["Tasking"], summary="Status and planned acquisitions of a request")
    def get_task(request_id: str = PathParam(..., max_length=100), who: Principal = Depends(principal)):
        t = catalog.get_task(request_id)
        if not who.has("operator") and t.get("owner") != who.name:
            raise NotFoundError(f"tasking request {request_id!r} not found")
        return _json(t)

    @app.patch("/tasking/requests/{request_id}", tags=["Tasking"], summary="Update status / planned acquisitions (operator)")
    def patch_task(request_id: str = PathParam(..., max_length=100), body: dict[str, Any] = Body(...), who: Principal = Depends(operator)):
        t = tasking.update(catalog.get_task(request_id), body, by=who.name)
        catalog.put_task(t)
        return _json(t)

    @app.delete("/tasking/requests/{request_id}", tags=["Tasking"], summary="Cancel a request (owner or operator)")
    def cancel_task(request_id: str = PathParam(..., max_length=100), who: Principal = Depends(principal)):
        t = catalog.get_task(request_id)
        if not who.has("operator") and t.get("owner") != who.name:
            raise NotFoundError(f"tasking request {request_id!r} not found")
        t = tasking.update(t, {"status": "cancelled"}, by=who.name)
        catalog.put_task(t)
        return _json(t)

    # ------------------------------------------------------------------------ passes and plans
    @app.get("/plans", tags=["Plans"], summary="Acquisition/downlink plans in the catalog")
    def plans(request: Request, limit: int = Query(100, ge=1, le=1000)):
        from lotusar.catalog.query import SearchQuery

        page = catalog.search(SearchQuery(collections=["lotusar-plan"], limit=limit))
        return _json(feature_collection(page, base(request), None, str(request.url)), GEOJSON)

    @app.get("/plans/{item_id}/features", tags=["Plans"], summary="Features of a plan (acquisitions, ground tracks, station masks, passes)")
    def plan_features(item_id: str = PathParam(..., max_length=200), kind: str | None = Query(None, max_length=40)):
        it = catalog.get_item("lotusar-plan", item_id)
        return _json(tasking.plan_layers([it], resolve_local, kind), GEOJSON)

    @app.get("/passes", tags=["Plans"], summary="Station passes: predicted for the fleet (lotusar.orbit) and planned (plan files)")
    def passes(start: str | None = Query(None, max_length=40, description="window start (RFC 3339); default now"),
               end: str | None = Query(None, max_length=40, description="window end; default start + 24 h; at most 7 days"),
               satellite: str | None = Query(None, max_length=100), station: str | None = Query(None, max_length=100),
               min_elevation_deg: float | None = Query(None, ge=-5, le=90)):
        from datetime import datetime as _dt, timedelta, timezone

        from lotusar.catalog.query import SearchQuery, _parse_instant

        t0 = _parse_instant(start) if start else _dt.now(timezone.utc).timestamp()
        t1 = _parse_instant(end) if end else t0 + 86400.0
        if t1 <= t0:
            raise ValidationError("passes window: end must be after start")
        if t1 - t0 > 7 * 86400:
            raise ValidationError("passes window longer than 7 days")
        iso = lambda t: _dt.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")  # noqa: E731
        predicted, source = [], "unavailable"
        try:
            from lotusar.fleet import load_fleet
            from lotusar.orbit.passes import find_passes
        except ImportError:
            find_passes = None
        if find_passes is not None:
            fleet = load_fleet(None)
            sats = [fleet.satellite(satellite)] if satellite else list(fleet.satellites)
            sts = [fleet.station(station)] if station else list(fleet.stations)
            predicted = [p.to_dict() for p in find_passes(sats, sts, iso(t0), iso(t1), min_elevation_deg=min_elevation_deg)]
            source = "lotusar.orbit.passes (default fleet)"
        its = catalog.search_all(SearchQuery(collections=["lotusar-plan"], datetime_range=(t0 - 86400.0, t1), limit=1000), 1000)
        planned = tasking.plan_layers(its, resolve_local, "pass")
        downlinks = tasking.plan_downlinks(its, resolve_local)
        return _json({"start": iso(t0), "end": iso(t1), "source": source, "passes": predicted, "planned": planned,
                      "planned_downlinks": downlinks})

    # -------------------------------------------------------------------------------- web map
    vendor = WEB_DIR / "node_modules" / "leaflet" / "dist"
    if vendor.is_dir():
        app.mount("/map/vendor/leaflet", StaticFiles(directory=vendor), name="leaflet")
    app.mount("/map/static", StaticFiles(directory=WEB_DIR / "static"), name="mapstatic")

    @app.get("/map", tags=["Web map"], summary="Operator web map (HTML)", response_class=HTMLResponse)
    def web_map():
        if not vendor.is_dir():
            return HTMLResponse("<!doctype html><title>lotusar map</title><p>Leaflet is not installed: run scripts/install-web-deps.sh</p>", status_code=503)
        return HTMLResponse((WEB_DIR / "static" / "index.html").read_text())

    @app.get("/map/layers.geojson", tags=["Web map"], summary="Map layers: ground tracks, station masks, planned acquisitions, passes")
    def map_layers(kind: str | None = Query(None, max_length=40), datetime: str | None = Query(None, max_length=100)):
        from lotusar.catalog.query import SearchQuery, parse_datetime

        its = catalog.search_all(SearchQuery(collections=["lotusar-plan"], datetime_range=parse_datetime(datetime), limit=1000), 1000)
        fc = tasking.plan_layers(its, resolve_local, kind)
        for t in catalog.list_tasks(None, 1000):
            for a in t.get("acquisitions", []):
                if isinstance(a, dict) and a.get("geometry"):
                    fc["features"].append({"type": "Feature", "geometry": a["geometry"],
                                           "properties": {**{k: v for k, v in a.items() if k != "geometry"}, "kind": "acquisition", "request": t["id"]}})
        return _json(fc, GEOJSON)

    @app.get("/map/fleet.geojson", tags=["Web map"], summary="Fleet ground tracks and station visibility masks (lotusar.orbit)")
    def fleet_geojson(start: str = Query(..., max_length=40), end: str = Query(..., max_length=40),
                      step_s: float = Query(30.0, ge=1.0, le=600.0)):
        from lotusar.catalog.query import _parse_instant
        from lotusar.service.fleetlayers import fleet_layers

        t0, t1 = _parse_instant(start), _parse_instant(end)
        if t1 <= t0:
            raise ValidationError("fleet layers: end must be after start")
        if t1 - t0 > 86400.0:
            raise ValidationError("fleet layers: window longer than one day")
        return _json(fleet_layers(start, end, step_s=step_s), GEOJSON)

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def api_docs():
        """The API reference as plain HTML rendered here from the OpenAPI document (no CDN)."""
        import html

        spec = app.openapi()
        rows = []
        for path, ops in spec["paths"].items():
            for method, op in ops.items():
                params = ", ".join(html.escape(p["name"]) for p in op.get("parameters", []) if p.get("in") == "query")
                rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code></td>"
                            f"<td>{html.escape(op.get('summary', ''))}</td><td>{params}</td></tr>")
        body = ("<!doctype html><meta charset='utf-8'><title>lotusar API</title>"
                "<style>body{font:14px system-ui;margin:2em}td{padding:3px 10px;border-bottom:1px solid #ddd}</style>"
                f"<h1>{html.escape(spec['info']['title'])} {html.escape(spec['info']['version'])}</h1>"
                f"<p>{html.escape(spec['info'].get('description', ''))}</p>"
                "<p>Machine-readable: <a href='/openapi.json'>/openapi.json</a> · web map: <a href='/map'>/map</a></p>"
                "<table><tr><th>method</th><th>path</th><th>summary</th><th>query parameters</th></tr>" + "".join(rows) + "</table>")
        return HTMLResponse(body)

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return _json({"ok": True, "items": catalog.count_items()})

    guarded = GuardMiddleware(app, max_body_bytes=cfg.max_body_bytes,
                              read_buckets=TokenBuckets(cfg.read_rate_per_s, cfg.read_burst),
                              write_buckets=TokenBuckets(cfg.write_rate_per_s, cfg.write_burst))
    guarded.state = app.state  # type: ignore[attr-defined]
    guarded.fastapi = app  # type: ignore[attr-defined]
    return guarded


def app_from_env():
    """ASGI app factory for uvicorn worker processes (config in ``$LOTUSAR_SERVICE_CONFIG``)."""
    from dataclasses import fields

    d = json.loads(os.environ.get("LOTUSAR_SERVICE_CONFIG", "{}"))
    return create_app(ServiceConfig(**{f.name: d[f.name] for f in fields(ServiceConfig) if f.name in d}))


def serve(host: str = "127.0.0.1", port: int = 8000, config: ServiceConfig | None = None, log_level: str = "warning",
          announce=None, workers: int = 1) -> None:
    """Run the API with uvicorn (blocking); ``announce(url)`` is called once the app is built.

    ``workers > 1`` runs that many server processes on the same socket (each with its own
    catalog connections; rate limits then apply per process).
    """
    from dataclasses import asdict

    import uvicorn

    cfg = config or ServiceConfig()
    app = create_app(cfg)  # fails here, with a one-line error, on a bad catalog/keys file
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
        import socket
        import threading

        import uvicorn

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
        import time

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
