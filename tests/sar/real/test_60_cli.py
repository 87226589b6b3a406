"""CLI of the real-data commands (mounted through ``lotusar.sar.readers.cli.register``)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

# run `lotusar ...` with the readers' commands registered (if the sar app does not mount them yet)
_BOOT = (
    "import sys; from lotusar.cli import main; from lotusar.sar.cli import app; "
    "from lotusar.sar.readers.cli import register; "
    "names = {c.name for c in app.registered_commands}; "
    "register(app) if 's1-decode' not in names else None; main(sys.argv[1:])"
)


def lotusar(*args):
    return subprocess.run([sys.executable, "-c", _BOOT, *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def s1dir(shared_data):
    return shared_data("s1-level0-isp-packets")


def test_s1_decode_json_and_samples(s1dir, tmp_path):
    out = tmp_path / "echo.npy"
    p = lotusar("sar", "s1-decode", s1dir / "000408-echo.dat", "--out", out, "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["packets"][0]["signal_type"] == "echo" and d["packets"][0]["baq_mode"] == 12
    assert d["packets"][0]["prf_hz"] == pytest.approx(1924.956266475204)
    ref = np.load(s1dir / "reference" / "000408-echo.decoded_udf.npy")
    np.testing.assert_array_equal(np.load(out)[0], ref)


def test_s1_decode_truncated_one_line_no_output(s1dir, tmp_path):
    bad = tmp_path / "cut.dat"
    bad.write_bytes((s1dir / "000000-noise.dat").read_bytes()[:-100])
    out = tmp_path / "x.npy"
    p = lotusar("sar", "s1-decode", bad, "--out", out)
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1 and "truncated" in p.stderr
    assert not out.exists()


def test_read_raw_truncated_radarsat_one_line(shared_data, tmp_path):
    import shutil

    src = shared_data("radarsat1-vancouver-raw") / "scene3-ubc-one-ship"
    bad = tmp_path / "blk"
    bad.mkdir()
    shutil.copy(src / "CD_run_params.mat", bad)
    (bad / "CDdata1.mat").write_bytes((src / "CDdata1.mat").read_bytes()[:500_000])
    out = tmp_path / "raw.h5"
    p = lotusar("sar", "read-raw", bad, "--format", "radarsat1", "--out", out)
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_read_raw_then_focus_alos_cli(shared_data, tmp_path):
    """`sar focus` focuses a real raw product (what `focus-real` did): read-raw, then focus."""
    from lotusar.sar.io import read_slc

    l0b = shared_data("alos1-palsar-l0b-raw") / "ALPSRP264757150-H1.0__A_HH_LINE4000-5000_RANGE0-2200.h5"
    raw, out, png = tmp_path / "raw.h5", tmp_path / "slc.h5", tmp_path / "ql.png"
    p = lotusar("sar", "read-raw", l0b, "--format", "alos-l0b", "--out", raw, "--json")
    assert p.returncode == 0, p.stderr
    assert abs(json.loads(p.stdout)["doppler_centroid_hz"] - 60) < 20
    p = lotusar("sar", "focus", raw, "--algorithm", "rda", "--out", out, "--quicklook", png, "--json")
    assert p.returncode == 0, p.stderr
    ds = read_slc(out)
    assert ds.attrs["doppler_ambiguity"] == 0 and abs(ds.attrs["doppler_centroid_hz"] - 60) < 20
    assert ds["slc"].shape == (1000, 2200) and png.stat().st_size > 10_000
    # refuses to overwrite
    p2 = lotusar("sar", "read-raw", l0b, "--format", "alos-l0b", "--out", raw)
    assert p2.returncode == 2 and "exists" in p2.stderr


def test_unknown_format(tmp_path):
    p = lotusar("sar", "doppler", tmp_path, "--format", "ers")
    assert p.returncode == 2 and "unknown raw format" in p.stderr
