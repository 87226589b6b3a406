"""Writers: Cloud-Optimized GeoTIFFs and STAC items for ARD products.

COGs are written with GDAL's ``COG`` driver (tiled 512 × 512, internal overviews,
DEFLATE + predictor, nodata set, CRS) through :func:`lotusar.fileio.atomic_path`, and can be
checked with :func:`validate_cog` (rio-cogeo). The ARD product's STAC metadata (SAR, sat, view
and projection extension fields) is handed to the catalog, which builds the item.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pystac
import rasterio
from pyproj import Transformer
from rio_cogeo.cogeo import cog_validate
from shapely.geometry import Polygon, mapping

from lotusar.catalog.items import build_item
from lotusar.fileio import atomic_path, write_text_atomic
from lotusar.timeutil import iso_utc, parse_utc


def write_cog(path: str | os.PathLike, array: np.ndarray, transform, crs: str, nodata=None,
              description: str | None = None, tags: dict | None = None, resampling: str = "AVERAGE",
              colormap: dict | None = None, blocksize: int = 512) -> Path:
    """Write one band as a COG (atomic); ``colormap`` {value: RGBA} makes it paletted."""
    arr = np.asarray(array)
    if nodata is None:
        nodata = np.nan if arr.dtype.kind == "f" else 255
    profile = dict(driver="COG", width=arr.shape[1], height=arr.shape[0], count=1, dtype=arr.dtype.name,
                   crs=crs, transform=transform, nodata=nodata, compress="DEFLATE",
                   predictor=3 if arr.dtype.kind == "f" else 2, blocksize=blocksize, overview_resampling=resampling,
                   BIGTIFF="IF_SAFER")
    if arr.dtype.kind != "f" and resampling == "AVERAGE":
        profile["overview_resampling"] = "NEAREST"
    with atomic_path(path) as tmp:
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(arr, 1)
            if description:
                dst.set_band_description(1, description)
            if tags:
                dst.update_tags(**{k: str(v) for k, v in tags.items()})
            if colormap:
                dst.write_colormap(1, colormap)
    return Path(path)


def validate_cog(path) -> tuple[bool, list[str], list[str]]:
    """(is_valid, errors, warnings) from rio-cogeo."""
    return cog_validate(str(path), quiet=True)


_FREQUENCY_BANDS = {b.upper(): b for b in ("P", "L", "S", "C", "X", "Ku", "K", "Ka")}


def _footprint(grid, footprint_lonlat) -> Polygon:
    if footprint_lonlat is not None:
        return Polygon(list(zip(*footprint_lonlat))).convex_hull
    tr = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    x0, y1 = grid.x0, grid.y0
    x1, y0 = grid.x0 + grid.width * grid.dx, grid.y0 - grid.height * grid.dy
    lo, la = tr.transform([x0, x1, x1, x0], [y0, y0, y1, y1])
    return Polygon(zip(lo, la))


def ard_properties(grid, product_info: dict, processing: dict) -> dict:
    """STAC properties of an ARD product: times, platform, and the SAR v1.0, sat v1.0, view v1.0
    and projection v1.1 extension fields (named as the extensions define them)."""
    start = parse_utc(str(product_info.get("start_time")), "start_time")
    stop = parse_utc(str(product_info.get("stop_time")), "stop_time")
    mission = str(product_info.get("mission", "")).lower()
    pols = [q for q in [str(product_info.get("polarization", "VV")).upper()] if q in ("HH", "VV", "HV", "VH")]
    props: dict = {
        "start_datetime": iso_utc(start, 6), "end_datetime": iso_utc(stop, 6),
        "platform": mission, "constellation": mission,
        "processing:software": {"lotusar": processing.get("version", "")}, "lotusar:processing": processing,
        "sar:instrument_mode": str(product_info.get("instrument_mode") or "SM"),
        "sar:frequency_band": _FREQUENCY_BANDS.get(str(product_info.get("frequency_band", "C")).upper(), "C"),
        "sar:polarizations": pols or ["VV"],
        "sar:product_type": processing.get("product_type", "RTC"),
        "sar:center_frequency": float(product_info.get("center_frequency_hz", 0.0)) / 1e9,
    }
    for key, value in (("sar:looks_range", processing.get("looks_range")),
                       ("sar:looks_azimuth", processing.get("looks_azimuth")),
                       ("sat:absolute_orbit", product_info.get("absolute_orbit")),
                       ("sat:relative_orbit", product_info.get("relative_orbit"))):
        if value is not None:
            props[key] = int(value)
    if product_info.get("look_side") in ("left", "right"):
        props["sar:observation_direction"] = product_info["look_side"]
    state = str(product_info.get("orbit_state", "")).lower()
    if state in ("ascending", "descending"):
        props["sat:orbit_state"] = state
    if processing.get("incidence_angle_deg") is not None:
        props["view:incidence_angle"] = float(processing["incidence_angle_deg"])
    if processing.get("off_nadir_deg") is not None:
        props["view:off_nadir"] = float(processing["off_nadir_deg"])
    if grid.crs.upper().startswith("EPSG:"):
        props["proj:epsg"] = int(grid.crs.split(":")[1])
    props["proj:shape"] = [grid.height, grid.width]
    props["proj:transform"] = list(grid.transform)[:6]
    return props


def stac_item(item_id: str, assets: dict[str, dict], grid, product_info: dict, processing: dict, footprint_lonlat=None):
    """The ARD product's STAC item: its metadata (:func:`ard_properties`, footprint, COG assets)
    handed to the catalog, which alone builds items (:func:`lotusar.catalog.items.build_item`)."""
    props = ard_properties(grid, product_info, processing)
    cogs = {key: {"type": pystac.MediaType.COG, "roles": ["data"], **{k: v for k, v in a.items() if k != "extra"},
                  **a.get("extra", {})} for key, a in assets.items()}
    return build_item(item_id, geometry=mapping(_footprint(grid, footprint_lonlat)), datetime_utc=props["start_datetime"],
                      properties=props, assets=cogs, collection_id="lotusar-ard")


def write_stac_item(path, item) -> Path:
    d = item.to_dict(include_self_link=False)
    write_text_atomic(path, json.dumps(d, indent=2, default=str))
    return Path(path)
