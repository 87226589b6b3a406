"""Flood mapping on uncalibrated grey levels (``--scale grey``) and with a pre-event image:
synthetic scenes with known truth stretched to 8 bits as public data sets and quicklooks are,
the OMBRIA before/after chips (real Sentinel-1, EMS masks), the CLI in pixel coordinates."""

import json

import numpy as np
import pytest
from PIL import Image

from lotusar.apps import flood


def _iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)


def _stretch(db, lo=None, hi=None):
    """Per-image min–max stretch of dB to 0–255 (what the OMBRIA chips and quicklooks carry)."""
    lo = np.nanmin(db) if lo is None else lo
    hi = np.nanmax(db) if hi is None else hi
    return np.clip(np.round((db - lo) / (hi - lo) * 255), 0, 255)


def _speckle_db(rng, mean_db, looks=4.4):
    mean_db = np.asarray(mean_db, dtype=np.float64)
    return 10 * np.log10(rng.gamma(looks, 1 / looks, mean_db.shape) * 10 ** (mean_db / 10))


def _scene(seed, water_mask, water_db=-20.0, land_db=-9.0):
    rng = np.random.default_rng(seed)
    return _speckle_db(rng, np.where(water_mask, water_db, land_db))


N = 256
YY, XX = np.mgrid[:N, :N]


@pytest.mark.parametrize("case", ["half", "mostly-water", "little-water"])
def test_grey_levels_use_relative_statistics_only(case):
    """The same scenes as dB, stretched to 8 bits with different gains and offsets: the map
    must not depend on the stretch (no dB level is used on grey input)."""
    water = {"half": XX < N // 2, "mostly-water": XX < 0.9 * N,
             "little-water": (YY - 100) ** 2 + (XX - 150) ** 2 < 20**2}[case]
    db = _scene(3, water)
    maps = []
    for lo, hi in [(-35.0, 5.0), (-28.0, 0.0)]:
        g = _stretch(db, lo, hi)
        res = flood.map_floods({"B1": g}, 10.0, scale="grey")
        m = (res.classes >= 1) & (res.classes <= 3)
        assert _iou(m, water) > 0.9, (case, lo, hi, _iou(m, water))
        maps.append(m)
    assert _iou(maps[0], maps[1]) > 0.97


def test_grey_dry_scene_stays_dry():
    """Fields and a town, no water, stretched to 8 bits: under 2 % false water."""
    rng = np.random.default_rng(5)
    mean = np.where(XX < N // 2, -14.0, -11.0)
    mean[100:160, 120:180] = -4.0
    g = _stretch(_speckle_db(rng, mean))
    res = flood.map_floods({"B1": g}, 10.0, scale="grey")
    assert ((res.classes >= 1) & (res.classes <= 3)).mean() < 0.02


def test_grey_pre_event_separates_flood_from_permanent_water():
    """Independent stretches of the pre and post images (their grey levels differ for the same
    backscatter): the change classifier aligns them on stable land."""
    river = np.abs(YY - (0.2 * XX + 30)) < 6
    flooded = ((YY - 150) ** 2 / 40**2 + (XX - 120) ** 2 / 60**2 < 1) & ~river
    pre = _stretch(_scene(1, river), -32.0, 2.0)
    post = _stretch(_scene(2, river | flooded), -36.0, 6.0)
    res = flood.map_floods({"B1": post}, 10.0, scale="grey", pre_bands_db={"B1": pre})
    assert _iou(res.classes == flood.CLASS_OPEN_FLOOD, flooded) > 0.85
    assert _iou(res.classes == flood.CLASS_PERMANENT_WATER, river) > 0.75
    # likelihood is a probability, high in the flood, and the uncertainty band is thin
    lk = res.water_probability
    assert np.nanmin(lk) >= 0 and np.nanmax(lk) <= 1 and np.nanmedian(lk[flooded]) > 0.8
    assert res.uncertain.mean() < 0.1


def test_scale_is_validated():
    from lotusar.errors import ValidationError

    with pytest.raises(ValidationError):
        flood.map_floods({"B1": np.zeros((32, 32))}, 10.0, scale="sigma")


def _ombria(shared_data, k):
    d = shared_data("flood-ombria-dev") / "france"
    a = np.array(Image.open(d / "AFTER" / f"imafter_{k}.png")).astype(np.float64)
    b = np.array(Image.open(d / "BEFORE" / f"imbefore_{k}.png")).astype(np.float64)
    m = np.array(Image.open(d / "MASK" / f"gt_{k}.png")) > 127
    return a, b, m


def _ombria_pooled(shared_data):
    inter = union = 0
    for k in range(88):
        a, b, m = _ombria(shared_data, k)
        res = flood.map_floods({"B1": a}, 10.0, scale="grey", pre_bands_db={"B1": b})
        f = res.classes == flood.CLASS_OPEN_FLOOD
        inter += (f & m).sum()
        union += (f | m).sum()
    return inter / union


@pytest.fixture(scope="module")
def ombria_pooled_iou(shared_data):
    return _ombria_pooled(shared_data)


def test_ombria_with_pre_beats_its_baselines_and_the_oracle_threshold(ombria_pooled_iou):
    """README baselines (pooled over the 88 chips): Otsu on AFTER 0.2032, Otsu on AFTER − BEFORE
    0.1662; the best single AFTER threshold chosen with the masks reaches 0.527. Open flood
    (class 1) must beat the automatic baselines by ≥ 0.05 and the oracle threshold.
    Measured: 0.680."""
    assert ombria_pooled_iou > 0.2032 + 0.05
    assert ombria_pooled_iou >= 0.527
    assert ombria_pooled_iou > 0.65


@pytest.mark.xfail(strict=True, reason="goal 0.70 pooled not reached on OMBRIA: 0.680 (docs/apps.md, known limits)")
def test_ombria_reaches_070(ombria_pooled_iou):
    assert ombria_pooled_iou >= 0.70


def test_cli_grey_png_with_pre_in_pixel_coordinates(shared_data, tmp_path, run_cli):
    """`lotusar apps flood AFTER.png --pre BEFORE.png --scale grey --out OUT.tif`: written without
    georeferencing (pixel coordinates), uint8 classes, per-region statistics from pixel regions."""
    import rasterio

    d = shared_data("flood-ombria-dev") / "france"
    k = 53  # the chip with the most flood (64 %)
    regions = tmp_path / "regions.geojson"
    regions.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "west"},
         "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [128, 0], [128, 256], [0, 256], [0, 0]]]}},
        {"type": "Feature", "properties": {"name": "east"},
         "geometry": {"type": "Polygon", "coordinates": [[[128, 0], [256, 0], [256, 256], [128, 256], [128, 0]]]}}]}))
    out = tmp_path / "flood.tif"
    p = run_cli("apps", "flood", d / "AFTER" / f"imafter_{k}.png", "--pre", d / "BEFORE" / f"imbefore_{k}.png",
                "--scale", "grey", "--out", out, "--regions", regions, "--json")
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    with rasterio.open(out) as ds:
        cls = ds.read(1)
        assert ds.dtypes[0] == "uint8" and ds.nodata == 255 and ds.crs is None
    assert set(np.unique(cls)) <= {0, 1, 2, 3, 255}
    _, _, m = _ombria(shared_data, k)
    assert _iou(cls == 1, m) > 0.8
    by = {r["region"]: r for r in s["regions"]}
    assert by["west"]["open_flood_water_pixels"] + by["east"]["open_flood_water_pixels"] == int((cls == 1).sum())
    assert by["west"]["open_flood_water_pixels"] == int((cls[:, :128] == 1).sum())
    assert (tmp_path / "flood_likelihood.tif").exists()
    # --db is --scale db; contradicting flags are a one-line user error
    bad = run_cli("apps", "flood", d / "AFTER" / f"imafter_{k}.png", "--scale", "grey", "--db", "--out",
                  tmp_path / "x.tif")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
