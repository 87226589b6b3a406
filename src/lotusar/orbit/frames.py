"""Time scales and reference frames: UTC/UT1 Julian dates, TEME → ITRS (PEF) / GCRS, topocentric.

TEME → ITRS follows Vallado et al. (2006), AIAA 2006-6753, Appendix C: a rotation about z by
GMST (IAU 1982 expression, UT1) and ``v_ITRS = R v_TEME − ω × r_ITRS`` with ω the rate of
GMST. Polar motion (≲ 0.5″, ≲ 15 m at the surface) is neglected, as skyfield does when no
polar-motion table is loaded, so the two agree to numerical precision. UT1 − UTC and leap
seconds come from skyfield's *builtin* timescale tables (IERS data shipped in the wheel) —
no file is downloaded at run time. GCRS uses skyfield's IAU 2000A precession-nutation.

Geodetic coordinates and local ENU frames come from :mod:`lotusar.geodesy` (WGS84, one ENU
convention for the project); this module only rotates between inertial and Earth-fixed frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import numpy as np
from skyfield.api import load
from skyfield.sgp4lib import TEME

from lotusar.constants import DAY_S
from lotusar.timeutil import parse_datetime64

_NS_PER_DAY = 86_400_000_000_000
_JD_UNIX = 2440587.5
_T0_J2000 = 2451545.0


@lru_cache(maxsize=1)
def timescale():
    """skyfield Timescale from the builtin tables (never downloads)."""
    return load.timescale(builtin=True)


def as_times(times) -> np.ndarray:
    """Anything time-like → 1-D ``datetime64[ns]`` UTC array.

    ``datetime64`` values are UTC already; ISO 8601 strings and datetimes go through
    :func:`lotusar.timeutil.parse_datetime64` (offsets honoured, naive read as UTC).
    """
    if isinstance(times, (str, datetime)):
        return np.atleast_1d(parse_datetime64(times))
    a = np.atleast_1d(np.asarray(times))
    if a.dtype.kind == "M":
        return a.astype("datetime64[ns]")
    if a.dtype.kind in "UO":
        return np.array([parse_datetime64(x) for x in a.ravel()], dtype="datetime64[ns]")
    raise TypeError(f"not a time array: dtype {a.dtype}")


def utc_julian_date(times) -> tuple[np.ndarray, np.ndarray]:
    """UTC Julian date split into a whole part (…​.5, midnight) and a day fraction, for ``sgp4``."""
    ns = as_times(times).astype(np.int64)
    days = np.floor_divide(ns, _NS_PER_DAY)
    frac = (ns - days * _NS_PER_DAY) / float(_NS_PER_DAY)
    return _JD_UNIX + days.astype(np.float64), frac


@dataclass(frozen=True)
class TimeScales:
    """Julian dates of a time array: UTC (for SGP4), UT1 (Earth rotation), TT (Sun)."""

    jd_utc_whole: np.ndarray
    jd_utc_fraction: np.ndarray
    jd_whole: np.ndarray          # skyfield's Time.whole (for UT1 and TT fractions below)
    ut1_fraction: np.ndarray
    tt_fraction: np.ndarray

    def take(self, idx) -> TimeScales:
        """The scales of a subset of the times."""
        return TimeScales(self.jd_utc_whole[idx], self.jd_utc_fraction[idx], self.jd_whole[idx],
                          self.ut1_fraction[idx], self.tt_fraction[idx])


def skyfield_time(times):
    """skyfield ``Time`` for a datetime64 UTC array (vectorised calendar → leap seconds → TT/UT1)."""
    t = as_times(times)
    day = t.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    year = month.astype("datetime64[Y]")
    Y = year.astype(np.int64) + 1970
    M = (month - year).astype(np.int64) + 1
    D = (day - month).astype(np.int64) + 1
    sec = (t - day).astype(np.int64) / 1e9
    return timescale().utc(Y, M, D, 0, 0, sec)


def time_scales(times) -> TimeScales:
    t = as_times(times)
    whole, frac = utc_julian_date(t)
    st = skyfield_time(t)
    return TimeScales(whole, frac, np.asarray(st.whole, float), np.asarray(st.ut1_fraction, float),
                      np.asarray(st.tt_fraction, float))


def gmst82_rad(jd_ut1_whole, ut1_fraction=0.0):
    """GMST (IAU 1982, as used by SGP4's TEME) in rad and its rate in rad/s.

    Vallado et al. (2006) App. C; numerically identical to skyfield's ``theta_GMST1982``.
    """
    t = (jd_ut1_whole - _T0_J2000 + ut1_fraction) / 36525.0
    g = 67310.54841 + (8640184.812866 + (0.093104 + (-6.2e-6) * t) * t) * t
    dg = 8640184.812866 + (0.093104 * 2.0 + (-6.2e-6 * 3.0) * t) * t
    theta = (jd_ut1_whole % 1.0 + ut1_fraction + g / DAY_S % 1.0) % 1.0 * (2 * np.pi)
    theta_dot_rad_s = (1.0 + dg / (DAY_S * 36525.0)) * (2 * np.pi) / DAY_S
    return theta, theta_dot_rad_s


def teme_to_itrs(r_teme, v_teme, scales: TimeScales):
    """Rotate TEME states (…, N, 3) to ITRS (≡ PEF without polar motion), velocity relative to Earth."""
    theta, w = gmst82_rad(scales.jd_whole, scales.ut1_fraction)
    c, s = np.cos(theta), np.sin(theta)
    x, y, z = r_teme[..., 0], r_teme[..., 1], r_teme[..., 2]
    xr = c * x + s * y
    yr = -s * x + c * y
    r = np.stack((xr, yr, z), axis=-1)
    if v_teme is None:
        return r, None
    vx, vy, vz = v_teme[..., 0], v_teme[..., 1], v_teme[..., 2]
    v = np.stack((c * vx + s * vy + w * yr, -s * vx + c * vy - w * xr, vz), axis=-1)
    return r, v


def itrs_to_teme(r_itrs, v_itrs, scales: TimeScales):
    """Inverse of :func:`teme_to_itrs`."""
    theta, w = gmst82_rad(scales.jd_whole, scales.ut1_fraction)
    c, s = np.cos(theta), np.sin(theta)
    x, y, z = r_itrs[..., 0], r_itrs[..., 1], r_itrs[..., 2]
    r = np.stack((c * x - s * y, s * x + c * y, z), axis=-1)
    if v_itrs is None:
        return r, None
    vx = v_itrs[..., 0] - w * y
    vy = v_itrs[..., 1] + w * x
    v = np.stack((c * vx - s * vy, s * vx + c * vy, v_itrs[..., 2]), axis=-1)
    return r, v


def teme_to_gcrs(r_teme, v_teme, times):
    """TEME → GCRS through skyfield's TEME frame (IAU 2000A), vectorised over times."""
    st = skyfield_time(times)
    R = TEME.rotation_at(st)  # GCRS → TEME, shape (3, 3, N)
    R = np.asarray(R)
    if R.ndim == 2:
        R = R[:, :, None]
    r = np.einsum("jin,...nj->...ni", R, r_teme)
    v = None if v_teme is None else np.einsum("jin,...nj->...ni", R, v_teme)
    return r, v


def topocentric(r_itrs_m, v_itrs_m_s, site_itrs_m, basis):
    """Azimuth (deg, from north through east), elevation (deg), range (m) and range rate (m/s).

    ``r``/``v``: (..., N, 3) ITRS state; ``site_itrs_m``: (3,); ``basis``: (3, 3) ENU rows.
    Elevation is geometric (above the plane normal to the ellipsoid normal).
    """
    d = r_itrs_m - site_itrs_m
    enu = d @ basis.T
    rng = np.linalg.norm(d, axis=-1)
    el = np.degrees(np.arcsin(np.clip(enu[..., 2] / rng, -1.0, 1.0)))
    az = np.degrees(np.arctan2(enu[..., 0], enu[..., 1])) % 360.0
    rr = None if v_itrs_m_s is None else np.einsum("...i,...i->...", d, v_itrs_m_s) / rng
    return az, el, rng, rr
