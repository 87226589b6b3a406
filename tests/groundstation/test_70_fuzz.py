"""Fuzzing every parser: arbitrary bytes give results or InputFormatError, never another exception."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lotusar.errors import InputFormatError, LotusarError
from lotusar.groundstation import ao40, ax25
from lotusar.groundstation import encoder as E
from lotusar.groundstation import packets as P
from lotusar.groundstation.beacon import decode_kiss
from lotusar.groundstation.level0 import level0
from lotusar.groundstation.profile import load_profile, profile_from_dict
from lotusar.groundstation.sync import frame_sync

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROFILES = {n: load_profile(n) for n in ("ccsds-packets", "cygnss", "lotusat-xband", "ccsds-tm", "tm-uncoded", "qb50-se01", "picodragon")}
_PK = E.random_packets(12, seed=1, max_len=200)
_CAD = E.encode_packets_to_cadus(_PK, PROFILES["lotusat-xband"])
_TM = E.encode_packets_to_cadus(_PK, PROFILES["tm-uncoded"])


@FAST
@given(st.binary(max_size=3000))
def test_packet_parser(data):
    for lim in (P.ParseLimits(), P.ParseLimits(checksum="sum16"), P.ParseLimits(version=None, apids=frozenset({1, 2}))):
        pk, df, rest = P.parse_stream(data, lim)
        covered = sum(p.length for p in pk)
        assert covered <= len(data)
        assert all(7 <= p.length <= 65542 for p in pk)
        if covered < len(data):
            assert df  # bytes not in packets are always reported


@FAST
@given(st.binary(max_size=2000), st.sampled_from(["packets", "aos-cadus", "tm-frames", "soft-symbols"]))
def test_level0_any_bytes(data, fmt):
    prof = PROFILES["ccsds-packets" if fmt == "packets" else ("ccsds-tm" if fmt == "tm-frames" else "lotusat-xband")]
    res = level0(data, fmt, prof)
    assert set(res.report) >= {
        "packets_per_apid",
        "sequence_gaps",
        "frames_total",
        "frames_rs_corrected",
        "frames_uncorrectable",
        "defects",
    }


@FAST
@given(st.lists(st.tuples(st.integers(0, len(_CAD) - 1), st.integers(0, 255), st.integers(0, 3)), max_size=12))
def test_level0_mutated_cadus(muts):
    for base, prof in ((_CAD, PROFILES["lotusat-xband"]), (_TM, PROFILES["tm-uncoded"])):
        b = bytearray(base)
        for pos, val, op in muts:
            pos %= len(b)
            if op == 0:
                b[pos] = val
            elif op == 1:
                del b[pos : pos + val]
            elif op == 2:
                b[pos:pos] = bytes([val]) * (val % 40)
            else:
                b[pos:pos] = b[max(0, pos - 300) : pos]
        res = level0(bytes(b), "aos-cadus", prof)
        sent = set(_PK)
        for apid in res.files:
            for p in res.packets[apid]:
                assert p.data in sent  # never a damaged packet in the output


@FAST
@given(st.binary(max_size=1500))
def test_kiss_and_ax25(data):
    for k in ax25.kiss_deframe(data):
        try:
            ax25.parse_ax25(k.data)
        except ValueError:
            pass
    for name in ("qb50-se01", "picodragon"):
        for r in decode_kiss(data, PROFILES[name]):
            assert r["status"] in ("ok", "rejected")


@FAST
@given(st.binary(max_size=4000))
def test_hdlc_and_descrambler(data):
    bits = np.unpackbits(np.frombuffer(data, np.uint8))
    for _, f in ax25.hdlc_deframe(bits):
        assert isinstance(f, bytes)
    ax25.nrzi_decode(ax25.g3ruh_descramble(bits))


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=800))
def test_wav_reader(data):
    from lotusar.groundstation.modem import read_wav

    try:
        read_wav(data)
    except InputFormatError:
        pass


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=0, max_size=6000))
def test_ao40_stream(vals):
    ao40.decode_ao40_stream(np.nan_to_num(np.asarray(vals, np.float32)))


@FAST
@given(
    st.dictionaries(
        st.sampled_from(["name", "kind", "frame", "coding", "packets"]),
        st.one_of(
            st.none(), st.text(max_size=5), st.integers(-5, 5000), st.dictionaries(st.text(max_size=8), st.integers(-3, 3000), max_size=4)
        ),
    )
)
def test_profile_dicts(d):
    try:
        profile_from_dict(d)
    except LotusarError:
        pass


@FAST
@given(st.binary(min_size=0, max_size=5000), st.integers(5, 1100))
def test_frame_sync(data, n):
    r = frame_sync(data, n)
    assert r.codeblocks.shape[0] == r.bit_offsets.size


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=600), st.sampled_from([".csv", ".xml", ".yaml"]))
def test_dictionary_parsers(tmp_path_factory, data, suffix):
    from lotusar.groundstation.telemetry import load_dictionary

    p = tmp_path_factory.mktemp("dict") / f"d{suffix}"
    p.write_bytes(data)
    try:
        load_dictionary(p)
    except InputFormatError:
        pass


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["U12", "I1234", "F1234", "F87654321", "U21", "X9", "U1"]),
            st.integers(-2, 90),
            st.integers(-1, 9),
            st.integers(-1, 80),
        ),
        max_size=6,
    ),
    st.binary(min_size=0, max_size=120),
)
def test_csv_dictionary_decode(tmp_path_factory, rows, payload):
    from lotusar.groundstation.telemetry import decode_packets, load_dictionary

    p = tmp_path_factory.mktemp("dict") / "T.csv"
    lines = ["Mnemonic,Type,Start Byte,Start Bit,Data Size,Units,Conversion Formula"]
    lines += [f"F{i},{t},{b},{bit},{size},u,X*2" for i, (t, b, bit, size) in enumerate(rows)]
    p.write_text("\n".join(lines) + "\n")
    try:
        d = load_dictionary(p)
    except InputFormatError:
        return
    pdef = next(iter(d.values()))
    pdef.apid = 5
    pkt = P.make_packet(5, 0, payload or b"\x00")
    decode_packets([P.Packet(pkt, 0, 5, 3, 0, 0, 0)], {5: pdef})


def test_formula_on_a_byte_block_is_not_applied(tmp_path):
    """A field wider than 64 bits is an opaque byte block: its conversion formula is ignored
    (found by the hypothesis test above: 'X*2' on a 10-byte block raised)."""
    from lotusar.groundstation.telemetry import decode_packets, load_dictionary

    p = tmp_path / "T.csv"
    p.write_text("Mnemonic,Type,Start Byte,Start Bit,Data Size,Units,Conversion Formula\nBLK,U1,6,0,80,u,X*2\nN,U1,16,0,8,u,X*2\n")
    pdef = next(iter(load_dictionary(p).values()))
    pdef.apid = 5
    pkt = P.make_packet(5, 0, bytes(range(1, 12)))
    t = decode_packets([P.Packet(pkt, 0, 5, 3, 0, 0, 0)], {5: pdef})
    df = next(iter(t.values()))
    assert df["BLK"].iloc[0] == bytes(range(1, 11))
    assert df["N"].iloc[0] == 2 * 11
