"""X-band downlink at the signal level: CCSDS QPSK + RRC with the pass's Doppler, Doppler rate,
phase noise and AWGN, demodulated (carrier search, Gardner, Costas) into Level-0."""

from __future__ import annotations

import numpy as np

from lotusar.groundstation import convolutional as cc
from lotusar.groundstation import encoder as E
from lotusar.groundstation.profile import load_profile
from lotusar.groundstation.xband import qpsk_modulate, qpsk_soft_symbols, xband_channel, xband_level0

# LOTUSat-1: 150 Mbit/s info, r = 1/2 → 150 Msym/s QPSK; at 8.2 GHz a LEO pass gives up to
# ±190 kHz of Doppler and up to ~3 kHz/s of Doppler rate; a 2.4 kHz oscillator linewidth.
SYMBOL_RATE = 150e6
DOPPLER = 190e3 / SYMBOL_RATE
DOPPLER_RATE = 3e3 / SYMBOL_RATE**2
PHASE_NOISE = 2 * np.pi * 2.4e3 / SYMBOL_RATE
# published K=7 r=1/2 soft-decision Viterbi (CCSDS 130.1-G-3; Proakis): BER 1e-5 at 4.4 dB
PUBLISHED_EBN0_AT_1E5_DB = 4.4


def _ber(bits: np.ndarray, soft: np.ndarray) -> float:
    dec, _ = cc.viterbi_decode_stream(soft)
    best = None
    for off in range(-8, 9):
        a, b = dec[max(off, 0):], bits[max(-off, 0):]
        m = min(a.size, b.size, 50_000)
        e = float(np.mean(a[:m] != b[:m]))
        if best is None or e < best[0]:
            best = (e, off)
    off = best[1]
    a, b = dec[max(off, 0):], bits[max(-off, 0):]
    m = min(a.size, b.size)
    return float(np.mean(a[200 : m - 200] != b[200 : m - 200]))


def test_coded_ber_within_half_a_db_of_the_published_curve():
    """1.2 Mbit through the full signal chain at 4.4 + 0.5 dB: BER ≤ 1e-5 (≤ 12 errors)."""
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2, 1_200_000).astype(np.uint8)
    y = xband_channel(qpsk_modulate(cc.encode(bits), 4), 4, PUBLISHED_EBN0_AT_1E5_DB + 0.5, DOPPLER, DOPPLER_RATE, PHASE_NOISE, seed=3)
    assert _ber(bits, qpsk_soft_symbols(y, 4)) <= 1e-5


def test_signal_chain_to_level0_with_pass_doppler():
    prof = load_profile("lotusat-xband")
    pk = E.random_packets(300, apids=(100, 101), min_len=200, max_len=1500, seed=4)
    cadus = np.frombuffer(E.encode_packets_to_cadus(pk, prof), np.uint8)
    lead = np.random.default_rng(6).integers(0, 2, 4096).astype(np.uint8)  # carrier and bit sync before the first CADU
    code = cc.encode(np.concatenate([lead, np.unpackbits(cadus)]), tail=True)
    y = xband_channel(qpsk_modulate(code, 4), 4, 5.5, -DOPPLER, DOPPLER_RATE, PHASE_NOISE, seed=5)
    res = xband_level0(y, 4, prof)
    got = [p.data for a in sorted(res.packets) for p in res.packets[a]]
    want = sorted(pk, key=lambda p: ((p[0] & 7) << 8 | p[1]))
    assert res.report["packets_total"] == len(pk)
    assert sorted(got) == sorted(want)
