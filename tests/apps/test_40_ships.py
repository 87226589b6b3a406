"""Ship detection: synthetic ships in K clutter, HRSID chips, moments, suppression, CLI."""

import json

import numpy as np
import pytest
from scipy.ndimage import find_objects

from lotusar.apps import ships


def _rect_ship(img, r0, c0, length_px, width_px, heading_deg, value):
    """Paint a bar centred at (r0, c0), major axis at heading (clockwise from up)."""
    rr, cc = np.indices(img.shape)
    h = np.radians(heading_deg)
    ua = (-(rr - r0)) * np.cos(h) + (cc - c0) * np.sin(h)  # along
    ub = (-(rr - r0)) * -np.sin(h) + (cc - c0) * np.cos(h)  # across
    m = (np.abs(ua) <= length_px / 2) & (np.abs(ub) <= width_px / 2)
    img[m] = value
    return m


def k_clutter(rng, shape, nu=4.0, looks=1.0):
    texture = rng.gamma(nu, 1 / nu, shape)
    from scipy import ndimage as ndi

    texture = ndi.zoom(rng.gamma(nu, 1 / nu, (shape[0] // 8, shape[1] // 8)), 8, order=1)
    return texture * rng.gamma(looks, 1 / looks, shape)


def test_synthetic_ships_found_with_length_and_heading():
    rng = np.random.default_rng(10)
    img = k_clutter(rng, (400, 400))
    truth = [(80, 80, 30, 6, 30.0), (200, 300, 50, 8, 120.0), (320, 120, 20, 5, 90.0), (300, 330, 40, 7, 0.0)]
    masks = [_rect_ship(img, *t[:5], value=60.0) for t in truth]
    # pixel spacing 5 m: ships of 100–250 m
    dets = ships.detect_ships(img, 5.0, kind="intensity",
                              params=ships.ShipParameters(guard_m=300, background_m=600, target_m=5, merge_m=10,
                                                          min_area_m2=100))
    assert len(dets) == len(truth)
    for (r0, c0, L, _w, hd), m in zip(truth, masks):
        d = min(dets, key=lambda d: (d.row - r0) ** 2 + (d.col - c0) ** 2)
        assert m[int(round(d.row)), int(round(d.col))]
        assert d.length_m == pytest.approx(L * 5.0, rel=0.15)
        diff = abs((d.heading_deg - hd + 90) % 180 - 90)
        assert diff < 5.0
        assert 0.9 < d.confidence <= 1.0


def test_no_detection_in_pure_clutter():
    rng = np.random.default_rng(11)
    img = rng.exponential(1.0, (300, 300))
    dets = ships.detect_ships(img, 10.0, kind="intensity",
                              params=ships.ShipParameters(guard_m=200, background_m=500, target_m=10, merge_m=10,
                                                          min_area_m2=200))
    assert dets == []


def test_azimuth_ambiguity_and_fixed_structure_suppressed():
    rng = np.random.default_rng(12)
    img = rng.exponential(1.0, (300, 300))
    _rect_ship(img, 100, 100, 20, 5, 90.0, 2000.0)
    _rect_ship(img, 100 + 60, 100, 20, 5, 90.0, 40.0)  # replica −17 dB, 60 px (600 m) along azimuth (rows)
    _rect_ship(img, 250, 250, 10, 4, 0.0, 500.0)  # a platform
    base = ships.ShipParameters(guard_m=300, background_m=700, target_m=10, merge_m=10, min_area_m2=300)
    all_dets = ships.detect_ships(img, 10.0, kind="intensity", params=base)
    assert len(all_dets) == 3
    import dataclasses

    p = dataclasses.replace(base, ambiguity_offset_m=600.0)
    dets = ships.detect_ships(img, 10.0, kind="intensity", params=p, fixed_points_rc=np.array([[250.0, 250.0]]))
    assert len(dets) == 1 and abs(dets[0].row - 100) < 2
    assert ships.azimuth_ambiguity_offset_m(0.0555, 850e3, 1700.0, 7100.0) == pytest.approx(5649.0, rel=1e-3)


def _load_chip(d, name):
    from PIL import Image

    im = np.array(Image.open(d / f"{name}.png"))[..., 0]
    m = np.array(Image.open(d / f"{name}_instance_id_RGB.png")).astype(np.int64)
    ids = m[..., 0] * 65536 + m[..., 1] * 256 + m[..., 2]
    _, inst = np.unique(ids, return_inverse=True)
    return im, inst.reshape(ids.shape)


def _score(dets, inst):
    hit, tp = set(), 0
    for d in dets:
        v = inst[int(round(d["row"])), int(round(d["col"]))]
        if v > 0:
            tp += 1
            hit.add(v)
    return len(hit), inst.max(), tp, len(dets)


OFFSHORE = ["P0123_4800_5600_4800_5600", "P0135_1800_2600_4800_5600"]
INSHORE = ["P0094_0_800_3000_3800", "P0119_2400_3200_6000_6800"]


def test_hrsid_offshore_recall_precision(shared_data, tmp_path):
    from lotusar.apps.pipeline import run_ships

    d = shared_data("hrsid-ship-chips")
    tot = np.zeros(4)
    for name in OFFSHORE:
        out = tmp_path / f"{name}.geojson"
        run_ships(d / f"{name}.png", out, png=False)  # what `lotusar apps ships CHIP.png --out` runs
        fc = json.loads(out.read_text())
        dets = [f["properties"] for f in fc["features"]]
        assert all({"row", "col", "confidence"} <= set(x) for x in dets)
        _, inst = _load_chip(d, name)
        tot += _score(dets, inst)
    recall, precision = tot[0] / tot[1], tot[2] / tot[3]
    # measured 13/14 = 0.93 recall and 15/15 = 1.00 precision (goal 0.90 / 0.85)
    assert recall >= 0.90 and precision >= 0.85, (recall, precision)


def test_hrsid_inshore_reported(shared_data):
    """Inshore chips (harbour, river anchorage) are reported separately; the auto land mask
    must at least keep precision useful there."""
    d = shared_data("hrsid-ship-chips")
    im, inst = _load_chip(d, INSHORE[1])
    dets = [x.as_dict() for x in ships.detect_ships(im, 1.0)]
    hit, n, tp, nd = _score(dets, inst)
    assert nd > 0 and tp / nd >= 0.6


def _box_score(dets, inst):
    """The issue's rule: a detection counts when it lies in a ship's bounding box; a ship is
    found when some detection lies in its box. Returns (found, ships, true detections, detections)."""
    boxes = [b for b in find_objects(inst) if b is not None]
    found = np.zeros(len(boxes), bool)
    tp = 0
    for d in dets:
        inside = [i for i, (sr, sc) in enumerate(boxes)
                  if sr.start <= d["row"] <= sr.stop - 1 and sc.start <= d["col"] <= sc.stop - 1]
        tp += bool(inside)
        found[inside] = True
    return int(found.sum()), len(boxes), tp, len(dets)


@pytest.fixture(scope="module")
def hrsid_box_scores(shared_data, tmp_path_factory):
    """All four HRSID chips through `lotusar apps ships CHIP.png --out` (1 m assumed, defaults)."""
    from lotusar.apps.pipeline import run_ships

    d = shared_data("hrsid-ship-chips")
    tmp = tmp_path_factory.mktemp("hrsid")
    out = {}
    for name in OFFSHORE + INSHORE:
        run_ships(d / f"{name}.png", tmp / f"{name}.geojson", png=False)
        dets = [f["properties"] for f in json.loads((tmp / f"{name}.geojson").read_text())["features"]]
        out[name] = _box_score(dets, _load_chip(d, name)[1])
    return out


def test_hrsid_all_four_chips_box_rule(hrsid_box_scores):
    """Measured (box rule): P0094 harbour 5/10 ships, 6/21 detections; P0119 river anchorage
    102/122, 105/109; P0123 8/8, 16/18; P0135 6/6, 6/6; pooled recall 0.83, precision 0.86
    (one CA-CFAR pass without land mask: 0.30 / 0.39, bench/apps.py)."""
    s = hrsid_box_scores
    tot = np.sum(list(s.values()), axis=0)
    assert tot[0] / tot[1] >= 0.80 and tot[2] / tot[3] >= 0.85, s
    for name in OFFSHORE:
        assert s[name][0] == s[name][1] and s[name][2] / s[name][3] >= 0.85, (name, s[name])
    found, n, tp, nd = s[INSHORE[1]]
    assert found / n >= 0.8 and tp / nd >= 0.9  # 122 packed small ships
    found, n, tp, nd = s[INSHORE[0]]
    assert found / n >= 0.5  # harbour: ships beside quays (was 0 of 10)


@pytest.mark.xfail(strict=True, reason="harbour chip P0094: recall 0.5, precision 0.29; pooled recall 0.83 "
                                       "(docs/apps.md, known limits)")
def test_hrsid_goal_every_chip(hrsid_box_scores):
    for name, (found, n, tp, nd) in hrsid_box_scores.items():
        assert found / n >= 0.85 and tp / max(nd, 1) >= 0.80, (name, found, n, tp, nd)


def test_cli_georeferenced_outputs_coordinates(tmp_path, run_cli):
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(13)
    img = rng.exponential(0.01, (200, 200)).astype("float32")
    _rect_ship(img, 60, 140, 12, 3, 45.0, 2.0)
    tr = from_origin(500000, 1100000, 10, 10)
    path = tmp_path / "sigma0.tif"
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=1, dtype="float32",
                       crs="EPSG:32648", transform=tr) as ds:
        ds.write(img, 1)
    out = tmp_path / "det.geojson"
    p = run_cli("apps", "ships", path, "--out", out, "--json")
    assert p.returncode == 0, p.stderr
    fc = json.loads(out.read_text())
    assert len(fc["features"]) == 1
    f = fc["features"][0]
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(32648, 4326, always_xy=True).transform(500000 + 10 * 140.5, 1100000 - 10 * 60.5)
    assert f["geometry"]["coordinates"] == pytest.approx([lon, lat], abs=2e-5)
    assert f["properties"]["lon"] == pytest.approx(lon, abs=2e-5)
    item = json.loads((tmp_path / "det_item.json").read_text())
    assert item["properties"]["lotusar:detections"] == 1


def test_cli_bad_input(tmp_path, run_cli):
    p = run_cli("apps", "ships", tmp_path / "none.png", "--out", tmp_path / "x.geojson", "--cfar", "zz")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
