"""Acquisition/downlink plans in the catalog and station passes (predicted and planned)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam

from lotusar.catalog.query import SearchQuery
from lotusar.catalog.store import Catalog
from lotusar.errors import ValidationError
from lotusar.orbit.passes import find_passes
from lotusar.service import tasking
from lotusar.service.common import GEOJSON, base_url, feature_collection, get_catalog, json_response
from lotusar.timeutil import iso_utc, parse_utc

router = APIRouter(tags=["Plans"])

MAX_PASS_WINDOW = timedelta(days=7)


@router.get("/plans", summary="Acquisition/downlink plans in the catalog")
def plans(request: Request, limit: int = Query(100, ge=1, le=1000), catalog: Catalog = Depends(get_catalog)):
    page = catalog.search(SearchQuery(collections=["lotusar-plan"], limit=limit))
    return json_response(feature_collection(page.items, base_url(request), None, str(request.url)), GEOJSON)


@router.get("/plans/{item_id}/features", summary="Features of a plan (acquisitions, ground tracks, station masks, passes)")
def plan_features(request: Request, item_id: str = PathParam(..., max_length=200), kind: str | None = Query(None, max_length=40),
                  catalog: Catalog = Depends(get_catalog)):
    it = catalog.get_item("lotusar-plan", item_id)
    return json_response(tasking.plan_layers([it], request.app.state.resolve_local, kind), GEOJSON)


@router.get("/passes", summary="Station passes: predicted for the fleet (lotusar.orbit) and planned (plan files)")
def passes(request: Request,
           start: str | None = Query(None, max_length=40, description="window start (RFC 3339); default now"),
           end: str | None = Query(None, max_length=40, description="window end; default start + 24 h; at most 7 days"),
           satellite: str | None = Query(None, max_length=100), station: str | None = Query(None, max_length=100),
           min_elevation_deg: float | None = Query(None, ge=-5, le=90), catalog: Catalog = Depends(get_catalog)):
    t0 = parse_utc(start, "start") if start else datetime.now(UTC)
    t1 = parse_utc(end, "end") if end else t0 + timedelta(days=1)
    if t1 <= t0:
        raise ValidationError("passes window: end must be after start")
    if t1 - t0 > MAX_PASS_WINDOW:
        raise ValidationError("passes window longer than 7 days")
    fleet = request.app.state.fleet
    sats = [fleet.satellite(satellite)] if satellite else list(fleet.satellites)
    sts = [fleet.station(station)] if station else list(fleet.stations)
    predicted = [p.to_dict() for p in find_passes(sats, sts, iso_utc(t0, 0), iso_utc(t1, 0), min_elevation_deg=min_elevation_deg)]
    its = catalog.search_all(SearchQuery(collections=["lotusar-plan"], datetime_range=(t0.timestamp() - 86400.0, t1.timestamp()),
                                         limit=1000), 1000)
    resolve = request.app.state.resolve_local
    return json_response({"start": iso_utc(t0, 0), "end": iso_utc(t1, 0), "source": "lotusar.orbit.passes",
                          "passes": predicted, "planned": tasking.plan_layers(its, resolve, "pass"),
                          "planned_downlinks": tasking.plan_downlinks(its, resolve)})
