"""Writers: Cloud-Optimized GeoTIFFs and STAC items for ARD products.

COGs are written with GDAL's ``COG`` driver (tiled 512 × 512, internal overviews,
DEFLATE + predictor, nodata set, CRS) through :func:`lotusar.fileio.atomic_path`, and can be
checked with :func:`validate_cog` (rio-cogeo). The STAC item uses the SAR, sat, view and
projection extensions (pystac).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import pystac
import rasterio
from pyproj import Transformer
from pystac.extensions.projection import ProjectionExtension
from pystac.extensions.sar import FrequencyBand, ObservationDirection, Polarization, SarExtension
from pystac.extensions.sat import OrbitState, SatExtension
from pystac.extensions.view import ViewExtension
from rio_cogeo.cogeo import cog_validate
from shapely.geometry import Polygon, mapping

from lotusar.fileio import atomic_path, write_text_atomic


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


def stac_item(item_id: str, assets: dict[str, dict], grid, product_info: dict, processing: dict, footprint_lonlat=None):
    """Build a pystac Item for the ARD product (SAR, sat, view, projection extensions)."""
    if footprint_lonlat is not None:
        geom = Polygon(list(zip(*footprint_lonlat))).convex_hull
    else:
        tr = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
        x0, y1 = grid.x0, grid.y0
        x1, y0 = grid.x0 + grid.width * grid.dx, grid.y0 - grid.height * grid.dy
        lo, la = tr.transform([x0, x1, x1, x0], [y0, y0, y1, y1])
        geom = Polygon(zip(lo, la))
    start = np.datetime64(str(product_info.get("start_time"))[:26]).astype("datetime64[us]").item()
    stop = np.datetime64(str(product_info.get("stop_time"))[:26]).astype("datetime64[us]").item()
    start = start.replace(tzinfo=dt.UTC)
    stop = stop.replace(tzinfo=dt.UTC)
    item = pystac.Item(id=item_id, geometry=mapping(geom), bbox=list(geom.bounds), datetime=start,
                       properties={"start_datetime": start.isoformat().replace("+00:00", "Z"),
                                   "end_datetime": stop.isoformat().replace("+00:00", "Z"),
                                   "platform": str(product_info.get("mission", "")).lower(),
                                   "constellation": str(product_info.get("mission", "")).lower(),
                                   "processing:software": {"lotusar": processing.get("version", "")},
                                   "lotusar:processing": processing})
    sar = SarExtension.ext(item, add_if_missing=True)
    band = str(product_info.get("frequency_band", "C")).upper()
    try:
        fb = FrequencyBand(band)
    except ValueError:
        fb = FrequencyBand.C
    pols = []
    for q in [product_info.get("polarization", "VV")]:
        try:
            pols.append(Polarization(str(q).upper()))
        except ValueError:
            pass
    sar.apply(instrument_mode=str(product_info.get("instrument_mode") or "SM"), frequency_band=fb,
              polarizations=pols or [Polarization.VV], product_type=processing.get("product_type", "RTC"),
              center_frequency=float(product_info.get("center_frequency_hz", 0.0)) / 1e9,
              looks_range=processing.get("looks_range"), looks_azimuth=processing.get("looks_azimuth"),
              observation_direction=(ObservationDirection(product_info["look_side"])
                                     if product_info.get("look_side") in ("left", "right") else None))
    sat = SatExtension.ext(item, add_if_missing=True)
    state = str(product_info.get("orbit_state", "")).lower()
    sat.apply(orbit_state=OrbitState(state) if state in ("ascending", "descending") else None,
              absolute_orbit=product_info.get("absolute_orbit"), relative_orbit=product_info.get("relative_orbit"))
    view = ViewExtension.ext(item, add_if_missing=True)
    if processing.get("incidence_angle_deg") is not None:
        view.incidence_angle = float(processing["incidence_angle_deg"])
    if processing.get("off_nadir_deg") is not None:
        view.off_nadir = float(processing["off_nadir_deg"])
    proj = ProjectionExtension.ext(item, add_if_missing=True)
    epsg = grid.crs.split(":")[1] if grid.crs.upper().startswith("EPSG:") else None
    proj.apply(epsg=int(epsg) if epsg else None, shape=[grid.height, grid.width], transform=list(grid.transform)[:6])
    for key, a in assets.items():
        item.add_asset(key, pystac.Asset(href=a["href"], media_type=pystac.MediaType.COG, roles=a.get("roles", ["data"]),
                                         title=a.get("title"), extra_fields=a.get("extra", {})))
    return item


def write_stac_item(path, item) -> Path:
    d = item.to_dict(include_self_link=False)
    write_text_atomic(path, json.dumps(d, indent=2, default=str))
    return Path(path)
