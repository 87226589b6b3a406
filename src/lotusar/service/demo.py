"""A small, self-contained product set for the service: a flood-map COG, an ARD COG, a plan
with ground tracks / a station mask / planned acquisitions, and their STAC items.

Used by the tests, the benchmark and ``make demo`` style walkthroughs; everything is
generated locally (no downloads). The flood map is a paletted uint8 COG (0 dry, 1 open flood,
255 no data) over a river plain near Valencia, Spain, in EPSG:4326.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_bounds

from lotusar.catalog.batch import cog_task
from lotusar.catalog.items import make_item

FLOOD_BOUNDS = (-0.60, 39.10, -0.20, 39.50)  # W, S, E, N (degrees)
FLOOD_RGBA = (30, 100, 230, 255)


def _write_tif(path: Path, data: np.ndarray, bounds, *, nodata=None, colormap=None, tags=None) -> Path:
    h, w = data.shape
    prof = dict(driver="GTiff", height=h, width=w, count=1, dtype=str(data.dtype), crs="EPSG:4326",
                transform=from_bounds(*bounds, w, h), nodata=nodata, tiled=True, blockxsize=256, blockysize=256,
                compress="deflate")
    with rasterio.open(path, "w", **prof) as ds:
        ds.write(data, 1)
        if colormap:
            ds.write_colormap(1, colormap)
        if tags:
            ds.update_tags(**tags)
    return path


def build_demo(folder: str | Path, size: int = 1024) -> dict[str, Path]:
    """Write the demo products and STAC items under ``folder``; returns their paths."""
    root = Path(folder).resolve()
    src = root / "src"
    src.mkdir(parents=True, exist_ok=True)
    w, s, e, n = FLOOD_BOUNDS
    yy, xx = np.mgrid[0:size, 0:size] / size
    # a meandering flooded river corridor and a flooded basin
    river = np.abs(yy - (0.5 + 0.12 * np.sin(2 * np.pi * 2.2 * xx))) < 0.06
    basin = ((xx - 0.7) / 0.18) ** 2 + ((yy - 0.3) / 0.12) ** 2 < 1
    classes = np.where(river | basin, 1, 0).astype(np.uint8)
    classes[:, :8] = 255
    tags = {"ACQUISITION_START": "2025-10-30T05:55:00Z", "ACQUISITION_STOP": "2025-10-30T05:55:20Z", "LOTUSAR_PRODUCT": "flood"}
    _write_tif(src / "flood_20251030.tif", classes, FLOOD_BOUNDS, nodata=255,
               colormap={0: (235, 225, 200, 255), 1: FLOOD_RGBA, 255: (0, 0, 0, 0)}, tags=tags)
    rng = np.random.default_rng(1)
    g0_db = np.where(classes == 1, -21.0, -9.0) + rng.normal(0, 1.5, classes.shape)
    ard = (10 ** (g0_db / 10)).astype(np.float32)
    _write_tif(src / "ard_20251030.tif", ard, FLOOD_BOUNDS,
               tags={**tags, "LOTUSAR_PRODUCT": "ard"})
    prod = root / "products"
    flood = Path(cog_task(str(src / "flood_20251030.tif"), str(prod))["output"])
    ardp = Path(cog_task(str(src / "ard_20251030.tif"), str(prod))["output"])

    # a plan: ground track, station visibility mask, planned acquisitions
    lats = np.linspace(30, 48, 40)
    track = [[round(float(-0.1 - 0.18 * (la - 30)), 5), round(float(la), 5)] for la in lats]
    az = np.linspace(0, 2 * np.pi, 73)
    mask = [[round(float(-0.45 + 9.0 * np.cos(a)), 4), round(float(39.45 + 7.0 * np.sin(a)), 4)] for a in az]
    mask[-1] = mask[0]

    def box(x0, y0, x1, y1):
        return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}

    plan = {"type": "FeatureCollection", "properties": {"datetime": "2025-10-31T00:00:00Z"}, "features": [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": track},
         "properties": {"kind": "ground_track", "satellite": "lotusat-1", "start": "2025-10-31T05:50:00Z", "end": "2025-10-31T05:56:00Z"}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [mask]},
         "properties": {"kind": "station_mask", "station": "valencia-gs", "min_elevation_deg": 5}},
        {"type": "Feature", "geometry": box(-0.65, 39.05, -0.30, 39.35),
         "properties": {"kind": "acquisition", "satellite": "lotusat-1", "start": "2025-10-31T05:54:10Z", "end": "2025-10-31T05:54:30Z",
                        "mode": "SM"}},
        {"type": "Feature", "geometry": box(-0.45, 39.25, -0.10, 39.60),
         "properties": {"kind": "acquisition", "satellite": "lotusat-2", "start": "2025-10-31T17:20:00Z", "end": "2025-10-31T17:20:20Z",
                        "mode": "SM"}},
    ]}
    plan_path = prod / "plan_20251031.geojson"
    plan_path.write_text(json.dumps(plan))

    paths = {"flood": flood, "ard": ardp, "plan": plan_path}
    items = {
        "flood": make_item(flood, "flood", orbit_state="descending", incidence_angle_deg=34.0),
        "ard": make_item(ardp, "ard", orbit_state="descending", incidence_angle_deg=34.0),
        "plan": make_item(plan_path, "plan", datetime_utc="2025-10-31T00:00:00Z"),
    }
    for k, it in items.items():
        p = prod / f"{paths[k].stem}.item.json"
        p.write_text(json.dumps(it.to_dict(include_self_link=False, transform_hrefs=False), indent=1))
        paths[f"{k}_item"] = p
    return paths
