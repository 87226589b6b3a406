"""Sentinel-1 Level-0 ISP decoding against the s1isp reference decodes (S1-IF-ASD-PL-0007)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lotusar.errors import InputFormatError
from lotusar.sar.readers import s1_isp

NAMES = ["000000-noise", "000008-txcal", "000408-echo"]


def _plain(obj):
    """Reference JSON with s1isp enums ({'enum': .., 'value': v}) flattened to v."""
    if isinstance(obj, dict):
        if set(obj) == {"enum", "value"}:
            return obj["value"]
        return {k: _plain(v) for k, v in obj.items()}
    return obj


@pytest.fixture(scope="module")
def s1dir(shared_data):
    return shared_data("s1-level0-isp-packets")


@pytest.mark.parametrize("name", NAMES)
def test_headers_equal_reference(s1dir, name):
    (pk,) = s1_isp.read_packets(s1dir / f"{name}.dat")
    ref = _plain(json.loads((s1dir / "reference" / f"{name}.headers.json").read_text()))
    assert pk.primary == ref["primary_header"]
    assert pk.secondary == ref["secondary_header"]


@pytest.mark.parametrize("name", ["000000-noise", "000008-txcal"])
def test_bypass_and_baq5_exact(s1dir, name):
    (pk,) = s1_isp.read_packets(s1dir / f"{name}.dat")
    ref = np.load(s1dir / "reference" / f"{name}.udf.npy", allow_pickle=False)
    got = pk.decode()
    assert got.dtype == np.complex64
    np.testing.assert_array_equal(got, ref)


def test_fdbaq_echo(s1dir):
    (pk,) = s1_isp.read_packets(s1dir / "000408-echo.dat")
    assert pk.baq_mode == 12
    got = pk.decode()
    ref = np.load(s1dir / "reference" / "000408-echo.udf.npy", allow_pickle=False)
    assert got.shape == ref.shape == (21558,)
    assert np.abs(got.real - ref.real).max() <= 2e-6
    assert np.abs(got.imag - ref.imag).max() <= 2e-6
    mag = np.abs(got.astype(np.complex128)) - np.abs(ref.astype(np.complex128))
    assert np.abs(mag).max() <= 3e-6
    # the second reference decode (float32 LUT, as the spec tables are applied) is matched bit for bit
    ref2 = np.load(s1dir / "reference" / "000408-echo.decoded_udf.npy", allow_pickle=False)
    np.testing.assert_array_equal(got, ref2)


def test_reconstruction_tables_match_s1isp(s1dir):
    """Our tables built from the spec values equal s1isp's full FDBAQ table (BRC, THIDX, sign, m)."""
    ref = json.loads((s1dir / "reference" / "fdbaq-reconstruction-lut.json").read_text())
    lut = s1_isp.fdbaq_lut()
    for brc in range(5):
        n = len(s1_isp.T.HUFFMAN_CODES[brc])
        for th in range(256):
            for sign in (0, 1):
                want = [ref[str(brc)][str(th)][str(sign)][str(m)] for m in range(n)]
                got = lut[brc, th, sign * n : sign * n + n]
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_radar_parameters_match_annotation(s1dir):
    """Header codes → physics equal the S3 stripmap SAFE annotation (README of the set)."""
    (pk,) = s1_isp.read_packets(s1dir / "000408-echo.dat")
    p = pk.parameters()
    assert p["tx_ramp_rate_hz_per_s"] == pytest.approx(1.344932774550966e12, rel=1e-12)
    assert p["tx_pulse_start_frequency_hz"] == pytest.approx(-2.970450322412297e7, rel=1e-12)
    assert p["tx_pulse_length_s"] == pytest.approx(4.417243291154830e-05, rel=1e-12)
    assert p["prf_hz"] == pytest.approx(1924.956266475204, rel=1e-12)
    assert p["range_sampling_rate_hz"] == pytest.approx(6.672839509333333e7, rel=1e-12)
    assert p["signal_type"] == "echo" and p["swath_number"] == 2
    assert p["utc_time"].isoformat().startswith("2020-06-15T16:24:09.9")


def test_multi_packet_stream(s1dir):
    blob = b"".join((s1dir / f"{n}.dat").read_bytes() for n in NAMES)
    pks = list(s1_isp.iter_packets(blob))
    assert [p.primary["packet_sequence_count"] for p in pks] == [0, 8, 408]
    assert [p.parameters()["signal_type"] for p in pks] == ["noise", "tx_cal", "echo"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("cut", [3, 40, 500])
def test_truncated_packet_is_one_line_error(s1dir, tmp_path, name, cut):
    data = (s1dir / f"{name}.dat").read_bytes()
    bad = tmp_path / "cut.dat"
    bad.write_bytes(data[: len(data) - cut] if cut < 100 else data[:cut])
    with pytest.raises(InputFormatError) as ei:
        s1_isp.read_packets(bad)[0].decode()
    assert "\n" not in str(ei.value) and "cut.dat" in str(ei.value)


def test_corrupt_sync_marker(s1dir):
    data = bytearray((s1dir / "000408-echo.dat").read_bytes())
    data[12] ^= 0xFF
    with pytest.raises(InputFormatError, match="sync_marker"):
        list(s1_isp.iter_packets(bytes(data)))


def test_corrupt_nq_in_fdbaq_is_caught(s1dir):
    """A header claiming more quads than the user data holds fails cleanly, not with IndexError."""
    (pk,) = s1_isp.read_packets(s1dir / "000408-echo.dat")
    with pytest.raises(InputFormatError):
        s1_isp.decode_user_data(pk.user_data, 3 * pk.number_of_quads, 12)
