"""Change detection: log-ratio and coherence on synthetic pairs with known change, and the CLI."""

import json

import numpy as np
import pytest

from lotusar.apps import change


def _iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def test_log_ratio_finds_decrease_and_increase():
    rng = np.random.default_rng(0)
    before = rng.gamma(4.4, 1 / 4.4, (200, 200))
    after = rng.gamma(4.4, 1 / 4.4, (200, 200))
    dec = np.zeros((200, 200), bool)
    dec[40:90, 30:100] = True
    inc = np.zeros((200, 200), bool)
    inc[130:170, 120:180] = True
    after[dec] *= 0.1  # −10 dB (flooding)
    after[inc] *= 4.0  # +6 dB
    res = change.detect_change_log_ratio(before, after, window_px=5)
    assert _iou(res.classes == 1, dec) > 0.85
    assert _iou(res.classes == 2, inc) > 0.85
    lr = change.log_ratio_db(before, after, 5)
    assert np.median(lr[50:80, 40:90]) == pytest.approx(-10.0, abs=0.5)


def test_no_change_pair_stays_quiet():
    rng = np.random.default_rng(1)
    a, b = rng.gamma(4.4, 1 / 4.4, (2, 150, 150))
    res = change.detect_change_log_ratio(a, b, window_px=5)
    assert (res.classes != 0).mean() < 0.01


def test_coherence_estimator_and_change():
    rng = np.random.default_rng(2)
    n = 160
    s1 = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    noise = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    gamma_true = 0.9
    s2 = gamma_true * s1 + np.sqrt(1 - gamma_true**2) * noise
    lost = np.zeros((n, n), bool)
    lost[30:80, 60:120] = True
    s2[lost] = noise[lost]
    g = change.coherence(s1, s2, 9)
    assert np.median(g[~lost][:1000]) == pytest.approx(gamma_true, abs=0.03)
    res = change.detect_change_coherence(s1, s2, 9)
    assert _iou(res.classes > 0, lost) > 0.8


def test_cli_change(tmp_path, run_cli):
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(3)
    before = rng.gamma(4.4, 1 / 4.4, (120, 120)).astype("float32") * 0.1
    after = rng.gamma(4.4, 1 / 4.4, (120, 120)).astype("float32") * 0.1
    after[20:60, 20:70] *= 0.08
    prof = dict(driver="GTiff", width=120, height=120, count=1, dtype="float32", crs="EPSG:32648",
                transform=from_origin(400000, 1200000, 10, 10))
    for name, arr in (("before.tif", before), ("after.tif", after)):
        with rasterio.open(tmp_path / name, "w", **prof) as ds:
            ds.write(arr, 1)
    out = tmp_path / "chg.tif"
    p = run_cli("apps", "change", tmp_path / "before.tif", tmp_path / "after.tif", "--out", out, "--json")
    assert p.returncode == 0, p.stderr
    with rasterio.open(out) as ds:
        c = ds.read(1)
    truth = np.zeros_like(c, bool)
    truth[20:60, 20:70] = True
    assert _iou(c == 1, truth) > 0.8
    s = json.loads(p.stdout)
    assert s["method"] == "log-ratio/ki"
    assert json.loads((tmp_path / "chg_item.json").read_text())["assets"]["classes"]["href"] == "chg.tif"
    p = run_cli("apps", "change", tmp_path / "before.tif", tmp_path / "after.tif", "--out", out, "--coherence")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
