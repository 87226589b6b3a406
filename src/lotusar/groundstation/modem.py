"""Audio modems for amateur-band beacons: AFSK 1200 (Bell 202) and G3RUH 9600 FSK.

AFSK 1200: the HDLC bit stream is NRZI coded and sent as continuous-phase tones, mark
1200 Hz (line level 1) and space 2200 Hz (level 0). The demodulator is a non-coherent
quadrature detector: the audio is mixed with both tones, integrated over one bit (a boxcar,
the matched filter of a bit) and the normalised energy difference (E_mark − E_space) /
(E_mark + E_space) is the soft level.

G3RUH 9600: NRZI, then the multiplicative scrambler 1 + x^12 + x^17, sent as baseband NRZ
(±1) shaped by a raised-cosine pulse on an FM transmitter; the receiver's discriminator audio
is low-pass filtered and sliced.

Bit timing: rather than a PLL, every sampling phase on a grid of 1/8 bit is decoded and the
frames that pass the AX.25 FCS are merged (a frame seen at several phases counts once) — robust
on short bursts and noisy recordings, and all vectorised except the HDLC framing.

WAV input through ``scipy.io.wavfile`` (8/16/32-bit integer or float, first channel).
"""

from __future__ import annotations

import io

import numpy as np
from scipy.io import wavfile

from lotusar.errors import InputFormatError, ValidationError
from lotusar.groundstation import ax25
from lotusar.groundstation.crc import crc16_x25
from lotusar.groundstation.recording import read_wav_samples

MARK_HZ = 1200.0
SPACE_HZ = 2200.0


def read_wav(data: bytes, source: str = "wav") -> tuple[np.ndarray, int]:
    """(samples as float64 in [-1, 1], sample rate) from WAV bytes (first channel)."""
    sig = read_wav_samples(data, source)
    return np.asarray(sig.samples, np.float64), int(sig.rate_hz)


def write_wav(path_or_buffer, samples: np.ndarray, rate: int) -> None:
    """Write float samples in [-1, 1] as 16-bit PCM."""
    x = np.clip(np.asarray(samples, np.float64), -1.0, 1.0)
    wavfile.write(path_or_buffer, rate, (x * 32767).astype(np.int16))


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """WAV file content (16-bit PCM) as bytes."""
    buf = io.BytesIO()
    write_wav(buf, samples, rate)
    return buf.getvalue()


# --- AFSK 1200 --------------------------------------------------------------------------------


def afsk_modulate(frames: list[bytes], rate: int = 48000, baud: float = 1200.0, amplitude: float = 0.5) -> np.ndarray:
    """AX.25 frames (FCS included) → AFSK 1200 audio samples."""
    bits = ax25.hdlc_encode(frames)
    levels = ax25.nrzi_encode(bits)
    spb = rate / baud
    n = int(np.ceil(levels.size * spb))
    k = np.minimum((np.arange(n) / spb).astype(np.int64), levels.size - 1)
    f = np.where(levels[k] == 1, MARK_HZ, SPACE_HZ)
    phase = 2 * np.pi * np.cumsum(f) / rate
    return amplitude * np.sin(phase)


def _boxcar(x: np.ndarray, n: int) -> np.ndarray:
    c = np.cumsum(np.concatenate([[0.0], x]))
    out = np.empty_like(x)
    out[n - 1 :] = c[n:] - c[:-n]
    out[: n - 1] = c[1:n]
    return out


def afsk_soft_levels(x: np.ndarray, rate: int, baud: float = 1200.0) -> np.ndarray:
    """Soft line level per sample: (E_mark − E_space)/(E_mark + E_space), delayed by about a bit."""
    t = np.arange(x.size) / rate
    n = max(int(round(rate / baud)), 2)
    e = []
    for f in (MARK_HZ, SPACE_HZ):
        i = _boxcar(x * np.cos(2 * np.pi * f * t), n)
        q = _boxcar(x * np.sin(2 * np.pi * f * t), n)
        e.append(i * i + q * q)
    return (e[0] - e[1]) / (e[0] + e[1] + 1e-12)


def _frames_all_phases(levels_soft: np.ndarray, spb: float, descramble: bool, phases: int = 8) -> list[tuple[int, bytes]]:
    out: dict[bytes, int] = {}
    nbits = int(levels_soft.size / spb) - 1
    if nbits < 16:
        return []
    for ph in range(phases):
        pos = np.round(ph * spb / phases + np.arange(nbits) * spb).astype(np.int64)
        pos = pos[pos < levels_soft.size]
        lv = (levels_soft[pos] > 0).astype(np.uint8)
        if descramble:
            lv = ax25.g3ruh_descramble(lv)
        bits = ax25.nrzi_decode(lv)
        for bit_off, fb in ax25.hdlc_deframe(bits):
            if len(fb) >= 3 and crc16_x25(fb[:-2]) == (fb[-2] | fb[-1] << 8):
                sample = int(pos[min(bit_off, pos.size - 1)])
                if fb not in out or sample < out[fb]:
                    out[fb] = sample
    return [(s, fb) for fb, s in out.items()]


def afsk_demodulate(x: np.ndarray, rate: int, baud: float = 1200.0) -> list[tuple[int, bytes]]:
    """AFSK 1200 audio → [(sample offset, AX.25 frame with FCS)] for frames whose FCS checks."""
    return _frames_all_phases(afsk_soft_levels(x, rate, baud), rate / baud, descramble=False)


# --- G3RUH 9600 -------------------------------------------------------------------------------


def _rc_pulse(spb: int, beta: float = 0.5, span: int = 6) -> np.ndarray:
    t = np.arange(-span * spb, span * spb + 1) / spb
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.sinc(t) * np.cos(np.pi * beta * t) / (1 - (2 * beta * t) ** 2)
    h[~np.isfinite(h)] = np.pi / 4 * np.sinc(1 / (2 * beta))
    return h


def g3ruh_modulate(frames: list[bytes], rate: int = 48000, baud: float = 9600.0, amplitude: float = 0.5) -> np.ndarray:
    """AX.25 frames (FCS included) → G3RUH 9600 baseband audio (raised-cosine NRZ)."""
    spb = int(round(rate / baud))
    if abs(spb - rate / baud) > 1e-9:
        raise ValidationError(f"G3RUH modulator needs an integer number of samples per bit (rate {rate}, baud {baud})")
    bits = ax25.hdlc_encode(frames)
    tx = ax25.g3ruh_scramble(ax25.nrzi_encode(bits))
    up = np.zeros(tx.size * spb)
    up[::spb] = 2.0 * tx - 1.0
    y = np.convolve(up, _rc_pulse(spb), mode="same")
    return amplitude * y / (np.abs(y).max() + 1e-12)


def g3ruh_demodulate(x: np.ndarray, rate: int, baud: float = 9600.0) -> list[tuple[int, bytes]]:
    """G3RUH 9600 audio → [(sample offset, AX.25 frame with FCS)] for frames whose FCS checks."""
    spb = rate / baud
    n = max(int(round(spb / 2)), 1)
    y = _boxcar(x - np.mean(x), n) if n > 1 else x - np.mean(x)
    shift = n // 2
    y = np.concatenate([y[shift:], np.zeros(shift)])
    return _frames_all_phases(y, spb, descramble=True)


def supported_audio_modulation(modulation: str) -> bool:
    """True for the profile modulation names :func:`demodulate_wav` handles."""
    m = modulation.upper()
    return m.startswith(("AFSK", "G3RUH", "GFSK", "FSK9600"))


def demodulate_wav(data: bytes, modulation: str, source: str = "wav") -> list[tuple[int, bytes]]:
    """WAV bytes → HDLC frames (with FCS), per the profile's modulation name."""
    x, rate = read_wav(data, source)
    m = modulation.upper()
    if m.startswith("AFSK"):
        if rate < 4800:
            raise InputFormatError(f"{source}: sample rate {rate} Hz too low for AFSK 1200")
        return afsk_demodulate(x, rate)
    if m.startswith("G3RUH") or m.startswith("GFSK") or m.startswith("FSK9600"):
        if rate < 19200:
            raise InputFormatError(f"{source}: sample rate {rate} Hz too low for 9600 Bd")
        return g3ruh_demodulate(x, rate)
    raise ValidationError(f"no demodulator for modulation {modulation!r} (AFSK1200, G3RUH9600)")
