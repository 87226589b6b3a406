"""Time scales and reference frames: UTC/UT1 Julian dates, TEME → ITRS (PEF) / GCRS, WGS84.

TEME → ITRS follows Vallado et al. (2006), AIAA 2006-6753, Appendix C: a rotation about z by
GMST (IAU 1982 expression, UT1) and ``v_ITRS = R v_TEME − ω × r_ITRS`` with ω the rate of
GMST. Polar motion (≲ 0.5″, ≲ 15 m at the surface) is neglected, as skyfield does when no
polar-motion table is loaded, so the two agree to numerical precision. UT1 − UTC and leap
seconds come from skyfield's *builtin* timescale tables (IERS data shipped in the wheel) —
no file is downloaded at run time. GCRS uses skyfield's IAU 2000A precession-nutation.

Geodetic coordinates are WGS84 (NIMA TR8350.2); the inverse uses Bowring's iteration, which
converges to < 1 mm in two steps for any point above ~−6000 km.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

WGS84_A_M = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
WGS84_EP2 = WGS84_E2 / (1.0 - WGS84_E2)
EARTH_RADIUS_SHADOW_M = 6378137.0  # sphere used for eclipse tests (as skyfield's is_sunlit)
DAY_S = 86400.0
_NS_PER_DAY = 86_400_000_000_000
_JD_UNIX = 2440587.5
_T0_J2000 = 2451545.0


@lru_cache(maxsize=1)
def timescale():
    """skyfield Timescale from the builtin tables (never downloads)."""
    from skyfield.api import load

    return load.timescale(builtin=True)


def as_times(times) -> np.ndarray:
    """Anything time-like → 1-D ``datetime64[ns]`` UTC array."""
    from datetime import datetime

    if isinstance(times, datetime):
        from lotusar.timeutil import to_datetime64

        times = to_datetime64(times)
    a = np.atleast_1d(np.asarray(times))
    if a.dtype.kind != "M":
        if a.dtype == object:
            from lotusar.timeutil import to_datetime64

            a = np.array([to_datetime64(x) if isinstance(x, datetime) else np.datetime64(x, "ns") for x in a.ravel()])
        else:
            a = a.astype("datetime64[ns]")
    return a.astype("datetime64[ns]")


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

    def take(self, idx) -> "TimeScales":
        """The scales of a subset of the times."""
        return TimeScales(self.jd_utc_whole[idx], self.jd_utc_fraction[idx], self.jd_whole[idx],
                          self.ut1_fraction[idx], self.tt_fraction[idx])

    @property
    def jd_tt(self) -> np.ndarray:
        return self.jd_whole + self.tt_fraction

    @property
    def jd_ut1(self) -> np.ndarray:
        return self.jd_whole + self.ut1_fraction


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
    from skyfield.sgp4lib import TEME

    st = skyfield_time(times)
    R = TEME.rotation_at(st)  # GCRS → TEME, shape (3, 3, N)
    R = np.asarray(R)
    if R.ndim == 2:
        R = R[:, :, None]
    r = np.einsum("jin,...nj->...ni", R, r_teme)
    v = None if v_teme is None else np.einsum("jin,...nj->...ni", R, v_teme)
    return r, v


def geodetic_to_itrs(lat_deg, lon_deg, height_m) -> np.ndarray:
    """WGS84 geodetic → ITRS/ECEF metres, shape (..., 3)."""
    lat = np.radians(np.asarray(lat_deg, float))
    lon = np.radians(np.asarray(lon_deg, float))
    h = np.asarray(height_m, float)
    sl, cl = np.sin(lat), np.cos(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sl * sl)
    return np.stack(((n + h) * cl * np.cos(lon), (n + h) * cl * np.sin(lon), (n * (1.0 - WGS84_E2) + h) * sl), axis=-1)


def itrs_to_geodetic(r_itrs_m):
    """ITRS/ECEF metres (..., 3) → WGS84 (lat_deg, lon_deg, height_m), Bowring (1976) iteration."""
    r = np.asarray(r_itrs_m, float)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    p = np.hypot(x, y)
    lon = np.arctan2(y, x)
    beta = np.arctan2(z, (1.0 - WGS84_F) * p)
    for it in range(2):
        sb, cb = np.sin(beta), np.cos(beta)
        lat = np.arctan2(z + WGS84_EP2 * WGS84_B_M * sb * sb * sb, p - WGS84_E2 * WGS84_A_M * cb * cb * cb)
        if it == 0:
            beta = np.arctan2((1.0 - WGS84_F) * np.sin(lat), np.cos(lat))
    sl, cl = np.sin(lat), np.cos(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sl * sl)
    h = p * cl + z * sl - WGS84_A_M * WGS84_A_M / n
    return np.degrees(lat), np.degrees(lon), h


def enu_basis(lat_deg, lon_deg) -> np.ndarray:
    """Rows east, north, up (geodetic normal) at the point: shape (..., 3, 3)."""
    lat = np.radians(np.asarray(lat_deg, float))
    lon = np.radians(np.asarray(lon_deg, float))
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    e = np.stack((-so, co, np.zeros_like(so)), axis=-1)
    n = np.stack((-sl * co, -sl * so, cl), axis=-1)
    u = np.stack((cl * co, cl * so, sl), axis=-1)
    return np.stack((e, n, u), axis=-2)


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
