"""Convolutional code, Viterbi and the AO-40 FEC chain on the real AO-73 symbols."""

from __future__ import annotations

import numpy as np
import pytest

from lotusar.groundstation import ao40
from lotusar.groundstation import convolutional as cc


@pytest.fixture(scope="module")
def ao73(shared_data):
    d = shared_data("ccsds-coding-vectors") / "ao73_ao40fec"
    return {
        "symbols": np.fromfile(d / "symbols.f32", np.float32),
        "synced": np.fromfile(d / "synced_frame.f32", np.float32),
        "post_viterbi": (d / "post_viterbi.bin").read_bytes(),
        "frame": (d / "frame.bin").read_bytes(),
        "dir": d,
    }


def test_synced_is_slice(ao73):
    assert np.array_equal(ao73["symbols"][129:5329], ao73["synced"])


def test_viterbi_exact_on_ao73(ao73):
    d = ao40.decode_frame_symbols(ao73["synced"])
    assert d["post_viterbi"] == ao73["post_viterbi"]
    assert d["frame"] == ao73["frame"]
    assert d["rs_corrected"] == [0, 0]
    assert d["viterbi_corrected_symbols"] == 12  # README: 12 channel symbol errors


def test_ao40_stream_finds_and_decodes(ao73):
    recs = ao40.decode_ao40_stream(ao73["symbols"])
    assert len(recs) == 1 and recs[0]["offset"] == 129 and recs[0]["status"] == "ok"
    assert bytes.fromhex(recs[0]["frame_hex"]) == ao73["frame"]
    inv = ao40.decode_ao40_stream(-ao73["symbols"])
    assert inv[0]["inverted"] and bytes.fromhex(inv[0]["frame_hex"]) == ao73["frame"]


def test_ao40_with_5pct_sign_flips(ao73):
    s = ao73["synced"].copy()
    rng = np.random.default_rng(1)
    idx = rng.choice(np.arange(65, 5200), int(0.05 * 5200), replace=False)
    m = s.reshape(65, 80).T.ravel()
    m[idx] = -m[idx]
    s2 = m.reshape(80, 65).T.ravel()
    d = ao40.decode_frame_symbols(s2)
    assert d["ok"] and d["frame"] == ao73["frame"]


def test_ao40_encoder_reproduces_channel_bits(ao73):
    tx = ao40.encode_frame(ao73["frame"])
    hard = (ao73["synced"] > 0).astype(np.uint8)
    # the real reception differs from the clean transmission in exactly the 12 corrected symbols
    assert int((tx != hard).sum()) == 12


def test_encoder_known_impulse_response():
    # a single 1 followed by zeros: outputs are the generator taps (G1=171o, G2=133o inverted)
    bits = np.zeros(7, np.uint8)
    bits[0] = 1
    out = cc.encode(bits)
    g1 = [int(c) for c in f"{0o171:07b}"]
    g2 = [1 - int(c) for c in f"{0o133:07b}"]
    assert out[0::2].tolist() == g1
    assert out[1::2].tolist() == g2


def test_viterbi_stream_batched_and_transparent():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 2, 30000).astype(np.uint8)
    s = (2.0 * cc.encode(x) - 1.0) + rng.normal(0, 0.6, 60000)
    bits, _ = cc.viterbi_decode_stream(s, block_bits=1024)
    assert (bits != x).mean() < 2e-3
    inv, _ = cc.viterbi_decode_stream(-s, block_bits=1024)
    assert (inv != (1 - x)).mean() < 2e-3  # odd-weight generators: the code is transparent
    b2, off = cc.decode_stream_autophase(s[1:])
    assert off == 1 and (b2[:1000] != x[1:1001]).mean() < 5e-3


def test_cli_beacon_ao73(ao73, run_cli):
    import json

    r = run_cli("gs", "beacon", ao73["dir"] / "symbols.f32", "--input-format", "soft-symbols", "--profile", "ao73", "--json", check=True)
    rows = json.loads(r.stdout)
    assert len(rows) == 1 and bytes.fromhex(rows[0]["frame_hex"]) == ao73["frame"] and rows[0]["rs_corrected"] == [0, 0]


def test_stream_batches_bounded():
    rng = np.random.default_rng(8)
    x = rng.integers(0, 2, 20000).astype(np.uint8)
    s = 2.0 * cc.encode(x) - 1.0
    a, _ = cc.viterbi_decode_stream(s, block_bits=512, max_batch=7)
    assert np.array_equal(a, x)
