"""Vectorised SGP4 propagation and frame conversion.

All propagation goes through ``sgp4``'s C++ (``Satrec.sgp4_array`` / ``SatrecArray.sgp4``):
no Python loop per time step. ``sat`` is a :class:`lotusar.orbit.satellite.Satellite` (or
what :func:`~lotusar.orbit.satellite.as_satellite` turns into one: a fleet record, element
sets); with several element sets each time uses the set nearest in epoch.

Times are UTC ``datetime64[ns]`` arrays (anything :func:`frames.as_times` accepts).
Outputs are SI: metres and metres per second. Positions where SGP4 reports an error
(decayed, eccentricity out of range) are NaN; ``errors`` gives the SGP4 code.

Accuracy: this is SGP4 — about 1 km at epoch and growing 1–3 km/day (Vallado et al. 2006);
the frame chain itself agrees with skyfield to < 1 mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from sgp4.api import SatrecArray

from lotusar.errors import ValidationError
from lotusar.geodesy import ecef_to_geodetic
from lotusar.orbit import frames
from lotusar.orbit.elements import nearest_epoch_index
from lotusar.orbit.satellite import Satellite, SatelliteLike, as_satellite
from lotusar.orbit.sun import is_sunlit, local_solar_time_h, sun_position_teme_m
from lotusar.timeutil import parse_datetime64


@dataclass(frozen=True)
class Track:
    """States of one satellite on a time grid (SI units)."""

    times: np.ndarray          # datetime64[ns] (N,)
    r_teme_m: np.ndarray       # (N, 3)
    v_teme_m_s: np.ndarray     # (N, 3)
    r_itrs_m: np.ndarray       # (N, 3)
    v_itrs_m_s: np.ndarray     # (N, 3)
    errors: np.ndarray         # (N,) SGP4 error codes (0 = fine)
    scales: frames.TimeScales

    def geodetic(self):
        """WGS84 (lat_deg, lon_deg, height_m) of the sub-satellite points."""
        return ecef_to_geodetic(self.r_itrs_m)


def teme_states(sat: SatelliteLike, times, scales: frames.TimeScales | None = None):
    """TEME position (m) and velocity (m/s), shape (N, 3), plus SGP4 error codes (N,).

    With several element sets, each time uses the set nearest in epoch.
    """
    t = frames.as_times(times)
    jd, fr = (scales.jd_utc_whole, scales.jd_utc_fraction) if scales is not None else frames.utc_julian_date(t)
    sets = as_satellite(sat).element_sets
    if len(sets) == 1:
        e, r, v = sets[0].satrec.sgp4_array(jd, fr)
    else:
        idx = nearest_epoch_index([s.epoch for s in sets], t)
        r = np.empty((t.size, 3))
        v = np.empty((t.size, 3))
        e = np.empty(t.size, dtype=np.uint8)
        for k in np.unique(idx):
            m = idx == k
            e[m], r[m], v[m] = sets[k].satrec.sgp4_array(jd[m], fr[m])
    r = r * 1000.0
    v = v * 1000.0
    if e.any():
        bad = e != 0
        r[bad] = np.nan
        v[bad] = np.nan
    return r, v, e


def teme_states_many(sats: list[Satellite], times, scales: frames.TimeScales | None = None):
    """Many satellites × many times through ``SatrecArray``: r (S, N, 3) m, v (S, N, 3) m/s, e (S, N).

    Each satellite's first element set is used (for satellites with one set each).
    """
    t = frames.as_times(times)
    jd, fr = (scales.jd_utc_whole, scales.jd_utc_fraction) if scales is not None else frames.utc_julian_date(t)
    arr = SatrecArray([s.first.satrec for s in sats])
    e, r, v = arr.sgp4(jd, fr)
    r *= 1000.0
    v *= 1000.0
    if e.any():
        bad = e != 0
        r[bad] = np.nan
        v[bad] = np.nan
    return r, v, e


def itrs_state(sat: SatelliteLike, times, scales: frames.TimeScales | None = None):
    """ITRS/ECEF position (m) and Earth-relative velocity (m/s), each (N, 3)."""
    t = frames.as_times(times)
    sc = scales if scales is not None else frames.time_scales(t)
    r, v, _ = teme_states(sat, t, sc)
    return frames.teme_to_itrs(r, v, sc)


def gcrs_state(sat: SatelliteLike, times):
    """GCRS position (m) and velocity (m/s), each (N, 3) (IAU 2000A via skyfield's TEME frame)."""
    t = frames.as_times(times)
    r, v, _ = teme_states(sat, t)
    return frames.teme_to_gcrs(r, v, t)


def geodetic_track(sat: SatelliteLike, times):
    """WGS84 sub-satellite (lat_deg, lon_deg, height_m), each (N,)."""
    r, _ = itrs_state(sat, times)
    return ecef_to_geodetic(r)


def track(sat: SatelliteLike, times) -> Track:
    """All the states of one satellite on a time grid (TEME + ITRS), for callers that need both."""
    t = frames.as_times(times)
    sc = frames.time_scales(t)
    r, v, e = teme_states(sat, t, sc)
    ri, vi = frames.teme_to_itrs(r, v, sc)
    return Track(t, r, v, ri, vi, e, sc)


def time_grid(start, end, step_s: float) -> np.ndarray:
    """Regular UTC grid from start to end inclusive (last sample = end)."""
    t0 = parse_datetime64(start, "start")
    t1 = parse_datetime64(end, "end")
    step_ns = int(round(step_s * 1e9))
    if step_ns <= 0:
        raise ValidationError(f"step must be positive, got {step_s}")
    n = int((t1 - t0).astype(np.int64) // step_ns)
    g = t0 + np.arange(n + 1, dtype=np.int64) * np.timedelta64(step_ns, "ns")
    if g[-1] < t1:
        g = np.append(g, t1)
    return g


def sunlit(sat: SatelliteLike, times) -> np.ndarray:
    """True where the satellite is in sunlight (point-source Sun, spherical Earth shadow)."""
    t = frames.as_times(times)
    sc = frames.time_scales(t)
    r, _, _ = teme_states(sat, t, sc)
    return is_sunlit(r, sun_position_teme_m(sc))


def node_local_time_h(sat: SatelliteLike, around) -> float:
    """Local solar time (h) of the ascending node nearest ``around`` (one orbit searched)."""
    sat = as_satellite(sat)
    t0 = frames.as_times(around)[0]
    period_s = 2 * np.pi / sat.first.satrec.no_kozai * 60.0
    g = t0 + (np.arange(0, period_s * 1.05, 30.0) * 1e9).astype("timedelta64[ns]")
    r, _, _ = teme_states(sat, g)
    z = r[:, 2]
    k = np.nonzero((z[:-1] < 0) & (z[1:] >= 0))[0]
    if k.size == 0:
        return float("nan")
    ta = g[k[0]]

    def zf(s):
        rr, _, _ = teme_states(sat, ta + np.timedelta64(int(s * 1e9), "ns"))
        return rr[0, 2]

    s = brentq(zf, 0.0, 30.0, xtol=1e-3)
    tn = ta + np.timedelta64(int(s * 1e9), "ns")
    rr, _, _ = teme_states(sat, tn)
    return float(local_solar_time_h(rr, frames.time_scales(tn))[0])
