"""STAC API 1.0 over the catalog: landing page, conformance, collections, items, item search
(GET and POST: bbox, intersects, datetime, ids, collections, query, CQL2-JSON filter, sortby,
limit capped at :data:`lotusar.catalog.query.MAX_LIMIT`, keyset ``token`` paging), queryables,
operator writes and asset downloads (only files inside the served data roots).
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlparse

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from lotusar.catalog.items import STAC_VERSION
from lotusar.catalog.query import build_query
from lotusar.catalog.store import Catalog
from lotusar.errors import NotFoundError, ValidationError
from lotusar.service.common import (
    GEOJSON,
    OPENAPI_MEDIA,
    base_url,
    feature_collection,
    get_catalog,
    get_next_link,
    item_out,
    json_response,
    operator,
)
from lotusar.service.security import Principal

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

QUERYABLES = {
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

router = APIRouter(tags=["STAC"])



def collection_out(col: dict, b: str) -> dict:
    cid = col["id"]
    out = dict(col)
    title = col.get("title", cid)
    out["links"] = [
        {"rel": "self", "href": f"{b}/collections/{cid}", "type": "application/json", "title": title},
        {"rel": "parent", "href": f"{b}/", "type": "application/json", "title": "lotusar catalog"},
        {"rel": "root", "href": f"{b}/", "type": "application/json", "title": "lotusar catalog"},
        {"rel": "items", "href": f"{b}/collections/{cid}/items", "type": GEOJSON, "title": f"items of {title}"},
        {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "href": f"{b}/collections/{cid}/queryables",
         "type": "application/schema+json", "title": "queryables"},
    ] + [lk for lk in col.get("links", []) if lk.get("rel") not in ("self", "parent", "root", "items")]
    out.setdefault("stac_version", STAC_VERSION)
    return out


def queryables_doc(b: str, cid: str | None) -> dict:
    return {"$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": f"{b}/" + (f"collections/{cid}/" if cid else "") + "queryables",
            "type": "object", "title": "Queryables", "properties": QUERYABLES, "additionalProperties": True}


@router.get("/", summary="Landing page (STAC API core)")
def landing(request: Request, catalog: Catalog = Depends(get_catalog)):
    b = base_url(request)
    links = [
        {"rel": "self", "href": f"{b}/", "type": "application/json"},
        {"rel": "root", "href": f"{b}/", "type": "application/json"},
        {"rel": "conformance", "href": f"{b}/conformance", "type": "application/json"},
        {"rel": "data", "href": f"{b}/collections", "type": "application/json"},
        {"rel": "search", "href": f"{b}/search", "type": GEOJSON, "method": "GET"},
        {"rel": "search", "href": f"{b}/search", "type": GEOJSON, "method": "POST"},
        {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "href": f"{b}/queryables",
         "type": "application/schema+json"},
        {"rel": "service-desc", "href": f"{b}/openapi.json", "type": OPENAPI_MEDIA},
        {"rel": "service-doc", "href": f"{b}/docs", "type": "text/html"},
        {"rel": "alternate", "href": f"{b}/map", "type": "text/html", "title": "operator web map"},
    ] + [{"rel": "child", "href": f"{b}/collections/{c['id']}", "type": "application/json", "title": c.get("title", c["id"])}
         for c in catalog.list_collections()]
    return json_response({"type": "Catalog", "id": "lotusar", "title": request.app.state.config.title,
                          "stac_version": STAC_VERSION,
                          "description": "Catalog of lotusar SAR products: raw, Level-0, SLC, ARD, flood maps, detections, plans.",
                          "conformsTo": CONFORMANCE, "links": links})


@router.get("/conformance", summary="Conformance classes")
def conformance():
    return json_response({"conformsTo": CONFORMANCE})


@router.get("/collections", summary="All collections")
def collections(request: Request, catalog: Catalog = Depends(get_catalog)):
    b = base_url(request)
    cols = [collection_out(c, b) for c in catalog.list_collections()]
    return json_response({"collections": cols, "links": [{"rel": "self", "href": f"{b}/collections", "type": "application/json"},
                                                         {"rel": "root", "href": f"{b}/", "type": "application/json"}]})


@router.get("/collections/{collection_id}", summary="One collection")
def collection(request: Request, collection_id: str = PathParam(..., max_length=200), catalog: Catalog = Depends(get_catalog)):
    return json_response(collection_out(catalog.get_collection(collection_id), base_url(request)))


@router.get("/collections/{collection_id}/items", summary="Items of a collection (OGC API Features)")
def collection_items(request: Request, collection_id: str = PathParam(..., max_length=200),
                     bbox: str | None = Query(None, max_length=200), datetime: str | None = Query(None, max_length=100),
                     limit: int = Query(10, ge=1, description="page size; larger values are capped"),
                     token: str | None = Query(None, max_length=2000),
                     filter: str | None = Query(None, max_length=20000), sortby: str | None = Query(None, max_length=500),
                     catalog: Catalog = Depends(get_catalog)):
    catalog.get_collection(collection_id)
    q = build_query({"bbox": bbox, "datetime": datetime, "limit": limit, "token": token, "filter": filter, "sortby": sortby,
                     "collections": [collection_id]})
    page = catalog.search(q)
    path = f"/collections/{collection_id}/items"
    return json_response(feature_collection(page.items, base_url(request), get_next_link(request, page.next_token, path),
                                            str(request.url)), GEOJSON)


@router.get("/collections/{collection_id}/items/{item_id}", summary="One item")
def item(request: Request, collection_id: str = PathParam(..., max_length=200), item_id: str = PathParam(..., max_length=200),
         catalog: Catalog = Depends(get_catalog)):
    return json_response(item_out(catalog.get_item(collection_id, item_id), base_url(request)), GEOJSON)


@router.get("/search", summary="Item search (GET)")
def search_get(request: Request,
               bbox: str | None = Query(None, max_length=200, description="W,S,E,N"),
               intersects: str | None = Query(None, max_length=100000, description="GeoJSON geometry"),
               datetime: str | None = Query(None, max_length=100, description="instant or A/B (.. for open)"),
               ids: str | None = Query(None, max_length=20000), collections: str | None = Query(None, max_length=5000),
               limit: int = Query(10, ge=1, description="page size; larger values are capped"),
               token: str | None = Query(None, max_length=2000),
               sortby: str | None = Query(None, max_length=500, description="+field,-field"),
               filter: str | None = Query(None, max_length=100000, description="CQL2-JSON"),
               filter_lang: str | None = Query(None, alias="filter-lang", max_length=20),
               query: str | None = Query(None, max_length=20000, description="STAC query extension JSON"),
               catalog: Catalog = Depends(get_catalog)):
    params = {"bbox": bbox, "intersects": intersects, "datetime": datetime, "ids": ids, "collections": collections,
              "limit": limit, "token": token, "sortby": sortby, "filter": filter, "filter-lang": filter_lang, "query": query}
    page = catalog.search(build_query({k: v for k, v in params.items() if v is not None}))
    return json_response(feature_collection(page.items, base_url(request), get_next_link(request, page.next_token, "/search"),
                                            str(request.url)), GEOJSON)


@router.post("/search", summary="Item search (POST, JSON body)")
def search_post(request: Request, body: dict[str, Any] = Body(..., examples=[{"bbox": [-10, 35, 5, 45],
                                                                                "datetime": "2025-01-01T00:00:00Z/..", "limit": 10}]),
                catalog: Catalog = Depends(get_catalog)):
    page = catalog.search(build_query(body, strict_types=True))
    b = base_url(request)
    nxt = None
    if page.next_token:
        nxt = {"rel": "next", "href": f"{b}/search", "type": GEOJSON, "method": "POST",
               "body": {**body, "token": page.next_token}, "merge": False}
    return json_response(feature_collection(page.items, b, nxt, f"{b}/search"), GEOJSON)


@router.get("/queryables", summary="Queryable properties (filter extension)")
def queryables(request: Request):
    return json_response(queryables_doc(base_url(request), None), "application/schema+json")


@router.get("/collections/{collection_id}/queryables", summary="Queryables of a collection")
def collection_queryables(request: Request, collection_id: str = PathParam(..., max_length=200), catalog: Catalog = Depends(get_catalog)):
    catalog.get_collection(collection_id)
    return json_response(queryables_doc(base_url(request), collection_id), "application/schema+json")


# ------------------------------------------------------------------------ writes (operator)
@router.post("/collections", summary="Create or replace a collection (operator)", status_code=201)
def post_collection(body: dict[str, Any] = Body(...), who: Principal = Depends(operator),
                    catalog: Catalog = Depends(get_catalog)):
    changed = catalog.put_collection(body)
    return json_response({"id": body.get("id"), "changed": changed}, status=201 if changed else 200)


@router.post("/collections/{collection_id}/items", summary="Ingest an item or a FeatureCollection of items (operator)",
             status_code=201)
def post_items(request: Request, collection_id: str = PathParam(..., max_length=200), body: dict[str, Any] = Body(...),
               who: Principal = Depends(operator), catalog: Catalog = Depends(get_catalog)):
    items = body.get("features") if body.get("type") == "FeatureCollection" else [body]
    if not isinstance(items, list) or not items:
        raise ValidationError("body must be a STAC item or a FeatureCollection of items")
    for it in items:
        if not isinstance(it, dict):
            raise ValidationError("features must be STAC item objects")
        if it.get("collection", collection_id) != collection_id:
            raise ValidationError(f"item {it.get('id')!r} names collection {it.get('collection')!r}, posted to {collection_id!r}")
        it["collection"] = collection_id
        for a in (it.get("assets") or {}).values():
            if isinstance(a, dict) and isinstance(a.get("href"), str) and urlparse(a["href"]).scheme in ("", "file"):
                request.app.state.resolve_local(a["href"])  # an operator may only publish files inside the data roots
    r = catalog.put_items(items)
    return json_response(r.as_dict(), status=201 if r.inserted or r.updated else 200)


@router.delete("/collections/{collection_id}/items/{item_id}", summary="Delete an item (operator)")
def delete_item(collection_id: str = PathParam(..., max_length=200), item_id: str = PathParam(..., max_length=200),
                who: Principal = Depends(operator),
                catalog: Catalog = Depends(get_catalog)):
    if not catalog.delete_item(collection_id, item_id):
        raise NotFoundError(f"item {item_id!r} not found in collection {collection_id!r}")
    return json_response({"deleted": item_id})


@router.get("/collections/{collection_id}/items/{item_id}/assets/{asset_key}", summary="Download an asset (HTTP range supported)")
def download(request: Request, collection_id: str = PathParam(..., max_length=200), item_id: str = PathParam(..., max_length=200),
             asset_key: str = PathParam(..., max_length=200),
             catalog: Catalog = Depends(get_catalog)):
    it = catalog.get_item(collection_id, item_id)
    a = it.get("assets", {}).get(asset_key)
    if a is None:
        raise NotFoundError(f"item {item_id!r} has no asset {asset_key!r}")
    if urlparse(a["href"]).scheme in ("http", "https"):
        return RedirectResponse(a["href"], status_code=307)
    p = request.app.state.resolve_local(a["href"])
    return FileResponse(p, media_type=a.get("type") or "application/octet-stream", filename=p.name)


# ------------------------------------------------------------------------------ service doc
@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def api_docs(request: Request):
    """The API reference as plain HTML rendered here from the OpenAPI document (no CDN)."""
    spec = request.app.openapi()
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


@router.get("/openapi.json", include_in_schema=False)
def openapi_document(request: Request):
    """The OpenAPI 3 document, with the media type the STAC API's ``service-desc`` names."""
    return json_response(request.app.openapi(), OPENAPI_MEDIA)


@router.get("/healthz", include_in_schema=False)
def healthz(catalog: Catalog = Depends(get_catalog)):
    return json_response({"ok": True, "items": catalog.count_items()})
