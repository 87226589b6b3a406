"""Radar geometry of the simulator and the focusers: antenna axes, beam footprint, target layout.

The zero-Doppler solver, rdr2geo, V_r and the Doppler model live in :mod:`lotusar.sar.model`.

Conventions (ISCE3 / Cumming & Wong, "Digital Processing of SAR Data", 2005, ch. 4):
the slant range history of a fixed Earth point p is R(t) = |r(t) - p| with r(t) the ITRS
antenna phase centre, so Earth rotation is in the orbit itself. The zero-Doppler time t0
solves (r(t0) - p) . v(t0) = 0 and R0 = R(t0) is the zero-Doppler (closest approach) range.
Frequency-domain focusing uses the hyperbolic model R(t)^2 ~ R0^2 + Vr^2 (t - t0)^2 with the
effective velocity Vr fitted to the true range history over the aperture.
"""

from __future__ import annotations

import numpy as np

from lotusar.constants import WGS84_A_M, WGS84_B_M
from lotusar.errors import ValidationError
from lotusar.geodesy import ecef_to_geodetic, geodetic_to_ecef, local_up
from lotusar.sar.model import Orbit


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def antenna_axes(position_m, velocity_m_s, look_side: str, look_angle_deg: float, squint_deg: float):
    """Boresight, azimuth axis and elevation axis (unit ITRS vectors) of a zero-Doppler-steered antenna.

    Along-track x = v/|v|; nadir n orthogonalised to x; cross-track c = n X x (right) or
    x X n (left). Boresight b = cos(sq)(cos(la) n + sin(la) c) + sin(sq) x; the azimuth axis is
    x rotated by the squint, the elevation axis completes the frame.
    """
    x = _unit(np.asarray(velocity_m_s, float))
    n = -_unit(np.asarray(position_m, float))
    n = _unit(n - np.sum(n * x, axis=-1, keepdims=True) * x)
    c = np.cross(n, x) if look_side == "right" else np.cross(x, n)
    la, sq = np.deg2rad(look_angle_deg), np.deg2rad(squint_deg)
    d = np.cos(la) * n + np.sin(la) * c
    b = np.cos(sq) * d + np.sin(sq) * x
    az = -np.sin(sq) * d + np.cos(sq) * x
    el = np.cross(b, az)
    return b, az, el


def ray_ellipsoid(origin_m, direction, height_m: float = 0.0) -> np.ndarray:
    """First intersection of rays with the ellipsoid raised by ``height_m`` (axes a+h, b+h)."""
    o = np.asarray(origin_m, float)
    d = _unit(np.asarray(direction, float))
    a, b = WGS84_A_M + height_m, WGS84_B_M + height_m
    w = np.array([1 / a**2, 1 / a**2, 1 / b**2])
    qa = np.sum(d * d * w, -1)
    qb = 2 * np.sum(o * d * w, -1)
    qc = np.sum(o * o * w, -1) - 1
    disc = qb * qb - 4 * qa * qc
    if np.any(disc < 0):
        raise ValidationError("beam does not intersect the Earth (look angle too large)")
    t = (-qb - np.sqrt(disc)) / (2 * qa)
    p = o + t[..., None] * d
    for _ in range(3):  # refine to the true geodetic height (ellipsoid + h is not exact)
        h = ecef_to_geodetic(p)[2]
        up = local_up(p)
        p = p + ((height_m - h) / np.sum(up * d, -1))[..., None] * d
    return p


def slant_range_m(orbit: Orbit, points_m, t_s) -> np.ndarray:
    """|r(t) − p|: slant range of ECEF points from the orbit at times ``t_s``."""
    return np.linalg.norm(orbit.position(t_s) - np.asarray(points_m, float), axis=-1)


def ground_velocity(sv, t0_s, points_m, dt: float = 0.5) -> np.ndarray:
    """Speed of the zero-Doppler point along the ground (m/s): azimuth pixel spacing x PRF.

    First order: the footprint moves at |v| scaled by the ratio of the point's geocentric
    radius to the satellite's (Cumming & Wong eq. 4.10, Vg ~ Vs Re/(Re+H)).
    """
    p = np.atleast_2d(np.asarray(points_m, float))
    t0 = np.atleast_1d(np.asarray(t0_s, float))
    r, v = sv.interpolate(t0)
    return np.linalg.norm(v, axis=-1) * np.linalg.norm(p, axis=-1) / np.linalg.norm(r, axis=-1)


def scene_centre(sv, t_s: float, look_side: str, look_angle_deg: float, squint_deg: float, height_m: float = 0.0) -> np.ndarray:
    """ECEF point where the beam centre meets the ellipsoid (+height) at time ``t_s``."""
    r, v = sv.interpolate(np.asarray(t_s, float))
    b, _, _ = antenna_axes(r, v, look_side, look_angle_deg, squint_deg)
    return ray_ellipsoid(r, b, height_m)


def place_targets(sv, centre_m, t_s: float, along_track_m, cross_track_m, height_m, look_side: str) -> np.ndarray:
    """ECEF positions of targets given along-track/ground-range offsets from the scene centre.

    Along-track = the satellite velocity projected on the local horizontal at the centre;
    cross-track = horizontal, pointing away from the satellite track (ground range grows).
    Offsets are laid in the tangent plane, then the point is put at ``height_m`` above WGS84.
    """
    c = np.asarray(centre_m, float)
    up = local_up(c)
    _, v = sv.interpolate(np.asarray(t_s, float))
    al = _unit(v - np.dot(v, up) * up)
    cr = np.cross(al, up) if look_side == "right" else np.cross(up, al)
    a = np.atleast_1d(np.asarray(along_track_m, float))
    x = np.atleast_1d(np.asarray(cross_track_m, float))
    h = np.atleast_1d(np.asarray(height_m, float))
    p = c + a[:, None] * al + x[:, None] * cr
    lat, lon, _ = ecef_to_geodetic(p)
    return geodetic_to_ecef(lat_deg=lat, lon_deg=lon, height_m=h)


def incidence_deg(point_m, sat_m) -> float:
    """Angle between the local vertical at ``point_m`` and the line of sight to ``sat_m`` (deg)."""
    up = local_up(np.asarray(point_m, float))
    los = np.asarray(sat_m, float) - point_m
    return float(np.rad2deg(np.arccos(np.dot(up, los) / np.linalg.norm(los))))
