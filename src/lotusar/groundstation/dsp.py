"""Receiver DSP building blocks: filters, FM discriminator, carrier and symbol-timing loops.

Vectorised NumPy/SciPy for the filters; the two inherently sequential loops are compiled
with numba:

* **Symbol timing**: Gardner's non-data-aided detector (Gardner 1986),
  e_k = Re{ conj(y_{k-1/2}) (y_k - y_{k-1}) }, insensitive to the carrier phase, so it runs
  before carrier recovery. The strobes are taken by cubic (Farrow/Lagrange) interpolation
  at fractional sample positions; a proportional-integral loop filter steers the next
  strobe and the symbol period (clock offsets of a few hundred ppm are tracked).
* **Carrier**: a second-order Costas loop at one sample per symbol on the timing-recovered
  symbols, phase detector Re(y)·Im(y) for BPSK (Costas 1956), after a coarse frequency
  search on the spectrum of the squared signal (BPSK has a line at twice its carrier).

Loop gains follow the usual second-order design (Rice, *Digital Communications: a
discrete-time approach*, 2009, §C.2): for a normalised noise bandwidth B_n·T and damping ζ,
θ = B_n T / (ζ + 1/(4ζ)), K_p K_1 = 4ζθ / (1 + 2ζθ + θ²), K_p K_2 = 4θ² / (1 + 2ζθ + θ²).
"""

from __future__ import annotations

import numba
import numpy as np
from scipy.signal import fftconvolve, lfilter


def loop_gains(bn_t: float, zeta: float = 0.7071, kd: float = 1.0) -> tuple[float, float]:
    """Proportional and integral gains of a second-order loop (see module docstring)."""
    theta = bn_t / (zeta + 1.0 / (4.0 * zeta))
    d = 1.0 + 2.0 * zeta * theta + theta * theta
    return 4.0 * zeta * theta / d / kd, 4.0 * theta * theta / d / kd


def boxcar(x: np.ndarray, n: int) -> np.ndarray:
    """Moving sum over ``n`` samples, centred (the matched filter of a rectangular pulse)."""
    n = max(int(n), 1)
    if n == 1:
        return np.asarray(x).copy()
    y = lfilter(np.ones(n) / n, [1.0], x)
    shift = (n - 1) // 2
    return np.concatenate([y[shift:], np.zeros(shift, y.dtype)])


def rrc_taps(sps: float, beta: float = 0.35, span: int = 6) -> np.ndarray:
    """Root-raised-cosine impulse response, ``span`` symbols each side, unit energy."""
    t = np.arange(-int(np.ceil(span * sps)), int(np.ceil(span * sps)) + 1) / sps
    h = np.empty_like(t)
    for i, ti in enumerate(t):
        if abs(ti) < 1e-9:
            h[i] = 1.0 - beta + 4 * beta / np.pi
        elif beta > 0 and abs(abs(ti) - 1 / (4 * beta)) < 1e-9:
            h[i] = beta / np.sqrt(2) * ((1 + 2 / np.pi) * np.sin(np.pi / (4 * beta)) + (1 - 2 / np.pi) * np.cos(np.pi / (4 * beta)))
        else:
            num = np.sin(np.pi * ti * (1 - beta)) + 4 * beta * ti * np.cos(np.pi * ti * (1 + beta))
            h[i] = num / (np.pi * ti * (1 - (4 * beta * ti) ** 2))
    return h / np.sqrt(np.sum(h * h))


def filter_same(x: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Zero-phase FIR filtering (odd-length symmetric taps, output aligned with input)."""
    return fftconvolve(x, taps, mode="same")


def fm_discriminate(z: np.ndarray) -> np.ndarray:
    """Instantaneous frequency (rad/sample) of complex samples: arg(z_n · conj(z_{n-1}))."""
    d = np.angle(z[1:] * np.conj(z[:-1]))
    return np.concatenate([d[:1], d]) if d.size else np.zeros(z.size)


def normalise(x: np.ndarray) -> np.ndarray:
    """Scale to unit RMS (zero-safe)."""
    r = float(np.sqrt(np.mean(np.abs(x) ** 2))) if x.size else 0.0
    return x / r if r > 0 else x


def squared_carrier_hz(z: np.ndarray, rate: float, f_lo: float, f_hi: float) -> float:
    """Carrier frequency of a BPSK signal from the line of z² at twice the carrier (Hz).

    At most the first 2^22 samples are used (resolution well below any loop's pull-in range).
    """
    z = z[: 1 << 22]
    n = 1 << int(np.ceil(np.log2(max(z.size, 16))))
    spec = np.abs(np.fft.fft(z * z, n)) ** 2
    f = np.fft.fftfreq(n, 1.0 / rate)
    m = (f >= 2 * f_lo) & (f <= 2 * f_hi)
    if not m.any():
        return 0.5 * (f_lo + f_hi)
    k = np.flatnonzero(m)
    i = int(k[np.argmax(spec[k])])
    # parabolic refinement of the peak
    if 0 < i < n - 1:
        a, b, c = np.log(spec[i - 1] + 1e-30), np.log(spec[i] + 1e-30), np.log(spec[i + 1] + 1e-30)
        den = a - 2 * b + c
        di = 0.5 * (a - c) / den if den != 0 else 0.0
    else:
        di = 0.0
    return float((f[i] + di * rate / n) / 2.0)


@numba.njit(cache=True)
def _cubic(x: np.ndarray, pos: float) -> complex:
    i = int(np.floor(pos))
    mu = pos - i
    xm1 = x[i - 1]
    x0 = x[i]
    x1 = x[i + 1]
    x2 = x[i + 2]
    # Lagrange cubic through x[i-1..i+2]
    c0 = -mu * (mu - 1.0) * (mu - 2.0) / 6.0
    c1 = (mu + 1.0) * (mu - 1.0) * (mu - 2.0) / 2.0
    c2 = -(mu + 1.0) * mu * (mu - 2.0) / 2.0
    c3 = (mu + 1.0) * mu * (mu - 1.0) / 6.0
    return c0 * xm1 + c1 * x0 + c2 * x1 + c3 * x2


@numba.njit(cache=True)
def _gardner_loop(x: np.ndarray, sps: float, start: float, kp: float, ki: float, max_dev: float) -> tuple[np.ndarray, np.ndarray]:
    n = x.size
    nmax = int((n - start) / sps * (1.0 + max_dev)) + 4
    out = np.empty(nmax, np.complex128)
    where = np.empty(nmax, np.float64)
    pos = start
    period = sps
    prev = 0.0 + 0.0j
    k = 0
    while pos + 3.0 < n and k < nmax:
        if pos - 0.5 * period < 1.0:
            pos += period
            continue
        y = _cubic(x, pos)
        mid = _cubic(x, pos - 0.5 * period)
        out[k] = y
        where[k] = pos
        if k > 0:
            e = (mid.real * (y.real - prev.real) + mid.imag * (y.imag - prev.imag))
            if e > 1.0:
                e = 1.0
            elif e < -1.0:
                e = -1.0
            period -= ki * e * sps
            lo = sps * (1.0 - max_dev)
            hi = sps * (1.0 + max_dev)
            if period < lo:
                period = lo
            elif period > hi:
                period = hi
            pos += period - kp * e * sps
        else:
            pos += period
        prev = y
        k += 1
    return out[:k], where[:k]


def gardner(x: np.ndarray, sps: float, bn_t: float = 0.01, start: float = 0.0, max_dev: float = 0.005) -> tuple[np.ndarray, np.ndarray]:
    """Symbol strobes of a matched-filtered signal (real or complex, unit RMS) → (symbols, sample positions).

    ``max_dev`` bounds the tracked clock offset (relative); the detector gain is taken as 2.
    """
    kp, ki = loop_gains(bn_t, kd=2.0)
    z = np.ascontiguousarray(np.asarray(x, np.complex128))
    return _gardner_loop(z, float(sps), float(start), kp, ki, float(max_dev))


def fixed_strobes(x: np.ndarray, sps: float, phase: float) -> tuple[np.ndarray, np.ndarray]:
    """Strobes at a fixed symbol period and phase (no tracking) → (symbols, positions)."""
    pos = phase + np.arange(int((x.size - 1 - phase) // sps) + 1) * sps
    i = np.clip(np.round(pos).astype(np.int64), 0, x.size - 1)
    return x[i], pos


@numba.njit(cache=True)
def _costas_loop(y: np.ndarray, kp: float, ki: float, f0: float) -> np.ndarray:
    out = np.empty_like(y)
    phase = 0.0
    freq = f0
    for k in range(y.size):
        c = np.cos(phase)
        s = np.sin(phase)
        r = y[k] * (c - 1j * s)
        out[k] = r
        e = r.real * r.imag
        if e > 1.0:
            e = 1.0
        elif e < -1.0:
            e = -1.0
        freq += ki * e
        phase += freq + kp * e
        if phase > np.pi:
            phase -= 2 * np.pi
        elif phase < -np.pi:
            phase += 2 * np.pi
    return out


def costas_bpsk(symbols: np.ndarray, bn_t: float = 0.02, f0_rad: float = 0.0) -> np.ndarray:
    """Carrier-phase-corrected BPSK symbols (one sample per symbol, unit RMS)."""
    kp, ki = loop_gains(bn_t)
    y = np.ascontiguousarray(np.asarray(symbols, np.complex128))
    return _costas_loop(y, kp, ki, float(f0_rad))


@numba.njit(cache=True)
def _costas_qpsk_loop(y: np.ndarray, kp: float, ki: float, f0: float) -> np.ndarray:
    out = np.empty_like(y)
    phase = 0.0
    freq = f0
    for k in range(y.size):
        r = y[k] * (np.cos(phase) - 1j * np.sin(phase))
        out[k] = r
        si = 1.0 if r.real >= 0 else -1.0
        sq = 1.0 if r.imag >= 0 else -1.0
        e = si * r.imag - sq * r.real  # decision-directed QPSK phase detector
        if e > 1.0:
            e = 1.0
        elif e < -1.0:
            e = -1.0
        freq += ki * e
        phase += freq + kp * e
        if phase > np.pi:
            phase -= 2 * np.pi
        elif phase < -np.pi:
            phase += 2 * np.pi
    return out


def costas_qpsk(symbols: np.ndarray, bn_t: float = 0.005, f0_rad: float = 0.0) -> np.ndarray:
    """Carrier-phase-corrected QPSK symbols (one sample per symbol, unit RMS; 90° ambiguity left)."""
    kp, ki = loop_gains(bn_t, kd=np.sqrt(2.0))
    y = np.ascontiguousarray(np.asarray(symbols, np.complex128))
    return _costas_qpsk_loop(y, kp, ki, float(f0_rad))


def fourth_power_carrier(z: np.ndarray, rate: float, f_max: float) -> float:
    """Carrier frequency of a QPSK signal from the line of z⁴ at four times the carrier (Hz)."""
    z = z[: 1 << 22]
    n = 1 << int(np.ceil(np.log2(max(z.size, 16))))
    spec = np.abs(np.fft.fft(z**4, n))
    f = np.fft.fftfreq(n, 1.0 / rate)
    k = np.flatnonzero(np.abs(f) <= 4 * f_max)
    return float(f[k[np.argmax(spec[k])]] / 4.0)
