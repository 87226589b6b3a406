"""Automatic thresholds against the analytic Bayes boundary of known mixtures."""

import numpy as np
import pytest

from lotusar.apps.thresholds import (
    ashman_d,
    em_gaussian_mixture,
    em_threshold,
    kittler_illingworth_threshold,
    otsu_threshold,
    split_based_threshold,
)
from lotusar.errors import ValidationError


def _bayes_boundary(w0, m0, s0, w1, m1, s1):
    x = np.linspace(m0, m1, 200001)
    d = (np.log(w0 / s0) - 0.5 * ((x - m0) / s0) ** 2) - (np.log(w1 / s1) - 0.5 * ((x - m1) / s1) ** 2)
    return x[np.argmin(np.abs(d))]


@pytest.fixture(scope="module")
def mixture():
    rng = np.random.default_rng(1)
    water = rng.normal(-22.0, 2.0, 30000)
    land = rng.normal(-12.0, 3.0, 70000)
    return np.concatenate([water, land])


def test_ki_and_em_find_the_bayes_boundary(mixture):
    tb = _bayes_boundary(0.3, -22, 2, 0.7, -12, 3)
    assert abs(kittler_illingworth_threshold(mixture) - tb) < 0.4
    assert abs(em_threshold(mixture) - tb) < 0.3
    w, mu, sd = em_gaussian_mixture(mixture)
    np.testing.assert_allclose(mu, [-22, -12], atol=0.1)
    np.testing.assert_allclose(sd, [2, 3], atol=0.1)
    np.testing.assert_allclose(w, [0.3, 0.7], atol=0.01)


def test_otsu_equal_classes_splits_at_midpoint():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(0, 1, 50000), rng.normal(10, 1, 50000)])
    assert abs(otsu_threshold(x) - 5.0) < 0.3


def test_ashman_d():
    assert ashman_d(0.0, 1.0, 2.0, 1.0) == pytest.approx(2.0)


def test_split_based_selects_only_bimodal_tiles():
    rng = np.random.default_rng(3)
    img = rng.normal(-12, 2.5, (256, 256))
    # water body across the boundary of the top-left tiles
    img[:64, :96] = rng.normal(-24, 2.0, (64, 96))
    sel = split_based_threshold(img, tile_size_px=64, method="ki")
    # only tiles containing both classes pass; pure land tiles do not
    assert 1 <= sel.n_selected <= 4
    assert sel.selected[0, 1]  # the tile with the water edge (water cols 64..95 of 64..127)
    assert not sel.selected[3, 3]
    assert -21 < sel.threshold < -15


def test_errors():
    with pytest.raises(ValidationError):
        otsu_threshold([1.0])
