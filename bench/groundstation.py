"""Ground-station chain benchmarks: frame path, RS corrections, Viterbi, packet parsing vs CCSDSPy.

Every throughput is reported with a ceiling or peer measured in the same run:

* frame path (ASM sync, derandomise, RS check/correct, demux, packet reassembly, Level-0
  assembly) on error-free AOS CADUs of the ``lotusat-xband`` profile, as Mbit/s of CADU bytes
  and as a fraction of a memory-copy of the same bytes (goal ≥ 1000 Mbit/s);
* the same with byte errors at a rate of 1e-3 injected after the randomiser (goal ≥ 200 Mbit/s);
* Viterbi decoding (compiled, 16 blocks per SIMD group, threads over groups) in decoded
  Mbit/s of wall time and per CPU-second (all threads; on a shared machine the wall figure
  reflects the load, the CPU figure × cores is the unloaded throughput), plus its BER at
  Eb/N0 = 4 dB against the union bound from the published distance spectrum of the (171,133)
  code (goal ≥ 100 Mbit/s on 2 cores);
* Space Packet splitting by APID vs CCSDSPy ``utils.split_by_apid`` on the same file.

Usage: ``python bench/groundstation.py [--quick]``; writes bench/results/groundstation.json.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import time
from pathlib import Path

import numba
import numpy as np


def best_of(fn, repeat: int) -> float:
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return min(t)


def union_bound_ber(ebn0_db: float) -> float:
    """Union bound on the BER of the K=7 r=1/2 (171,133) code with soft decisions.

    Information-weight spectrum c_d (Odenwalder 1970; Proakis, Digital Communications, table 8-2-1).
    """
    from scipy.stats import norm

    spec = {10: 36, 12: 211, 14: 1404, 16: 11633, 18: 77433, 20: 502690}
    r = 0.5
    g = 10 ** (ebn0_db / 10)
    return float(sum(c * norm.sf(math.sqrt(2 * d * r * g)) for d, c in spec.items()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes (a few seconds)")
    args = ap.parse_args()
    from rich.console import Console
    from rich.table import Table

    from lotusar.groundstation import convolutional as cc
    from lotusar.groundstation import encoder as E
    from lotusar.groundstation.level0 import level0
    from lotusar.groundstation.packets import parse_stream, split_by_apid
    from lotusar.groundstation.profile import load_profile

    quick = args.quick
    prof = load_profile("lotusat-xband")
    n_pk = 2500 if quick else 12000
    pk = E.random_packets(n_pk, apids=(100, 101, 102, 103), min_len=1000, max_len=4000, seed=1)
    cad = E.encode_packets_to_cadus(pk, prof)
    buf = np.frombuffer(cad, np.uint8)
    nbits = buf.size * 8
    rep = 3
    import os

    results: dict = {"quick": quick, "cadu_bytes": int(buf.size), "packets": n_pk,
                     "load_average_1min": os.getloadavg()[0], "cpu_count": os.cpu_count()}

    dst = np.empty_like(buf)
    t_copy = best_of(lambda: np.copyto(dst, buf), 5)
    ceiling = nbits / t_copy / 1e6
    results["memcpy_mbit_s"] = ceiling

    level0(cad[: prof.cadu_len * 50], "aos-cadus", prof)  # warm tables
    t_clean = best_of(lambda: level0(cad, "aos-cadus", prof), rep)
    res = level0(cad, "aos-cadus", prof)
    assert res.report["packets_total"] == n_pk and not res.report["defects"]
    results["frame_path_clean_mbit_s"] = nbits / t_clean / 1e6

    arr = buf.copy().reshape(-1, prof.cadu_len)
    rng = np.random.default_rng(7)
    body = arr[:, 4:]
    hit = rng.random(body.shape) < 1e-3
    body[hit] ^= rng.integers(1, 256, int(hit.sum()), dtype=np.uint8)
    noisy = arr.tobytes()
    t_noisy = best_of(lambda: level0(noisy, "aos-cadus", prof), rep)
    r2 = level0(noisy, "aos-cadus", prof)
    assert r2.report["packets_total"] == n_pk and r2.report["frames_uncorrectable"] == 0
    results["frame_path_ber1e-3_mbit_s"] = nbits / t_noisy / 1e6
    results["frames_rs_corrected"] = r2.report["frames_rs_corrected"]
    results["rs_symbols_corrected"] = r2.report["rs_symbols_corrected"]

    # Viterbi
    nv = 200_000 if quick else 1_000_000
    x = rng.integers(0, 2, nv).astype(np.uint8)
    ebn0 = 4.0
    sigma = math.sqrt(1 / (2 * 0.5 * 10 ** (ebn0 / 10)))
    s = (2.0 * cc.encode(x) - 1.0 + sigma * rng.standard_normal(2 * nv)).astype(np.float32)
    cc.viterbi_decode_stream(s[:20000])  # compile (numba cache) outside the timing
    t_v = best_of(lambda: cc.viterbi_decode_stream(s), 3)
    c0 = time.process_time()
    bits, _ = cc.viterbi_decode_stream(s)
    cpu_v = time.process_time() - c0  # CPU seconds of all threads: the figure a loaded machine cannot hide
    results["viterbi_threads"] = numba.get_num_threads()
    results["viterbi_mbit_per_cpu_s"] = nv / cpu_v / 1e6
    # the decoder kernel alone (blocks already cut and scaled), one thread, CPU time
    blocks = rng.standard_normal((128 if quick else 512, 2 * 2144)).astype(np.float32)
    nthreads = numba.get_num_threads()
    numba.set_num_threads(1)
    cc._viterbi_batch(blocks[:16], False, False)
    cpu_k = []
    for _ in range(3):
        c0 = time.process_time()
        cc._viterbi_batch(blocks, False, False)
        cpu_k.append(time.process_time() - c0)
    numba.set_num_threads(nthreads)
    results["viterbi_kernel_mbit_per_cpu_s_1thread"] = blocks.shape[0] * 2144 / min(cpu_k) / 1e6
    ber = float((bits != x).mean())
    sdst = np.empty_like(s)
    t_vcopy = best_of(lambda: np.copyto(sdst, s), 5)
    results["viterbi_mbit_s"] = nv / t_v / 1e6
    results["viterbi_symbol_copy_mbit_s"] = nv / t_vcopy / 1e6
    results["viterbi_ber_4db"] = ber
    results["viterbi_union_bound_4db"] = union_bound_ber(ebn0)

    # packet parsing vs CCSDSPy
    pkt_file = b"".join(pk)
    t_ours = best_of(lambda: split_by_apid(parse_stream(pkt_file)[0]), rep)
    ours = {a: b"".join(p.data for p in v) for a, v in split_by_apid(parse_stream(pkt_file)[0]).items()}
    try:
        import logging

        logging.getLogger("ccsdspy").setLevel(logging.WARNING)
        from ccsdspy.utils import split_by_apid as c_split

        t_c = best_of(lambda: c_split(io.BytesIO(pkt_file)), rep)
        theirs = {a: v.read() for a, v in c_split(io.BytesIO(pkt_file)).items()}
        results["ccsdspy_split_mbit_s"] = len(pkt_file) * 8 / t_c / 1e6
        results["ccsdspy_outputs_equal"] = theirs == ours
    except ImportError:
        results["ccsdspy_split_mbit_s"] = None
    results["ours_split_mbit_s"] = len(pkt_file) * 8 / t_ours / 1e6

    table = Table(
        title=f"lotusar ground station ({'quick' if quick else 'full'}; {buf.size / 1e6:.1f} MB of CADUs; "
        f"load {results['load_average_1min']:.1f} on {os.cpu_count()} cores)"
    )
    for c in ("measure", "value", "reference", "ratio", "goal"):
        table.add_column(c)
    table.add_row("memory copy (ceiling)", f"{ceiling:,.0f} Mbit/s", "", "1.00", "")
    table.add_row(
        "frame path, error-free AOS",
        f"{results['frame_path_clean_mbit_s']:,.0f} Mbit/s",
        "memcpy",
        f"{results['frame_path_clean_mbit_s'] / ceiling:.3f}",
        "≥ 1000 Mbit/s",
    )
    table.add_row(
        "frame path, byte errors 1e-3",
        f"{results['frame_path_ber1e-3_mbit_s']:,.0f} Mbit/s",
        "memcpy",
        f"{results['frame_path_ber1e-3_mbit_s'] / ceiling:.3f}",
        "≥ 200 Mbit/s",
    )
    table.add_row("Viterbi K=7 r=1/2 soft", f"{results['viterbi_mbit_s']:.1f} Mbit/s ({results['viterbi_threads']} threads)", "symbol copy",
                  f"{results['viterbi_mbit_s'] / results['viterbi_symbol_copy_mbit_s']:.5f}", "≥ 100 Mbit/s on 2 cores")
    table.add_row("Viterbi per CPU-second", f"{results['viterbi_mbit_per_cpu_s']:.1f} Mbit/CPU-s", "", "", "")
    table.add_row("Viterbi kernel, 1 thread", f"{results['viterbi_kernel_mbit_per_cpu_s_1thread']:.1f} Mbit/CPU-s", "", "",
                  "× 2 cores = unloaded estimate")
    table.add_row(
        "Viterbi BER at 4 dB",
        f"{ber:.2e}",
        f"union bound {results['viterbi_union_bound_4db']:.2e}",
        f"{ber / results['viterbi_union_bound_4db']:.2f}",
        f"≈ 1 ({int(round(ber * nv))} errors)",
    )
    if results.get("ccsdspy_split_mbit_s"):
        table.add_row(
            "packet split by APID",
            f"{results['ours_split_mbit_s']:,.0f} Mbit/s",
            f"CCSDSPy {results['ccsdspy_split_mbit_s']:,.0f} Mbit/s",
            f"{results['ours_split_mbit_s'] / results['ccsdspy_split_mbit_s']:.2f}",
            f"outputs equal: {results['ccsdspy_outputs_equal']}",
        )
    Console().print(table)
    out = Path(__file__).resolve().parent / "results" / "groundstation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
