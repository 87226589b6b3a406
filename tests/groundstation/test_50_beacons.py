"""Beacons: QB50 SE01 KISS files against the upstream decoder's rows; AFSK/G3RUH audio; PicoDragon."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pytest

from lotusar.groundstation import ax25, modem
from lotusar.groundstation.beacon import decode_beacons, decode_kiss
from lotusar.groundstation.profile import load_profile

COLS = [
    "time",
    "mode",
    "vbatt",
    "ibatt",
    "ibus3v3",
    "ibus5v0",
    "comm_temp",
    "eps_temp",
    "batt_temp",
    "power",
    "service_e",
    "service_r",
    "byline",
]


@pytest.fixture(scope="module")
def qb(shared_data):
    return shared_data("qb50-se01-kiss-beacons")


def _expected(qb, path):
    src, pt = path.stem.split("-")
    rows = list(csv.DictReader(open(qb / "beacons_expected.csv")))
    m = re.match(r"(\d\d)(\d\d)(\d{4})_(\d\d)(\d\d)", pt)
    iso = f"{m[3]}-{m[2]}-{m[1]}T{m[4]}:{m[5]}:00Z"
    return [r for r in rows if r["source"] == src and r["passtime"] == iso]


def test_all_rows_reproduced(qb):
    prof = load_profile("qb50-se01")
    total = 0
    for f in sorted((qb / "kiss").glob("*.kss")):
        exp = _expected(qb, f)
        res = decode_kiss(f.read_bytes(), prof)
        ok = [r for r in res if r["status"] == "ok"]
        assert len(ok) == len(exp), f.name
        for o, e in zip(ok, exp):
            for c in COLS:
                assert o["formatted"][c] == e[c], (f.name, c)
            assert o["byline"] == "~OPEN COSMOS~"
        total += len(ok)
        if f.name.startswith("japan"):
            assert all(r["rs_corrected"] in (4, 6, 8) for r in ok)
        if f.name.startswith("aalto"):
            assert all(r["fcs"] == "valid" for r in ok)
        if f.name.startswith("tartu"):
            assert all(r["fcs"] == "absent" and r["rs_corrected"] == 0 for r in ok)
    assert total == 74


def test_fragments_rejected_cleanly(qb):
    res = decode_kiss((qb / "kiss" / "tartu-18052017_1955.kss").read_bytes(), load_profile("qb50-se01"))
    ok = [r for r in res if r["status"] == "ok"]
    rej = [r for r in res if r["status"] == "rejected"]
    assert len(ok) == 9 and len(rej) == 5
    assert all(8 <= r["length"] <= 17 and "\n" not in r["reason"] and r["reason"] for r in rej)


def test_17_byte_errors_uncorrectable(qb):
    prof = load_profile("qb50-se01")
    frames = ax25.kiss_deframe((qb / "kiss" / "aalto-18052017_0356.kss").read_bytes())
    fr = bytearray(frames[0].data)
    for k in range(17):
        fr[16 + 2 * k] ^= 0xA5
    res = decode_kiss(ax25.kiss_frame(bytes(fr)), prof)
    assert res[0]["status"] == "rejected" and "uncorrectable" in res[0]["reason"]


def test_cli_beacon_kiss(qb, run_cli):
    r = run_cli(
        "gs", "beacon", qb / "kiss" / "japan-17052017_1329.kss", "--input-format", "kiss", "--profile", "qb50-se01", "--json", check=True
    )
    rows = json.loads(r.stdout)
    exp = _expected(qb, qb / "kiss" / "japan-17052017_1329.kss")
    assert len(rows) == 9
    assert [o["time"] for o in rows] == [e["time"] for e in exp]
    assert all(abs(o["vbatt"] - float(e["vbatt"])) < 1e-9 for o, e in zip(rows, exp))
    r = run_cli("gs", "beacon", qb / "kiss" / "japan-17052017_1329.kss", "--input-format", "kiss", "--profile", "no-such")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def _picodragon_frames():
    return [ax25.ax25_ui_frame("CQ", "XV9PD", b"PicoDragon VietNam"), ax25.ax25_ui_frame("CQ", "XV9PD", b"PicoDragon VietNam", src_ssid=1)]


def test_afsk1200_roundtrip_noisy(tmp_path, run_cli):
    frames = _picodragon_frames()
    x = modem.afsk_modulate(frames, rate=22050)
    x = x + np.random.default_rng(0).normal(0, 0.25, x.size)
    p = tmp_path / "pico.wav"
    modem.write_wav(str(p), x, 22050)
    r = run_cli("gs", "beacon", p, "--input-format", "wav", "--profile", "picodragon", "--json", check=True)
    rows = json.loads(r.stdout)
    assert [row["info_text"] for row in rows] == ["PicoDragon VietNam"] * 2
    assert [row["src_ssid"] for row in rows] == [0, 1] and all(row["fcs"] == "valid" and row["src"] == "XV9PD" for row in rows)


def test_g3ruh9600_roundtrip_qb50(qb):
    prof = load_profile("qb50-se01")
    kf = [k.data for k in ax25.kiss_deframe((qb / "kiss" / "aalto-18052017_0021.kss").read_bytes())][:4]
    y = modem.g3ruh_modulate(kf)
    y = y + np.random.default_rng(1).normal(0, 0.08, y.size)
    res = decode_beacons(modem.wav_bytes(y, 48000), "wav", prof)
    exp = _expected(qb, qb / "kiss" / "aalto-18052017_0021.kss")[:4]
    assert [r["formatted"]["time"] for r in res] == [e["time"] for e in exp]


def test_hdlc_stuffing_roundtrip():
    rng = np.random.default_rng(4)
    frames = [bytes([0xFF] * 20) + rng.integers(0, 256, 40, dtype=np.uint8).tobytes() for _ in range(3)]
    bits = ax25.hdlc_encode(frames)
    got = [f for _, f in ax25.hdlc_deframe(bits)]
    assert got == frames
    assert np.array_equal(ax25.nrzi_decode(ax25.nrzi_encode(bits)), bits)
    assert np.array_equal(ax25.g3ruh_descramble(ax25.g3ruh_scramble(bits)), bits)


def test_kiss_escapes():
    payload = bytes([0xC0, 0xDB, 0x01, 0xC0])
    kf = ax25.kiss_deframe(ax25.kiss_frame(payload) + ax25.kiss_frame(b"abc"))
    assert [k.data for k in kf] == [b"\x00" + payload, b"\x00abc"]
    assert ax25.kiss_deframe(b"\xc0\x00ab\xdb\xc0")[0].error


def test_cli_fragments_reported_on_stderr(qb, run_cli):
    r = run_cli("gs", "beacon", qb / "kiss" / "tartu-18052017_1955.kss", "--input-format", "kiss", "--profile", "qb50-se01", "--json")
    assert r.returncode == 0
    assert len(json.loads(r.stdout)) == 9
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 5 and all("rejected" in ln for ln in lines)
    r = run_cli(
        "gs",
        "beacon",
        qb / "kiss" / "tartu-18052017_1955.kss",
        "--input-format",
        "kiss",
        "--profile",
        "qb50-se01",
        "--json",
        "--include-rejected",
    )
    rows = json.loads(r.stdout)
    assert len(rows) == 14 and sum(x["status"] == "rejected" for x in rows) == 5
