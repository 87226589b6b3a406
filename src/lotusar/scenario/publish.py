"""Stage 6 of the scenario: every product into the STAC catalog, and the web-map layers.

The catalog is the embedded SQLite one at ``<out>/catalog.sqlite`` (``lotusar.catalog``);
each product gets a STAC item with checksums (``make_item``). The web map (``lotusar serve``,
``/map``) draws the flood map as tiles, product footprints, and the scenario's plan layer — a
GeoJSON FeatureCollection with the imaging pass's ground track, the acquisition footprint, the
downlink pass track and the downlink station's visibility mask.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

from lotusar.catalog.ingest import ingest_path
from lotusar.catalog.items import make_item
from lotusar.catalog.store import open_catalog
from lotusar.fileio import write_text_atomic
from lotusar.fleet import Fleet, FleetSatellite, GroundStation, load_fleet
from lotusar.orbit.passes import visibility_circle
from lotusar.orbit.propagate import geodetic_track, time_grid
from lotusar.timeutil import iso_utc, parse_utc


def _track_feature(sat: FleetSatellite, start: datetime, end: datetime, kind: str, props: dict) -> dict:
    t = time_grid(start, end, 10.0)
    lat, lon, _ = geodetic_track(sat.orbit(), t)
    coords = [[round(float(a), 5), round(float(b), 5)] for a, b in zip(lon, lat)]
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
            "properties": {"kind": kind, **props, "start": iso_utc(start), "end": iso_utc(end)}}


def _station_mask(station: GroundStation, sat_altitude_m: float = 505e3, n: int = 72) -> dict:
    """Visibility circle of a station at its elevation mask for a satellite at ``sat_altitude_m``."""
    lon, lat = visibility_circle(station.lat_deg, station.lon_deg, sat_altitude_m / 1000.0, station.min_elevation_deg, n + 1)
    coords = [[round(float(a), 4), round(float(b), 4)] for a, b in zip(lon, lat)]
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [coords]},
            "properties": {"kind": "station_mask", "station": station.name, "min_elevation_deg": station.min_elevation_deg}}


def map_layers(fleet: Fleet, plan: dict, footprint: dict | None) -> dict:
    """The scenario's plan layer: imaging-pass ground track, downlink pass, station mask, footprint."""
    acq, dl = plan["acquisition"], plan["downlink"]
    sat = fleet.satellite(acq["satellite"])
    a0, a1 = parse_utc(acq["start"]), parse_utc(acq["end"])
    d0, d1 = parse_utc(dl["start"]), parse_utc(dl["end"])
    feats = [
        _track_feature(sat, a0 - timedelta(minutes=4), a1 + timedelta(minutes=4), "ground_track",
                       {"satellite": sat.name, "role": "imaging pass"}),
        _track_feature(sat, d0, d1, "pass", {"satellite": sat.name, "station": dl["station"], "role": "downlink pass"}),
        _station_mask(fleet.station(dl["station"])),
    ]
    if footprint is not None:
        feats.append({"type": "Feature", "geometry": footprint,
                      "properties": {"kind": "acquisition", "satellite": sat.name, "request_id": acq["request_id"],
                                     "start": acq["start"], "end": acq["end"], "look_side": acq["look_side"]}})
    return {"type": "FeatureCollection", "features": feats,
            "properties": {"title": "typhoon scenario: imaging pass, acquisition, downlink", "start": iso_utc(a0 - timedelta(minutes=4)),
                           "end": iso_utc(d1)}}


def publish(res, plan: dict) -> None:
    """Stage 6: STAC items of every product into ``<out>/catalog.sqlite``, and the map layers."""
    out = res.out_dir
    fleet = load_fleet()
    fp = res.summary.get("footprint")
    acq = plan["acquisition"]
    layers = write_text_atomic(out / "map_layers.geojson", json.dumps(map_layers(fleet, plan, fp)))
    res.ledger.add("map_layers", layers, "scenario.publish", inputs=["plan"])
    sat = fleet.satellite(acq["satellite"])
    mode = sat.sar_mode(acq["mode"])
    common = dict(start_datetime=acq["start"], end_datetime=acq["end"], look_direction=acq["look_side"],
                  incidence_angle_deg=float(acq.get("incidence_deg") or 0.0) or None,
                  orbit_state=acq.get("direction"), center_frequency_ghz=mode.carrier_hz / 1e9,
                  platform=sat.name.lower(), instrument_mode=mode.abbreviation or acq["mode"])
    items = []
    prods = res.products
    if fp is not None:
        items.append(make_item(prods["raw"], "raw", item_id="typhoon-raw", geometry=fp, **common))
        items.append(make_item(Path(prods["level0"]) / "report.json", "level0", item_id="typhoon-level0", geometry=fp, **common))
        items.append(make_item(prods["slc"], "slc", item_id="typhoon-slc", geometry=fp, **common))
    if "ard" in prods:
        items.append(make_item(prods["ard"], "ard", item_id="typhoon-ard", **common))
    if "flood" in prods:
        extra = {k: prods[k] for k in ("flood_png", "flood_geojson") if k in prods}
        items.append(make_item(prods["flood"], "flood", item_id="typhoon-flood", extra_assets=extra, **common))
    items.append(make_item(layers, "plan", item_id="typhoon-map-layers", datetime_utc=acq["start"]))
    items.append(make_item(prods["plan"], "plan", item_id="typhoon-plan", geometry=fp, datetime_utc=acq["start"]) if fp is not None
                 else make_item(prods["plan"], "plan", item_id="typhoon-plan", datetime_utc=acq["start"]))
    stac_dir = out / "stac"
    stac_dir.mkdir(exist_ok=True)
    dicts = []
    for it in items:
        d = it.to_dict() if hasattr(it, "to_dict") else dict(it)
        write_text_atomic(stac_dir / f"{d['id']}.json", json.dumps(d, indent=2))
        dicts.append(d)
    cat_path = out / "catalog.sqlite"
    cat = open_catalog(str(cat_path))
    try:
        ingest_path(cat, stac_dir)
        n = cat.count_items()
    finally:
        cat.close()
    res.products["catalog"] = str(cat_path)
    res.products["stac_items"] = str(stac_dir)
    res.summary["catalog"] = {"path": str(cat_path), "items": [d["id"] for d in dicts], "count": int(n)}
    exe = Path(sys.executable).parent / "lotusar"  # the venv's command, so it works without activating .venv
    cmd = os.path.relpath(exe) if exe.exists() else "lotusar"
    res.summary["serve_command"] = f"{cmd} serve --catalog {cat_path} --data-root {out} --port 8000"
    res.summary["map_url"] = "http://127.0.0.1:8000/map"
