"""Raster and vector I/O for the applications (kept apart from the computation modules).

Reads any σ⁰/γ⁰ GeoTIFF (or a plain PNG/JPEG chip), names its bands, resamples auxiliary
rasters (pre-event image, DEM) onto the image grid, and writes Cloud-Optimised GeoTIFFs,
GeoJSON and PNG maps atomically through :mod:`lotusar.fileio`.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.warp import reproject, transform_geom

from lotusar.cliutil import to_json
from lotusar.errors import InputFormatError, ValidationError
from lotusar.fileio import write_text_atomic
from lotusar.geo import cog
from lotusar.geodesy import r_east_m, r_north_m

__all__ = [
    "Raster",
    "read_raster",
    "band_dict",
    "reproject_to",
    "pixel_spacing_m",
    "pixel_area_m2",
    "write_cog",
    "write_geojson",
    "footprint_lonlat",
]

POLARISATIONS = ("VV", "VH", "HH", "HV")


@dataclass
class Raster:
    """An image in memory: ``data`` (bands, rows, cols) float64 with NaN for no data."""

    path: Path
    data: np.ndarray
    names: list[str]
    transform: Any  # affine.Affine or None
    crs: Any  # rasterio CRS or None
    tags: dict
    dtype: str = "float64"  # data type in the file (uint8 for grey-level quicklooks and chips)

    @property
    def shape(self) -> tuple[int, int]:
        return self.data.shape[1:]

    @property
    def georeferenced(self) -> bool:
        return self.crs is not None and self.transform is not None and not self.transform.is_identity


def read_raster(path: str | Path, bands: str | list[str] | None = None) -> Raster:
    """Read a raster; nodata values become NaN. ``bands`` ("VV,VH") names the bands in order.

    Band names come from ``bands`` or else the band descriptions; unnamed bands are called
    B1, B2, ... . An RGB PNG whose three channels are equal (a grey SAR chip) is read as one band.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(p) as ds:
                arr = ds.read(masked=True).astype(np.float64)
                data = np.ma.filled(arr, np.nan)
                descs = [d for d in ds.descriptions]
                dtype = ds.dtypes[0]
                transform, crs, tags = ds.transform, ds.crs, ds.tags()
                nodata = ds.nodata
    except RasterioIOError as exc:
        raise InputFormatError(f"{p}: not a readable raster ({str(exc).splitlines()[0]})") from None
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        data[data == nodata] = np.nan
    if data.shape[0] in (3, 4) and p.suffix.lower() in (".png", ".jpg", ".jpeg"):
        rgb = data[:3]
        if np.allclose(rgb[0], rgb[1], equal_nan=True) and np.allclose(rgb[0], rgb[2], equal_nan=True):
            data = rgb[:1]
        else:
            data = rgb.mean(axis=0, keepdims=True)
        descs = [None]
    if bands:
        names = [b.strip().upper() for b in (bands.split(",") if isinstance(bands, str) else bands) if b.strip()]
        if len(names) != data.shape[0]:
            raise ValidationError(f"--bands names {len(names)} band(s) but {p} has {data.shape[0]}")
    else:
        names = [_polarisation_name(d) or f"B{i + 1}" for i, d in enumerate(descs)]
    if len(set(names)) != len(names):
        raise InputFormatError(f"{p}: duplicate band names {names}")
    return Raster(p, data, names, transform, crs, dict(tags), dtype)


def _polarisation_name(description: str | None) -> str:
    """'VV', 'gamma0_VH', 'Sigma0_HH_db' → the polarisation; other descriptions upper-cased."""
    d = (description or "").strip()
    if not d:
        return ""
    hits = re.findall(r"(?<![A-Za-z])(VV|VH|HH|HV)(?![A-Za-z])", d.replace("_", " ").upper())
    return hits[0] if len(set(hits)) == 1 else d.upper()


def band_dict(r: Raster) -> dict[str, np.ndarray]:
    return {n: r.data[i] for i, n in enumerate(r.names)}


def reproject_to(src: Raster, dst: Raster, resampling: str = "bilinear") -> np.ndarray:
    """Resample ``src`` onto the grid of ``dst`` (same shape as ``dst.data`` band count of src)."""
    if not (src.georeferenced and dst.georeferenced):
        if src.shape != dst.shape:
            raise ValidationError(f"{src.path} is not georeferenced and its shape {src.shape} differs from {dst.shape}")
        return src.data.copy()
    if src.crs == dst.crs and src.transform == dst.transform and src.shape == dst.shape:
        return src.data.copy()
    out = np.full((src.data.shape[0],) + dst.shape, np.nan)
    for i in range(src.data.shape[0]):
        reproject(src.data[i], out[i], src_transform=src.transform, src_crs=src.crs, dst_transform=dst.transform,
                  dst_crs=dst.crs, resampling=getattr(Resampling, resampling), src_nodata=np.nan, dst_nodata=np.nan)
    return out


def _geographic_spacing(transform, lat_deg: float) -> tuple[float, float]:
    m_per_deg_lat = math.pi / 180 * float(r_north_m(lat_deg=lat_deg))
    m_per_deg_lon = math.pi / 180 * float(r_east_m(lat_deg=lat_deg)) * math.cos(math.radians(lat_deg))
    return abs(transform.e) * m_per_deg_lat, abs(transform.a) * m_per_deg_lon


def pixel_spacing_m(r: Raster, default: float | None = None) -> float:
    """Ground pixel spacing (geometric mean of row and column spacing) in metres."""
    if not r.georeferenced:
        if default is None:
            raise ValidationError(f"{r.path} is not georeferenced: give the pixel spacing in metres")
        return float(default)
    if r.crs.is_geographic:
        lat = r.transform.f + r.transform.e * r.shape[0] / 2
        dy, dx = _geographic_spacing(r.transform, lat)
        return math.sqrt(dy * dx)
    unit = r.crs.linear_units_factor[1] if hasattr(r.crs, "linear_units_factor") else 1.0
    return math.sqrt(abs(r.transform.a * r.transform.e)) * unit


def pixel_area_m2(r: Raster) -> np.ndarray | float:
    """Pixel area in m² (per row for geographic grids)."""
    if not r.georeferenced:
        return float("nan")
    if r.crs.is_geographic:
        rows = np.arange(r.shape[0]) + 0.5
        lats = r.transform.f + r.transform.e * rows
        a = np.array([np.prod(_geographic_spacing(r.transform, la)) for la in lats])
        return np.broadcast_to(a[:, None], r.shape)
    return pixel_spacing_m(r) ** 2


def footprint_lonlat(r: Raster) -> tuple[list[float], dict]:
    """(bbox, GeoJSON polygon) of the raster footprint in WGS84 lon/lat."""
    if not r.georeferenced:
        raise ValidationError(f"{r.path} is not georeferenced")
    h, w = r.shape
    t = r.transform
    ring = [t * (0, 0), t * (w, 0), t * (w, h), t * (0, h), t * (0, 0)]
    geom = {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}
    g = transform_geom(r.crs, "EPSG:4326", geom)
    xs = [c[0] for c in g["coordinates"][0]]
    ys = [c[1] for c in g["coordinates"][0]]
    return [min(xs), min(ys), max(xs), max(ys)], g


def write_cog(path: str | Path, data: np.ndarray, like: Raster | None, *, nodata=None, description: str | None = None,
              colormap: dict | None = None, tags: dict | None = None) -> Path:
    """Write one band (rows, cols) on the grid of ``like`` as a Cloud-Optimised GeoTIFF, atomically,
    through the project's one COG writer (:func:`lotusar.geo.cog.write_cog`). Without
    georeferencing the file is written in pixel coordinates (no CRS)."""
    arr = np.asarray(data)
    if arr.ndim != 2:
        raise ValidationError(f"write_cog writes one band, got shape {arr.shape}")
    transform: Any = None
    crs: Any = None
    if like is not None and like.georeferenced:
        transform, crs = like.transform, like.crs
    with warnings.catch_warnings():
        # an image without georeferencing is written in pixel coordinates on purpose
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        return cog.write_cog(path, arr, transform, crs, nodata=nodata,
                             description=description, tags=tags, colormap=colormap,
                             resampling="NEAREST" if arr.dtype == np.uint8 else "AVERAGE")


def write_geojson(path: str | Path, features: list[dict], **properties) -> Path:
    """Write a GeoJSON FeatureCollection atomically (RFC 7946: lon/lat WGS84)."""
    fc = {"type": "FeatureCollection", "features": features}
    fc.update(properties)
    write_text_atomic(path, to_json(fc, indent=None) + "\n")
    return Path(path)


def read_geojson(path: str | Path) -> dict:
    p = Path(path)
    try:
        obj = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise InputFormatError(f"{p}: line {exc.lineno}: not JSON ({exc.msg})") from None
    if obj.get("type") == "Feature":
        obj = {"type": "FeatureCollection", "features": [obj]}
    if obj.get("type") != "FeatureCollection":
        raise InputFormatError(f"{p}: field 'type': expected FeatureCollection or Feature")
    return obj
