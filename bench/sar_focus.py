"""Benchmark: SAR focusing against the FFT ceiling, simulator throughput.

Ceiling = one forward+inverse range FFT and one forward+inverse azimuth FFT over the same
complex64 block (scipy.fft, all workers; cuFFT on GPU). Each algorithm's wall time on the same
block is reported as a ratio to it (goals on CPU: CSA <= 1.5, RDA <= 2.5, omega-k <= 2.5), with
peak Python/NumPy memory (tracemalloc) as a ratio to the block size (goal <= 3).
Back-projection: giga back-projections per second on a small output grid.
Simulator: exact point-target samples per second; frequency-domain σ0 scene samples per second.

    python bench/sar_focus.py [--quick] [--device cpu|gpu]
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from pathlib import Path

import numpy as np


def _params(n: int):
    from lotusar.sar.focus import FocusParams
    from lotusar.sar.presets import get_preset
    from lotusar.sar.scene import parse_scene
    from lotusar.sar.simulate import plan_acquisition

    mode = get_preset("lotusat1-stripmap")
    acq = plan_acquisition(mode, parse_scene({"azimuth_lines": 256, "range_samples": 256, "antenna_pattern": False, "targets": [{}]}))
    p = FocusParams(carrier_hz=mode.carrier_hz, range_sampling_rate_hz=mode.range_sampling_rate_hz, prf_hz=mode.prf_hz,
                    chirp_rate_hz_s=mode.chirp_rate_hz_s, pulse_length_s=mode.pulse_length_s,
                    range_bandwidth_hz=mode.range_bandwidth_hz, fast_time0_s=acq.raw_fast_time0_s,
                    azimuth_time0_s=acq.centre_time_s - n / 2 / mode.prf_hz, sv=acq.sv, doppler_poly_hz=acq.doppler_poly,
                    doppler_ref_range_m=acq.centre_range_m, azimuth_bandwidth_hz=acq.azimuth_bandwidth_hz)
    return mode, acq, p


def fft_ceiling(block, xp, repeats: int = 2) -> float:
    from lotusar.xp import fft_module, fft_workers

    fft, kw = fft_module(xp), fft_workers(xp)
    best = np.inf
    for _ in range(repeats):
        x = block.copy()
        _sync(xp)
        t = time.perf_counter()
        x = fft.fft(x, axis=1, overwrite_x=True, **kw)
        x = fft.ifft(x, axis=1, overwrite_x=True, **kw)
        x = fft.fft(x, axis=0, overwrite_x=True, **kw)
        x = fft.ifft(x, axis=0, overwrite_x=True, **kw)
        _sync(xp)
        best = min(best, time.perf_counter() - t)
    return best


def _sync(xp):
    if xp is not np:
        xp.cuda.Device().synchronize()


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="2048 x 2048 instead of 8192 x 8192")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    from rich.console import Console
    from rich.table import Table

    from lotusar.sar.focus import focus
    from lotusar.xp import device_namespace

    xp = device_namespace(args.device)
    n = 2048 if args.quick else 8192
    mode, acq, p = _params(n)
    rng = np.random.default_rng(0)
    block = (rng.standard_normal((n, n), np.float32) + 1j * rng.standard_normal((n, n), np.float32)).astype(np.complex64)
    block_x = xp.asarray(block)
    block_bytes = block.nbytes
    ceiling = fft_ceiling(block_x, xp)
    rows = [{"item": "FFT ceiling (fwd+inv range, fwd+inv azimuth)", "seconds": ceiling, "ratio": 1.0, "goal": "-",
             "peak_mem_x_block": None}]
    goals = {"csa": 1.5, "rda": 2.5, "wk": 2.5}
    for alg in ("csa", "rda", "wk"):
        tracemalloc.start()
        _sync(xp)
        t = time.perf_counter()
        out, _ = focus(block_x, p, alg, xp=xp)
        _sync(xp)
        dt = time.perf_counter() - t
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del out
        rows.append({"item": alg, "seconds": dt, "ratio": dt / ceiling, "goal": goals[alg], "peak_mem_x_block": peak / block_bytes})
    # back-projection on a small output grid of the same raw block
    from dataclasses import replace

    nb = 64 if args.quick else 256
    pb = replace(p, slc_time0_s=acq.centre_time_s - nb / 2 / mode.prf_hz, slc_lines=nb,
                 slc_range0_m=acq.centre_range_m, slc_samples=nb)
    t = time.perf_counter()
    focus(block_x, pb, "bp", xp=xp)
    dt = time.perf_counter() - t
    ka = 2 * 7377.0**2 / (mode.wavelength_m * acq.centre_range_m)
    aperture = acq.azimuth_bandwidth_hz / ka * mode.prf_hz
    gbp = nb * nb * aperture / dt / 1e9
    rows.append({"item": f"bp ({nb}x{nb} px, {aperture:.0f} pulses/px)", "seconds": dt, "ratio": dt / ceiling, "goal": "-",
                 "peak_mem_x_block": None, "giga_backprojections_per_s": gbp})
    # simulator throughput: exact point targets
    from lotusar.sar.scene import parse_scene
    from lotusar.sar.simulate import plan_acquisition, simulate_point_targets

    sc = parse_scene({"azimuth_lines": 128, "range_samples": 128, "antenna_pattern": False, "quantisation": "none",
                      "targets": [{"along_track_m": 10.0 * i, "cross_track_m": 5.0 * i} for i in range(4)]})
    acq2 = plan_acquisition(mode, sc)
    from lotusar.sar import geometry as geo

    pts = geo.place_targets(acq2.sv, acq2.centre_m, 0.0, [10.0 * i for i in range(4)], [5.0 * i for i in range(4)], [0.0] * 4, "right")
    t = time.perf_counter()
    simulate_point_targets(acq2, pts, np.ones(4))
    dt = time.perf_counter() - t
    echo_samples = 4 * (acq.azimuth_bandwidth_hz * 1.15 / ka * mode.prf_hz) * mode.pulse_length_s * mode.range_sampling_rate_hz
    rows.append({"item": "simulator: exact point targets", "seconds": dt, "ratio": None, "goal": "-", "peak_mem_x_block": None,
                 "samples_per_s": echo_samples / dt})
    try:
        import numpy as _np

        from lotusar.sar.extended import simulate_sigma0

        sig = _np.full((64, 64), -10.0)
        t = time.perf_counter()
        raw = simulate_sigma0(acq2, sig, 4.0)
        dt = time.perf_counter() - t
        rows.append({"item": "simulator: frequency-domain σ0 scene", "seconds": dt, "ratio": None, "goal": "-",
                     "peak_mem_x_block": None, "samples_per_s": raw.size / dt})
    except ImportError:
        pass
    table = Table(title=f"SAR focusing, {n}x{n} complex64, device {args.device}")
    for c in ("item", "seconds", "ratio", "goal", "peak_mem_x_block", "extra"):
        table.add_column(c)
    for r in rows:
        extra = ""
        if "giga_backprojections_per_s" in r:
            extra = f"{r['giga_backprojections_per_s']:.4f} Gbp/s"
        if "samples_per_s" in r:
            extra = f"{r['samples_per_s'] / 1e6:.1f} Msamples/s"
        table.add_row(r["item"], f"{r['seconds']:.3f}", "-" if r["ratio"] is None else f"{r['ratio']:.2f}", str(r["goal"]),
                      "-" if r["peak_mem_x_block"] is None else f"{r['peak_mem_x_block']:.2f}", extra)
    Console().print(table)
    result = {"block": [n, n], "device": args.device, "rows": rows}
    out = Path(__file__).resolve().parent / "results" / "sar_focus.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=float))
    return result


if __name__ == "__main__":
    main()
