"""Channel-coding layer against the shared known-answer vectors (RS both bases, randomiser, CRC)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lotusar.groundstation import crc, randomizer
from lotusar.groundstation import reedsolomon as rs


@pytest.fixture(scope="module")
def rsdir(shared_data):
    return shared_data("ccsds-coding-vectors") / "rs255_223"


def _load(d, name):
    return np.fromfile(d / name, dtype=np.uint8)


@pytest.mark.parametrize("name,dual", [("rs_conventional_block.bin", False), ("rs_dual_basis_block.bin", True)])
def test_rs_known_answers(rsdir, name, dual):
    block = _load(rsdir, name)
    mask = _load(rsdir, "error_mask_16_errors.bin")
    assert block.size == 255 and np.array_equal(block[:223], np.arange(223, dtype=np.uint8))
    # encode exact
    assert np.array_equal(rs.encode(block[:223], dual=dual)[0], block)
    assert not rs.syndromes(block, dual=dual).any()
    # the other basis does not check (the two vectors really differ in basis)
    assert rs.syndromes(block, dual=not dual).any()
    # 16 errors corrected exactly
    res = rs.decode(block ^ mask, dual=dual)
    assert res.corrected.tolist() == [16]
    assert np.array_equal(res.codewords[0], block)
    # 17 errors: reported uncorrectable, data returned as received
    m17 = mask.copy()
    free = np.flatnonzero(mask == 0)
    m17[free[7]] = 0x5A
    res = rs.decode(block ^ m17, dual=dual)
    assert res.corrected.tolist() == [-1]
    assert np.array_equal(res.codewords[0], block ^ m17)


def test_rs_interleaved_depth5_and_batch(rsdir):
    block = _load(rsdir, "rs_dual_basis_block.bin")
    frame = np.repeat(block[:223], 5)  # five interleaved copies: column k = codeword k
    cb = rs.encode_codeblocks(frame[None, :], 5, dual=True)[0]
    assert np.array_equal(cb[:1115], frame)
    par = cb[1115:].reshape(32, 5)
    for k in range(5):
        assert np.array_equal(par[:, k], block[223:])
    # batch decode with errors spread over codewords of a depth-5 block
    bad = cb.copy()
    rng = np.random.default_rng(3)
    pos = rng.choice(cb.size, 60, replace=False)
    bad[pos] ^= rng.integers(1, 256, 60, dtype=np.uint8)
    data, corrected, unc = rs.decode_codeblocks(bad[None, :], 5, dual=True)
    assert not unc[0] and corrected[0] == 60
    assert np.array_equal(data[0], frame)
    assert rs.codeblocks_valid(cb[None, :], 5, True)[0] and not rs.codeblocks_valid(bad[None, :], 5, True)[0]


@pytest.mark.parametrize("k", [128, 33, 1])
def test_rs_shortened_random(k):
    rng = np.random.default_rng(k)
    data = rng.integers(0, 256, (300, k), dtype=np.uint8)
    for dual in (False, True):
        cw = rs.encode(data, dual=dual)
        nerr = rng.integers(0, 17, 300)
        rx = cw.copy()
        for i, n in enumerate(nerr):
            p = rng.choice(k + 32, n, replace=False)
            rx[i, p] ^= rng.integers(1, 256, n, dtype=np.uint8)
        res = rs.decode(rx, dual=dual)
        assert np.array_equal(res.codewords, cw)
        assert np.array_equal(res.corrected, nerr)


def test_rs_never_silently_passes_heavy_damage():
    rng = np.random.default_rng(9)
    cw = rs.encode(rng.integers(0, 256, (400, 223), dtype=np.uint8))
    rx = cw.copy()
    for i in range(400):
        p = rng.choice(255, 17 + i % 40, replace=False)
        rx[i, p] ^= rng.integers(1, 256, p.size, dtype=np.uint8)
    res = rs.decode(rx)
    ok = res.corrected >= 0
    # whatever is declared decoded must be a valid codeword; miscorrection beyond 16 is rare
    assert not rs.syndromes(res.codewords[ok]).any()
    assert ok.mean() < 0.01


def test_gf_generator_poly_palindromic():
    g = rs.generator_poly()
    assert g.size == 33 and g[0] == 1
    assert np.array_equal(g, g[::-1])  # the CCSDS choice FCR=112, step 11 gives a symmetric g(x)


def test_randomizer_exact(shared_data):
    ref = np.fromfile(shared_data("ccsds-coding-vectors") / "randomizer" / "ccsds_tm_pn_255.bin", np.uint8)
    pn = randomizer.pn_sequence_255()
    assert np.array_equal(pn, ref)
    assert pn[:4].tobytes().hex() == "ff480ec0"
    x = np.random.default_rng(0).integers(0, 256, (3, 1020), dtype=np.uint8)
    assert np.array_equal(randomizer.randomize(randomizer.randomize(x)), x)
    assert np.array_equal(randomizer.pn_sequence(600)[255:510], ref)


def test_crc_vectors(shared_data):
    vecs = json.loads((shared_data("ccsds-coding-vectors") / "crc_vectors.json").read_text())
    assert len(vecs) >= 9
    for v in vecs:
        data = bytes.fromhex(v["data_hex"])
        got = crc.crc_generic(data, v["width"], int(v["poly"], 16), int(v["init"], 16), v["refin"], v["refout"], int(v["xorout"], 16))
        assert got == int(v["expected"], 16), v["name"]
        if v["width"] == 16 and not v["refin"] and v["init"].lower() == "0xffff":
            assert crc.crc16_ccitt(data) == int(v["expected"], 16)
            # residue property over data + FECF (big-endian)
            e = int(v["expected"], 16)
            assert crc.crc16_ccitt(data + bytes([e >> 8, e & 0xFF])) == 0
        if v["width"] == 16 and v["refin"] and v["xorout"].lower() == "0xffff":
            assert crc.crc16_x25(data) == int(v["expected"], 16)
    frames = np.frombuffer(bytes.fromhex("003f00001ffe0000010201000000814a") * 3, np.uint8).reshape(3, 16)
    assert crc.fecf_ok(frames).all()
