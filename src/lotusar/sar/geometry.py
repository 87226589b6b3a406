"""Radar geometry on WGS84 from orbit state vectors (zero-Doppler and squinted).

Conventions (ISCE3 / Cumming & Wong, "Digital Processing of SAR Data", 2005, ch. 4):
the slant range history of a fixed Earth point p is R(t) = |r(t) - p| with r(t) the ITRS
antenna phase centre, so Earth rotation is in the orbit itself. The zero-Doppler time t0
solves (r(t0) - p) . v(t0) = 0 and R0 = R(t0) is the zero-Doppler (closest approach) range.
Frequency-domain focusing uses the hyperbolic model R(t)^2 ~ R0^2 + Vr^2 (t - t0)^2 with the
effective velocity Vr fitted to the true range history over the aperture.
"""

from __future__ import annotations

import numpy as np

from lotusar.errors import ValidationError

WGS84_A_M = 6378137.0
WGS84_F = 1.0 / 298.257223563
WGS84_B_M = WGS84_A_M * (1 - WGS84_F)
WGS84_E2 = WGS84_F * (2 - WGS84_F)


def geodetic_to_ecef(lat_deg, lon_deg, height_m) -> np.ndarray:
    lat, lon = np.deg2rad(lat_deg), np.deg2rad(lon_deg)
    n = WGS84_A_M / np.sqrt(1 - WGS84_E2 * np.sin(lat) ** 2)
    h = np.asarray(height_m, float)
    return np.stack([(n + h) * np.cos(lat) * np.cos(lon), (n + h) * np.cos(lat) * np.sin(lon),
                     (n * (1 - WGS84_E2) + h) * np.sin(lat)], axis=-1)


def ecef_to_geodetic(xyz) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lat_deg, lon_deg, height_m) of ECEF points (iterative, converged to < 1 mm)."""
    xyz = np.asarray(xyz, float)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1 - WGS84_E2))
    for _ in range(6):
        n = WGS84_A_M / np.sqrt(1 - WGS84_E2 * np.sin(lat) ** 2)
        h = p / np.cos(lat) - n
        lat = np.arctan2(z, p * (1 - WGS84_E2 * n / (n + h)))
    n = WGS84_A_M / np.sqrt(1 - WGS84_E2 * np.sin(lat) ** 2)
    h = p / np.cos(lat) - n
    return np.rad2deg(lat), np.rad2deg(np.arctan2(y, x)), h


def local_up(xyz) -> np.ndarray:
    lat, lon, _ = ecef_to_geodetic(xyz)
    la, lo = np.deg2rad(lat), np.deg2rad(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


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
        lat, lon, h = ecef_to_geodetic(p)
        up = local_up(p)
        p = p + ((height_m - h) / np.sum(up * d, -1))[..., None] * d
    return p


def zero_doppler_time(sv, points_m, t_guess_s, iterations: int = 8) -> np.ndarray:
    """Zero-Doppler times (s since sv epoch) of ECEF points: (r(t) - p) . v(t) = 0 (Newton)."""
    p = np.atleast_2d(np.asarray(points_m, float))
    t = np.broadcast_to(np.asarray(t_guess_s, float), p.shape[:-1]).copy()
    for _ in range(iterations):
        r, v = sv.interpolate(t)
        f = np.sum((r - p) * v, -1)
        dt = 1e-3
        r2, v2 = sv.interpolate(t + dt)
        fp = (np.sum((r2 - p) * v2, -1) - f) / dt
        step = f / fp
        t = t - step
        if np.all(np.abs(step) < 1e-10):
            break
    return t


def slant_range_m(sv, points_m, t_s) -> np.ndarray:
    r, _ = sv.interpolate(t_s)
    return np.linalg.norm(r - np.asarray(points_m, float), axis=-1)


def zero_doppler_ground_points(sv, t_s: float, slant_range_m_, look_side: str, height_m: float = 0.0) -> np.ndarray:
    """ECEF points at height ``height_m`` seen at zero Doppler from r(t_s) at the given slant ranges."""
    rng = np.atleast_1d(np.asarray(slant_range_m_, float))
    r, v = sv.interpolate(np.asarray(t_s, float))
    x = _unit(v)
    n = -_unit(r)
    n = _unit(n - np.dot(n, x) * x)
    c = np.cross(n, x) if look_side == "right" else np.cross(x, n)
    lo = np.zeros_like(rng)
    hi = np.full_like(rng, np.deg2rad(80.0))
    for _ in range(50):  # bisection on the look angle
        mid = 0.5 * (lo + hi)
        p = r + rng[:, None] * (np.cos(mid)[:, None] * n + np.sin(mid)[:, None] * c)
        h = ecef_to_geodetic(p)[2]
        above = h > height_m  # height grows with the look angle
        lo = np.where(above, lo, mid)
        hi = np.where(above, mid, hi)
    mid = 0.5 * (lo + hi)
    return r + rng[:, None] * (np.cos(mid)[:, None] * n + np.sin(mid)[:, None] * c)


def effective_velocity(sv, t0_s, points_m, r0_m, half_aperture_s: float, samples: int = 33) -> np.ndarray:
    """Vr fitted to R(t)^2 - R0^2 = Vr^2 (t - t0)^2 by least squares over +-half_aperture_s."""
    p = np.atleast_2d(np.asarray(points_m, float))
    t0 = np.atleast_1d(np.asarray(t0_s, float))
    r0 = np.atleast_1d(np.asarray(r0_m, float))
    u = np.linspace(-half_aperture_s, half_aperture_s, samples)
    tt = t0[:, None] + u[None, :]
    r, _ = sv.interpolate(tt)
    rr = np.linalg.norm(r - p[:, None, :], axis=-1)
    y = rr**2 - r0[:, None] ** 2
    return np.sqrt(np.sum(y * u**2, -1) / np.sum(u**4))


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
    return geodetic_to_ecef(lat, lon, h)
