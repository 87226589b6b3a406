"""Benchmark of the real-data readers: S1 FDBAQ decoding, RADARSAT-1 focusing, Gotcha back-projection.

Every figure is a ratio to a ceiling or peer measured in the same run:

- FDBAQ: the vectorised decoder (pointer doubling) against a plain bit-by-bit Python Huffman
  decoder (the straightforward reference implementation, same tables) on the real echo packet;
- RADARSAT-1: readers RDA (range compression, SRC, RCMC, azimuth compression) against the FFT
  ceiling — one forward+inverse range FFT and one forward+inverse azimuth FFT of the same block;
- Gotcha: back-projections per second (pixels × pulses / s).

Usage: ``python bench/sar_readers.py [--quick]`` → rich table + bench/results/sar_readers.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))


def _best(fn, repeat):
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def scalar_fdbaq(data: bytes, nq: int) -> np.ndarray:
    """Reference: bit-by-bit Huffman walk (same code books and reconstruction table)."""
    from lotusar.sar.readers import s1_isp
    from lotusar.sar.readers import s1_tables as T

    bits = np.unpackbits(np.frombuffer(data, np.uint8)).tolist()
    books = {b: {(1 + len(c), int("0" + c, 2)): m for m, c in enumerate(cs)} for b, cs in T.HUFFMAN_CODES.items()}
    lut = s1_isp.fdbaq_lut()
    nblk = -(-nq // 128)
    pos = 0
    brc = [0] * nblk
    th = [0] * nblk
    ch_vals = []
    for ch in range(4):
        start = pos
        vals = []
        for b in range(nblk):
            if ch == 0:
                brc[b] = bits[pos] * 4 + bits[pos + 1] * 2 + bits[pos + 2]
                pos += 3
            elif ch == 2:
                th[b] = int("".join(map(str, bits[pos : pos + 8])), 2)
                pos += 8
            n = min(128, nq - 128 * b)
            book = books[brc[b]]
            nb = len(T.HUFFMAN_CODES[brc[b]])
            for _ in range(n):
                sign = bits[pos]
                k, v = 1, 0
                while (k, v) not in book:
                    v = v * 2 + bits[pos + k]
                    k += 1
                vals.append((b, sign * nb + book[(k, v)]))  # THIDX of IE/IO blocks comes later (QE)
                pos += k
        ch_vals.append(vals)
        pos = start + 16 * (-(-(pos - start) // 16))
    rec = [[lut[brc[b], th[b], sym] for b, sym in vals] for vals in ch_vals]
    out = np.empty(2 * nq, np.complex64)
    out.real[0::2], out.real[1::2], out.imag[0::2], out.imag[1::2] = rec
    return out


def bench_fdbaq(repeat):
    from lotusar.sar.readers import s1_isp

    (pk,) = s1_isp.read_packets(DATA / "s1-level0-isp-packets" / "000408-echo.dat")
    ref = pk.decode()
    assert np.array_equal(scalar_fdbaq(pk.user_data, pk.number_of_quads), ref)
    t_vec = _best(pk.decode, repeat)
    t_ref = _best(lambda: scalar_fdbaq(pk.user_data, pk.number_of_quads), max(1, repeat // 3))
    return {"packet_samples": int(ref.size), "vectorised_ms": t_vec * 1e3, "scalar_python_ms": t_ref * 1e3,
            "speedup_vs_scalar": t_ref / t_vec, "msamples_per_s": ref.size / t_vec / 1e6}


def bench_rda(repeat, lines):
    import scipy.fft as sfft

    from lotusar.sar.focus import focus
    from lotusar.sar.model import orbit_of, raw_slant_range_m
    from lotusar.sar.readers import doppler, radarsat1

    b = radarsat1.read_block(DATA / "radarsat1-vancouver-raw" / "scene5-english-bay-ships")
    if lines < b.sizes["azimuth_time"]:
        b = b.isel(azimuth_time=slice(0, lines))
    x = b["echoes"].values.copy()
    p = doppler.contrast_params(b, orbit_of(b), 0.0, -7071.0, float(raw_slant_range_m(b)[b.sizes["fast_time"] // 2]))

    def ceiling():
        y = sfft.ifft(sfft.fft(x, axis=1, workers=-1), axis=1, workers=-1)
        sfft.ifft(sfft.fft(y, axis=0, workers=-1), axis=0, workers=-1)

    t_c = _best(ceiling, repeat)
    t_f = _best(lambda: focus(x, p, "rda"), repeat)
    return {"block": list(x.shape), "fft_ceiling_s": t_c, "rda_s": t_f, "rda_over_ceiling": t_f / t_c}


def bench_bp(pixels, files):
    from lotusar.sar.readers import gotcha

    ph = gotcha.read_pass(DATA / "gotcha-xband-phase-history", max_files=files)
    grid = gotcha.ground_grid(pixels * 0.1, 0.1)
    t = _best(lambda: gotcha.backproject(ph, grid), 1)
    n = pixels * pixels * ph.pulses
    return {"pixels": pixels * pixels, "pulses": ph.pulses, "seconds": t, "giga_backprojections_per_s": n / t / 1e9}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    rep = 2 if a.quick else 5
    res = {"quick": a.quick,
           "fdbaq": bench_fdbaq(rep),
           "radarsat1_rda": bench_rda(rep, 512 if a.quick else 1536),
           "gotcha_bp": bench_bp(128 if a.quick else 512, 1 if a.quick else 4)}
    from rich.console import Console
    from rich.table import Table

    t = Table(title="sar_readers benchmark (ratios to peers/ceilings measured in this run)")
    t.add_column("case")
    t.add_column("figure")
    t.add_column("ratio")
    f = res["fdbaq"]
    t.add_row("S1 FDBAQ echo packet", f"{f['vectorised_ms']:.1f} ms ({f['msamples_per_s']:.2f} Msamples/s)",
              f"{f['speedup_vs_scalar']:.1f}x faster than scalar Python")
    r = res["radarsat1_rda"]
    t.add_row(f"RADARSAT-1 RDA {r['block'][0]}x{r['block'][1]}", f"{r['rda_s']:.2f} s",
              f"{r['rda_over_ceiling']:.1f}x the FFT ceiling ({r['fft_ceiling_s']:.3f} s)")
    g = res["gotcha_bp"]
    t.add_row(f"Gotcha BP {g['pixels']} px x {g['pulses']} pulses", f"{g['seconds']:.2f} s",
              f"{g['giga_backprojections_per_s']:.3f} G backprojections/s")
    Console().print(t)
    out = ROOT / "bench" / "results" / "sar_readers.json"
    out.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
