"""Optical takes (MicroDragon's camera): sun elevation, off-nadir limit, swath, cloud probability.

An optical take of an area is possible at a satellite's closest approach (the same zero-Doppler
crossing geometry as a SAR take: :mod:`opportunities`) when

* the whole area is on one side of the track within the camera's swath (cross-track extent
  ≤ ``swath_km``) and the off-nadir angle is within the bus's roll limit (``max_roll_deg``);
* the Sun is at least ``MIN_SUN_ELEVATION_DEG`` above the area's horizon at that time (Sun
  from :func:`lotusar.orbit.sun.sun_position_teme_m`, TEME → ITRS by the orbit stage);
* the cloud probability there and then (a gridded forecast file, else the climatology
  default) is at most the request's ``max_cloud_probability``; a take's value is the request
  weight × (1 − cloud probability).

Data volume: a push-broom camera writes (swath / GSD) pixels × bands × ``BITS_PER_SAMPLE`` per
line, (ground speed / GSD) lines per second.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lotusar.errors import InputFormatError
from lotusar.geodesy import geodetic_to_ecef
from lotusar.orbit import frames
from lotusar.orbit.sun import sun_position_teme_m
from lotusar.timeutil import parse_datetime64, to_datetime64

MIN_SUN_ELEVATION_DEG = 15.0   # ASSUMPTION: camera's minimum sun elevation (the fleet file has none)
BITS_PER_SAMPLE = 12           # ASSUMPTION: 12-bit samples, no compression
# climatology default (ASSUMPTION, no gridded data in the project): mean cloud fraction by
# month over Vietnam, dry season (Dec–Apr) ~0.5, wet season (May–Nov) ~0.7
CLIMATOLOGY_BY_MONTH = (0.5, 0.45, 0.45, 0.5, 0.6, 0.7, 0.7, 0.75, 0.75, 0.7, 0.6, 0.55)


def optical_payload(sat):
    for p in sat.payloads:
        if p.kind == "optical":
            return p
    return None


def optical_data_rate_bps(payload, ground_speed_m_s: float) -> float:
    """Push-broom data rate: pixels per line × bands × bits × lines per second."""
    pixels = payload.swath_km * 1000.0 / payload.gsd_m
    lines_per_s = ground_speed_m_s / payload.gsd_m
    return float(pixels * max(len(payload.bands), 1) * BITS_PER_SAMPLE * lines_per_s)


def sun_elevation_deg(epoch, t_s, lat_deg, lon_deg) -> np.ndarray:
    """Sun elevation (deg) at ground points (lat, lon, arrays) at times ``t_s`` (s from epoch)."""
    t = to_datetime64(epoch) + np.round(np.asarray(t_s, float) * 1e9).astype(np.int64).astype("timedelta64[ns]")
    sc = frames.time_scales(t)
    s_teme = sun_position_teme_m(sc)
    s_itrs, _ = frames.teme_to_itrs(s_teme, np.zeros_like(s_teme), sc)
    lat = np.asarray(lat_deg, float)
    lon = np.asarray(lon_deg, float)
    P = geodetic_to_ecef(lat_deg=lat, lon_deg=lon, height_m=np.zeros(lat.shape))
    up = np.stack([np.cos(np.radians(lat)) * np.cos(np.radians(lon)),
                   np.cos(np.radians(lat)) * np.sin(np.radians(lon)), np.sin(np.radians(lat))], axis=-1)
    d = s_itrs - P
    return np.degrees(np.arcsin(np.einsum("...j,...j->...", d, up) / np.linalg.norm(d, axis=-1)))


@dataclass
class CloudField:
    """Cloud probability on a regular lon/lat grid, one layer per time (or a climatology).

    File (JSON): ``{"lon0": .., "lat0": .., "dlon": .., "dlat": .., "times": [ISO, ...],
    "probability": [[[p, ...], ...], ...]}`` — ``probability[k][i][j]`` at ``times[k]``,
    latitude ``lat0 + i·dlat``, longitude ``lon0 + j·dlon``; nearest cell and the latest layer
    not after the take (the first one before it). Values in [0, 1].
    """

    lon0: float = 0.0
    lat0: float = 0.0
    dlon: float = 1.0
    dlat: float = 1.0
    times: np.ndarray | None = None     # datetime64[ns]
    values: np.ndarray | None = None    # (T, NY, NX)

    def probability(self, epoch, t_s: float, lat_deg: float, lon_deg: float) -> float:
        t = to_datetime64(epoch) + np.timedelta64(int(t_s * 1e9), "ns")
        if self.values is None:
            return CLIMATOLOGY_BY_MONTH[int(t.astype("datetime64[M]").astype(np.int64) % 12)]
        k = int(np.clip(np.searchsorted(self.times, t, side="right") - 1, 0, len(self.times) - 1))
        i = int(np.clip(round((lat_deg - self.lat0) / self.dlat), 0, self.values.shape[1] - 1))
        j = int(np.clip(round((lon_deg - self.lon0) / self.dlon), 0, self.values.shape[2] - 1))
        return float(self.values[k, i, j])


def read_cloud_field(path) -> CloudField:
    """A gridded cloud-probability forecast (see :class:`CloudField`)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
        vals = np.asarray(d["probability"], float)
        times = np.array([parse_datetime64(x, "times") for x in d["times"]]).astype("datetime64[ns]")
        field = CloudField(float(d["lon0"]), float(d["lat0"]), float(d["dlon"]), float(d["dlat"]), times, vals)
    except json.JSONDecodeError as e:
        raise InputFormatError(f"{p}: line {e.lineno}: not valid JSON ({e.msg})") from None
    except (KeyError, TypeError, ValueError) as e:
        raise InputFormatError(f"{p}: cloud field: {e}") from None
    if vals.ndim != 3 or vals.shape[0] != len(times) or not ((vals >= 0) & (vals <= 1)).all():
        raise InputFormatError(f"{p}: field 'probability': expected [time][lat][lon] values in [0, 1]")
    return field
