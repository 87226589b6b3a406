"""Analysis-ready data chain: calibrate → (multilook, despeckle) → terrain-correct → COG + STAC.

Python API (used by the end-to-end scenario)::

    from lotusar.geo import ard
    result = ard("scene_slc.h5", dem="dem.tif", out="out/ard", crs="UTM", resolution_m=20.0)
    result.backscatter_path   # COG of γ⁰_T (linear power, float32, NaN nodata)

See docs/geo.md for the full contract.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr
from rich.progress import Progress
from scipy import ndimage

from lotusar import __version__
from lotusar.errors import ValidationError
from lotusar.geo.calibration import calibrate_block
from lotusar.geo.cog import stac_item, write_cog, write_stac_item
from lotusar.geo.dem import Dem, FlatDem
from lotusar.geo.filters import METHODS, despeckle, halo
from lotusar.geo.geometry import topo_layers
from lotusar.geo.io import DEFAULT_GEOID_PATH, read_dem
from lotusar.geo.model import RadarProduct
from lotusar.geo.readers import from_lotusar_dataset, open_product
from lotusar.geo.terrain import MapGrid, footprint_lonlat, geocode, make_grid
from lotusar.sar.model import rdr2geo

OUTPUT_QUANTITIES = ("gamma0_t", "sigma0", "beta0", "gamma0")


@dataclass
class ArdResult:
    backscatter_path: Path
    mask_path: Path
    local_incidence_path: Path
    stac_path: Path
    grid: MapGrid
    quantity: str
    stats: dict = field(default_factory=dict)


def load_product(product, polarization: str | None = None, swath: str | None = None) -> RadarProduct:
    """Path (SAFE / NISAR HDF5 / lotusar SLC), lotusar SLC ``xr.Dataset`` or RadarProduct."""
    if isinstance(product, RadarProduct):
        return product
    if isinstance(product, xr.Dataset):
        return from_lotusar_dataset(product, source="<dataset>")
    return open_product(product, polarization=polarization, swath=swath)


def load_dem(dem, product: RadarProduct, datum: str = "auto", geoid_path=DEFAULT_GEOID_PATH):
    if dem is None:
        return FlatDem(0.0)
    if isinstance(dem, Dem):
        return dem
    if isinstance(dem, int | float):
        return FlatDem(float(dem))
    lon, lat = footprint_lonlat(product, FlatDem(0.0))
    pad = 0.05
    return read_dem(dem, datum=datum, geoid_path=geoid_path,
                    window_lonlat=(lon.min() - pad, lat.min() - pad, lon.max() + pad, lat.max() + pad))


def pixel_spacings_m(product: RadarProduct, dem) -> tuple[float, float, float]:
    """(azimuth spacing on ground, ground-range spacing, incidence at scene centre)."""
    H, W = product.shape
    t, R = product.radar_of(np.array([H / 2.0, H / 2.0]), np.array([W / 2.0, W / 2.0 + 1.0]))
    lon, lat, h, x = rdr2geo(product.orbit, t, R, float(dem.mean_height_m), product.wavelength_m, product.look_side, product.doppler_hz)
    inc = float(topo_layers(product.orbit, t, lon, lat, h, x, FlatDem(0.0))["incidence_deg"][0])
    p, v = product.orbit.interpolate(t[:1])
    vg = float(np.linalg.norm(v) * np.linalg.norm(x[0]) / np.linalg.norm(p))
    az = abs(product.azimuth_time_interval_s) * vg
    rg = float(np.linalg.norm(x[1] - x[0]))
    return az, rg, inc


class RadarWindowReader:
    """Calibrated, multilooked, despeckled radar values on demand for image windows."""

    def __init__(self, product: RadarProduct, quantity: str, looks_az: int, looks_rg: int,
                 speckle_filter: str | None, filter_size: int, remove_noise: bool, filter_looks: float):
        self.p, self.q = product, quantity
        self.la, self.lr = max(1, looks_az), max(1, looks_rg)
        self.f, self.fs, self.noise, self.fl = speckle_filter, filter_size, remove_noise, filter_looks
        self.h = max(self.la, self.lr) // 2 + 1 + (halo(speckle_filter, filter_size) if speckle_filter else 0)

    def __call__(self, rows: slice, cols: slice) -> np.ndarray:
        H, W = self.p.shape
        r0, r1 = max(0, rows.start - self.h), min(H, rows.stop + self.h)
        c0, c1 = max(0, cols.start - self.h), min(W, cols.stop + self.h)
        dn = np.asarray(self.p.image[r0:r1, c0:c1].values)
        x = calibrate_block(self.p, dn, slice(r0, r1), slice(c0, c1), self.q, remove_noise=self.noise).astype(np.float64)
        if self.la > 1 or self.lr > 1:
            x = ndimage.uniform_filter(x, (self.la, self.lr), mode="nearest")
        if self.f:
            x = despeckle(x, self.f, self.fs, self.fl * self.la * self.lr)
        return x[rows.start - r0 : rows.stop - r0, cols.start - c0 : cols.stop - c0]


def ard(product, dem=None, out: str | os.PathLike = "ard", *, crs: str | None = "UTM", resolution_m: float = 20.0,
        quantity: str = "gamma0_t", speckle_filter: str | None = None, filter_size: int = 7,
        polarization: str | None = None, swath: str | None = None, dem_datum: str = "auto",
        geoid_path=DEFAULT_GEOID_PATH, remove_noise: bool = True, block_rows: int | None = None,
        progress: bool = False, bounds=None) -> ArdResult:
    """Run the ARD chain and write COGs + STAC item; returns the paths and statistics.

    ``product``: path / dataset / RadarProduct. ``dem``: GeoTIFF path, a ``Dem``, a
    constant height in metres, or None (WGS84 ellipsoid, height 0 — stated in metadata).
    ``out``: output directory, or a ``*.tif`` path for the backscatter COG (the other
    layers and the STAC item are written beside it). ``quantity``: ``gamma0_t`` (RTC,
    default), ``sigma0``, ``beta0`` or ``gamma0`` (ellipsoid).
    """
    if quantity not in OUTPUT_QUANTITIES:
        raise ValidationError(f"unknown quantity {quantity!r}: one of {', '.join(OUTPUT_QUANTITIES)}")
    if speckle_filter is not None and speckle_filter not in METHODS:
        raise ValidationError(f"unknown speckle filter {speckle_filter!r}: one of {', '.join(METHODS)}")
    if resolution_m <= 0:
        raise ValidationError(f"--resolution-m must be > 0, got {resolution_m}")
    p = load_product(product, polarization, swath)
    d = load_dem(dem, p, dem_datum, geoid_path)
    grid = make_grid(p, d, crs, resolution_m, bounds)
    az_m, rg_m, inc = pixel_spacings_m(p, d)
    la = max(1, int(round(resolution_m / max(az_m, 1e-3))))
    lr = max(1, int(round(resolution_m / max(rg_m, 1e-3))))
    radar_q = "beta0" if quantity == "gamma0_t" else quantity
    reader = RadarWindowReader(p, radar_q, la, lr, speckle_filter, filter_size, remove_noise, 1.0)
    total = grid.height * (2 if quantity == "gamma0_t" else 1)
    if progress:
        with Progress(transient=True) as prog:
            task = prog.add_task("terrain correction", total=total)
            res = geocode(p, reader, d, grid, rtc=quantity == "gamma0_t", block_rows=block_rows,
                          progress=lambda n: prog.advance(task, n))
    else:
        res = geocode(p, reader, d, grid, rtc=quantity == "gamma0_t", block_rows=block_rows)
    out = Path(out)
    stem = _item_id(p)
    if out.suffix.lower() in (".tif", ".tiff"):
        folder, bpath = out.parent, out
        stem = out.stem
    else:
        folder, bpath = out, out / f"{stem}_{quantity}.tif"
    mpath = folder / f"{stem}_mask.tif"
    lpath = folder / f"{stem}_local_incidence.tif"
    spath = folder / f"{stem}.json"
    tags = {"quantity": quantity, "units": "m2 m-2 (linear power)", "dem": d.source, "lotusar_version": __version__,
            "mission": p.attrs.get("mission"), "polarization": p.polarization, "source": p.attrs.get("source")}
    write_cog(bpath, res["value"], grid.transform, grid.crs, np.nan, f"{quantity} ({p.polarization})", tags)
    write_cog(mpath, res["mask"], grid.transform, grid.crs, 255, "layover(1)/shadow(2) mask, 255 nodata",
              {"layover": 1, "shadow": 2, "nodata": 255}, resampling="NEAREST")
    write_cog(lpath, res["local_incidence_deg"], grid.transform, grid.crs, np.nan, "local incidence angle (deg)")
    v = res["value"]
    valid = np.isfinite(v) & (v > 0)
    m = res["mask"]
    covered = m != 255
    ncov = max(int(covered.sum()), 1)
    stats = {"valid_fraction": float(valid.mean()), "layover_fraction": float((((m & 1) > 0) & covered).sum() / ncov),
             "shadow_fraction": float((((m & 2) > 0) & covered).sum() / ncov),
             "median_db": float(10 * np.log10(np.median(v[valid]))) if valid.any() else None,
             "looks_azimuth": la, "looks_range": lr, "incidence_centre_deg": inc,
             "grid": {"crs": grid.crs, "width": grid.width, "height": grid.height, "resolution": [grid.dx, grid.dy]}}
    info = dict(p.attrs)
    info.update(polarization=p.polarization, look_side=p.look_side)
    processing = {"version": __version__, "product_type": "RTC" if quantity == "gamma0_t" else "GTC",
                  "quantity": quantity, "dem": d.source, "speckle_filter": speckle_filter or "none",
                  "looks_range": lr, "looks_azimuth": la, "incidence_angle_deg": inc,
                  "orbit_interpolation": p.orbit.method, "geometry": "zero-Doppler" if p.doppler_hz is None else "native Doppler",
                  "calibration": p.calibration.source, "thermal_noise_removed": bool(remove_noise and "noise" in p.calibration.luts),
                  "layover_shadow": "active (local facet geometry)"}
    lon, lat = footprint_lonlat(p, d)
    assets = {
        quantity: {"href": bpath.name, "title": f"{quantity} {p.polarization}", "roles": ["data", "backscatter"]},
        "mask": {"href": mpath.name, "title": "layover/shadow mask", "roles": ["data", "mask"]},
        "local_incidence_angle": {"href": lpath.name, "title": "local incidence angle (deg)", "roles": ["data", "local-incidence-angle"]},
    }
    item = stac_item(stem, assets, grid, info, processing, (lon, lat))
    write_stac_item(spath, item)
    return ArdResult(bpath, mpath, lpath, spath, grid, quantity, stats)


def _item_id(p: RadarProduct) -> str:
    src = Path(str(p.attrs.get("source", "scene")))
    name = src.stem if src.suffix.upper() != ".SAFE" else src.name[:-5]
    return f"{name}_{p.polarization}".replace(" ", "_")
