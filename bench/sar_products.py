"""Benchmark: terrain correction vs sarsen, speckle filters / multilook vs memory bandwidth.

    python bench/sar_products.py --quick      # 1000 × 1000 grid, 1024² filter image
    python bench/sar_products.py              # 10 000 × 10 000 grid (long; run once)

Terrain correction: the same S1 GRD (s1-safe-sarsen, IW VV, real orbit and srgr
annotation), the same DEM (Rome 30 m, bilinearly resampled to the output grid, heights used
as ellipsoidal on both sides) and the same EPSG:4326 grid. Each engine runs in its own
subprocess so that peak RSS is its own: lotusar ``terrain.geocode`` (GTC incl. the image
sampling, row blocks) vs sarsen ``backward_geocode`` on Dask chunks (its own
``terrain_correction`` path, 1024² chunks) — sarsen's timing excludes its image sampling,
so the ratio is conservative. Accuracy: max |Δrow|, |Δcol| between the two on a subgrid.

Filters: Mpixel/s on a float32 image and the ratio to a memory-bandwidth ceiling measured in
the same run (one streaming read + write of 8 bytes per pixel, ``np.copyto``).
Writes bench/results/sar_products.json and prints a rich table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "s1-safe-sarsen"
SAFE = DATA / "S1B_IW_GRDH_1SDV_20211223T051122_20211223T051147_030148_039993_5371.SAFE"
DEM = DATA / "Rome-30m-DEM.tif"


def _grid(n):
    import rasterio

    with rasterio.open(DEM) as src:
        b = src.bounds
    dx = (b.right - b.left) / n
    dy = (b.top - b.bottom) / n
    return b.left, b.top, dx, dy


def _dem_on_grid(n):
    """DEM heights bilinearly resampled at the n × n grid centres (shared by both engines)."""
    from lotusar.geo.io import read_dem

    d = read_dem(DEM, datum="ellipsoid")
    x0, y0, dx, dy = _grid(n)
    xs = x0 + (np.arange(n) + 0.5) * dx
    ys = y0 - (np.arange(n) + 0.5) * dy
    return d, xs, ys


def run_ours(n, sub):
    from lotusar.geo.readers import open_sentinel1
    from lotusar.geo.terrain import MapGrid, geocode, radar_coordinates

    p = open_sentinel1(SAFE, polarization="VV")
    d, xs, ys = _dem_on_grid(n)
    x0, y0, dx, dy = _grid(n)
    grid = MapGrid("EPSG:4326", x0, y0, dx, dy, n, n)
    zero = lambda rows, cols: np.zeros((rows.stop - rows.start, cols.stop - cols.start), np.float32)  # noqa: E731
    t0 = time.perf_counter()
    out = geocode(p, zero, d, grid, rtc=False, block_rows=max(1, 131_072 // n), layers=False)
    dt = time.perf_counter() - t0
    # subgrid whose centres are the full grid's centres [sub//2 :: sub] (as sampled from sarsen)
    sg = MapGrid("EPSG:4326", x0 + (sub // 2 + 0.5) * dx - 0.5 * sub * dx, y0 - (sub // 2 + 0.5) * dy + 0.5 * sub * dy,
                 dx * sub, dy * sub, len(range(sub // 2, n, sub)), len(range(sub // 2, n, sub)))
    _, _, row, col = radar_coordinates(p, d, sg)
    return {"seconds": dt, "valid": float(np.isfinite(out["value"]).mean()), "row": row.tolist(), "col": col.tolist()}


def run_sarsen(n, sub):
    import dask
    import xarray as xr
    from sarsen import Sentinel1SarProduct, geocoding, orbit, scene

    from lotusar.geo.readers import open_sentinel1

    sp = Sentinel1SarProduct(str(SAFE), measurement_group="IW/VV")
    d, xs, ys = _dem_on_grid(n)
    x0, y0, dx, dy = _grid(n)
    ys_asc = ys[::-1]
    X, Y = np.meshgrid(xs, ys_asc)
    h = d.height_at(X, Y, order=1)
    dem = xr.DataArray(h, dims=("y", "x"), coords={"x": xs, "y": ys_asc}).chunk(1024)
    dem = dem.rio.write_crs("EPSG:4326")
    oi = orbit.OrbitPolyfitInterpolator.from_position(sp.state_vectors())
    t0 = time.perf_counter()
    dem_ecef = xr.map_blocks(scene.convert_to_dem_ecef, dem, kwargs={"source_crs": "EPSG:4326"})
    acq = geocoding.backward_geocode(dem_ecef, oi)
    with dask.config.set(scheduler="threads"):
        az = acq.azimuth_time.values
        R = np.sqrt((acq.dem_distance**2).sum("axis")).values
    dt = time.perf_counter() - t0
    p = open_sentinel1(SAFE, polarization="VV")
    azs = az[::-1][sub // 2 :: sub, sub // 2 :: sub]
    Rs = R[::-1][sub // 2 :: sub, sub // 2 :: sub]
    row, col = p.pixel_of(p.orbit.seconds(azs), Rs)
    return {"seconds": dt, "row": row.tolist(), "col": col.tolist()}


def _child(engine, n, sub):
    res = run_ours(n, sub) if engine == "ours" else run_sarsen(n, sub)
    res["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(res))


def filters_bench(n):
    from lotusar.geo.filters import METHODS, despeckle, multilook

    rng = np.random.default_rng(0)
    img = rng.gamma(1.0, 1.0, (n, n)).astype(np.float32)
    big = np.empty((4096, 4096), np.float32)
    src = rng.random((4096, 4096), dtype=np.float32)
    best = 0.0
    for _ in range(5):
        t = time.perf_counter()
        np.copyto(big, src)
        best = max(best, src.size / (time.perf_counter() - t))
    ceiling_mpx = best / 1e6  # 8 bytes moved per pixel
    rows = [{"name": "memory ceiling (copy, 8 B/px)", "mpx_s": ceiling_mpx, "ratio": 1.0}]
    for name, fn in [("multilook 4×4", lambda: multilook(img, 4, 4))] + [
            (f"{m} 7×7", (lambda m=m: despeckle(img, m, 7, 1.0))) for m in METHODS]:
        fn()
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        rows.append({"name": name, "mpx_s": img.size / dt / 1e6, "ratio": img.size / dt / 1e6 / ceiling_mpx})
    return rows, ceiling_mpx * 8 / 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--child", default=None)
    a = ap.parse_args()
    n = a.n or (1000 if a.quick else 10000)
    sub = max(1, n // 100)
    if a.child:
        _child(a.child, n, sub)
        return
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    res = {}
    for engine in ("ours", "sarsen"):
        out = subprocess.run([sys.executable, __file__, "--child", engine, "--n", str(n)], capture_output=True, text=True, env=env)
        if out.returncode != 0:
            raise SystemExit(out.stderr)
        res[engine] = json.loads(out.stdout.strip().splitlines()[-1])
    drow = np.nanmax(np.abs(np.array(res["ours"]["row"]) - np.array(res["sarsen"]["row"])))
    dcol = np.nanmax(np.abs(np.array(res["ours"]["col"]) - np.array(res["sarsen"]["col"])))
    tc = {"grid": f"{n}x{n}", "cells": n * n, "ours_s": res["ours"]["seconds"], "sarsen_s": res["sarsen"]["seconds"],
          "speedup": res["sarsen"]["seconds"] / res["ours"]["seconds"], "ours_peak_rss_mb": res["ours"]["peak_rss_mb"],
          "sarsen_peak_rss_mb": res["sarsen"]["peak_rss_mb"], "max_drow_px": float(drow), "max_dcol_px": float(dcol),
          "ours_mcells_s": n * n / res["ours"]["seconds"] / 1e6}
    frows, bw = filters_bench(1024 if a.quick else 4096)
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"terrain correction {n}×{n} (EPSG:4326, S1 GRD IW VV, Rome DEM)")
    for c in ("engine", "seconds", "Mcells/s", "peak RSS MB", "speed-up vs sarsen"):
        t.add_column(c)
    t.add_row("lotusar", f"{tc['ours_s']:.2f}", f"{tc['ours_mcells_s']:.2f}", f"{tc['ours_peak_rss_mb']:.0f}", f"{tc['speedup']:.1f}×")
    t.add_row("sarsen", f"{tc['sarsen_s']:.2f}", f"{n * n / tc['sarsen_s'] / 1e6:.2f}", f"{tc['sarsen_peak_rss_mb']:.0f}", "1.0×")
    t.caption = f"max |Δrow| {drow:.4f} px, |Δcol| {dcol:.4f} px (lotusar vs sarsen)"
    Console().print(t)
    t2 = Table(title=f"speckle filters / multilook (float32, memory ceiling {bw:.1f} GB/s)")
    for c in ("kernel", "Mpixel/s", "ratio to ceiling"):
        t2.add_column(c)
    for r in frows:
        t2.add_row(r["name"], f"{r['mpx_s']:.1f}", f"{r['ratio']:.3f}")
    Console().print(t2)
    out = {"terrain_correction": tc, "filters": frows, "memory_bandwidth_gb_s": bw, "quick": a.quick,
           "cpu_count": os.cpu_count()}
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "results" / "sar_products.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
