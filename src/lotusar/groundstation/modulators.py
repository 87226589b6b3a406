"""Transmit-side models for test signals: continuous-phase FSK/GMSK and RRC-shaped BPSK as
complex baseband IQ, plus the channel (carrier offset and drift, clock offset, AWGN at Eb/N0).

* CPFSK/GMSK: the NRZ symbol stream (optionally Gaussian-filtered with bandwidth-time product
  BT, GMSK as in ITU-R M.1371 for AIS, BT = 0.4/0.5) drives the instantaneous frequency
  ±``deviation_hz``; the phase is its running integral (continuous phase).
* BPSK: ±1 symbols, root-raised-cosine pulses (β = 0.35 by default).
* Channel: multiply by exp(j2π(f₀t + ½ḟt²)) for Doppler and Doppler rate; the symbol clock
  offset is modelled by generating at ``rate·(1 + ppm·1e-6)`` samples per nominal second;
  complex AWGN with N₀ from the signal's measured power: Eb/N0 = P·T_b / N₀.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve

from lotusar.groundstation.dsp import rrc_taps


def gaussian_taps(sps: float, bt: float, span: int = 4) -> np.ndarray:
    """Gaussian pulse-shaping filter (unit DC gain) for GMSK with bandwidth-time product ``bt``."""
    t = np.arange(-span * sps, span * sps + 1) / sps
    sigma = np.sqrt(np.log(2)) / (2 * np.pi * bt)
    h = np.exp(-0.5 * (t / sigma) ** 2)
    return h / h.sum()


def _nrz(bits: np.ndarray, sps: float) -> np.ndarray:
    b = 2.0 * np.asarray(bits, np.float64) - 1.0
    n = int(np.ceil(b.size * sps))
    k = np.minimum((np.arange(n) / sps).astype(np.int64), b.size - 1)
    return b[k]


def cpfsk_iq(bits: np.ndarray, rate_hz: float, baud: float, deviation_hz: float, bt: float | None = None) -> np.ndarray:
    """Line bits (1 → +deviation) → unit-amplitude complex baseband CPFSK (GMSK when ``bt``)."""
    sps = rate_hz / baud
    f = _nrz(bits, sps)
    if bt:
        f = fftconvolve(f, gaussian_taps(sps, bt), mode="same")
    phase = 2 * np.pi * deviation_hz * np.cumsum(f) / rate_hz
    return np.exp(1j * phase)


def bpsk_iq(bits: np.ndarray, rate_hz: float, baud: float, beta: float = 0.35) -> np.ndarray:
    """Bits (1 → +1) → RRC-shaped BPSK complex baseband (integer samples per symbol), unit RMS."""
    sps = int(round(rate_hz / baud))
    up = np.zeros(np.size(bits) * sps)
    up[::sps] = 2.0 * np.asarray(bits, np.float64) - 1.0
    y = fftconvolve(up, rrc_taps(sps, beta, 8), mode="same").astype(np.complex128)
    return y / np.sqrt(np.mean(np.abs(y) ** 2))


def channel(z: np.ndarray, rate_hz: float, bit_rate: float, ebn0_db: float | None, f0_hz: float = 0.0, fdot_hz_s: float = 0.0,
            phase_rad: float = 0.0, seed: int = 0, lead_s: float = 0.0) -> np.ndarray:
    """Apply a carrier offset/drift and AWGN at Eb/N0 (dB, None: no noise); ``lead_s`` of noise before the burst."""
    rng = np.random.default_rng(seed)
    z = np.concatenate([np.zeros(int(lead_s * rate_hz), complex), z, np.zeros(int(lead_s * rate_hz), complex)])
    t = np.arange(z.size) / rate_hz
    p = float(np.mean(np.abs(z[np.abs(z) > 0]) ** 2))
    y = z * np.exp(1j * (2 * np.pi * (f0_hz * t + 0.5 * fdot_hz_s * t * t) + phase_rad))
    if ebn0_db is None:
        return y
    n0 = p / bit_rate / 10 ** (ebn0_db / 10)  # N0 in power per Hz; noise power = N0 · rate
    sigma = np.sqrt(n0 * rate_hz / 2)
    return y + sigma * (rng.standard_normal(z.size) + 1j * rng.standard_normal(z.size))
