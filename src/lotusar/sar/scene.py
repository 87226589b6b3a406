"""Scene settings for simulation: the JSON the ``lotusar sar simulate --targets`` command reads.

Keys (all optional except ``targets`` or a σ0 map): ``azimuth_lines`` and ``range_samples``
(size of the focused SLC grid centred on the scene centre; the raw echo window is grown by the
synthetic aperture, the range migration and the pulse so that every grid pixel is fully
focused), ``squint_deg``, ``look_angle_deg``, ``window`` (none|hamming|taylor: the processing
window recorded for the focuser), ``antenna_pattern`` (bool: two-way sinc^2 pattern in azimuth
and elevation; false = ideal beam, flat Doppler spectrum over the processed band), ``noise``
(bool: thermal noise at the mode's NESZ), ``quantisation`` (none|uniform|baq),
``quantisation_bits``, ``bistatic`` (bool, default true: the echo of pulse n is received at
t_n + tau, not at t_n), ``seed``, ``azimuth_bandwidth_hz`` (processed Doppler bandwidth),
``sigma0_db`` (2-D list or path to a .npy / GeoTIFF of σ0 in dB on a ground grid centred on the
scene, rows along track, columns ground range) with ``sigma0_spacing_m`` (m),
and ``targets``: list of {``along_track_m``, ``cross_track_m`` (ground range), ``height_m``,
``rcs_m2``} relative to the scene centre (the beam centre on WGS84 at the reference time).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio

from lotusar.errors import InputFormatError, ValidationError

WINDOWS = ("none", "hamming", "taylor", "kaiser")
QUANTISATIONS = ("none", "uniform", "baq")


@dataclass
class PointTarget:
    along_track_m: float
    cross_track_m: float
    height_m: float = 0.0
    rcs_m2: float = 1.0


@dataclass
class SceneSpec:
    azimuth_lines: int = 1024
    range_samples: int = 1024
    squint_deg: float | None = None
    look_angle_deg: float | None = None
    window: str = "none"
    antenna_pattern: bool = True
    noise: bool = False
    quantisation: str = "uniform"
    quantisation_bits: int | None = None
    bistatic: bool = True
    seed: int = 0
    azimuth_bandwidth_hz: float | None = None
    sigma0_db: np.ndarray | None = None
    sigma0_spacing_m: float = 2.0
    targets: list[PointTarget] = field(default_factory=list)


def _num(d: dict, key: str, src: str, kind=float, default=None, lo=None, hi=None):
    if key not in d or d[key] is None:
        return default
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InputFormatError(f"{src}: field {key!r} must be a number, got {v!r}")
    if kind is int and float(v) != int(v):
        raise InputFormatError(f"{src}: field {key!r} must be an integer, got {v!r}")
    v = kind(v)
    if not np.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ValidationError(f"{src}: field {key!r} = {v} outside [{lo}, {hi}]")
    return v


def _bool(d: dict, key: str, src: str, default: bool) -> bool:
    if key not in d:
        return default
    if not isinstance(d[key], bool):
        raise InputFormatError(f"{src}: field {key!r} must be true or false, got {d[key]!r}")
    return d[key]


def _load_sigma0(value, src: str, base: Path) -> np.ndarray:
    if isinstance(value, list):
        try:
            arr = np.asarray(value, float)
        except ValueError:
            raise InputFormatError(f"{src}: field 'sigma0_db' must be a rectangular 2-D list") from None
    elif isinstance(value, str):
        p = (base / value) if not Path(value).is_absolute() else Path(value)
        if p.suffix == ".npy":
            arr = np.load(p).astype(float)
        else:
            with rasterio.open(p) as r:
                arr = r.read(1).astype(float)
    else:
        raise InputFormatError(f"{src}: field 'sigma0_db' must be a 2-D list or a file path")
    if arr.ndim != 2 or min(arr.shape) < 2 or not np.all(np.isfinite(arr)):
        raise InputFormatError(f"{src}: field 'sigma0_db' must be a finite 2-D array (got shape {arr.shape})")
    return arr


def parse_scene(d: dict, src: str = "<scene>", base_dir: str | Path = ".") -> SceneSpec:
    """Validate a scene-settings mapping (InputFormatError / ValidationError name the field)."""
    if not isinstance(d, dict):
        raise InputFormatError(f"{src}: top level must be a JSON object")
    known = {"azimuth_lines", "range_samples", "squint_deg", "look_angle_deg", "window", "antenna_pattern", "noise",
             "quantisation", "quantisation_bits", "bistatic", "seed", "azimuth_bandwidth_hz", "sigma0_db",
             "sigma0_spacing_m", "targets", "description", "name"}
    unknown = sorted(set(d) - known)
    if unknown:
        raise InputFormatError(f"{src}: unknown field {unknown[0]!r} (known: {', '.join(sorted(known))})")
    s = SceneSpec()
    s.azimuth_lines = _num(d, "azimuth_lines", src, int, s.azimuth_lines, 16, 65536)
    s.range_samples = _num(d, "range_samples", src, int, s.range_samples, 16, 65536)
    s.squint_deg = _num(d, "squint_deg", src, float, None, -20, 20)
    s.look_angle_deg = _num(d, "look_angle_deg", src, float, None, 5, 60)
    s.quantisation_bits = _num(d, "quantisation_bits", src, int, None, 2, 8)
    s.seed = _num(d, "seed", src, int, 0, 0, 2**32 - 1)
    s.azimuth_bandwidth_hz = _num(d, "azimuth_bandwidth_hz", src, float, None, 1.0, 1e6)
    s.sigma0_spacing_m = _num(d, "sigma0_spacing_m", src, float, s.sigma0_spacing_m, 0.01, 1e4)
    for key, allowed in (("window", WINDOWS), ("quantisation", QUANTISATIONS)):
        if key in d:
            if d[key] not in allowed:
                raise ValidationError(f"{src}: field {key!r} = {d[key]!r}, expected one of {', '.join(allowed)}")
            setattr(s, key, d[key])
    s.antenna_pattern = _bool(d, "antenna_pattern", src, s.antenna_pattern)
    s.noise = _bool(d, "noise", src, s.noise)
    s.bistatic = _bool(d, "bistatic", src, s.bistatic)
    if "sigma0_db" in d:
        s.sigma0_db = _load_sigma0(d["sigma0_db"], src, Path(base_dir))
    targets = d.get("targets", [])
    if not isinstance(targets, list):
        raise InputFormatError(f"{src}: field 'targets' must be a list")
    for i, t in enumerate(targets):
        if not isinstance(t, dict):
            raise InputFormatError(f"{src}: targets[{i}] must be an object")
        extra = sorted(set(t) - {"along_track_m", "cross_track_m", "height_m", "rcs_m2", "name"})
        if extra:
            raise InputFormatError(f"{src}: targets[{i}] unknown field {extra[0]!r}")
        s.targets.append(PointTarget(
            along_track_m=_num(t, "along_track_m", f"{src}: targets[{i}]", float, 0.0, -1e6, 1e6),
            cross_track_m=_num(t, "cross_track_m", f"{src}: targets[{i}]", float, 0.0, -1e6, 1e6),
            height_m=_num(t, "height_m", f"{src}: targets[{i}]", float, 0.0, -500, 9000),
            rcs_m2=_num(t, "rcs_m2", f"{src}: targets[{i}]", float, 1.0, 0.0, 1e12),
        ))
    if not s.targets and s.sigma0_db is None:
        raise ValidationError(f"{src}: give at least one of 'targets' or 'sigma0_db'")
    return s


def read_scene(path: str | Path) -> SceneSpec:
    p = Path(path)
    text = p.read_text()
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputFormatError(f"{p}: line {e.lineno} column {e.colno}: {e.msg}") from None
    return parse_scene(d, str(p), p.parent)
