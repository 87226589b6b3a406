"""CLI: the products commands end to end, JSON output, one-line errors (exit 2)."""

from __future__ import annotations

import json

import numpy as np


def test_cli_chain_on_uavsar(run_cli, shared_data, tmp_path):
    d = shared_data("uavsar-winnipeg-rslc-topo")
    s0 = tmp_path / "s0.tif"
    r = run_cli("sar", "calibrate", d / "winnipeg.h5", "--out", s0, "--quantity", "sigma0", "--json", check=True)
    out = json.loads(r.stdout)
    assert out["shape"] == [250, 250] and out["mean_linear"] > 0
    ml = tmp_path / "ml.tif"
    out = json.loads(run_cli("sar", "multilook", s0, "--out", ml, "--looks-azimuth", "2", "--looks-range", "2", "--json",
                             check=True).stdout)
    assert out["shape_out"] == [125, 125] and out["nominal_looks"] == 4
    assert out["enl_out"] > 2 * out["enl_in"]
    ds = tmp_path / "ds.tif"
    out = json.loads(run_cli("sar", "despeckle", ml, "--out", ds, "--filter", "gamma_map", "--json", check=True).stdout)
    assert out["looks"] == 4 and out["enl_out"] > out["enl_in"]
    r = run_cli("sar", "ard", d / "winnipeg.h5", "--dem", d / "winnipeg_dem.tif", "--dem-datum", "ellipsoid",
                "--resolution-m", "25", "--crs", "EPSG:4326", "--out", tmp_path / "ard", "--json", check=True)
    out = json.loads(r.stdout)
    import rasterio
    from rio_cogeo.cogeo import cog_validate

    assert cog_validate(out["backscatter"], quiet=True)[0]
    with rasterio.open(out["backscatter"]) as src:
        assert src.crs.to_epsg() == 4326
        v = src.read(1)
        assert np.isfinite(v).mean() > 0.3
    item = json.loads(open(out["stac_item"]).read())
    assert item["properties"].get("proj:code") == "EPSG:4326" or item["properties"].get("proj:epsg") == 4326


def test_cli_geocode_alos_flat(run_cli, shared_data, tmp_path):
    d = shared_data("alos1-palsar-rslc-corner-reflector")
    r = run_cli("sar", "geocode", d / "calib_RSLC_ALPSRP025826990_RIO_BRANCO_CR.h5", "--polarization", "VV",
                "--resolution-m", "10", "--out", tmp_path / "g" / "cr.tif", "--json", check=True)
    out = json.loads(r.stdout)
    assert out["backscatter"].endswith("cr.tif") and out["quantity"] == "sigma0"
    item = json.loads(open(out["stac_item"]).read())
    assert "constant height 0 m" in item["properties"]["lotusar:processing"]["dem"]


def test_cli_errors_are_one_line(run_cli, tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not a product at all")
    for args in (("sar", "ard", tmp_path / "missing.h5", "--out", tmp_path / "o"),
                 ("sar", "ard", bad, "--out", tmp_path / "o"),
                 ("sar", "calibrate", bad, "--out", tmp_path / "x.tif"),
                 ("sar", "despeckle", bad, "--out", tmp_path / "x.tif", "--filter", "nope")):
        r = run_cli(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "x.tif").exists()
