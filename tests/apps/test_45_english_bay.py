"""End to end from raw data: RADARSAT-1 English Bay block focused by the SAR-core readers and
written as a SAR-core SLC file, ships detected by `lotusar apps ships SLC.h5` (the issue's
real-data check)."""

import json

import pytest


def test_english_bay_ships_detected_from_raw(shared_data, tmp_path):
    d = shared_data("radarsat1-vancouver-raw") / "scene5-english-bay-ships"
    readers = pytest.importorskip("lotusar.sar.readers.apps")
    from lotusar.apps.pipeline import run_ships
    from lotusar.sar.io import write_slc
    from lotusar.sar.processor import focus_dataset
    from lotusar.sar.readers.doppler import processing_attrs

    raw = readers.open_block(d, "radarsat1")
    raw.attrs.update(processing_attrs(raw, readers.estimate(raw)))
    slc = tmp_path / "english_bay_slc.h5"
    write_slc(focus_dataset(raw, "rda"), slc)
    out = tmp_path / "ships.geojson"
    summary = run_ships(slc, out, png=False)  # what `lotusar apps ships SLC.h5 --out` runs
    # geometry derived from the SLC: incidence of RADARSAT-1 Fine beams (37–48°), ground pixel
    # ≈ 6–7 m, first azimuth ambiguity λR·PRF/2V ≈ 5 km
    g = summary["slc"]
    assert 35 < g["incidence_deg"] < 50
    assert 5.5 < g["pixel_spacing_m"] < 7.5
    assert 4500 < g["ambiguity_offset_m"] < 5500
    dets = [f["properties"] for f in json.loads(out.read_text())["features"]]
    # English Bay (open water west of Stanley Park / downtown): rows < 1000, cols < 700 of the block
    bay = [x for x in dets if x["row"] < 1000 and x["col"] < 700]
    strong = [x for x in bay if x["scr_db"] > 20]
    assert len(bay) >= 8, [(round(x["row"]), round(x["col"])) for x in dets]
    assert len(strong) >= 4
    assert all(x["confidence"] > 0.9 for x in strong)
    assert all(20 < x["length_m"] < 400 for x in strong)  # anchored ships are 40–300 m long
