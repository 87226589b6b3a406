"""STAC Items and Collections for every product lotusar writes.

One helper, :func:`make_item`, builds a STAC 1.0 Item (pystac) for a product file of any type
lotusar writes (``raw``, ``level0``, ``slc``, ``ard``, ``flood``, ``detections``, ``plan``),
with the SAR, sat, view, projection and file extensions and a ``file:checksum`` on every local
asset (a multihash: ``1220`` + SHA2-256 hex digest, as the file extension specifies).

Where the file carries its own geolocation (a GeoTIFF's CRS and transform, a GeoJSON
FeatureCollection's geometries) the footprint, bbox and projection fields are read from it;
otherwise (raw echo files, Level-0 packet files, HDF5 SLCs) the caller passes ``geometry`` and
``datetime`` — they come from the orbit/geometry stages that wrote the product.

:func:`validate_item` is the single gate every ingest passes: a rejected item raises
:class:`lotusar.errors.ValidationError` with a one-line message naming the item and field.

References: STAC spec 1.0.0 (item-spec, collection-spec); STAC extensions sar v1.0.0, sat
v1.0.0, view v1.0.0, projection v1.1.0, file v2.1.0; multihash (multiformats).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pystac
import rasterio
from rasterio.warp import transform
from shapely.errors import GEOSException, ShapelyError
from shapely.geometry import mapping, shape
from shapely.ops import unary_union
from shapely.validation import explain_validity

from lotusar.constants import SPEED_OF_LIGHT_M_S
from lotusar.errors import InputFormatError, ValidationError
from lotusar.geodesy import ecef_to_geodetic
from lotusar.sar.model import Orbit, zero_doppler_ground_points
from lotusar.timeutil import iso_utc, parse_datetime64, parse_utc

#: The one STAC version of everything lotusar writes and serves (items, collections, the API's
#: landing page): the version pystac writes.
STAC_VERSION = "1.1.0"
if pystac.get_stac_version() != STAC_VERSION:  # a pystac upgrade must be a decision, not a drift
    raise ImportError(f"pystac writes STAC {pystac.get_stac_version()}, lotusar declares {STAC_VERSION}")

_GEOJSON_ERRORS = (ShapelyError, GEOSException, ValueError, TypeError, KeyError, IndexError, AttributeError)

EXT_SAR = "https://stac-extensions.github.io/sar/v1.0.0/schema.json"
EXT_SAT = "https://stac-extensions.github.io/sat/v1.0.0/schema.json"
EXT_VIEW = "https://stac-extensions.github.io/view/v1.0.0/schema.json"
EXT_PROJ = "https://stac-extensions.github.io/projection/v1.1.0/schema.json"
EXT_FILE = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
EXT_RASTER = "https://stac-extensions.github.io/raster/v1.1.0/schema.json"

#: product type → (collection title, description, default media type of the main asset, role)
PRODUCT_TYPES: dict[str, tuple[str, str, str, str]] = {
    "raw": ("Raw SAR echoes",
            "Unfocused SAR echo data (range lines of complex samples) as simulated or decoded.",
            "application/octet-stream", "data"),
    "level0": ("Level-0 packets",
            "Time-ordered, de-duplicated CCSDS space packets of a downlink (Level-0).",
            "application/octet-stream", "data"),
    "slc": ("Single-look complex",
            "Focused single-look complex SAR images in slant-range/azimuth geometry.",
            "application/x-hdf5", "data"),
    "ard": ("Analysis-ready backscatter",
            "Terrain-corrected, radiometrically calibrated gamma0 backscatter (CEOS ARD NRB) on a map grid, as "
            "Cloud-Optimized GeoTIFF.",
            "image/tiff; application=geotiff; profile=cloud-optimized", "data"),
    "flood": ("Flood maps",
            "Binary flood/water masks derived from SAR backscatter, as Cloud-Optimized GeoTIFF.",
            "image/tiff; application=geotiff; profile=cloud-optimized", "data"),
    "detections": ("Ship detections",
            "Vessel detections from SAR images (GeoJSON points/boxes with scores), optionally matched to AIS.",
            "application/geo+json", "data"),
    "plan": ("Acquisition plans",
            "Acquisition and downlink plans: planned acquisitions, ground tracks and station visibility masks "
            "(GeoJSON).",
            "application/geo+json", "metadata"),
}

_MEDIA_BY_SUFFIX = {
    ".tif": "image/tiff; application=geotiff",
    ".tiff": "image/tiff; application=geotiff",
    ".h5": "application/x-hdf5",
    ".hdf5": "application/x-hdf5",
    ".nc": "application/netcdf",
    ".json": "application/json",
    ".geojson": "application/geo+json",
    ".png": "image/png",
    ".bin": "application/octet-stream",
    ".raw": "application/octet-stream",
    ".dat": "application/octet-stream",
    ".xml": "application/xml",
}

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,199}$")


# ----------------------------------------------------------------------------------- checksums
def multihash_sha256(path: str | os.PathLike, chunk_bytes: int = 1 << 20) -> str:
    """``file:checksum`` of a file: multihash hex of SHA2-256 (code 0x12, length 0x20)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk_bytes)
            if not b:
                break
            h.update(b)
    return "1220" + h.hexdigest()


def verify_checksum(path: str | os.PathLike, checksum: str) -> bool:
    """True when ``path`` hashes to the multihash ``checksum`` (SHA2-256 / SHA2-512 / SHA1)."""
    algos = {"12": ("sha256", 32), "13": ("sha512", 64), "11": ("sha1", 20)}
    code, length = checksum[:2], checksum[2:4]
    if code not in algos:
        raise ValidationError(f"unsupported multihash code 0x{code} in file:checksum {checksum[:12]}...")
    name, n = algos[code]
    if int(length, 16) != n:
        raise ValidationError(f"bad multihash length in file:checksum {checksum[:12]}...")
    h = hashlib.new(name)
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return checksum[4:].lower() == h.hexdigest()


# ------------------------------------------------------------------------------- geometry helpers
def bbox_of_geometry(geometry: Mapping[str, Any]) -> list[float]:
    """[W, S, E, N] of a GeoJSON geometry."""
    try:
        g = shape(geometry)
    except _GEOJSON_ERRORS as e:  # shapely raises many types for malformed GeoJSON
        raise ValidationError(f"geometry is not valid GeoJSON: {e}") from None
    if g.is_empty:
        raise ValidationError("geometry is empty")
    return [float(v) for v in g.bounds]


def _geotiff_info(path: Path) -> dict[str, Any]:
    """Footprint (WGS84), projection fields and band info of a GeoTIFF (rasterio)."""
    try:
        with rasterio.open(path) as ds:
            if ds.crs is None:
                raise InputFormatError(f"{path}: GeoTIFF has no CRS; cannot derive a footprint")
            w, s, e, n = ds.bounds
            ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
            if ds.crs.to_epsg() != 4326:
                # densify each edge (21 points) so the WGS84 footprint follows the projected edges
                t = np.linspace(0.0, 1.0, 21)[:-1]
                xs = np.concatenate([w + (e - w) * t, np.full(20, e), e - (e - w) * t, np.full(20, w), [w]])
                ys = np.concatenate([np.full(20, s), s + (n - s) * t, np.full(20, n), n - (n - s) * t, [s]])
                lon, lat = transform(ds.crs, "EPSG:4326", xs.tolist(), ys.tolist())
                ring = [[round(float(x), 9), round(float(y), 9)] for x, y in zip(lon, lat)]
            geom = {"type": "Polygon", "coordinates": [[[float(x), float(y)] for x, y in ring]]}
            info: dict[str, Any] = {
                "geometry": geom,
                "proj:epsg": ds.crs.to_epsg(),
                "proj:shape": [ds.height, ds.width],
                "proj:transform": [float(v) for v in list(ds.transform)[:6]],
                "proj:bbox": [float(w), float(s), float(e), float(n)],
                "tags": ds.tags(),
                "bands": [
                    {"data_type": dt, **({"nodata": float(nd)} if nd is not None and math.isfinite(nd) else {})}
                    for dt, nd in zip(ds.dtypes, ds.nodatavals)
                ],
                "cog": bool(ds.profile.get("tiled")) and bool(ds.overviews(1)),
            }
            if ds.crs.to_epsg() is None:
                info["proj:wkt2"] = ds.crs.to_wkt()
            return info
    except rasterio.errors.RasterioIOError as e:
        raise InputFormatError(f"{path}: not a readable GeoTIFF ({e})") from None


def _geojson_info(path: Path) -> dict[str, Any]:
    """Footprint of a GeoJSON file: the convex hull (or envelope) of its features."""
    try:
        doc = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputFormatError(f"{path}: not JSON ({e})") from None
    feats = doc.get("features") if isinstance(doc, dict) else None
    if feats is None and isinstance(doc, dict) and doc.get("type") == "Feature":
        feats = [doc]
    geoms = []
    for i, f in enumerate(feats or []):
        if isinstance(f, dict) and f.get("geometry"):
            try:
                geoms.append(shape(f["geometry"]))
            except _GEOJSON_ERRORS:
                raise InputFormatError(f"{path}: feature {i} has an invalid geometry") from None
    if isinstance(doc, dict):  # the planning stage's plan JSON: acquisition footprints
        for i, a in enumerate(doc.get("acquisitions", []) or []):
            g = a.get("geometry") or a.get("footprint") if isinstance(a, dict) else None
            if isinstance(g, dict):
                try:
                    geoms.append(shape(g))
                except _GEOJSON_ERRORS:
                    raise InputFormatError(f"{path}: acquisition {i} has an invalid footprint") from None
    info: dict[str, Any] = {"doc": doc, "n_features": len(feats or [])}
    if geoms:
        hull = unary_union(geoms).convex_hull
        if hull.geom_type != "Polygon":  # a point or a line: pad to a small box (~100 m)
            hull = hull.buffer(1e-3).envelope
        info["geometry"] = json.loads(json.dumps(mapping(hull)))
    return info


def _band_of(carrier_hz: float) -> str:
    """IEEE radar band letter of a carrier frequency."""
    ghz = carrier_hz / 1e9
    for lo, hi, b in ((0.216, 0.45, "P"), (1.0, 2.0, "L"), (2.0, 4.0, "S"), (4.0, 8.0, "C"), (8.0, 12.0, "X"),
                      (12.0, 18.0, "Ku"), (18.0, 27.0, "K"), (27.0, 40.0, "Ka")):
        if lo <= ghz < hi:
            return b
    return "X"


def _sar_hdf5_info(path: Path, edge_points: int = 6) -> dict[str, Any]:
    """Footprint and times of a lotusar raw/SLC HDF5 file from its own orbit and axes.

    Each edge of the image (first/last azimuth line, near/far range) is geolocated on the WGS84
    ellipsoid at zero Doppler (:func:`lotusar.sar.model.zero_doppler_ground_points`: the point at
    slant range R, perpendicular to the velocity, on the look side, at height 0). Raw files
    give slant range from the two-way fast time, R = c·τ/2. Only coordinates and attributes are
    read (h5py), never the sample arrays.
    """
    try:
        with h5py.File(path, "r") as f:
            attrs = {}
            for k, v in f.attrs.items():  # h5netcdf writes scalars as 1-element arrays
                if isinstance(v, np.ndarray) and v.size == 1:
                    v = v.reshape(()).item()
                attrs[k] = v.decode() if isinstance(v, bytes) else v
            kind = str(attrs.get("product_type", ""))
            if kind not in ("lotusar-raw", "lotusar-slc"):
                return {}
            az = np.asarray(f["azimuth_time"][()], float)
            if "slant_range" in f:
                rng = np.asarray(f["slant_range"][()], float)
            else:  # raw echoes: two-way fast time
                rng = SPEED_OF_LIGHT_M_S * np.asarray(f["fast_time"][()], float) / 2
            sv = Orbit(time_s=np.asarray(f["orbit_time"][()], float), position_m=np.asarray(f["orbit_position"][()], float),
                       velocity_m_s=np.asarray(f["orbit_velocity"][()], float),
                       epoch_utc=parse_datetime64(str(attrs["reference_epoch_utc"]), "reference_epoch_utc"))
    except (OSError, KeyError, ValueError) as e:
        raise InputFormatError(f"{path}: not a readable lotusar raw/SLC HDF5 file ({type(e).__name__}: {e})") from None
    look = str(attrs.get("look_side", "right")).lower()
    t_edge = np.linspace(az[0], az[-1], edge_points)
    r_edge = np.linspace(rng[0], rng[-1], edge_points)
    ring_ecef = []
    ring_ecef += [zero_doppler_ground_points(sv, az[0], r_edge, look)]                 # first line, near → far
    ring_ecef += [np.vstack([zero_doppler_ground_points(sv, t, rng[-1], look) for t in t_edge[1:]])]  # far edge
    ring_ecef += [zero_doppler_ground_points(sv, az[-1], r_edge[::-1][1:], look)]      # last line, far → near
    ring_ecef += [np.vstack([zero_doppler_ground_points(sv, t, rng[0], look) for t in t_edge[::-1][1:]])]  # near edge
    pts = np.vstack(ring_ecef)
    if not np.isfinite(pts).all():
        raise InputFormatError(f"{path}: slant ranges shorter than the orbit altitude; no ground footprint")
    lat, lon, _ = ecef_to_geodetic(pts)
    ring = [[round(float(x), 7), round(float(y), 7)] for x, y in zip(lon, lat)]
    ring[-1] = ring[0]
    epoch = parse_utc(str(attrs["reference_epoch_utc"]), "reference_epoch_utc")
    t0 = epoch + timedelta(seconds=float(az[0]))
    t1 = epoch + timedelta(seconds=float(az[-1]))
    carrier = float(attrs.get("carrier_hz", 9.65e9))
    info: dict[str, Any] = {
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "start": t0, "end": t1, "carrier_hz": carrier, "band": _band_of(carrier),
        "look_side": look, "kind": "slc" if kind == "lotusar-slc" else "raw",
    }
    return info


def _iso(t: datetime | str | None) -> str | None:
    """RFC 3339 UTC (``Z``; fractional seconds only when present) of a time or an ISO string."""
    if t is None:
        return None
    dt = parse_utc(t)
    return iso_utc(dt, 6 if dt.microsecond else 0)


def _datetime_from_tags(tags: Mapping[str, str]) -> tuple[str | None, str | None, str | None]:
    """(datetime, start, end) from GeoTIFF tags written by lotusar or GDAL."""
    start = tags.get("ACQUISITION_START") or tags.get("start_datetime")
    end = tags.get("ACQUISITION_STOP") or tags.get("end_datetime")
    dt = tags.get("datetime") or tags.get("ACQUISITION_TIME") or tags.get("acquisition_time")
    if not dt and tags.get("TIFFTAG_DATETIME"):
        s = tags["TIFFTAG_DATETIME"]  # "YYYY:MM:DD HH:MM:SS"
        dt = s[:10].replace(":", "-") + "T" + s[11:] + "Z"
    return dt, start, end


# ------------------------------------------------------------------------------------ collections
def make_collection(product_type: str, extent_bbox: Sequence[float] | None = None,
                    interval: Sequence[str | None] | None = None, collection_id: str | None = None):
    """A pystac.Collection for a lotusar product type (id defaults to ``lotusar-<type>``)."""
    if product_type not in PRODUCT_TYPES:
        raise ValidationError(f"unknown product type {product_type!r}; one of {', '.join(PRODUCT_TYPES)}")
    title, desc, _, _ = PRODUCT_TYPES[product_type]
    bbox = list(extent_bbox) if extent_bbox else [-180.0, -90.0, 180.0, 90.0]
    ivl = list(interval) if interval else [None, None]
    iv = [parse_utc(x, "interval") if x else None for x in ivl]
    col = pystac.Collection(
        id=collection_id or f"lotusar-{product_type}",
        title=title,
        description=desc,
        extent=pystac.Extent(pystac.SpatialExtent([bbox]), pystac.TemporalExtent([iv])),
        license="CC-BY-4.0",
        keywords=["SAR", "lotusar", product_type],
        providers=[pystac.Provider(name="lotusar", roles=[pystac.ProviderRole.PROCESSOR, pystac.ProviderRole.HOST])],
        summaries=pystac.Summaries({"lotusar:product_type": [product_type]}),
    )
    col.stac_extensions = [EXT_SAR, EXT_SAT, EXT_VIEW, EXT_PROJ, EXT_FILE]
    return col


# ------------------------------------------------------------------------------------------ items
def _read_product(path: Path, product_type: str) -> tuple[dict[str, Any], Mapping[str, str]]:
    """(info, tags) of a product file: geolocation and metadata it carries itself."""
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        info = _geotiff_info(path)
        return info, info.get("tags", {})
    if suffix in (".h5", ".hdf5", ".nc"):
        return _sar_hdf5_info(path), {}
    if suffix in (".json", ".geojson"):
        info = _geojson_info(path)
        doc = info.get("doc")
        tags: dict[str, str] = {}
        if isinstance(doc, dict):
            meta = doc.get("properties") or doc.get("metadata") or {}
            if isinstance(meta, dict):
                tags = {k: str(v) for k, v in meta.items() if isinstance(v, (str, int, float))}
            if isinstance(doc.get("start"), str) and isinstance(doc.get("end"), str):  # a plan's window
                tags = {**tags, "ACQUISITION_START": doc["start"], "ACQUISITION_STOP": doc["end"]}
        return info, tags
    return {}, {}


def _item_times(name: str, tags: Mapping[str, str], datetime_utc, start_datetime, end_datetime) -> tuple[str, str | None, str | None]:
    """(datetime, start, end) as RFC 3339 strings: given values first, then the file's tags."""
    t_dt, t_start, t_end = _datetime_from_tags(tags)
    dt = _iso(datetime_utc) or _iso(t_dt)
    start = _iso(start_datetime) or _iso(t_start)
    end = _iso(end_datetime) or _iso(t_end)
    if dt is None and start is not None:
        t0, t1 = parse_utc(start), parse_utc(end or start)
        dt = _iso(t0 + (t1 - t0) / 2)  # mid-acquisition
    if dt is None:
        raise ValidationError(f"{name}: no acquisition time in the file; pass datetime_utc=")
    if (start is None) != (end is None):
        raise ValidationError(f"{name}: start_datetime and end_datetime go together")
    return dt, start, end


SAR_PRODUCT_TYPE = {"raw": "RAW", "level0": "L0", "slc": "SLC", "ard": "NRB", "flood": "FLOOD", "detections": "DET", "plan": "PLAN"}


def _properties(product_type: str, info: dict[str, Any], sar: dict[str, Any], start: str | None, end: str | None) -> dict[str, Any]:
    """Item properties: platform, SAR (``sar:*``), orbit (``sat:*``), view and projection fields."""
    props: dict[str, Any] = {
        "platform": sar["platform"],
        "constellation": "lotusar",
        "instruments": ["sar"],
        "lotusar:product_type": product_type,
        "sar:instrument_mode": sar["instrument_mode"],
        "sar:frequency_band": sar["frequency_band"],
        "sar:polarizations": list(sar["polarizations"]),
        "sar:product_type": SAR_PRODUCT_TYPE[product_type],
    }
    optional = {
        "sar:center_frequency": None if sar["center_frequency_ghz"] is None else float(sar["center_frequency_ghz"]),
        "sar:observation_direction": sar["look_direction"] or None,
        "sat:orbit_state": sar["orbit_state"] or None,
        "sat:relative_orbit": None if sar["relative_orbit"] is None else int(sar["relative_orbit"]),
        "sat:absolute_orbit": None if sar["absolute_orbit"] is None else int(sar["absolute_orbit"]),
        "view:incidence_angle": None if sar["incidence_angle_deg"] is None else float(sar["incidence_angle_deg"]),
    }
    props.update({k: v for k, v in optional.items() if v is not None})
    if start:
        props["start_datetime"] = start
        props["end_datetime"] = end
    for k in ("proj:epsg", "proj:shape", "proj:transform", "proj:bbox", "proj:wkt2"):
        if k in info:
            props[k] = info[k]
    if info.get("n_features") is not None:
        props["lotusar:feature_count"] = int(info["n_features"])
    return props


def declared_extensions(props: Mapping[str, Any], has_bands: bool) -> list[str]:
    """The extension schemas an item uses: each one only when a field of it is present."""
    exts = [EXT_SAR]
    for prefix, ext in (("sat:", EXT_SAT), ("view:", EXT_VIEW), ("proj:", EXT_PROJ)):
        if any(k.startswith(prefix) for k in props):
            exts.append(ext)
    exts.append(EXT_FILE)
    if has_bands:
        exts.append(EXT_RASTER)
    return exts


_EXT_BY_PREFIX = {"sar:": EXT_SAR, "sat:": EXT_SAT, "view:": EXT_VIEW, "proj:": EXT_PROJ, "file:": EXT_FILE,
                  "raster:": EXT_RASTER}


def build_item(
    item_id: str,
    *,
    geometry: Mapping[str, Any] | None,
    datetime_utc: datetime | str,
    properties: Mapping[str, Any],
    assets: Mapping[str, Mapping[str, Any]] | None = None,
    collection_id: str | None = None,
) -> pystac.Item:
    """The one constructor of STAC items in lotusar: producers (ARD, flood, ships, change) hand
    their metadata here instead of building items themselves.

    ``geometry`` is a WGS84 GeoJSON geometry, or None for a product in pixel coordinates (the item
    then has no bbox, as STAC allows). ``properties`` may carry ``sar:``, ``sat:``, ``view:`` and
    ``proj:`` fields (STAC extension field names); ``assets`` maps a key to ``{"href", "type",
    "roles", "title", ...}`` where further keys (``file:size``, ``raster:bands``) are extension
    fields. Each extension schema is declared exactly when one of its fields is present. An item
    with a footprint passes :func:`validate_item` (what the catalog ingests; ValidationError naming
    the field otherwise); one in pixel coordinates is valid STAC but not catalogued.
    """
    geom = dict(geometry) if geometry is not None else None
    bbox = bbox_of_geometry(geom) if geom is not None else None
    item = pystac.Item(id=item_id, geometry=geom, bbox=bbox, datetime=parse_utc(datetime_utc),
                       properties=dict(properties), collection=collection_id)
    fields = set(properties)
    for key, a in (assets or {}).items():
        extra = {k: v for k, v in a.items() if k not in ("href", "type", "roles", "title")}
        fields |= set(extra)
        item.add_asset(key, pystac.Asset(href=str(a["href"]), media_type=a.get("type"), roles=a.get("roles"),
                                         title=a.get("title"), extra_fields=extra))
    item.stac_extensions = [ext for prefix, ext in _EXT_BY_PREFIX.items() if any(f.startswith(prefix) for f in fields)]
    if geom is not None:
        validate_item(item.to_dict(include_self_link=False, transform_hrefs=False))
    return item


def _add_assets(item, path: Path, product_type: str, info: dict[str, Any], extra_assets, checksum: bool) -> None:
    """The main file (``data``/``plan``/``detections``) and further files, with size and checksum."""
    _, _, default_media, role = PRODUCT_TYPES[product_type]
    suffix = path.suffix.lower()
    media = default_media if suffix in (".tif", ".tiff") and info.get("cog") else _MEDIA_BY_SUFFIX.get(suffix, default_media)
    if suffix in (".tif", ".tiff") and not info.get("cog"):
        media = "image/tiff; application=geotiff"
    main_key = {"plan": "plan", "detections": "detections"}.get(product_type, "data")
    assets = {main_key: (path, media, [role])}
    for k, p in (extra_assets or {}).items():
        p = Path(p).resolve()
        if not p.is_file():
            raise FileNotFoundError(2, "No such file", str(p))
        assets[k] = (p, _MEDIA_BY_SUFFIX.get(p.suffix.lower(), "application/octet-stream"),
                     ["metadata" if p.suffix.lower() in (".xml", ".json") else "overview"])
    for key, (p, mt, roles) in assets.items():
        extra: dict[str, Any] = {"file:size": p.stat().st_size}
        if checksum:
            extra["file:checksum"] = multihash_sha256(p)
        if key == main_key and info.get("bands"):
            extra["raster:bands"] = info["bands"]
        item.add_asset(key, pystac.Asset(href=str(p), media_type=mt, roles=roles, title=f"{product_type} {key}", extra_fields=extra))


def make_item(
    path: str | os.PathLike,
    product_type: str,
    *,
    item_id: str | None = None,
    datetime_utc: datetime | str | None = None,
    start_datetime: datetime | str | None = None,
    end_datetime: datetime | str | None = None,
    geometry: Mapping[str, Any] | None = None,
    properties: Mapping[str, Any] | None = None,
    extra_assets: Mapping[str, str | os.PathLike] | None = None,
    collection_id: str | None = None,
    platform: str = "lotusat-1",
    instrument_mode: str = "SM",
    frequency_band: str = "X",
    center_frequency_ghz: float | None = None,
    polarizations: Sequence[str] = ("VV",),
    orbit_state: str | None = None,
    relative_orbit: int | None = None,
    absolute_orbit: int | None = None,
    incidence_angle_deg: float | None = None,
    look_direction: str | None = None,
    checksum: bool = True,
):
    """Build a STAC Item (pystac) for one product file written by lotusar.

    Producers hand their metadata here; the catalog alone builds STAC items.

    Parameters
    ----------
    path : the product's main file (its asset key is ``data`` — or ``plan`` / ``detections``).
    product_type : one of :data:`PRODUCT_TYPES` (raw, level0, slc, ard, flood, detections, plan).
    item_id : defaults to the file stem.
    datetime_utc / start_datetime / end_datetime : acquisition time(s); read from GeoTIFF tags
        (``ACQUISITION_START``/``ACQUISITION_STOP``/``datetime``) when not given.
    geometry : WGS84 GeoJSON footprint; read from GeoTIFF/GeoJSON files when not given.
    properties : any further properties (override the defaults below).
    extra_assets : ``{key: path}`` further files of the product (quicklook, metadata, ...).
    platform, instrument_mode, frequency_band, polarizations, orbit_state, ... : SAR/sat/view
        extension fields (``sar:*``, ``sat:*``, ``view:*``).

    Returns a ``pystac.Item`` whose local assets carry ``file:size`` and ``file:checksum``;
    the item passes :func:`validate_item`, and declares only the extensions whose fields it
    has. Raises ValidationError/InputFormatError.
    """
    path = Path(path).resolve()
    if product_type not in PRODUCT_TYPES:
        raise ValidationError(f"unknown product type {product_type!r}; one of {', '.join(PRODUCT_TYPES)}")
    if not path.is_file():
        raise FileNotFoundError(2, "No such file", str(path))
    info, tags = _read_product(path, product_type)
    if "carrier_hz" in info:  # a lotusar raw/SLC HDF5 file: its own times, carrier and look side
        start_datetime = start_datetime or info["start"]
        end_datetime = end_datetime or info["end"]
        if center_frequency_ghz is None:
            center_frequency_ghz = info["carrier_hz"] / 1e9
        if frequency_band == "X":
            frequency_band = info["band"]
        look_direction = look_direction or info["look_side"]
    geom = dict(geometry) if geometry is not None else info.get("geometry")
    if geom is None:
        raise ValidationError(f"{path.name}: no footprint in the file; pass geometry= (a WGS84 GeoJSON polygon)")
    dt, start, end = _item_times(path.name, tags, datetime_utc, start_datetime, end_datetime)
    sar = {"platform": platform, "instrument_mode": instrument_mode, "frequency_band": frequency_band,
           "center_frequency_ghz": center_frequency_ghz, "polarizations": polarizations, "orbit_state": orbit_state,
           "relative_orbit": relative_orbit, "absolute_orbit": absolute_orbit, "incidence_angle_deg": incidence_angle_deg,
           "look_direction": look_direction}
    props = _properties(product_type, info, sar, start, end)
    if properties:
        props.update(properties)
    item = build_item(item_id or path.stem, geometry=geom, datetime_utc=dt, properties=props,
                      collection_id=collection_id or f"lotusar-{product_type}")
    item.stac_extensions = declared_extensions(props, bool(info.get("bands")))
    _add_assets(item, path, product_type, info, extra_assets, checksum)
    validate_item(item.to_dict(include_self_link=False, transform_hrefs=False))
    return item


# ------------------------------------------------------------------------------------- validation
def _check_datetime(s: Any, where: str) -> None:
    if not isinstance(s, str):
        raise ValidationError(f"{where}: must be an RFC 3339 string")
    if not _RFC3339.match(s):
        raise ValidationError(f"{where}: {s!r} is not RFC 3339 with a time zone")
    parse_utc(s, where)


def validate_collection(col: Mapping[str, Any]) -> None:
    """Check a STAC Collection dict; raise ValidationError naming the problem."""
    if not isinstance(col, Mapping):
        raise ValidationError("collection must be a JSON object")
    if col.get("type") != "Collection":
        raise ValidationError(f"collection {col.get('id')!r}: type must be 'Collection'")
    cid = col.get("id")
    if not isinstance(cid, str) or not _ID_RE.match(cid):
        raise ValidationError(f"collection id {cid!r} is not a safe identifier ([A-Za-z0-9_.:-], ≤200 chars)")
    for k in ("description", "license", "extent", "links"):
        if k not in col:
            raise ValidationError(f"collection {cid!r}: missing required field {k!r}")
    ext = col["extent"]
    try:
        bb = ext["spatial"]["bbox"]
        iv = ext["temporal"]["interval"]
        assert isinstance(bb, list) and bb and all(len(b) in (4, 6) for b in bb)
        assert isinstance(iv, list) and iv and all(len(i) == 2 for i in iv)
    except (KeyError, TypeError, AssertionError):
        raise ValidationError(f"collection {cid!r}: extent needs spatial.bbox [[W,S,E,N]] and temporal.interval [[start,end]]") from None


def validate_item(item: Mapping[str, Any]) -> None:
    """Check a STAC Item dict against the item spec and the extensions lotusar uses.

    Raises ValidationError with a one-line message naming the item and the field.
    """
    if not isinstance(item, Mapping):
        raise ValidationError("item must be a JSON object")
    iid = item.get("id")
    if item.get("type") != "Feature":
        raise ValidationError(f"item {iid!r}: type must be 'Feature'")
    if not isinstance(iid, str) or not _ID_RE.match(iid):
        raise ValidationError(f"item id {iid!r} is not a safe identifier ([A-Za-z0-9_.:-], ≤200 chars)")
    if not isinstance(item.get("stac_version"), str):
        raise ValidationError(f"item {iid!r}: missing stac_version")
    coll = item.get("collection")
    if not isinstance(coll, str) or not _ID_RE.match(coll):
        raise ValidationError(f"item {iid!r}: needs a 'collection' id to be catalogued")
    geom = item.get("geometry")
    if not isinstance(geom, Mapping):
        raise ValidationError(f"item {iid!r}: geometry must be a GeoJSON geometry (null geometries are not catalogued)")
    gb = bbox_of_geometry(geom)
    g = shape(geom)
    if not g.is_valid:
        raise ValidationError(f"item {iid!r}: geometry is invalid ({explain_validity(g)})")
    if gb[0] < -180 - 1e-9 or gb[2] > 180 + 1e-9 or gb[1] < -90 - 1e-9 or gb[3] > 90 + 1e-9:
        raise ValidationError(f"item {iid!r}: geometry outside WGS84 lon/lat range")
    bbox = item.get("bbox")
    if not (isinstance(bbox, list) and len(bbox) in (4, 6) and all(isinstance(v, (int, float)) for v in bbox)):
        raise ValidationError(f"item {iid!r}: bbox must be [W,S,E,N]")
    b = bbox if len(bbox) == 4 else [bbox[0], bbox[1], bbox[3], bbox[4]]
    tol = 1e-6
    if gb[0] < b[0] - tol or gb[1] < b[1] - tol or gb[2] > b[2] + tol or gb[3] > b[3] + tol:
        raise ValidationError(f"item {iid!r}: bbox {b} does not contain the geometry (bounds {gb})")
    props = item.get("properties")
    if not isinstance(props, Mapping):
        raise ValidationError(f"item {iid!r}: properties must be an object")
    if props.get("datetime") is None:
        if "start_datetime" not in props or "end_datetime" not in props:
            raise ValidationError(f"item {iid!r}: datetime null needs start_datetime and end_datetime")
    else:
        _check_datetime(props["datetime"], f"item {iid!r}: properties.datetime")
    for k in ("start_datetime", "end_datetime", "created", "updated"):
        if k in props:
            _check_datetime(props[k], f"item {iid!r}: properties.{k}")
    if "start_datetime" in props and "end_datetime" in props and props["end_datetime"] < props["start_datetime"]:
        raise ValidationError(f"item {iid!r}: end_datetime before start_datetime")
    if not isinstance(item.get("links", []), list):
        raise ValidationError(f"item {iid!r}: links must be a list")
    assets = item.get("assets")
    if not isinstance(assets, Mapping):
        raise ValidationError(f"item {iid!r}: assets must be an object")
    for k, a in assets.items():
        if not isinstance(a, Mapping) or not isinstance(a.get("href"), str) or not a["href"]:
            raise ValidationError(f"item {iid!r}: asset {k!r} needs an href")
        cs = a.get("file:checksum")
        if cs is not None and (not isinstance(cs, str) or not re.fullmatch(r"[0-9a-fA-F]{6,}", cs)):
            raise ValidationError(f"item {iid!r}: asset {k!r} file:checksum is not a hex multihash")
    exts = item.get("stac_extensions", [])
    if not isinstance(exts, list):
        raise ValidationError(f"item {iid!r}: stac_extensions must be a list")
    if EXT_SAR in exts:
        for k in ("sar:instrument_mode", "sar:frequency_band", "sar:polarizations", "sar:product_type"):
            if k not in props:
                raise ValidationError(f"item {iid!r}: SAR extension declared but {k} missing")
        if not isinstance(props["sar:polarizations"], list) or not all(p in ("HH", "VV", "HV", "VH") for p in props["sar:polarizations"]):
            raise ValidationError(f"item {iid!r}: sar:polarizations must be a list of HH/VV/HV/VH")
    if "sat:orbit_state" in props and props["sat:orbit_state"] not in ("ascending", "descending", "geostationary"):
        raise ValidationError(f"item {iid!r}: sat:orbit_state must be ascending/descending/geostationary")
    if "view:incidence_angle" in props:
        v = props["view:incidence_angle"]
        if not isinstance(v, (int, float)) or not 0 <= v <= 90:
            raise ValidationError(f"item {iid!r}: view:incidence_angle must be in [0, 90] degrees")


def item_time_range(item: Mapping[str, Any]) -> tuple[float, float]:
    """(start, end) of an item as POSIX seconds (datetime, or start/end_datetime)."""
    p = item["properties"]
    s = p.get("start_datetime") or p.get("datetime")
    e = p.get("end_datetime") or p.get("datetime")
    return parse_utc(s, "start").timestamp(), parse_utc(e, "end").timestamp()
