"""File I/O of the orbit stage (kept apart from the computation modules).

* AOI GeoJSON reading with validation (shapely): Polygon / MultiPolygon, a Feature or a
  FeatureCollection of them; lon/lat WGS84 (RFC 7946).
* Antenna-track writers: CSV (header ``time,azimuth_deg,elevation_deg,range_m,
  range_rate_m_s[,doppler_hz,doppler_rate_hz_s]``, ISO 8601 UTC times, one row per sample)
  and JSON (list of the same objects) — what a tracking controller reads.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.ops import unary_union
from shapely.validation import explain_validity

from lotusar.cliutil import to_json
from lotusar.errors import InputFormatError, ValidationError
from lotusar.fileio import read_json, write_text_atomic
from lotusar.orbit.doppler import records


def aoi_from_geojson(obj, source: str = "<geojson>"):
    """A validated shapely (Multi)Polygon from a GeoJSON mapping."""
    if not isinstance(obj, dict) or "type" not in obj:
        raise InputFormatError(f"{source}: field 'type': not a GeoJSON object")
    t = obj["type"]
    if t == "FeatureCollection":
        geoms = [f.get("geometry") for f in obj.get("features", [])]
    elif t == "Feature":
        geoms = [obj.get("geometry")]
    else:
        geoms = [obj]
    if not geoms or any(g is None for g in geoms):
        raise ValidationError(f"{source}: field 'geometry': missing")
    polys = []
    for i, g in enumerate(geoms):
        if g.get("type") not in ("Polygon", "MultiPolygon"):
            raise ValidationError(f"{source}: feature {i}: field 'geometry.type' is {g.get('type')!r}, expected Polygon or MultiPolygon")
        try:
            geom = shape(g)
        except (ValueError, TypeError, IndexError, KeyError, ShapelyError) as e:  # malformed coordinates
            raise InputFormatError(f"{source}: feature {i}: field 'coordinates': {e}") from None
        if not geom.is_valid:
            raise ValidationError(f"{source}: feature {i}: invalid polygon ({explain_validity(geom)})")
        if geom.is_empty or geom.area <= 0:
            raise ValidationError(f"{source}: feature {i}: polygon is empty or has zero area")
        minx, miny, maxx, maxy = geom.bounds
        if miny < -90 or maxy > 90 or minx < -180 or maxx > 180:
            raise ValidationError(f"{source}: feature {i}: coordinates outside lon [-180, 180] / lat [-90, 90]")
        polys.append(geom)
    geom = polys[0] if len(polys) == 1 else unary_union(polys)
    return geom


def read_aoi(path: str | Path):
    """Read an AOI GeoJSON file → validated shapely (Multi)Polygon."""
    p = Path(path)
    return aoi_from_geojson(read_json(p), str(p))


def write_track_csv(path, series: dict) -> Path:
    """Write an antenna track as CSV (atomic)."""
    rows = records(series)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(series), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (v if k == "time" else f"{v:.6f}") for k, v in r.items()})
    return write_text_atomic(path, buf.getvalue())


def write_track_json(path, series: dict) -> Path:
    """Write an antenna track as a JSON list of samples (atomic)."""
    return write_text_atomic(path, to_json(records(series)) + "\n")
