"""The extended-scene simulator against the exact time-domain one, and its speckle statistics."""

import numpy as np
import pytest

from lotusar.constants import SPEED_OF_LIGHT_M_S as C
from lotusar.sar.extended import raw_from_reflectivity, reflectivity
from lotusar.sar.model import zero_doppler_ground_points
from lotusar.sar.presets import get_preset
from lotusar.sar.scene import SceneSpec
from lotusar.sar.simulate import plan_acquisition, simulate_point_targets


def _acq(lines=256, samples=512):
    m = get_preset("lotusat1-stripmap")
    return m, plan_acquisition(m, SceneSpec(azimuth_lines=lines, range_samples=samples, antenna_pattern=False, azimuth_bandwidth_hz=600))


def test_block_convolution_equals_time_domain_on_isolated_targets():
    m, acq = _acq()
    pix = [(40, 30), (200, 250), (128, 500)]  # up to 116 columns from a block's reference column
    refl = np.zeros((256, 512), np.complex64)
    pts = []
    for i, j in pix:
        refl[i, j] = 1.0
        t = acq.slc_time0_s + i / m.prf_hz
        r = acq.slc_range0_m + j * C / (2 * m.range_sampling_rate_hz)
        pts.append(zero_doppler_ground_points(acq.sv, t, np.array([r]), m.look_side, 0.0)[0])
    fast = raw_from_reflectivity(acq, refl, block_columns=256)
    exact = simulate_point_targets(acq, np.array(pts), np.ones(len(pts)))
    # The kernel is band-limited (ideal rect in Doppler); the exact echo is time-limited (rect in
    # antenna angle), so at this low azimuth time-bandwidth product (~80) the Fresnel edge ripple
    # of the exact echo is missing: energy equal within 1 %, correlation ~0.967.
    assert np.linalg.norm(fast) / np.linalg.norm(exact) == pytest.approx(1.0, abs=0.01)
    assert abs(np.vdot(fast, exact)) / (np.linalg.norm(fast) * np.linalg.norm(exact)) > 0.96
    assert np.linalg.norm(fast - exact) / np.linalg.norm(exact) < 0.3


def test_reflectivity_speckle_statistics():
    m, acq = _acq(128, 128)
    rng = np.random.default_rng(3)
    sigma0_db = np.full((400, 400), -10.0, np.float32)
    z = reflectivity(acq, sigma0_db, 2.0, rng)
    inten = np.abs(z) ** 2
    # exponential intensity: std/mean = 1 (fully developed single-look speckle)
    assert abs(inten.std() / inten.mean() - 1.0) < 0.05
    # mean intensity = sigma0 * ground pixel area
    area_lo = (6500 / m.prf_hz) * (C / (2 * m.range_sampling_rate_hz)) / np.sin(np.deg2rad(40))
    area_hi = (7500 / m.prf_hz) * (C / (2 * m.range_sampling_rate_hz)) / np.sin(np.deg2rad(15))
    assert 0.1 * area_lo * 0.95 < inten.mean() < 0.1 * area_hi * 1.05
