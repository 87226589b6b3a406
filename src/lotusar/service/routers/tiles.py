"""XYZ PNG tiles and TileJSON of the COG assets in the catalog (``lotusar.service.tiles``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from lotusar.catalog.store import Catalog
from lotusar.errors import NotFoundError, ValidationError
from lotusar.service.common import base_url, get_catalog, json_response
from lotusar.service.tiles import raster_info_checked, render_tile

router = APIRouter(tags=["Tiles"])

CACHE = {"Cache-Control": "public, max-age=300"}


def _rescale(rescale: str | None) -> tuple[float, float] | None:
    if not rescale:
        return None
    try:
        lo, hi = (float(v) for v in rescale.split(","))
    except ValueError:
        raise ValidationError("rescale must be lo,hi") from None
    if not (hi > lo) or not all(abs(v) < 1e300 for v in (lo, hi)):
        raise ValidationError("rescale needs lo < hi")
    return lo, hi


def _transparent(transparent: str | None, it: dict) -> tuple[int, ...]:
    if transparent is None:
        is_flood = ("flood" in it["collection"].lower() or "flood" in it["id"].lower()
                    or it["properties"].get("lotusar:product_type") == "flood")
        return (0,) if is_flood else ()  # dry land transparent over other layers
    try:
        return tuple(int(v) for v in transparent.split(",") if v.strip())
    except ValueError:
        raise ValidationError("transparent must be comma-separated integers") from None


def _asset(catalog: Catalog, item_id: str, asset_key: str, collection: str | None) -> tuple[dict, dict]:
    it = catalog.find_item(item_id, collection)
    a = it.get("assets", {}).get(asset_key)
    if a is None:
        raise NotFoundError(f"item {item_id!r} has no asset {asset_key!r}")
    return it, a


@router.get("/tiles/{item_id}/{asset_key}/{z}/{x}/{y}.png", summary="XYZ tile of a COG asset (rio-tiler)",
            responses={200: {"content": {"image/png": {}}}, 204: {"description": "tile outside the image"}})
def tile(request: Request, item_id: str = PathParam(..., max_length=200), asset_key: str = PathParam(..., max_length=200),
         z: int = PathParam(..., ge=0, le=24), x: int = PathParam(..., ge=0), y: int = PathParam(..., ge=0),
         collection: str | None = Query(None, max_length=200), band: int = Query(1, ge=1, le=64),
         rescale: str | None = Query(None, max_length=60, description="lo,hi"),
         transparent: str | None = Query(None, max_length=100, description="comma-separated values drawn transparent"),
         catalog: Catalog = Depends(get_catalog)):
    it, a = _asset(catalog, item_id, asset_key, collection)
    if "tiff" not in str(a.get("type", "image/tiff")).lower():
        raise ValidationError(f"asset {asset_key!r} is not a GeoTIFF")
    png = render_tile(request.app.state.resolve_local(a["href"]), z, x, y, band=band, rescale=_rescale(rescale),
                      transparent=_transparent(transparent, it))
    if png is None:
        return Response(status_code=204, headers=CACHE)
    return Response(png, media_type="image/png", headers=CACHE)


@router.get("/tiles/{item_id}/{asset_key}/tilejson.json", summary="TileJSON of a COG asset")
def tilejson(request: Request, item_id: str = PathParam(..., max_length=200), asset_key: str = PathParam(..., max_length=200),
             collection: str | None = Query(None, max_length=200),
             catalog: Catalog = Depends(get_catalog)):
    it, a = _asset(catalog, item_id, asset_key, collection)
    info = raster_info_checked(request.app.state.resolve_local(a["href"]))
    return json_response({"tilejson": "2.2.0", "name": f"{item_id}/{asset_key}", "bounds": info["bounds"],
                          "minzoom": info["minzoom"], "maxzoom": max(info["maxzoom"], info["minzoom"]),
                          "tiles": [f"{base_url(request)}/tiles/{item_id}/{asset_key}/{{z}}/{{x}}/{{y}}.png"
                                    f"?collection={it['collection']}"]})
