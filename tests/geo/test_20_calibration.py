"""Radiometric calibration against xarray-sentinel and the β/σ/γ identities."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

warnings.filterwarnings("ignore")
SAFE = "S1B_IW_SLC__1SDV_20210401T052622_20210401T052650_026269_032297_EFA4.SAFE"


@pytest.fixture(scope="module")
def s1(shared_data):
    from lotusar.geo.readers import open_sentinel1

    safe = shared_data("s1-safe-xarray-sentinel") / SAFE
    return safe, open_sentinel1(safe, swath="IW1", polarization="VV", mosaic=False)


def test_calibration_matches_xarray_sentinel(s1):
    import xarray as xr
    import xarray_sentinel

    from lotusar.geo.calibration import calibrate_block

    safe, p = s1
    rows, cols = slice(1000, 1200), slice(5000, 5300)
    ds = xr.open_dataset(safe, engine="sentinel-1", group="IW1/VV")
    cal = xr.open_dataset(safe, engine="sentinel-1", group="IW1/VV/calibration")
    dn = ds.measurement[rows, cols]
    assert np.all(np.abs(dn.values) == 2.0)  # the placeholder pixels (README)
    for q, lut in (("sigma0", "sigmaNought"), ("beta0", "betaNought"), ("gamma0", "gamma")):
        ref = xarray_sentinel.calibrate_intensity(dn, cal[lut]).values
        ours = calibrate_block(p, dn.values, rows, cols, q)
        assert np.abs(10 * np.log10(ours / ref)).max() < 0.01


def test_beta_sigma_gamma_identities(s1, shared_data):
    """(A_β/A_σ)² = sin θ and (A_β/A_γ)² = tan θ with θ from our own rdr2geo on the
    ellipsoid (the IPF evaluates θ at the terrain height of its grid, hence the margin:
    the README's 0.0025/0.0047 use the annotated angles)."""
    from lotusar.geo.calibration import incidence_grid_deg

    safe, p = s1
    lines = np.array([2000.0, 6000.0, 10000.0])
    pixels = np.array([500.0, 8000.0, 16000.0, 21000.0])
    ab = p.calibration.lut_at("beta", lines, pixels)
    as_ = p.calibration.lut_at("sigma", lines, pixels)
    ag = p.calibration.lut_at("gamma", lines, pixels)
    # incidence at those pixels on the ellipsoid (S1 LUTs are on the ellipsoid)
    inc = np.array([[incidence_grid_deg(p, slice(int(r), int(r) + 1), slice(int(c), int(c) + 1))[0, 0]
                     for c in pixels] for r in lines])
    th = np.deg2rad(inc)
    assert np.abs((ab / as_) ** 2 - np.sin(th)).max() < 0.006
    assert np.abs((ab / ag) ** 2 - np.tan(th)).max() < 0.012


def test_thermal_noise_lowers_power(s1):
    from lotusar.geo.calibration import calibrate_block, noise_power

    safe, p = s1
    rows, cols = slice(3000, 3050), slice(100, 400)
    dn = np.full((50, 300), 40.0 + 0j, dtype=np.complex64)
    n = noise_power(p, np.arange(3000, 3050.0), np.arange(100, 400.0))
    assert n is not None and np.all(n > 0)
    s0 = calibrate_block(p, dn, rows, cols, "sigma0")
    s0n = calibrate_block(p, dn, rows, cols, "sigma0", remove_noise=True)
    lut = p.calibration.lut_at("sigma", np.arange(3000, 3050.0), np.arange(100, 400.0))
    np.testing.assert_allclose(s0 - s0n, np.minimum(n, 1600.0) / lut**2, rtol=1e-4)


def test_constant_calibration_identities(shared_data):
    """NISAR RSLC (|x|² = β⁰): σ⁰/β⁰ = sin θ, γ⁰/β⁰ = tan θ pixel by pixel."""
    from lotusar.geo.calibration import calibrate_block, incidence_grid_deg
    from lotusar.geo.readers import open_product

    p = open_product(shared_data("uavsar-winnipeg-rslc-topo") / "winnipeg.h5")
    dn = p.image.values
    rows, cols = slice(0, 250), slice(0, 250)
    b = calibrate_block(p, dn, rows, cols, "beta0")
    s = calibrate_block(p, dn, rows, cols, "sigma0")
    g = calibrate_block(p, dn, rows, cols, "gamma0")
    th = np.deg2rad(incidence_grid_deg(p, rows, cols))
    ok = b > 0
    np.testing.assert_allclose((s / b)[ok], np.sin(th)[ok], rtol=1e-4)
    np.testing.assert_allclose((g / b)[ok], np.tan(th)[ok], rtol=1e-4)
    np.testing.assert_allclose(b, np.abs(dn.astype(np.complex128)) ** 2, rtol=1e-5)
