"""The raw ⇄ Space Packet bridge is bit-exact (no shared data needed)."""

import numpy as np
import xarray as xr

from lotusar.scenario.downlink import ANCILLARY_APID, ECHO_APID, _pack_iq, _unpack_iq, packets_to_raw, raw_to_packets


def _raw(bits: int, lines=7, samples=33, blocks=3, seed=1) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    lv = 2 ** (bits - 1) - 1
    iq = rng.integers(-lv, lv + 1, (lines, samples, 2)).astype(np.int8)
    return xr.Dataset(
        {"echoes_iq": (("azimuth_time", "fast_time", "iq"), iq),
         "echo_scale": (("azimuth_time", "scale_block"), rng.random((lines, blocks)).astype(np.float32)),
         "orbit_position": (("orbit_time", "xyz"), rng.random((5, 3)) * 7e6),
         "target_position": (("target", "xyz"), np.zeros((0, 3)))},
        coords={"azimuth_time": np.arange(lines) / 4500.0 + 0.123456789, "fast_time": 1e-3 + np.arange(samples) / 180e6,
                "orbit_time": np.arange(5.0), "xyz": ["x", "y", "z"]},
        attrs={"quantisation_bits": bits, "prf_hz": 4500.0, "look_side": "right", "poly": np.array([1.5, -2.25e-3])},
    )


def test_pack_unpack_4bit_all_values():
    v = np.arange(-8, 8, dtype=np.int8)
    assert np.array_equal(_unpack_iq(_pack_iq(v, 4), v.size, 4), v)
    odd = v[:5]
    assert np.array_equal(_unpack_iq(_pack_iq(odd, 4), odd.size, 4), odd)


def test_round_trip_bit_exact():
    for bits in (4, 8):
        ds = _raw(bits)
        pk = raw_to_packets(ds)
        apids = [((p[0] & 7) << 8) | p[1] for p in pk]
        assert apids.count(ECHO_APID) == ds.sizes["azimuth_time"]
        back = packets_to_raw([p for p, a in zip(pk, apids) if a == ANCILLARY_APID], [p for p, a in zip(pk, apids) if a == ECHO_APID])
        for k in ds.variables:
            assert np.array_equal(ds[k].values, back[k].values), k
        assert np.array_equal(back.attrs["poly"], ds.attrs["poly"])
        assert back.attrs["missing_lines"].size == 0


def test_lost_line_is_reported_and_zero_filled():
    ds = _raw(4)
    pk = raw_to_packets(ds)
    anc = [p for p in pk if ((p[0] & 7) << 8 | p[1]) == ANCILLARY_APID]
    echo = [p for p in pk if ((p[0] & 7) << 8 | p[1]) == ECHO_APID]
    back = packets_to_raw(anc, echo[:3] + echo[4:])
    assert back.attrs["missing_lines"].tolist() == [3]
    assert not back["echoes_iq"].values[3].any()
