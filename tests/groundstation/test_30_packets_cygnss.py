"""Space Packets: CYGNSS Level-0 split, gaps, checksums, field decoding; var_length files."""

from __future__ import annotations

import json
import math
from datetime import UTC

import numpy as np
import pytest

from lotusar.groundstation import packets as P
from lotusar.groundstation.level0 import level0
from lotusar.groundstation.profile import load_profile
from lotusar.groundstation.telemetry import apply_formula, decode_packets, load_dictionary

MIXED = "CYGNSS_F7_L0_2022_086_10_15_V01_F__first101pkts.tlm"
APIDS = [384, 386, 391, 392, 393, 394, 1313]


@pytest.fixture(scope="module")
def cyg(shared_data):
    return shared_data("ccsds-space-packets-cygnss")


def test_header_table(cyg):
    pk, defects, _ = P.parse_stream((cyg / MIXED).read_bytes())
    assert len(pk) == 101 and defects == []
    assert pk[0].apid == 391
    table = {a: [p for p in pk if p.apid == a] for a in APIDS}
    want = {384: (4, 260, 5380, 5410), 386: (4, 104, 5330, 5360), 391: (1, 1680, 0, 0), 392: (4, 168, 1740, 1770),
            393: (40, 140, 1757, 1796), 394: (39, 76, 8411, 8449), 1313: (9, 272, 1208, 1216)}
    for a, (n, ln, c0, c1) in want.items():
        assert len(table[a]) == n
        assert {p.length for p in table[a]} == {ln}
        assert table[a][0].seq_count == c0 and table[a][-1].seq_count == c1
    assert all(p.data[6] == 0xF7 and p.seq_flags == 3 and p.sec_hdr == 1 for p in pk)


@pytest.mark.parametrize("profile", ["ccsds-packets", "cygnss"])
def test_split_by_apid_equals_truth_and_gaps(cyg, profile):
    res = level0((cyg / MIXED).read_bytes(), "packets", load_profile(profile))
    assert sorted(res.files) == APIDS
    for a in APIDS:
        assert res.files[a] == (cyg / f"apid{a:05d}.tlm").read_bytes()
    gaps = res.report["sequence_gaps"]
    for a in (384, 386, 392):
        assert len(gaps[str(a)]) == 3 and all(g["missing"] == 9 for g in gaps[str(a)])
    assert gaps["384"][0] == {"after_count": 5380, "missing": 9}
    for a in (391, 393, 394, 1313):
        assert gaps[str(a)] == []
    assert res.report["defects"] == []


def test_checksums_and_single_flip(cyg):
    raw = (cyg / MIXED).read_bytes()
    pk, _, _ = P.parse_stream(raw)
    assert all(P.sum16_ok(p.data) for p in pk)
    bad = bytearray(raw)
    bad[pk[50].offset + 20] ^= 0x01
    for prof in ("cygnss", "ccsds-packets"):  # the generic profile detects the sum-16 checksum
        res = level0(bytes(bad), "packets", load_profile(prof))
        assert [d["kind"] for d in res.report["defects"]] == ["checksum_error"]
        assert res.report["defects"][0]["offset"] == pk[50].offset
        assert res.report["packets_total"] == 100 and res.report["packet_checksum"] == "sum16"


def test_truncation_reports_offset(cyg):
    raw = (cyg / MIXED).read_bytes()
    res = level0(raw[:-50], "packets", load_profile("cygnss"))
    d = res.report["defects"]
    assert len(d) == 1 and d[0]["kind"] == "truncated_packet" and d[0]["offset"] == P.parse_stream(raw)[0][-1].offset
    assert res.report["packets_total"] == 100
    # nothing partial written: every output packet is whole and checks
    for b in res.files.values():
        pk, df, _ = P.parse_stream(b, P.ParseLimits(checksum="sum16"))
        assert df == [] and sum(p.length for p in pk) == len(b)


def test_pvt_values(cyg):
    d = load_dictionary(cyg / "defs")
    pk, _, _ = P.parse_stream((cyg / MIXED).read_bytes())
    t = decode_packets(pk, d)
    pvt = t["ENG_PVT"]
    assert len(pvt) == 39
    r0 = pvt.iloc[0]
    assert int(r0["seq_count"]) == 8411
    assert (
        int(r0["ENG_PVT_HDR_YEAR"]),
        int(r0["ENG_PVT_HDR_DAY"]),
        int(r0["ENG_PVT_HDR_HOUR"]),
        int(r0["ENG_PVT_HDR_MIN"]),
        int(r0["ENG_PVT_HDR_SEC"]),
        int(r0["ENG_PVT_HDR_USEC"]),
    ) == (2022, 84, 21, 43, 34, 371181)
    assert (r0["DDMI_PVT_SCPOS_X"], r0["DDMI_PVT_SCPOS_Y"], r0["DDMI_PVT_SCPOS_Z"]) == (2714639.75, 5920387.0, -2300980.5)
    assert int(r0["DDMI_PVT_GPS_WEEK"]) == 2202 and round(float(r0["DDMI_PVT_GPS_SEC"]), 3) == 510232.0
    assert int(r0["DDMI_PVT_NUMSATS"]) == 11 and int(r0["ENG_PVT_CKSUM"]) == 0x201E
    v = math.sqrt(r0["DDMI_PVT_SCVEL_X"] ** 2 + r0["DDMI_PVT_SCVEL_Y"] ** 2 + r0["DDMI_PVT_SCVEL_Z"] ** 2)
    assert abs(v - 7184.16) < 0.01
    r = np.sqrt(pvt["DDMI_PVT_SCPOS_X"] ** 2 + pvt["DDMI_PVT_SCPOS_Y"] ** 2 + pvt["DDMI_PVT_SCPOS_Z"] ** 2)
    assert r.between(6.900e6, 6.915e6).all() and abs(r.iloc[0] - 6907587) < 1
    last = pvt.iloc[-1]
    assert (last["DDMI_PVT_SCPOS_X"], last["DDMI_PVT_SCPOS_Y"], last["DDMI_PVT_SCPOS_Z"]) == (2481220.25, 5969923.0, -2433542.0)
    # GPS - UTC = 18 s: GPS week 2202 + 510232 s vs the header UTC 21:43:34.371
    from datetime import datetime, timedelta

    gps = datetime(1980, 1, 6, tzinfo=UTC) + timedelta(weeks=2202, seconds=510232)
    utc = datetime(2022, 1, 1, tzinfo=UTC) + timedelta(days=83, hours=21, minutes=43, seconds=34.371181)
    assert round((gps - utc).total_seconds()) == 18


def test_formulas():
    x = np.array([0.0, 100.0])
    assert np.allclose(apply_formula("0 57.29577951", x), [0.0, 5729.577951])
    assert np.allclose(apply_formula("X*0.8", x), [0.0, 80.0])
    assert np.allclose(apply_formula("0.00352890422778257*x - 0.0692778257118206", x), 0.00352890422778257 * x - 0.0692778257118206)
    y = apply_formula("iif(((x .gt. 4) .AND. (x .lt. 3811)), LN(x)+1, 999)", np.array([2.0, 100.0, 4000.0]))
    assert np.allclose(y, [999, np.log(100) + 1, 999])
    from lotusar.errors import InputFormatError

    with pytest.raises(InputFormatError):
        apply_formula("__import__('os').system('true')", x)


@pytest.mark.parametrize("name,footer", [("var_length_packets.bin", False), ("var_length_packets_with_footer.bin", True)])
def test_var_length(cyg, name, footer):
    raw = (cyg / "var_length" / name).read_bytes()
    # these synthetic upstream files carry packet version 1 (first word 0x20E2)
    res = level0(raw, "packets", load_profile("ccsds-packets"))
    assert res.report["defects"] == [] and res.report["packets_per_apid"] == {"226": 10}
    pk, defects, _ = P.parse_stream(raw, P.ParseLimits(version=None))
    assert defects == [] and len(pk) == 10
    for k, (p, n) in enumerate(zip(pk, [2, 3, 5, 7, 11, 13, 17, 19, 23, 29])):
        assert p.apid == 0x0E2 and p.seq_count == k and p.seq_flags == 0
        vals = np.frombuffer(p.data[6:], ">u2")
        want = list(range(n, 2 * n)) + ([1] if footer else [])
        assert vals.tolist() == want


def test_cli_level0_byte_equal_and_deterministic(cyg, run_cli, tmp_path):
    outs = []
    for k in range(2):
        out = tmp_path / f"l0_{k}"
        r = run_cli("gs", "level0", cyg / MIXED, "--input-format", "packets", "--out", out, "--json", check=True)
        rep = json.loads(r.stdout)
        assert rep["packets_per_apid"] == {"384": 4, "386": 4, "391": 1, "392": 4, "393": 40, "394": 39, "1313": 9}
        assert rep["frames_total"] == 0 and rep["frames_uncorrectable"] == 0 and rep["defects"] == []
        for a in APIDS:
            assert (out / f"apid{a:05d}.pkt").read_bytes() == (cyg / f"apid{a:05d}.tlm").read_bytes()
        outs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outs[0] == outs[1]


def test_cli_decode_pvt(cyg, run_cli, tmp_path):
    out = tmp_path / "pvt.parquet"
    r = run_cli("gs", "decode", cyg / MIXED, "--defs", cyg / "defs", "--apid", "394", "--out", out, "--json", check=True)
    rows = json.loads(r.stdout)
    assert len(rows) == 39 and rows[0]["DDMI_PVT_SCPOS_X"] == 2714639.75
    import pandas as pd

    df = pd.read_parquet(out)
    assert len(df) == 39 and (df["packet"] == "ENG_PVT").all()


def test_xtce_import_matches_csv(cyg):
    from pathlib import Path

    x = load_dictionary(Path(__file__).parent / "data" / "cygnss_pvt_xtce.xml")
    assert list(x) == [394]
    pk, _, _ = P.parse_stream((cyg / MIXED).read_bytes())
    a = decode_packets(pk, x)["ENG_PVT"]
    b = decode_packets(pk, load_dictionary(cyg / "defs"))["ENG_PVT"]
    for col in ("DDMI_PVT_SCPOS_X", "DDMI_PVT_SCPOS_Y", "DDMI_PVT_SCPOS_Z", "DDMI_PVT_GPS_WEEK", "DDMI_PVT_GPS_SEC"):
        assert np.array_equal(a[col].to_numpy(), b[col].to_numpy()), col
    assert np.array_equal(a["CCSDS_APID"].to_numpy(), np.full(39, 394))
    assert np.array_equal(a["CCSDS_SEQ"].to_numpy(), b["ENG_PVT_HDR_SEQ"].to_numpy())
    assert np.array_equal(a["NUMSATS_X2"].to_numpy(), 2.0 * b["DDMI_PVT_NUMSATS"].to_numpy())
