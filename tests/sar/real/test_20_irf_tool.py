"""The independent IRF tool against theory for ideal band-limited point targets."""

from __future__ import annotations

import independent_irf as irf
import numpy as np
import pytest


def _point(n, pos_az, pos_rg, ba, br, fc_az):
    """Point target with a rectangular spectrum: azimuth band ba centred at fc_az (cycles/sample)."""
    f = np.fft.fftfreq(n)
    fu = fc_az + np.mod(f - fc_az + 0.5, 1) - 0.5  # unwrapped azimuth frequency around the centroid
    s = np.zeros((n, n), complex)
    s[np.ix_(np.abs(fu - fc_az) < ba / 2, np.abs(f) < br / 2)] = 1
    return np.fft.ifft2(s * np.exp(-2j * np.pi * (np.outer(fu, np.ones(n)) * pos_az + np.outer(np.ones(n), f) * pos_rg)))


@pytest.mark.parametrize("ba,br,fc,pos", [(0.7, 0.8, 0.3, 100.3), (0.9, 0.6, 0.5, 99.5), (0.5, 0.93, -0.2, 80.0)])
def test_rect_spectrum_matches_theory(ba, br, fc, pos):
    img = _point(256, pos, 120.6, ba, br, fc)
    q = irf.measure_point_target(img, int(pos), 120)
    assert q.azimuth_resolution_px == pytest.approx(0.886 / ba, rel=0.01)
    assert q.range_resolution_px == pytest.approx(0.886 / br, rel=0.01)
    assert q.pslr_range_db == pytest.approx(-13.26, abs=0.3)
    assert q.pslr_azimuth_db == pytest.approx(-13.26, abs=0.3)
    # 1-D ISLR of a sinc is −9.7 dB over all sidelobes; ±10 cells hold all but ~0.5 dB of it
    assert -10.5 < q.islr_range_db < -9.5


def test_hamming_broadens_and_lowers_sidelobes():
    n = 256
    f = np.fft.fftfreq(n)
    band = np.abs(f) < 0.4
    w = np.zeros(n)
    w[band] = 0.54 + 0.46 * np.cos(2 * np.pi * f[band] / 0.8)
    s = np.outer(w, w) * np.exp(-2j * np.pi * np.add.outer(f * 100, f * 100))
    q = irf.measure_point_target(np.fft.ifft2(s), 100, 100)
    assert q.range_resolution_px == pytest.approx(1.30 / 0.8, rel=0.02)  # Hamming: 1.30/B
    assert q.pslr_range_db == pytest.approx(-42.7, abs=1.0)


def test_find_bright_points_orders_and_separates():
    rng = np.random.default_rng(1)
    img = (rng.normal(size=(200, 200)) + 1j * rng.normal(size=(200, 200))) * 0.1
    img[50, 60] = 100
    img[52, 62] = 80  # too close: suppressed
    img[150, 140] = 50
    assert irf.find_bright_points(img, 5) == [(50, 60), (150, 140)]
