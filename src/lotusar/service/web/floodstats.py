"""Flood statistics per administrative unit (province, else country) of a flood-map raster.

A flood map is a classified raster (``lotusar.apps.flood``: 0 dry, 1 open flood water,
2 permanent water, 3 flooded vegetation, 255 no data). Each unit's polygon is burned into a
label grid on the raster's own grid (pixel centres inside, ``rasterio.features.rasterize``),
and each class's area is summed per label.

Pixel area: on a geographic grid (lon/lat) a pixel spans Δλ × Δφ and its area on the WGS84
ellipsoid depends on latitude only, so one geodesic polygon area per row is computed
(``pyproj.Geod``, Karney 2013) and applied across it; on a projected grid the area is
|a·e| of the affine transform (the map-projection area: for UTM within 0.1 % of the true one
near the central meridian).

Large rasters are read decimated (from their overviews) to at most ``MAX_PIXELS`` pixels; the
areas stay unbiased, the boundary pixels coarser.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import rasterio
from affine import Affine
from pyproj import Geod
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.warp import transform_bounds, transform_geom
from shapely.geometry import box, mapping

from lotusar.apps.flood import (
    CLASS_DRY,
    CLASS_FLOODED_VEGETATION,
    CLASS_NODATA,
    CLASS_OPEN_FLOOD,
    CLASS_PERMANENT_WATER,
)
from lotusar.errors import ValidationError
from lotusar.service.web.basemap import AdminUnit, admin_units

MAX_PIXELS = 16_000_000
WGS84 = Geod(ellps="WGS84")


def row_pixel_area_m2(transform, height: int) -> np.ndarray:
    """Area (m²) of one pixel in each row of a north-up lon/lat grid on the WGS84 ellipsoid."""
    dlon = abs(transform.a)
    out = np.empty(height)
    for r in range(height):
        lat0 = transform.f + transform.e * r
        lat1 = lat0 + transform.e
        area, _ = WGS84.polygon_area_perimeter([0.0, dlon, dlon, 0.0], [lat0, lat0, lat1, lat1])
        out[r] = abs(area)
    return out


def flood_statistics(path: str, units: tuple[AdminUnit, ...] | None = None) -> dict:
    """Per-unit areas (km²) of the classes of the flood map at ``path``."""
    units = admin_units() if units is None else units
    with rasterio.open(path) as ds:
        if ds.crs is None:
            raise ValidationError(f"{path}: flood map has no CRS")
        if ds.transform.b != 0 or ds.transform.d != 0:
            raise ValidationError(f"{path}: rotated grids are not supported")
        k = max(1, math.ceil(math.sqrt(ds.width * ds.height / MAX_PIXELS)))
        h, w = max(1, ds.height // k), max(1, ds.width // k)
        classes = ds.read(1, out_shape=(h, w), resampling=Resampling.nearest)
        transform = ds.transform @ Affine.scale(ds.width / w, ds.height / h)
        crs = ds.crs
        lonlat_bounds = transform_bounds(crs, "EPSG:4326", *ds.bounds, densify_pts=21)
    if crs.is_geographic:
        px_area = np.broadcast_to(row_pixel_area_m2(transform, h)[:, None], (h, w))
    else:
        px_area = np.full((h, w), abs(transform.a * transform.e))
    footprint = box(*lonlat_bounds)
    hits = [u for u in units if u.geometry.intersects(footprint)]
    shapes = [(transform_geom("EPSG:4326", crs, mapping(u.geometry.intersection(footprint))), i + 1)
              for i, u in enumerate(hits)]
    labels = rasterize(shapes, out_shape=(h, w), transform=transform, fill=0, dtype="int32") if shapes else np.zeros((h, w), "int32")
    n = len(hits) + 1

    def per_label(mask: np.ndarray) -> np.ndarray:
        return np.bincount(labels[mask], weights=px_area[mask], minlength=n) / 1e6

    open_w, veg = per_label(classes == CLASS_OPEN_FLOOD), per_label(classes == CLASS_FLOODED_VEGETATION)
    perm, dry = per_label(classes == CLASS_PERMANENT_WATER), per_label(classes == CLASS_DRY)
    observed = per_label(classes != CLASS_NODATA)
    rows: list[dict] = []
    for i, u in enumerate(hits, start=1):
        if observed[i] <= 0:
            continue
        flooded = open_w[i] + veg[i]
        rows.append({"name": u.name, "code": u.code, "level": u.level, "country": u.country,
                     "observed_km2": round(float(observed[i]), 4), "dry_km2": round(float(dry[i]), 4),
                     "flooded_km2": round(float(flooded), 4), "open_flood_km2": round(float(open_w[i]), 4),
                     "flooded_vegetation_km2": round(float(veg[i]), 4),
                     "permanent_water_km2": round(float(perm[i]), 4),
                     "flooded_fraction": round(float(flooded / observed[i]), 5)})
    rows.sort(key=lambda r: float(r["flooded_km2"]), reverse=True)
    outside = float(observed[0])
    return {"units": rows, "observed_outside_units_km2": round(outside, 4), "decimation": k,
            "bounds": [round(float(v), 6) for v in lonlat_bounds]}


@lru_cache(maxsize=64)
def flood_statistics_cached(path: str, mtime_ns: int) -> dict:
    """``flood_statistics`` keyed by the file's modification time."""
    return flood_statistics(path)
