"""Interpolation kernels for RCMC / Stolt: error on band-limited signals (why the core's kernel was kept).

Band-limited complex noise occupying a fraction of the sampling rate (RADARSAT-1 Fine beam:
30.1 MHz in 32.3 MHz = 0.93) is interpolated at random fractional positions by

- the SAR core's table (:func:`lotusar.sar.focus.sinc_table`: Kaiser-windowed sinc, β = 4,
  1/2048-sample steps) with 16 taps (the RDA's RCMC) and 8 taps (the Stolt mapping),
- the former readers' RDA kernel (8 taps, β = 2.5, 1/512-sample steps),

and compared with the exact (Fourier) value. Usage: ``python bench/sar_kernel.py`` → table +
``bench/results/sar_kernel.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lotusar.sar.focus import sinc_table

ROOT = Path(__file__).resolve().parents[1]


def readers_kernel(taps: int = 8, beta: float = 2.5, steps: int = 512):
    """The former ``readers.focus_real`` table: offsets k = −taps/2+1 … taps/2, weight sinc(frac − k)."""
    frac = np.arange(steps + 1) / steps
    k = np.arange(-taps // 2 + 1, taps // 2 + 1)
    x = frac[:, None] - k
    w = np.sinc(x) * np.i0(beta * np.sqrt(np.clip(1 - (x / (taps / 2)) ** 2, 0, 1))) / np.i0(beta)
    return w / w.sum(-1, keepdims=True), k, steps


def core_kernel(taps: int):
    """The core table: offsets k = 0 … taps−1 minus (taps/2 − 1), weight sinc(k − frac)."""
    return sinc_table(taps, 2048), np.arange(taps) - (taps // 2 - 1), 2048


def error_db(kernel, occupancy: float, points: int = 2000, n: int = 4096, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    spec = np.zeros(n, complex)
    m = int(occupancy * n / 2)
    spec[:m] = rng.standard_normal(m) + 1j * rng.standard_normal(m)
    spec[-m:] = rng.standard_normal(m) + 1j * rng.standard_normal(m)
    s = np.fft.ifft(spec)
    pos = 100 + rng.uniform(0, n - 200, points)
    truth = np.exp(2j * np.pi * pos[:, None] * np.fft.fftfreq(n)[None, :]) @ spec / n
    table, k, steps = kernel
    i0 = np.floor(pos).astype(int)
    f = np.rint((pos - i0) * steps).astype(int)
    v = np.sum(table[f] * s[i0[:, None] + k[None, :]], axis=1)
    return float(10 * np.log10(np.mean(np.abs(v - truth) ** 2) / np.mean(np.abs(truth) ** 2)))


def main() -> None:
    kernels = {"core 16-tap (RDA RCMC)": core_kernel(16), "core 8-tap (Stolt)": core_kernel(8),
               "former readers 8-tap": readers_kernel()}
    rows = [{"kernel": name, "occupancy": occ, "error_db": round(error_db(k, occ), 1)}
            for occ in (0.80, 0.93) for name, k in kernels.items()]
    for r in rows:
        print(f"{r['kernel']:24s} band {r['occupancy']:.2f} fs  error {r['error_db']:6.1f} dB")
    out = ROOT / "bench" / "results" / "sar_kernel.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
