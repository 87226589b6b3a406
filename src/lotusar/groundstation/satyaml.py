"""gr-satellites SatYAML satellite files: the transmitters a receiver is configured from.

A SatYAML file (gr-satellites ``python/satyaml/*.yml``, documented in its ``satyaml.rst``)
has ``name``, ``norad``, a ``data`` section and ``transmitters``: per transmitter a
``modulation`` (AFSK, FSK, FSK subaudio, BPSK, DBPSK, BPSK/DBPSK Manchester), ``baudrate``,
``framing`` (AX.25, AX.25 G3RUH, AO-40 FEC, CCSDS …), and where needed ``deviation``,
``af_carrier``, ``frame size``, ``RS basis``, ``RS interleaving``, ``scrambler``,
``convolutional``, ``precoding``. YAML anchors (``&tlm``) are plain YAML.

lotusar's built-in beacon profiles carry the same ``transmitters`` section, so a profile
name or file is accepted wherever a SatYAML file is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from lotusar.errors import InputFormatError, ValidationError
from lotusar.groundstation.deframers import SUPPORTED_FRAMINGS, get_deframer
from lotusar.groundstation.demod import MODULATIONS


@dataclass(frozen=True)
class Transmitter:
    """One SatYAML transmitter (see module docstring); ``params`` keeps every field."""

    name: str
    modulation: str
    baudrate: float
    framing: str
    deviation_hz: float | None = None
    af_carrier_hz: float | None = None
    frequency_hz: float | None = None
    params: dict = field(default_factory=dict, hash=False, compare=False)

    def unsupported_reason(self) -> str | None:
        """None when lotusar can demodulate and deframe it, else the one-line reason."""
        if self.modulation not in MODULATIONS:
            return f"modulation {self.modulation!r} not supported ({', '.join(MODULATIONS)})"
        if self.modulation == "AFSK" and (self.af_carrier_hz is None or self.deviation_hz is None):
            return "AFSK transmitter without af_carrier/deviation"
        if get_deframer(self.framing, self.params) is None:
            return f"framing {self.framing!r} not supported ({', '.join(SUPPORTED_FRAMINGS)})"
        return None


@dataclass(frozen=True)
class SatelliteFile:
    """A parsed SatYAML file."""

    name: str
    norad: int | None
    transmitters: tuple[Transmitter, ...]
    source: str = ""


def _num(v: object, what: str, src: str) -> float:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputFormatError(f"{src}: {what} {v!r} is not a number") from None


def satellite_from_dict(d: object, src: str = "satyaml") -> SatelliteFile:
    """Build a :class:`SatelliteFile` from parsed YAML."""
    if not isinstance(d, dict) or not isinstance(d.get("transmitters"), dict) or not d["transmitters"]:
        raise InputFormatError(f"{src}: a SatYAML file is a mapping with a non-empty 'transmitters' mapping")
    txs = []
    for name, t in d["transmitters"].items():
        if not isinstance(t, dict):
            raise InputFormatError(f"{src}: transmitter {name!r} is not a mapping")
        for k in ("modulation", "baudrate", "framing"):
            if k not in t:
                raise InputFormatError(f"{src}: transmitter {name!r} has no {k!r}")
        baud = _num(t["baudrate"], f"transmitter {name!r} baudrate", src)
        if not baud > 0:
            raise InputFormatError(f"{src}: transmitter {name!r} baudrate must be positive")
        dev = t.get("deviation")
        afc = t.get("af_carrier")
        freq = t.get("frequency")
        txs.append(Transmitter(
            name=str(name), modulation=str(t["modulation"]), baudrate=baud, framing=str(t["framing"]),
            deviation_hz=None if dev is None else _num(dev, "deviation", src),
            af_carrier_hz=None if afc is None else _num(afc, "af_carrier", src),
            frequency_hz=None if freq is None else _num(freq, "frequency", src),
            params={str(k): v for k, v in t.items() if k != "data"},
        ))
    norad = d.get("norad")
    return SatelliteFile(str(d.get("name", src)), None if norad is None else int(norad), tuple(txs), src)


def load_satyaml(path: str | Path) -> SatelliteFile:
    """Read a SatYAML file (or a beacon profile with a ``transmitters`` section)."""
    p = Path(path)
    if not p.is_file():
        raise ValidationError(f"{p}: SatYAML file not found")
    try:
        d = yaml.safe_load(p.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise InputFormatError(f"{p}: not valid YAML: {str(e).splitlines()[0]}") from None
    return satellite_from_dict(d, str(p))
