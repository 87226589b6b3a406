"""Gotcha X-band phase history: reader and back-projection resolution on a trihedral."""

from __future__ import annotations

import independent_irf as irf
import numpy as np
import pytest

from lotusar.errors import InputFormatError
from lotusar.sar.readers import gotcha

TRIHEDRAL_XY_M = (-15.95, 21.05)  # brightest isolated point of pass 1 (calibration trihedral)


@pytest.fixture(scope="module")
def ph(shared_data):
    return gotcha.read_pass(shared_data("gotcha-xband-phase-history"))


def test_reader(ph):
    assert ph.pulses == 469 and ph.fp.shape == (424, 469) and ph.fp.dtype == np.complex64
    assert ph.freq_hz[0] == pytest.approx(9.288080e9, rel=1e-6)
    assert ph.bandwidth_hz == pytest.approx(424 * 1.4713016e6, rel=1e-4)
    np.testing.assert_allclose(np.linalg.norm(ph.antenna_m, axis=1), ph.r0_m, atol=2e-3)
    assert ph.azimuth_extent_deg == pytest.approx(3.99, abs=0.01)


@pytest.mark.parametrize("files,pixel_m", [(1, 0.05), (4, 0.05)])
def test_trihedral_resolution_matches_theory(shared_data, files, pixel_m):
    p = gotcha.read_pass(shared_data("gotcha-xband-phase-history"), max_files=files)
    img = gotcha.backproject(p, gotcha.ground_grid(160 * pixel_m, pixel_m, TRIHEDRAL_XY_M))
    r, c = np.unravel_index(int(np.argmax(np.abs(img.image))), img.image.shape)
    assert np.hypot(img.x_m[c] - TRIHEDRAL_XY_M[0], img.y_m[r] - TRIHEDRAL_XY_M[1]) < 0.8
    q = irf.measure_point_target(img.image, r, c, chip=64, range_spacing_m=pixel_m, azimuth_spacing_m=pixel_m)
    th = p.theory_resolution_m()
    # the sensor looks along +x (θ ≈ 0…4°): columns = ground range, rows = cross range
    assert q.range_resolution_m == pytest.approx(th["ground_range_m"], rel=0.05)
    assert q.azimuth_resolution_m == pytest.approx(th["cross_range_m"], rel=0.05)
    assert q.pslr_range_db < -10 and q.pslr_azimuth_db < -10


def test_autofocus_does_not_lower_sharpness(ph):
    grid = gotcha.ground_grid(24.0, 0.2, (-10.0, 10.0))
    s0 = gotcha.sharpness(gotcha.backproject(ph, grid).image)
    s1 = gotcha.sharpness(gotcha.backproject(ph, grid, autofocus=True).image)
    assert s1 >= 0.99 * s0


def test_bad_file(tmp_path):
    bad = tmp_path / "data_3dsar_pass1_az001_HH.mat"
    bad.write_bytes(b"MATLAB 5.0 MAT-file, truncated")
    with pytest.raises(InputFormatError):
        gotcha.read_pass(tmp_path)
