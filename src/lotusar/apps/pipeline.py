"""Orchestration: file in → computation → COG/GeoJSON/PNG/STAC out (what the CLI calls).

Each ``run_*`` function reads its inputs, calls the pure functions of the method modules and
writes every output atomically. Output names derive from ``out``: for ``flood.tif`` the
outputs are ``flood.tif`` (classes), ``flood_confidence.tif``, ``flood.geojson`` (polygons),
``flood_stats.json``, ``flood.png`` and ``flood_item.json`` (STAC Item).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from lotusar.errors import ValidationError

__all__ = ["to_db", "run_flood", "flood_outputs"]


def to_db(data: np.ndarray, is_db: bool, path: Path | str = "input") -> np.ndarray:
    """σ⁰ in dB. Without ``--db`` the input is linear power, unless it holds negative values
    (impossible for linear σ⁰), in which case it is taken as dB and a note is printed."""
    if is_db:
        return np.asarray(data, dtype=np.float64)
    finite = data[np.isfinite(data)]
    if finite.size and np.median(finite) < 0:
        sys.stderr.write(f"lotusar: note: {path} has negative σ⁰ values; reading it as dB\n")
        return np.asarray(data, dtype=np.float64)
    from lotusar.apps.speckle import linear_to_db

    return linear_to_db(data)


def flood_outputs(out: str | Path) -> dict[str, Path]:
    o = Path(out)
    stem = o.with_suffix("")
    return {
        "classes": o,
        "confidence": Path(f"{stem}_confidence.tif"),
        "polygons": Path(f"{stem}.geojson"),
        "stats": Path(f"{stem}_stats.json"),
        "png": Path(f"{stem}.png"),
        "stac": Path(f"{stem}_item.json"),
    }


def run_flood(input_path, out, *, db: bool = False, bands: str | None = None, pre=None, dem=None, hand=None,
              permanent_water=None, layover_shadow=None, regions=None, pixel_spacing_m: float | None = None,
              params=None, png: bool = True) -> dict:
    """Flood map of ``input_path`` written to ``out`` (+ side products); returns a summary dict."""
    from lotusar.apps import flood, products
    from lotusar.apps import rasterio_io as rio
    from lotusar.cliutil import to_json
    from lotusar.fileio import write_text_atomic

    img = rio.read_raster(input_path, bands)
    spacing = pixel_spacing_m or rio.pixel_spacing_m(img, default=10.0)
    bands_db = {n: to_db(b, db, input_path) for n, b in rio.band_dict(img).items()}
    pre_db = None
    if pre is not None:
        pre_r = rio.read_raster(pre, bands)
        pre_data = rio.reproject_to(pre_r, img)
        pre_db = {n: to_db(pre_data[i], db, pre) for i, n in enumerate(pre_r.names)}
    dem_m = None
    if dem is not None:
        dem_m = rio.reproject_to(rio.read_raster(dem), img)[0]
    hand_m = rio.reproject_to(rio.read_raster(hand), img)[0] if hand is not None else None
    pw = None
    if permanent_water is not None:
        pw = np.nan_to_num(rio.reproject_to(rio.read_raster(permanent_water), img, "nearest")[0]) > 0
    ls = None
    if layover_shadow is not None:
        ls = np.nan_to_num(rio.reproject_to(rio.read_raster(layover_shadow), img, "nearest")[0]) > 0
    res = flood.map_floods(bands_db, spacing, pre_bands_db=pre_db, dem_m=dem_m, hand_m=hand_m,
                           permanent_water=pw, layover_shadow=ls, params=params)
    paths = flood_outputs(out)
    cmap = {k: v for k, v in products.FLOOD_COLOURS.items()}
    rio.write_cog(paths["classes"], res.classes, img, nodata=255, descriptions=["flood_class"], colormap=cmap,
                  tags={f"CLASS_{k}": v for k, v in flood.CLASS_NAMES.items()})
    rio.write_cog(paths["confidence"], res.confidence, img, nodata=float("nan"), descriptions=["confidence"])
    polys = products.class_polygons(res.classes, img, flood.CLASS_NAMES, (1, 2, 3), res.confidence)
    rio.write_geojson(paths["polygons"], polys, name=Path(out).stem)
    region_fc = rio.read_geojson(regions) if regions is not None else None
    stats = products.region_statistics(res.classes, img, flood.CLASS_NAMES, region_fc)
    area = rio.pixel_area_m2(img) if img.georeferenced else spacing**2
    summary = {
        "input": str(input_path),
        "pixel_spacing_m": spacing,
        "bands": img.names,
        "outputs": {k: str(v) for k, v in paths.items() if png or k != "png"},
        "regions": stats,
        "polygons": len(polys),
        **res.summary(area),
    }
    write_text_atomic(paths["stats"], to_json(summary) + "\n")
    if png:
        bg = bands_db.get("VH", next(iter(bands_db.values())))
        products.save_class_png(paths["png"], res.classes, bg, f"Flood map — {Path(input_path).name}",
                                names={k: v for k, v in flood.CLASS_NAMES.items() if k != 255})
    assets = {
        "classes": {"href": paths["classes"], "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                    "roles": ["data"], "title": "flood classes (0 dry, 1 open flood, 2 permanent water, "
                                                  "3 flooded vegetation, 255 no data)"},
        "confidence": {"href": paths["confidence"], "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                       "roles": ["data", "quality"]},
        "polygons": {"href": paths["polygons"], "type": "application/geo+json", "roles": ["data"]},
        "statistics": {"href": paths["stats"], "type": "application/json", "roles": ["metadata"]},
    }
    if png:
        assets["thumbnail"] = {"href": paths["png"], "type": "image/png", "roles": ["overview"]}
    flooded = summary["classes"]["open flood water"].get("area_km2")
    products.write_stac_item(paths["stac"], f"flood-{Path(out).stem}", img, assets, {
        "lotusar:product": "flood-map",
        "lotusar:source": str(input_path),
        "lotusar:open_flood_km2": flooded,
        "lotusar:thresholds_db": {k: v.threshold_db for k, v in res.models.items()},
    })
    return summary
