"""WGS84 ellipsoid: geodetic ↔ ECEF conversions, radii of curvature, local ENU bases.

All functions are vectorised over NumPy arrays (any shape) and take angles in degrees at the
interface (``lon_deg``, ``lat_deg``) and heights above the ellipsoid in metres.

References: NIMA TR8350.2 (WGS84 constants); Bowring (1976) / Zhu (1993) for the closed
form ECEF → geodetic used here, accurate to well below 1 mm for terrestrial and LEO heights.
"""

from __future__ import annotations

import numpy as np

WGS84_A_M = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
WGS84_EP2 = WGS84_E2 / (1.0 - WGS84_E2)
SPEED_OF_LIGHT_MPS = 299_792_458.0


def r_east_m(lat_deg):
    """Prime-vertical radius of curvature N(φ) = a / sqrt(1 − e² sin²φ) in metres."""
    s = np.sin(np.deg2rad(lat_deg))
    return WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * s * s)


def r_north_m(lat_deg):
    """Meridional radius of curvature M(φ) = a(1 − e²) / (1 − e² sin²φ)^{3/2} in metres."""
    s = np.sin(np.deg2rad(lat_deg))
    return WGS84_A_M * (1.0 - WGS84_E2) / (1.0 - WGS84_E2 * s * s) ** 1.5


def llh_to_ecef(lon_deg, lat_deg, height_m):
    """Geodetic (lon, lat in degrees, height above WGS84 in m) → ECEF x, y, z in metres.

    Returns an array with a trailing axis of length 3.
    """
    lon = np.deg2rad(np.asarray(lon_deg, dtype=np.float64))
    lat = np.deg2rad(np.asarray(lat_deg, dtype=np.float64))
    h = np.asarray(height_m, dtype=np.float64)
    sl, cl = np.sin(lat), np.cos(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sl * sl)
    x = (n + h) * cl * np.cos(lon)
    y = (n + h) * cl * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + h) * sl
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def ecef_to_llh(xyz_m):
    """ECEF (…, 3) in metres → (lon_deg, lat_deg, height_m), each of shape (…).

    Bowring's method with two refinement steps of the parametric latitude (error < 1e-9 m
    for |h| < 1000 km).
    """
    xyz = np.asarray(xyz_m, dtype=np.float64)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    p = np.hypot(x, y)
    lon = np.arctan2(y, x)
    beta = np.arctan2(z * WGS84_A_M, p * WGS84_B_M)
    for _ in range(3):
        sb, cb = np.sin(beta), np.cos(beta)
        lat = np.arctan2(z + WGS84_EP2 * WGS84_B_M * sb**3, p - WGS84_E2 * WGS84_A_M * cb**3)
        beta = np.arctan2((1.0 - WGS84_F) * np.sin(lat), np.cos(lat))
    sl, cl = np.sin(lat), np.cos(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * sl * sl)
    # height: robust form valid at all latitudes
    h = p * cl + z * sl - WGS84_A_M * WGS84_A_M / n
    return np.rad2deg(lon), np.rad2deg(lat), h


def enu_basis(lon_deg, lat_deg):
    """Unit east, north, up vectors (…, 3) at geodetic (lon, lat) in degrees."""
    lon = np.deg2rad(np.asarray(lon_deg, dtype=np.float64))
    lat = np.deg2rad(np.asarray(lat_deg, dtype=np.float64))
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    zero = np.zeros_like(sl * so)
    east = np.stack(np.broadcast_arrays(-so, co, zero), axis=-1)
    north = np.stack(np.broadcast_arrays(-sl * co, -sl * so, cl), axis=-1)
    up = np.stack(np.broadcast_arrays(cl * co, cl * so, sl), axis=-1)
    return east, north, up


def ecef_to_enu(vec_m, lon_deg, lat_deg):
    """Rotate ECEF vectors (…, 3) into local east/north/up components (…, 3)."""
    e, n, u = enu_basis(lon_deg, lat_deg)
    v = np.asarray(vec_m)
    return np.stack([(v * e).sum(-1), (v * n).sum(-1), (v * u).sum(-1)], axis=-1)
