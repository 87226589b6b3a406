"""File reading for the products stage: DEM GeoTIFFs and the geoid grid.

Vertical datum of a DEM (``datum``):
* ``"auto"``: a compound CRS whose vertical part names EGM96/EGM2008 (e.g. EPSG:9707)
  → orthometric, converted with the geoid; an explicit ellipsoidal 3-D CRS (EPSG:4979)
  → ellipsoidal; otherwise (no vertical CRS, the usual SRTM / Copernicus GeoTIFF)
  → orthometric (EGM96), because that is what public global DEMs carry.
* ``"egm96"``: orthometric, converted with the geoid.
* ``"ellipsoid"``: already heights above WGS84.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import rasterio
from pyproj import CRS, Transformer
from rasterio.warp import transform_bounds
from rasterio.windows import from_bounds

from lotusar.errors import InputFormatError, ValidationError
from lotusar.geo.dem import Dem, Geoid

DEFAULT_GEOID_PATH = Path(
    os.environ.get(
        "LOTUSAR_GEOID",
        Path(__file__).resolve().parents[3].parent / "shared" / "data" / "dem-geoid" / "egm96_15.gtx",
    )
)


@lru_cache(maxsize=4)
def read_geoid(path: str | os.PathLike = DEFAULT_GEOID_PATH) -> Geoid:
    """Read a GTX (or any GDAL raster) geoid grid of undulations in metres."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(2, "geoid grid not found (set --geoid or LOTUSAR_GEOID)", str(p))
    try:
        with rasterio.open(p) as src:
            n = src.read(1).astype(np.float64)
            nodata = src.nodata
            t = src.transform
    except rasterio.errors.RasterioIOError as e:
        raise InputFormatError(f"{p}: not a readable geoid grid ({e})") from e
    if nodata is not None:
        n[n == nodata] = np.nan
    n = np.where(np.isfinite(n), n, np.nanmean(n))
    lon0 = t.c + 0.5 * t.a
    lon0 = ((lon0 + 180.0) % 360.0) - 180.0 if lon0 >= 180.0 else lon0
    return Geoid(n, lon0_deg=lon0, lat0_deg=t.f + 0.5 * t.e, dlon_deg=t.a, dlat_deg=t.e, name=p.stem)


def _vertical_datum(crs) -> str:
    """'ellipsoid', 'egm96' or 'unknown' from a rasterio CRS."""
    if crs is None:
        return "unknown"

    c = CRS.from_wkt(crs.to_wkt())
    if c.is_compound:
        vert = " ".join(s.name for s in c.sub_crs_list[1:]).lower()
        if "egm" in vert or "geoid" in vert or "msl" in vert:
            return "egm96"
        return "unknown"
    if len(c.axis_info) == 3 and c.is_geographic:
        return "ellipsoid"
    return "unknown"


def read_dem(path: str | os.PathLike, datum: str = "auto", geoid_path: str | os.PathLike = DEFAULT_GEOID_PATH,
             window_lonlat: tuple[float, float, float, float] | None = None) -> Dem:
    """Read a GeoTIFF DEM into a :class:`Dem` of ellipsoidal heights.

    ``window_lonlat`` (lon_min, lat_min, lon_max, lat_max) limits the read to a bounding
    box (plus a margin) so that large DEMs stay within memory.
    """
    if datum not in ("auto", "egm96", "ellipsoid"):
        raise ValidationError(f"unknown DEM datum {datum!r}: auto, egm96 or ellipsoid")
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(2, "DEM not found", str(p))
    try:
        src = rasterio.open(p)
    except rasterio.errors.RasterioIOError as e:
        raise InputFormatError(f"{p}: not a readable DEM raster ({e})") from e
    with src:
        if src.crs is None:
            raise InputFormatError(f"{p}: DEM has no CRS")
        window = None
        if window_lonlat is not None:
            lo0, la0, lo1, la1 = window_lonlat
            b = transform_bounds("EPSG:4326", src.crs, lo0, la0, lo1, la1) if not src.crs.is_geographic else (lo0, la0, lo1, la1)
            mx, my = 8 * abs(src.transform.a), 8 * abs(src.transform.e)
            window = from_bounds(b[0] - mx, b[1] - my, b[2] + mx, b[3] + my, src.transform)
            try:
                window = window.round_offsets().round_lengths().intersection(
                    rasterio.windows.Window(0, 0, src.width, src.height))
            except rasterio.errors.WindowError:
                raise ValidationError(f"{p}: the DEM does not cover the product footprint "
                                      f"(lon {lo0:.3f}…{lo1:.3f}, lat {la0:.3f}…{la1:.3f})") from None
        h = src.read(1, window=window, masked=True).astype(np.float64)
        transform = src.window_transform(window) if window is not None else src.transform
        crs = src.crs
        h = h.filled(np.nan)
    vd = _vertical_datum(crs)
    use = datum
    if datum == "auto":
        use = "ellipsoid" if vd == "ellipsoid" else "egm96"
    source = f"{p.name}"
    if use == "egm96":
        geoid = read_geoid(str(geoid_path))
        rows, cols = np.indices(h.shape)
        xs, ys = rasterio.transform.xy(transform, rows.ravel(), cols.ravel(), offset="center")
        xs, ys = np.asarray(xs), np.asarray(ys)

        c = CRS.from_wkt(crs.to_wkt())
        horiz = c.sub_crs_list[0] if c.is_compound else c
        if not horiz.is_geographic:
            xs, ys = Transformer.from_crs(horiz, "EPSG:4326", always_xy=True).transform(xs, ys)
        h = h + geoid.undulation_at(xs, ys).reshape(h.shape)
        source += f" (orthometric heights + {geoid.name} geoid → ellipsoidal)"
    else:
        source += " (heights used as ellipsoidal)"
    return Dem(h, transform, crs.to_wkt(), source=source)
