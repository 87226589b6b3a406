"""Demodulators for real recordings: audio (FM discriminator or SSB output) and complex IQ.

Every demodulator returns a list of candidate :class:`SymbolStream` s — soft symbols
(positive → binary 1) with the sample position of each symbol. Several candidates (timing
loop and fixed sampling phases, two matched filters) are handed to the deframer and their
frames merged: a frame is only kept when its CRC or Reed–Solomon check passes, so more
candidates can only add frames, never wrong ones. Short bursts, where a loop has not yet
converged, are caught by the fixed phases; long passes with clock drift by the loop.

* **FSK / GMSK / G3RUH** (any baud): from IQ, a channel filter around the signal's spectral
  centre and an FM discriminator; from audio, the audio itself. DC (frequency offset) is
  removed with a moving average over 64 symbols, then an integrate-and-dump matched filter
  (one symbol, and half a symbol for the raised-cosine G3RUH pulses), unit-RMS scaling and
  Gardner timing recovery (:mod:`dsp`).
* **AFSK**: non-coherent tone detector, (E_mark − E_space)/(E_mark + E_space) over one
  symbol, tones ``af_carrier ∓ deviation`` (mark = lower tone = binary 1), then timing.
* **BPSK / DBPSK** (any baud): analytic signal (audio) or IQ, carrier search on the squared
  spectrum, mix to baseband, root-raised-cosine matched filter (β = 0.35), Gardner timing,
  Costas carrier loop; DBPSK soft symbols are Re(y_k · conj(y_{k−1})) (differential
  detection, insensitive to the 180° ambiguity).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import firwin, hilbert, resample_poly

from lotusar.errors import ValidationError
from lotusar.groundstation import dsp


@dataclass
class SymbolStream:
    """Soft symbols (float32, positive → 1), the time of each (s), and how they were made."""

    soft: np.ndarray
    time_s: np.ndarray
    label: str


@dataclass
class Signal:
    """Samples of a recording: real audio or complex IQ, at ``rate_hz``."""

    samples: np.ndarray
    rate_hz: float

    @property
    def is_complex(self) -> bool:
        return bool(np.iscomplexobj(self.samples))


MODULATIONS = ("FSK", "FSK subaudio", "GMSK", "AFSK", "BPSK", "DBPSK", "BPSK Manchester", "DBPSK Manchester")


def _upsample_to(sig: Signal, baud: float, min_sps: float = 4.0) -> Signal:
    """Resample so that there are at least ``min_sps`` samples per symbol."""
    if sig.rate_hz / baud >= min_sps:
        return sig
    up = int(np.ceil(min_sps * baud / sig.rate_hz))
    return Signal(resample_poly(sig.samples, up, 1), sig.rate_hz * up)


def _timing_candidates(y: np.ndarray, rate_hz: float, baud: float, label: str, phases: int = 4) -> list[SymbolStream]:
    """Gardner-loop strobes plus ``phases`` fixed sampling phases of a unit-RMS signal."""
    sps = rate_hz / baud
    out = []
    sym, pos = dsp.gardner(y, sps)
    if sym.size:
        out.append(SymbolStream(np.real(sym).astype(np.float32), pos / rate_hz, f"{label}/gardner"))
    for k in range(phases):
        sym, pos = dsp.fixed_strobes(np.real(y), sps, k * sps / phases)
        out.append(SymbolStream(sym.astype(np.float32), pos / rate_hz, f"{label}/phase{k}"))
    return out


def decimate_iq(z: np.ndarray, rate_hz: float, bandwidth_hz: float, baud: float) -> tuple[np.ndarray, float]:
    """Low-pass to ±``bandwidth_hz`` and decimate complex baseband to about 8 samples per symbol."""
    q = int(min(rate_hz / (8 * baud), rate_hz / (2.5 * bandwidth_hz)))
    if q >= 2:
        z, rate_hz = resample_poly(z, 1, q), rate_hz / q
    if bandwidth_hz < 0.45 * rate_hz:
        taps = firwin(int(8 * rate_hz / baud) | 1, bandwidth_hz, fs=rate_hz)
        z = dsp.filter_same(z, taps)
    return z, rate_hz


def _remove_dc(x: np.ndarray, sps: float) -> np.ndarray:
    n = int(max(64 * sps, 16))
    if x.size <= 2 * n:
        return x - np.mean(x)
    return x - dsp.boxcar(x, n)


def iq_channel(sig: Signal, baud: float, bandwidth_hz: float) -> Signal:
    """Complex IQ centred on the signal (power-weighted mean frequency of its smoothed
    spectrum), low-passed to ``bandwidth_hz`` and decimated to about 8 samples per symbol."""
    z = np.asarray(sig.samples, np.complex128)
    n = 1 << int(np.ceil(np.log2(max(min(z.size, 1 << 20), 16))))
    spec = np.abs(np.fft.fft(z[:n], n)) ** 2
    k = max(int(baud / (sig.rate_hz / n)), 1)
    sm = dsp.boxcar(np.fft.fftshift(spec), k)
    fs = np.fft.fftshift(np.fft.fftfreq(n, 1 / sig.rate_hz))
    w = sm * (sm > 0.1 * sm.max())
    f0 = float(np.sum(fs * w) / np.sum(w)) if np.sum(w) > 0 else 0.0
    zz = z * np.exp(-2j * np.pi * f0 * np.arange(z.size) / sig.rate_hz)
    zz, rate = decimate_iq(zz, sig.rate_hz, bandwidth_hz, baud)
    return Signal(zz, rate)


def fsk_streams(sig: Signal, baud: float, deviation_hz: float | None = None) -> list[SymbolStream]:
    """FSK / GMSK / G3RUH soft-symbol candidates (positive: upper frequency → 1).

    IQ adds a one-symbol differential phase detector, arg(z_{n+T/2} · conj(z_{n−T/2})): the
    discriminator output integrated over a symbol but taken modulo 2π, so FM clicks (2π phase
    slips near threshold) do not corrupt the symbol."""
    out = []
    if sig.is_complex:
        dev = deviation_hz if deviation_hz else baud / 4.0
        ch = _upsample_to(iq_channel(sig, baud, dev + 0.6 * baud), baud)
        z = np.asarray(ch.samples)
        d = max(int(round(ch.rate_hz / baud)), 1)
        diff = np.zeros(z.size)
        h = d // 2
        diff[h : h + z.size - d] = np.angle(z[d:] * np.conj(z[:-d]))
        sps = ch.rate_hz / baud
        out += _timing_candidates(dsp.normalise(_remove_dc(diff, sps)), ch.rate_hz, baud, "fsk-diff")
        audio = Signal(dsp.fm_discriminate(z) * ch.rate_hz / (2 * np.pi), ch.rate_hz)
    else:
        audio = _upsample_to(sig, baud)
    sps = audio.rate_hz / baud
    x = _remove_dc(np.asarray(audio.samples, np.float64), sps)
    for frac in (1.0, 0.5):
        y = dsp.normalise(dsp.boxcar(x, max(int(round(frac * sps)), 1)))
        out += _timing_candidates(y, audio.rate_hz, baud, f"fsk-mf{frac:g}")
    return out


def afsk_streams(sig: Signal, baud: float, af_carrier_hz: float, deviation_hz: float) -> list[SymbolStream]:
    """AFSK soft-symbol candidates (mark = af_carrier − deviation → 1)."""
    if sig.is_complex:  # FM: 3 kHz deviation (the SatYAML default) plus the audio band
        ch = iq_channel(sig, baud, 3000.0 + af_carrier_hz + deviation_hz)
        sig = Signal(dsp.fm_discriminate(np.asarray(ch.samples)) * ch.rate_hz / (2 * np.pi), ch.rate_hz)
    x = np.asarray(sig.samples, np.float64)
    rate = sig.rate_hz
    if rate < 2.2 * (af_carrier_hz + deviation_hz):
        raise ValidationError(f"sample rate {rate:g} Hz too low for AFSK tones up to {af_carrier_hz + deviation_hz:g} Hz")
    sps = rate / baud
    t = np.arange(x.size) / rate
    n = max(int(round(sps)), 2)
    e = []
    for f in (af_carrier_hz - deviation_hz, af_carrier_hz + deviation_hz):
        lo = x * np.exp(-2j * np.pi * f * t)
        e.append(np.abs(dsp.boxcar(lo, n)) ** 2)
    lv = (e[0] - e[1]) / (e[0] + e[1] + 1e-30)
    return _timing_candidates(dsp.normalise(lv - np.mean(lv)), rate, baud, "afsk")


def bpsk_streams(sig: Signal, baud: float, differential: bool) -> list[SymbolStream]:
    """BPSK / DBPSK soft-symbol candidates (carrier search, RRC, Gardner, Costas)."""
    sig = _upsample_to(sig, baud)
    rate = sig.rate_hz
    if sig.is_complex:
        z = np.asarray(sig.samples, np.complex128)
        f_lo, f_hi = -rate / 2 + baud, rate / 2 - baud
    else:
        z = hilbert(np.asarray(sig.samples, np.float64))
        f_lo, f_hi = baud / 2, rate / 2 - baud
    fc = dsp.squared_carrier_hz(z, rate, f_lo, f_hi)
    zb = z * np.exp(-2j * np.pi * fc * np.arange(z.size) / rate)
    if sig.is_complex:
        zb, rate = decimate_iq(zb, rate, baud, baud)
    sps = rate / baud
    y = dsp.normalise(dsp.filter_same(zb, dsp.rrc_taps(sps, 0.35, 6)))
    out = []
    cands = [dsp.gardner(y, sps)] + [dsp.fixed_strobes(y, sps, k * sps / 4) for k in range(4)]
    for i, (sym, pos) in enumerate(cands):
        if sym.size < 2:
            continue
        r = dsp.costas_bpsk(dsp.normalise(sym))
        if differential:
            soft = np.real(r[1:] * np.conj(r[:-1]))
            soft = np.concatenate([[0.0], soft])
        else:
            soft = np.real(r)
        label = "gardner" if i == 0 else f"phase{i - 1}"
        out.append(SymbolStream(soft.astype(np.float32), pos / rate, f"{'d' if differential else ''}bpsk/{label}"))
    return out


def manchester_fold(streams: list[SymbolStream]) -> list[SymbolStream]:
    """Manchester: chips at twice the baud → symbols (first chip − second chip), both alignments."""
    out = []
    for st in streams:
        for off in (0, 1):
            s = st.soft[off:]
            n = s.size // 2
            soft = (s[0 : 2 * n : 2] - s[1 : 2 * n : 2]).astype(np.float32)
            out.append(SymbolStream(soft, st.time_s[off : off + 2 * n : 2], st.label + f"/manchester{off}"))
    return out


def demodulate(sig: Signal, modulation: str, baud: float, deviation_hz: float | None = None,
               af_carrier_hz: float | None = None) -> list[SymbolStream]:
    """Soft-symbol candidates for a SatYAML modulation name."""
    m = modulation.strip()
    if m in ("FSK", "FSK subaudio", "GMSK"):
        return fsk_streams(sig, baud, deviation_hz)
    if m == "AFSK":
        if af_carrier_hz is None or deviation_hz is None:
            raise ValidationError("AFSK needs af_carrier and deviation")
        return afsk_streams(sig, baud, af_carrier_hz, deviation_hz)
    if m in ("BPSK", "DBPSK"):
        return bpsk_streams(sig, baud, differential=m == "DBPSK")
    if m in ("BPSK Manchester", "DBPSK Manchester"):
        return manchester_fold(bpsk_streams(sig, 2 * baud, differential=m.startswith("D")))
    raise ValidationError(f"no demodulator for modulation {modulation!r} ({', '.join(MODULATIONS)})")
