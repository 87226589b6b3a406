"""End to end from raw data: RADARSAT-1 English Bay block focused by the SAR-core readers,
ships detected by lotusar.apps (the issue's real-data check)."""

import numpy as np
import pytest


def test_english_bay_ships_detected_from_raw(shared_data):
    d = shared_data("radarsat1-vancouver-raw") / "scene5-english-bay-ships"
    readers = pytest.importorskip("lotusar.sar.readers.apps")
    from lotusar.apps.ships import ShipParameters, detect_ships

    block = readers.open_block(d, "radarsat1")
    res = readers.focus_real_block(block)
    slc = np.asarray(res["slc"])
    n_rg = int(res.get("fully_illuminated_range_samples") or slc.shape[1])
    intensity = np.abs(slc[:, : min(n_rg, 1900)]) ** 2
    # ground range ≈ 6.6 m, azimuth ≈ 5.3 m (README): 5.9 m geometric mean
    dets = detect_ships(intensity, 5.9, kind="intensity", params=ShipParameters(target_m=6.0))
    # English Bay (open water west of Stanley Park / downtown): rows < 1000, cols < 700 of the block
    bay = [x for x in dets if x.row < 1000 and x.col < 700]
    strong = [x for x in bay if x.scr_db > 20]
    assert len(bay) >= 8, [(round(x.row), round(x.col)) for x in dets]
    assert len(strong) >= 4
    assert all(x.confidence > 0.9 for x in strong)
    # anchored ships are 40–300 m long
    assert all(20 < x.length_m < 400 for x in strong)
