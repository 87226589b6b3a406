"""Recording readers: WAV audio, SigMF, raw complex IQ (cf32 / ci16 / cu8) — I/O only.

* WAV (``scipy.io.wavfile``): integer or float PCM, the first channel is the audio (as
  SatNOGS and gr-satellites record FM-discriminator or SSB output); a stereo WAV can also be
  read as IQ (left = I, right = Q).
* SigMF (``.sigmf-meta`` JSON beside ``.sigmf-data``): ``global.core:datatype`` (cf32_le,
  ci16_le, ci8, cu8, …) and ``global.core:sample_rate``.
* Raw IQ: interleaved I/Q, type from the extension (``.cf32``/``.cfile``/``.raw`` = cf32,
  ``.ci16``/``.cs16`` = int16, ``.cu8`` = RTL-SDR uint8), sample rate given by the caller.
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path

import numpy as np
from scipy.io import wavfile

from lotusar.errors import InputFormatError, ValidationError
from lotusar.groundstation.demod import Signal

_SIGMF_TYPES = {
    "cf32_le": "<f4", "cf32_be": ">f4", "cf64_le": "<f8", "ci32_le": "<i4", "ci16_le": "<i2", "ci16_be": ">i2",
    "ci8": "i1", "cu8": "u1", "cu16_le": "<u2",
}
_EXT_TYPES = {
    ".cf32": "cf32_le", ".cfile": "cf32_le", ".fc32": "cf32_le", ".raw": "cf32_le", ".iq": "cf32_le",
    ".ci16": "ci16_le", ".cs16": "ci16_le", ".sc16": "ci16_le", ".cu8": "cu8", ".ci8": "ci8", ".cs8": "ci8",
}


def read_wav_samples(data: bytes, source: str = "wav", as_iq: bool = False) -> Signal:
    """WAV bytes → real audio (first channel), or complex IQ from a two-channel file."""
    try:
        with warnings.catch_warnings():  # SatNOGS/gr-satellites WAVs carry LIST chunks scipy skips
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, x = wavfile.read(io.BytesIO(data))
    except (ValueError, EOFError, OSError, IndexError, TypeError, KeyError) as e:
        raise InputFormatError(f"{source}: not a readable WAV file: {e}") from None
    x = np.asarray(x)
    if x.size == 0:
        raise InputFormatError(f"{source}: WAV file holds no samples")
    if rate <= 0:
        raise InputFormatError(f"{source}: WAV sample rate {rate} invalid")
    if x.dtype.kind in "iu":
        info = np.iinfo(x.dtype)
        x = (x.astype(np.float64) - (info.max + info.min + 1) / 2) / (info.max + 1)
    x = np.nan_to_num(x.astype(np.float64))
    if as_iq:
        if x.ndim != 2 or x.shape[1] < 2:
            raise InputFormatError(f"{source}: an IQ WAV needs two channels (I, Q)")
        return Signal(x[:, 0] + 1j * x[:, 1], float(rate))
    return Signal(x[:, 0] if x.ndim == 2 else x, float(rate))


def _iq_from_bytes(data: bytes, datatype: str, source: str) -> np.ndarray:
    dt = _SIGMF_TYPES.get(datatype)
    if dt is None:
        raise InputFormatError(f"{source}: IQ datatype {datatype!r} not supported ({', '.join(_SIGMF_TYPES)})")
    item = np.dtype(dt).itemsize * 2
    if len(data) < item:
        raise InputFormatError(f"{source}: no IQ samples")
    a = np.frombuffer(data[: len(data) // item * item], dtype=dt).astype(np.float64)
    if datatype == "cu8":
        a = (a - 127.5) / 128.0
    elif datatype == "cu16_le":
        a = (a - 32767.5) / 32768.0
    elif np.dtype(dt).kind == "i":
        a = a / float(np.iinfo(np.dtype(dt)).max + 1)
    z = a[0::2] + 1j * a[1::2]
    return np.nan_to_num(z)


def read_iq(path: Path, sample_rate_hz: float | None) -> Signal:
    """SigMF (meta or data path) or raw interleaved IQ → complex :class:`Signal`."""
    p = Path(path)
    if p.suffix in (".sigmf-meta", ".sigmf-data", ".sigmf"):
        meta_p, data_p = p.with_suffix(".sigmf-meta"), p.with_suffix(".sigmf-data")
        if not meta_p.is_file() or not data_p.is_file():
            raise ValidationError(f"{p}: SigMF needs both {meta_p.name} and {data_p.name}")
        try:
            g = json.loads(meta_p.read_text())["global"]
            datatype = str(g["core:datatype"])
            rate = float(g.get("core:sample_rate", sample_rate_hz or 0))
        except (ValueError, KeyError, TypeError) as e:
            raise InputFormatError(f"{meta_p}: not SigMF metadata ({e})") from None
        if sample_rate_hz:
            rate = float(sample_rate_hz)
        if not rate > 0:
            raise ValidationError(f"{meta_p}: no core:sample_rate; give --sample-rate-hz")
        return Signal(_iq_from_bytes(data_p.read_bytes(), datatype, str(data_p)), rate)
    if p.suffix == ".wav":
        sig = read_wav_samples(p.read_bytes(), str(p), as_iq=True)
        return Signal(sig.samples, float(sample_rate_hz) if sample_rate_hz else sig.rate_hz)
    if not sample_rate_hz or sample_rate_hz <= 0:
        raise ValidationError(f"{p}: raw IQ needs --sample-rate-hz")
    return Signal(_iq_from_bytes(p.read_bytes(), _EXT_TYPES.get(p.suffix.lower(), "cf32_le"), str(p)), float(sample_rate_hz))


def read_recording(path: Path, input_format: str, sample_rate_hz: float | None = None) -> Signal:
    """``wav`` (audio) or ``iq`` recording → :class:`Signal`; ``sample_rate_hz`` overrides WAV headers."""
    p = Path(path)
    if not p.is_file() and not (input_format == "iq" and p.with_suffix(".sigmf-meta").is_file()):
        raise ValidationError(f"{p}: no such file")
    if input_format == "wav":
        sig = read_wav_samples(p.read_bytes(), str(p))
        return Signal(sig.samples, float(sample_rate_hz) if sample_rate_hz else sig.rate_hz)
    if input_format == "iq":
        return read_iq(p, sample_rate_hz)
    raise ValidationError(f"--input-format must be wav or iq for a recording, not {input_format!r}")
