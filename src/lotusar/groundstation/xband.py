"""The X-band science downlink at the signal level: CCSDS QPSK with root-raised-cosine pulses.

Transmitter (CCSDS 401.0-B §2.4.9, 131.0-B): the K=7 r=1/2 coded CADU stream is Gray-mapped
two symbols at a time onto QPSK (I: even code symbol, Q: odd; bit 1 → +1), shaped by root-
raised-cosine pulses (β = 0.35), at ``sps`` samples per symbol.

Channel: the pass's Doppler f₀ and Doppler rate ḟ (from the link budget's orbit geometry:
exp(j2π(f₀t + ½ḟt²))), oscillator phase noise as a Wiener process (phase increments of
variance 2π·Δν·T per symbol for a Lorentzian linewidth Δν), and complex AWGN at the link-
budget Eb/N0: Es/N0 = Eb/N0 + 10 log10(2 · ½) for QPSK carrying rate-½ code symbols.

Receiver — the same building blocks as the beacon receiver (:mod:`dsp`): carrier search on
the spectrum of z⁴ (QPSK has a line at four times its carrier), RRC matched filter, Gardner
timing recovery, a decision-directed second-order Costas loop for QPSK; the 90° ambiguity is
resolved by the Viterbi path metric (a rotated stream is not a codeword sequence), the 180°
one by the ASM polarity in the frame synchroniser. Soft symbols go to the compiled Viterbi
decoder and on to Level-0 (:func:`level0.level0_from_soft_symbols`).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve

from lotusar.groundstation import convolutional as conv
from lotusar.groundstation import dsp
from lotusar.groundstation.level0 import Level0Result, level0_from_soft_symbols
from lotusar.groundstation.profile import Profile


def qpsk_modulate(code_symbols: np.ndarray, sps: int = 4, beta: float = 0.35) -> np.ndarray:
    """Code symbols 0/1 (even count) → unit-RMS RRC-shaped QPSK complex baseband."""
    s = 2.0 * np.asarray(code_symbols, np.float64) - 1.0
    sym = (s[0::2] + 1j * s[1::2]) / np.sqrt(2.0)
    up = np.zeros(sym.size * sps, complex)
    up[::sps] = sym
    y = fftconvolve(up, dsp.rrc_taps(sps, beta, 8), mode="same")
    return y / np.sqrt(np.mean(np.abs(y) ** 2))


def xband_channel(z: np.ndarray, sps: int, ebn0_db: float | np.ndarray, doppler_cyc_per_symbol: float = 0.0,
                  doppler_rate_cyc_per_symbol2: float = 0.0, phase_noise_rad2_per_symbol: float = 0.0,
                  code_rate: float = 0.5, seed: int = 0) -> np.ndarray:
    """Doppler, Doppler rate, Wiener phase noise and AWGN at Eb/N0 (scalar or per symbol)."""
    rng = np.random.default_rng(seed)
    n = z.size
    t = np.arange(n) / sps  # in symbols
    ph = 2 * np.pi * (doppler_cyc_per_symbol * t + 0.5 * doppler_rate_cyc_per_symbol2 * t * t)
    if phase_noise_rad2_per_symbol > 0:
        ph = ph + np.cumsum(rng.standard_normal(n) * np.sqrt(phase_noise_rad2_per_symbol / sps))
    esn0 = 10 ** (np.asarray(ebn0_db, np.float64) / 10) * 2 * code_rate
    if esn0.ndim and esn0.size != n:
        esn0 = np.interp(np.linspace(0, esn0.size - 1, n), np.arange(esn0.size), esn0)
    p = float(np.mean(np.abs(z) ** 2))
    n0 = p * sps / esn0  # Es = P · sps samples
    sigma = np.sqrt(n0 / 2)
    return z * np.exp(1j * ph) + sigma * (rng.standard_normal(n) + 1j * rng.standard_normal(n))


def qpsk_soft_symbols(y: np.ndarray, sps: int, max_doppler_cyc_per_symbol: float = 0.01, beta: float = 0.35) -> np.ndarray:
    """Received QPSK samples → soft code symbols (I, Q interleaved, positive → 1)."""
    f = dsp.fourth_power_carrier(y, float(sps), max_doppler_cyc_per_symbol)
    z = y * np.exp(-2j * np.pi * f * np.arange(y.size) / sps)
    z = dsp.normalise(dsp.filter_same(z, dsp.rrc_taps(sps, beta, 8)))
    sym, _ = dsp.gardner(z, float(sps), bn_t=0.005)
    r = dsp.costas_qpsk(dsp.normalise(sym))
    best = None
    for rot in (1.0, 1j):  # 90° ambiguity: the code decides
        rr = r * rot
        soft = np.empty(2 * rr.size, np.float32)
        soft[0::2], soft[1::2] = rr.real, rr.imag
        probe = soft[: min(soft.size, 40_000)]
        _, q = conv.viterbi_decode_stream(probe)
        score = float(np.median(q)) if q.size else -1.0
        if best is None or score > best[0]:
            best = (score, soft)
    assert best is not None
    return best[1]


def xband_level0(y: np.ndarray, sps: int, profile: Profile | str = "lotusat-xband") -> Level0Result:
    """Received X-band samples → Level-0 (packets per APID and the quality report)."""
    return level0_from_soft_symbols(qpsk_soft_symbols(y, sps), profile)
