"""The operator web map and its map-only endpoints.

- ``GET /map``: the page (``service/web/static/index.html``); 503 with a one-line hint when the
  front-end packages are not installed (``scripts/install-web-deps.sh``).
- ``GET /map/static/{file}``, ``GET /map/vendor/leaflet/{file}``: the page's script and style
  and Leaflet, from this server (no CDN).
- ``GET /map/basemap/{layer}.geojson``: ``land``, ``countries`` (Natural Earth 1:50m) and
  ``provinces`` (Vietnam, Natural Earth 1:10m admin-1), gzip-encoded when the client accepts it.
- ``GET /map/layers.geojson``: plan features (ground tracks, station masks, passes, planned
  acquisitions) and the acquisitions of tasking requests.
- ``GET /map/fleet.geojson``: the fleet's ground tracks and station masks (``lotusar.orbit``).
- ``GET /map/flood-stats/{item_id}``: flooded area per province (else country) of a flood map.
- ``GET /map/modes``: the fleet's SAR modes (name, swath, resolution, incidence range).
- ``POST /map/feasibility``: the imaging opportunities of a drawn request (the planner's
  request fields) per satellite pass, before it is submitted to ``POST /tasking/requests``.

The app provides ``app.state.catalog``, ``app.state.resolve_local`` (asset href → a file inside
the served data roots) and ``app.state.fleet`` (the fleet the tasking plans on).
"""

from __future__ import annotations

import gzip
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Body, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response

from lotusar.catalog.query import SearchQuery, parse_datetime
from lotusar.errors import NotFoundError, ValidationError
from lotusar.planning.tasking.candidates import request_candidates, sar_satellites
from lotusar.planning.tasking.plan import expand_requests
from lotusar.planning.tasking.requests import request_from_dict
from lotusar.service import tasking
from lotusar.service.common import GEOJSON, json_response
from lotusar.service.fleetlayers import fleet_layers
from lotusar.service.web import basemap
from lotusar.service.web.floodstats import flood_statistics_cached
from lotusar.timeutil import iso_utc, parse_window

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
STATIC_DIR = WEB_DIR / "static"
LEAFLET_DIR = WEB_DIR / "node_modules" / "leaflet" / "dist"
MEDIA = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".png": "image/png", ".svg": "image/svg+xml", ".json": "application/json", ".map": "application/json"}
FEASIBILITY_MAX_DAYS = 7.0
OPPORTUNITIES_MAX = 200

router = APIRouter(tags=["Web map"])


def _file_in(folder: Path, name: str) -> FileResponse:
    """A file of ``folder`` named by the request; never one outside it."""
    p = (folder / name).resolve()
    if folder.resolve() not in p.parents or not p.is_file():
        raise NotFoundError(f"no file {name!r} here")
    return FileResponse(p, media_type=MEDIA.get(p.suffix.lower(), "application/octet-stream"),
                        headers={"Cache-Control": "public, max-age=300"})


@router.get("/map", summary="Operator web map (HTML)", response_class=HTMLResponse)
def web_map():
    if not (LEAFLET_DIR / "leaflet.js").is_file() or not basemap.available():
        return HTMLResponse("<!doctype html><title>lotusar map</title><p>The web map's packages are not installed: "
                            "run scripts/install-web-deps.sh</p>", status_code=503)
    return HTMLResponse((STATIC_DIR / "index.html").read_text(encoding="utf-8"))


@router.get("/map/static/{name:path}", include_in_schema=False)
def static_file(name: str = PathParam(..., max_length=200)):
    return _file_in(STATIC_DIR, name)


@router.get("/map/vendor/leaflet/{name:path}", include_in_schema=False)
def leaflet_file(name: str = PathParam(..., max_length=200)):
    return _file_in(LEAFLET_DIR, name)


@router.get("/map/basemap/{layer}.geojson", summary="Basemap layer: land (coastlines), countries, provinces (Natural Earth)",
            responses={200: {"content": {GEOJSON: {}}}})
def basemap_layer(request: Request, layer: str = PathParam(..., max_length=40)):
    body = basemap.layer_gzip(layer)
    headers = {"Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(body, media_type=GEOJSON, headers={**headers, "Content-Encoding": "gzip"})
    return Response(gzip.decompress(body), media_type=GEOJSON, headers=headers)


def _task_acquisitions(tasks: list[dict]) -> list[dict]:
    feats = []
    for t in tasks:
        for a in t.get("acquisitions") or []:
            geom = a.get("footprint") or a.get("geometry") if isinstance(a, dict) else None
            if geom:
                props = {k: v for k, v in a.items() if k not in ("footprint", "geometry")}
                feats.append({"type": "Feature", "geometry": geom,
                              "properties": {**props, "kind": "acquisition", "request": t.get("id"), "status": t.get("status")}})
    return feats


@router.get("/map/layers.geojson", summary="Map layers: ground tracks, station masks, planned acquisitions, passes")
def map_layers(request: Request, kind: str | None = Query(None, max_length=40), datetime: str | None = Query(None, max_length=100)):
    catalog = request.app.state.catalog
    its = catalog.search_all(SearchQuery(collections=["lotusar-plan"], datetime_range=parse_datetime(datetime), limit=1000), 1000)
    fc = tasking.plan_layers(its, request.app.state.resolve_local, kind)
    if kind in (None, "acquisition"):
        fc["features"] += _task_acquisitions(catalog.list_tasks(None, 1000))
    return json_response(fc, GEOJSON)


@router.get("/map/fleet.geojson", summary="Fleet ground tracks and station visibility masks (lotusar.orbit)")
def fleet_geojson(start: str = Query(..., max_length=40), end: str = Query(..., max_length=40),
                  step_s: float = Query(30.0, ge=1.0, le=600.0)):
    t0, t1 = parse_window(start, end)
    if t1 - t0 > timedelta(days=1):
        raise ValidationError("fleet layers: window longer than one day")
    return json_response(fleet_layers(t0, t1, step_s=step_s), GEOJSON)


@router.get("/map/flood-stats/{item_id}", summary="Flooded area per province (else country) of a flood map")
def flood_stats(request: Request, item_id: str = PathParam(..., max_length=200),
                collection: str | None = Query(None, max_length=200), asset: str | None = Query(None, max_length=100)):
    it = request.app.state.catalog.find_item(item_id, collection)
    assets = it.get("assets", {})
    tiffs = [k for k, a in assets.items() if "tiff" in str(a.get("type", "")).lower()]
    key = asset or next((k for k in ("classes", "data", "flood") if k in tiffs), tiffs[0] if tiffs else None)
    if key is None or key not in assets:
        raise NotFoundError(f"item {item_id!r} has no GeoTIFF asset {asset or ''!r}".replace(" ''", ""))
    p = request.app.state.resolve_local(assets[key]["href"])
    stats = flood_statistics_cached(str(p), p.stat().st_mtime_ns)
    return json_response({"item": item_id, "collection": it["collection"], "asset": key,
                  "datetime": it["properties"].get("datetime") or it["properties"].get("start_datetime"), **stats})


@router.get("/map/modes", summary="The fleet's SAR imaging modes (for the tasking form)")
def modes(request: Request):
    out: dict[str, dict] = {}
    for sat in sar_satellites(request.app.state.fleet):
        for name in sat.sar_mode_names():
            m = sat.sar_mode(name)
            d = out.setdefault(name, {"name": name, "swath_km": m.swath_km, "resolution_m": m.resolution_m,
                                      "incidence_min_deg": m.incidence_min_deg, "incidence_max_deg": m.incidence_max_deg,
                                      "look_sides": list(m.look_sides), "satellites": []})
            d["satellites"].append(sat.name)
    return json_response({"modes": list(out.values())})


def _opportunities(cands) -> list[dict]:
    """Candidates of all strips merged into one entry per satellite pass (time-sorted)."""
    passes: dict[tuple, dict] = {}
    for c, epoch in cands:
        key = (c.satellite, c.direction, c.look_side, round(c.start_s / 600.0))
        start, end = epoch + timedelta(seconds=c.start_s), epoch + timedelta(seconds=c.end_s)
        p = passes.get(key)
        if p is None:
            passes[key] = {"satellite": c.satellite, "start": start, "end": end, "mode": c.mode, "look_side": c.look_side,
                           "direction": c.direction, "incidence_min_deg": c.incidence_deg, "incidence_max_deg": c.incidence_deg,
                           "off_nadir_deg": c.off_nadir_deg, "candidates": 1}
        else:
            p["start"], p["end"] = min(p["start"], start), max(p["end"], end)
            p["incidence_min_deg"] = min(p["incidence_min_deg"], c.incidence_deg)
            p["incidence_max_deg"] = max(p["incidence_max_deg"], c.incidence_deg)
            p["candidates"] += 1
    out = sorted(passes.values(), key=lambda p: p["start"])[:OPPORTUNITIES_MAX]
    for p in out:
        p["start"], p["end"] = iso_utc(p["start"]), iso_utc(p["end"])
        for k in ("incidence_min_deg", "incidence_max_deg", "off_nadir_deg"):
            p[k] = round(float(p[k]), 3)
    return out


@router.post("/map/feasibility", summary="Imaging opportunities of a request (the planner's fields) before submission")
def feasibility(request: Request, body: dict[str, Any] = Body(..., examples=[{
        "aoi": {"type": "Polygon", "coordinates": [[[106.6, 10.7], [106.9, 10.7], [106.9, 11.0], [106.6, 11.0], [106.6, 10.7]]]},
        "earliest_start": "2025-06-01T00:00:00Z", "deadline": "2025-06-03T00:00:00Z"}])):
    req = request_from_dict({"id": "feasibility", **{k: v for k, v in body.items() if k != "id"}})
    if (req.deadline - req.earliest_start).total_seconds() > FEASIBILITY_MAX_DAYS * 86400:
        raise ValidationError(f"feasibility window longer than {FEASIBILITY_MAX_DAYS:g} days")
    fleet = request.app.state.fleet
    subs = expand_requests([req], fleet)
    rcs = request_candidates(subs, fleet, req.earliest_start, req.deadline)
    cands = [(c, req.earliest_start) for rc in rcs for c in rc.candidates]
    reasons = sorted({rc.reason for rc in rcs if rc.reason})
    opps = _opportunities(cands)
    return json_response({"feasible": bool(opps), "strips": len(subs), "opportunities": opps,
                  "reason": None if opps else ("; ".join(reasons) or "no opportunity in the window")})
