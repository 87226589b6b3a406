"""lotusar.geodesy and lotusar.constants against PROJ (pyproj) and closed-form geometry."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer

from lotusar import constants
from lotusar.geodesy import (
    ecef_to_enu,
    ecef_to_geodetic,
    enu_basis,
    geodetic_to_ecef,
    local_up,
    r_east_m,
    r_north_m,
)


@pytest.fixture(scope="module")
def points():
    rng = np.random.default_rng(12)
    lat = np.concatenate((rng.uniform(-90, 90, 2000), [-90.0, 90.0, 0.0, 45.0, -89.9999]))
    lon = np.concatenate((rng.uniform(-180, 180, 2000), [0.0, 123.0, -180.0, 180.0, 10.0]))
    h = np.concatenate((rng.uniform(-500.0, 1_000_000.0, 1000), rng.uniform(-500.0, 9000.0, 1000),
                        [0.0, 8848.0, -100.0, 700_000.0, 35_786_000.0]))
    return lat, lon, h


def test_constants_are_the_wgs84_definitions():
    # the defining parameters (NIMA TR8350.2 Table 3.1) and the derived ones (Table 3.3)
    assert constants.WGS84_A_M == 6378137.0
    assert 1.0 / constants.WGS84_F == pytest.approx(298.257223563, rel=1e-15)
    assert constants.WGS84_B_M == pytest.approx(6356752.3142, abs=1e-4)
    assert constants.WGS84_E2 == pytest.approx(6.69437999014e-3, rel=1e-11)
    assert constants.WGS84_EP2 == pytest.approx(6.73949674228e-3, rel=1e-11)
    assert constants.EARTH_ROTATION_RAD_S == 7.292115e-5
    assert constants.SPEED_OF_LIGHT_M_S == 299792458.0


def test_geodetic_to_ecef_matches_proj(points):
    lat, lon, h = points
    to_ecef = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
    x, y, z = to_ecef.transform(lon, lat, h)
    mine = geodetic_to_ecef(lat_deg=lat, lon_deg=lon, height_m=h)
    assert mine.shape == (lat.size, 3)
    assert np.abs(mine - np.stack((x, y, z), axis=-1)).max() < 1e-6  # m


def _ground_errors_m(lat, lon, h, la, lo, hh):
    """Latitude, longitude (away from the axis) and height differences as distances (m)."""
    d_north = np.radians(la - lat) * (r_north_m(lat_deg=lat) + h)
    dlon = (lo - lon + 180.0) % 360.0 - 180.0
    away = np.abs(lat) < 89.9999  # longitude is undefined on the axis
    d_east = (np.radians(dlon) * (r_east_m(lat_deg=lat) + h) * np.cos(np.radians(lat)))[away]
    return np.abs(d_north).max(), np.abs(d_east).max(), np.abs(hh - h).max()


def test_ecef_to_geodetic_inverts_proj(points):
    """PROJ's forward transform is closed form; ours inverts it to 1e-6 m at every height."""
    lat, lon, h = points
    x, y, z = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True).transform(lon, lat, h)
    la, lo, hh = ecef_to_geodetic(np.stack((x, y, z), axis=-1))
    assert max(_ground_errors_m(lat, lon, h, la, lo, hh)) < 1e-6


def test_ecef_to_geodetic_matches_proj_near_the_surface(points):
    """PROJ's inverse agrees with ours to 1e-6 m for terrain heights (it is approximate at
    orbital heights: ~8 mm at 1000 km, so only |h| < 10 km is compared)."""
    lat, lon, h = points
    near = np.abs(h) < 10_000.0
    lat, lon, h = lat[near], lon[near], h[near]
    xyz = geodetic_to_ecef(lat_deg=lat, lon_deg=lon, height_m=h)
    plon, plat, ph = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True).transform(
        xyz[:, 0], xyz[:, 1], xyz[:, 2])
    la, lo, hh = ecef_to_geodetic(xyz)
    assert max(_ground_errors_m(plat, plon, ph, la, lo, hh)) < 1e-6


def test_geodetic_round_trip():
    rng = np.random.default_rng(1)
    lat = rng.uniform(-90, 90, 1000)
    lon = rng.uniform(-180, 180, 1000)
    h = rng.uniform(-500, 40_000_000, 1000)
    la, lo, hh = ecef_to_geodetic(geodetic_to_ecef(lat_deg=lat, lon_deg=lon, height_m=h))
    assert np.abs(la - lat).max() < 1e-9 and np.abs(hh - h).max() < 1e-4
    assert np.abs((lo - lon + 180) % 360 - 180)[np.abs(lat) < 89.999].max() < 1e-9


def test_radii_of_curvature_closed_form():
    a, b = constants.WGS84_A_M, constants.WGS84_B_M
    # equator: N = a, M = b²/a; pole: N = M = a²/b
    assert r_east_m(lat_deg=0.0) == pytest.approx(a, abs=1e-9)
    assert r_north_m(lat_deg=0.0) == pytest.approx(b * b / a, abs=1e-6)
    assert r_east_m(lat_deg=90.0) == pytest.approx(a * a / b, abs=1e-6)
    assert r_north_m(lat_deg=90.0) == pytest.approx(a * a / b, abs=1e-6)


def test_enu_basis_is_orthonormal_and_up_is_the_ellipsoid_normal(points):
    lat, lon, _ = points
    B = enu_basis(lat_deg=lat, lon_deg=lon)
    assert B.shape == (lat.size, 3, 3)
    eye = np.einsum("nij,nkj->nik", B, B)
    assert np.abs(eye - np.eye(3)).max() < 1e-14
    assert np.abs(np.linalg.det(B) - 1.0).max() < 1e-14  # right-handed: E × N = U
    # up is the gradient of the ellipsoid x²/a² + y²/a² + z²/b² at the surface point
    p = geodetic_to_ecef(lat_deg=lat, lon_deg=lon)
    g = p / np.array([constants.WGS84_A_M, constants.WGS84_A_M, constants.WGS84_B_M]) ** 2
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    assert np.abs(B[:, 2] - g).max() < 1e-12
    assert np.abs(local_up(p) - g).max() < 1e-12
    # north points towards the pole: positive z component away from the poles
    assert (B[np.abs(lat) < 89, 1, 2] > 0).all()


def test_ecef_to_enu_of_a_point_straight_up_and_to_the_east():
    lat, lon = 21.0105, 105.529
    p0 = geodetic_to_ecef(lat_deg=lat, lon_deg=lon, height_m=15.0)
    p1 = geodetic_to_ecef(lat_deg=lat, lon_deg=lon, height_m=1015.0)
    assert np.allclose(ecef_to_enu(p1 - p0, lat_deg=lat, lon_deg=lon), [0.0, 0.0, 1000.0], atol=1e-9)
    # a small step east along the parallel: east component = N cos φ Δλ
    dlon = 1e-5
    p2 = geodetic_to_ecef(lat_deg=lat, lon_deg=lon + dlon)
    p3 = geodetic_to_ecef(lat_deg=lat, lon_deg=lon)
    e, n, u = ecef_to_enu(p2 - p3, lat_deg=lat, lon_deg=lon)
    assert e == pytest.approx(float(r_east_m(lat_deg=lat)) * np.cos(np.radians(lat)) * np.radians(dlon), rel=1e-9)
    assert abs(n) < 1e-6 and abs(u) < 1e-6
