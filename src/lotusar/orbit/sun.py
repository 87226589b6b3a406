"""Analytic Sun position, eclipse test and local solar time — no ephemeris file.

Sun: the Astronomical Almanac low-precision formulae (AA 2023, section C5; ~0.01° for
1950–2050): mean longitude L, mean anomaly g, ecliptic longitude λ = L + 1.915° sin g +
0.020° sin 2g, obliquity ε = 23.439° − 4e-7° n; distance R = 1.00014 − 0.01671 cos g −
0.00014 cos 2g AU. The result is in the mean equator and equinox of date, which differs from
TEME (true equator, mean equinox) by nutation in obliquity only (< 10″), far below the
formula's error.

Eclipse: the satellite is sunlit unless the segment to the Sun meets a sphere of Earth's
equatorial radius (point-source Sun, as skyfield's ``is_sunlit``); the penumbra (~10 s at
LEO) is not modelled.
"""

from __future__ import annotations

import numpy as np

from lotusar.constants import WGS84_A_M
from lotusar.orbit.frames import TimeScales

AU_M = 149_597_870_700.0
"""Astronomical unit [m] (IAU 2012 Resolution B2, exact)."""
EARTH_RADIUS_SHADOW_M = WGS84_A_M
"""Radius of the spherical Earth shadow: the equatorial radius, as skyfield's ``is_sunlit``."""


def sun_position_teme_m(scales: TimeScales) -> np.ndarray:
    """Geocentric Sun position (N, 3) in metres, equator/equinox of date (≈ TEME)."""
    n = scales.jd_whole - 2451545.0 + scales.tt_fraction
    L = np.radians((280.460 + 0.9856474 * n) % 360.0)
    g = np.radians((357.528 + 0.9856003 * n) % 360.0)
    lam = L + np.radians(1.915) * np.sin(g) + np.radians(0.020) * np.sin(2 * g)
    eps = np.radians(23.439 - 4.0e-7 * n)
    R = (1.00014 - 0.01671 * np.cos(g) - 0.00014 * np.cos(2 * g)) * AU_M
    return np.stack((R * np.cos(lam), R * np.cos(eps) * np.sin(lam), R * np.sin(eps) * np.sin(lam)), axis=-1)


def sun_right_ascension_rad(scales: TimeScales) -> np.ndarray:
    s = sun_position_teme_m(scales)
    return np.arctan2(s[..., 1], s[..., 0])


def is_sunlit(r_teme_m: np.ndarray, sun_teme_m: np.ndarray, radius_m: float = EARTH_RADIUS_SHADOW_M) -> np.ndarray:
    """True where the line of sight satellite → Sun does not meet Earth's sphere."""
    d = sun_teme_m - r_teme_m
    d = d / np.linalg.norm(d, axis=-1, keepdims=True)
    t_closest = -np.einsum("...i,...i->...", r_teme_m, d)  # distance along d to closest approach to Earth centre
    miss2 = np.einsum("...i,...i->...", r_teme_m, r_teme_m) - t_closest**2
    return ~((t_closest > 0) & (miss2 < radius_m**2))


def local_solar_time_h(r_teme_m: np.ndarray, scales: TimeScales) -> np.ndarray:
    """Local mean-ish solar time (hours) of the sub-satellite meridian: 12 h + (α_sat − α_sun)/15°."""
    a_sat = np.arctan2(r_teme_m[..., 1], r_teme_m[..., 0])
    a_sun = sun_right_ascension_rad(scales)
    return (12.0 + np.degrees(a_sat - a_sun) / 15.0) % 24.0
