"""Radar-geometry product steps behind the CLI: calibrate, multilook, despeckle.

Intermediate images are tiled float32 GeoTIFFs in radar geometry (rows = azimuth lines,
columns = range samples; no CRS), with tags naming the quantity, the number of looks and
the source product; all are written atomically and in row blocks (bounded memory).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning
from rasterio.windows import Window
from rich.progress import Progress

from lotusar.errors import InputFormatError, ValidationError
from lotusar.fileio import atomic_path
from lotusar.geo.calibration import QUANTITIES, calibrate_block, to_db
from lotusar.geo.filters import despeckle_blocked, enl, multilook
from lotusar.geo.readers import open_product

# radar-geometry rasters have no geotransform by design
warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)


def _progress(total: int, label: str):
    if not sys.stderr.isatty():
        return None, None

    prog = Progress(transient=True)
    prog.start()
    task = prog.add_task(label, total=total)
    return prog, (lambda n: prog.advance(task, n))


def _open_gtiff_out(tmp, shape, tags):
    prof = dict(driver="GTiff", width=shape[1], height=shape[0], count=1, dtype="float32", tiled=True,
                blockxsize=256, blockysize=256, compress="DEFLATE", predictor=3, nodata=np.nan, BIGTIFF="IF_SAFER")
    dst = rasterio.open(tmp, "w", **prof)
    dst.update_tags(**{k: str(v) for k, v in tags.items()})
    return dst


def _is_raster(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in (".tif", ".tiff")


def read_intensity(path: Path):
    try:
        with rasterio.open(path) as src:
            return src.read(1).astype(np.float32), dict(src.tags())
    except rasterio.errors.RasterioIOError as e:
        raise InputFormatError(f"{path}: not a readable GeoTIFF ({e})") from e


def run_calibrate(input, out, quantity="sigma0", remove_noise=False, db=False, polarization=None, swath=None,
                  block_rows: int = 512) -> dict:

    if quantity not in QUANTITIES:
        raise ValidationError(f"unknown quantity {quantity!r}: one of {', '.join(QUANTITIES)}")
    p = open_product(input, polarization=polarization, swath=swath)
    H, W = p.shape
    prog, adv = _progress(H, "calibrate")
    acc = []
    try:
        with atomic_path(out) as tmp:
            with _open_gtiff_out(tmp, (H, W), {"quantity": quantity + ("_db" if db else ""), "looks": 1,
                                               "source": p.attrs.get("source"), "polarization": p.polarization,
                                               "calibration": p.calibration.source, "noise_removed": remove_noise}) as dst:
                for r0 in range(0, H, block_rows):
                    r1 = min(H, r0 + block_rows)
                    dn = np.asarray(p.image[r0:r1].values)
                    x = calibrate_block(p, dn, slice(r0, r1), slice(0, W), quantity, remove_noise)
                    acc.append(float(np.nanmean(x)))
                    dst.write((to_db(x) if db else x).astype(np.float32), 1, window=Window(0, r0, W, r1 - r0))
                    if adv:
                        adv(r1 - r0)
    finally:
        if prog:
            prog.stop()
    mean = float(np.mean(acc))
    return {"output": str(out), "quantity": quantity, "shape": [H, W], "mean_linear": mean,
            "mean_db": float(10 * np.log10(mean)) if mean > 0 else None, "calibration": p.calibration.source,
            "noise_removed": bool(remove_noise and "noise" in p.calibration.luts)}


def _input_intensity(input: Path):
    if _is_raster(Path(input)):
        return read_intensity(Path(input))

    p = open_product(input)
    H, W = p.shape
    x = calibrate_block(p, np.asarray(p.image.values), slice(0, H), slice(0, W), "beta0")
    return x, {"quantity": "beta0", "looks": 1, "source": str(input)}


def estimate_enl(x, block: int = 16) -> float:
    """ENL of the most homogeneous areas: median of the top decile of block ENLs."""
    x = np.asarray(x, dtype=np.float64)
    H, W = (x.shape[0] // block) * block, (x.shape[1] // block) * block
    if H == 0 or W == 0:

        return enl(x)
    b = x[:H, :W].reshape(H // block, block, W // block, block)
    m = np.nanmean(b, axis=(1, 3))
    v = np.nanvar(b, axis=(1, 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        e = (m * m / v)[np.isfinite(m * m / v)]
    if e.size == 0:
        return float("nan")
    return float(np.median(np.sort(e)[-max(1, e.size // 10):]))


def _write_plain(out, arr, tags):
    with atomic_path(out) as tmp:
        with _open_gtiff_out(tmp, arr.shape, tags) as dst:
            dst.write(arr.astype(np.float32), 1)


def run_multilook(input, out, looks_azimuth=4, looks_range=1) -> dict:

    x, tags = _input_intensity(input)
    y = multilook(x, looks_azimuth, looks_range)
    looks_in = float(tags.get("looks", 1))
    tags.update(looks=looks_in * looks_azimuth * looks_range, multilook=f"{looks_azimuth}x{looks_range}")
    _write_plain(out, y, tags)
    return {"output": str(out), "shape_in": list(x.shape), "shape_out": list(y.shape),
            "nominal_looks": looks_in * looks_azimuth * looks_range, "enl_in": estimate_enl(x), "enl_out": estimate_enl(y)}


def run_despeckle(input, out, method="refined_lee", size=7, looks=1.0) -> dict:

    x, tags = _input_intensity(input)
    if looks == 1.0 and "looks" in tags:
        looks = float(tags["looks"])
    prog, adv = _progress(x.shape[0], method)
    try:
        y = despeckle_blocked(np.nan_to_num(x), method, size, looks, progress=adv)
    finally:
        if prog:
            prog.stop()
    y[~np.isfinite(x)] = np.nan
    tags.update(speckle_filter=f"{method} {size}x{size}", filter_looks=looks)
    _write_plain(out, y, tags)
    return {"output": str(out), "filter": method, "size": size, "looks": looks,
            "enl_in": estimate_enl(x), "enl_out": estimate_enl(y)}
