"""The compiled Viterbi decoder is bit-exact with the batched NumPy reference it replaced.

The reference below is the previous implementation (float32 metrics, butterflies over (B, 32)
slices, renormalisation every 64 steps, argmax/zero end state, traceback), kept here as the
independent check: same bits and same final metrics on noisy streams at several Eb/N0, for
every start/end-state combination, and for the stream decoder over uneven block counts.
"""

from __future__ import annotations

import numpy as np
import pytest

from lotusar.groundstation import convolutional as cc


def reference_viterbi_batch(sym: np.ndarray, start_known: bool, end_known: bool) -> tuple[np.ndarray, np.ndarray]:
    nb, two_t = sym.shape
    t_len = two_t // 2
    sa0 = cc.SIGN_A.reshape(2, 32, 2)[0, :, 0].copy()
    sb0 = cc.SIGN_B.reshape(2, 32, 2)[0, :, 0].copy()
    y0 = np.ascontiguousarray(sym[:, 0::2].T, dtype=np.float32)
    y1 = np.ascontiguousarray(sym[:, 1::2].T, dtype=np.float32)
    buf = [np.zeros((nb, 64), dtype=np.float32), np.zeros((nb, 64), dtype=np.float32)]
    if start_known:
        buf[0][:, 1:] = -1e9
    dec = np.empty((t_len, nb, 64), dtype=bool)
    m0 = np.empty((nb, 32), dtype=np.float32)
    m1 = np.empty((nb, 32), dtype=np.float32)
    bm = np.empty((nb, 32), dtype=np.float32)
    tmp = np.empty((nb, 32), dtype=np.float32)
    cur = 0
    for t in range(t_len):
        pm = buf[cur]
        nxt = buf[1 - cur].reshape(nb, 32, 2)
        lo, hi = pm[:, :32], pm[:, 32:]
        np.multiply(y0[t][:, None], sa0, out=bm)
        np.multiply(y1[t][:, None], sb0, out=tmp)
        bm += tmp
        d = dec[t].reshape(nb, 32, 2)
        np.add(lo, bm, out=m0)
        np.subtract(hi, bm, out=m1)
        np.greater(m1, m0, out=d[:, :, 0])
        np.maximum(m0, m1, out=nxt[:, :, 0])
        np.subtract(lo, bm, out=m0)
        np.add(hi, bm, out=m1)
        np.greater(m1, m0, out=d[:, :, 1])
        np.maximum(m0, m1, out=nxt[:, :, 1])
        cur = 1 - cur
        if t & 63 == 63:
            buf[cur] -= buf[cur].max(axis=1, keepdims=True)
    pm = buf[cur]
    state = np.zeros(nb, dtype=np.intp) if end_known else pm.argmax(axis=1)
    final = pm[np.arange(nb), state]
    bits = np.empty((t_len, nb), dtype=np.uint8)
    flat = dec.reshape(t_len, nb * 64)
    base = np.arange(nb) * 64
    for t in range(t_len - 1, -1, -1):
        bits[t] = state & 1
        msb = flat[t].take(base + state)
        state = (state >> 1) | (msb.astype(np.intp) << 5)
    return np.ascontiguousarray(bits.T), final


@pytest.mark.parametrize("ebn0_db", [0.5, 2.5, 6.0])
def test_compiled_batch_bit_exact(ebn0_db):
    rng = np.random.default_rng(int(ebn0_db * 10))
    nb, t_len = 37, 700  # not a multiple of the 16 SIMD lanes
    x = rng.integers(0, 2, (nb, t_len)).astype(np.uint8)
    sym = (2.0 * cc.encode(x) - 1.0).astype(np.float32)
    sym += np.float32(np.sqrt(1 / (10 ** (ebn0_db / 10)))) * rng.standard_normal(sym.shape).astype(np.float32)
    for sk, ek in ((False, False), (True, False), (True, True)):
        a, fa = reference_viterbi_batch(sym, sk, ek)
        b, fb = cc._viterbi_batch(sym, sk, ek)
        assert np.array_equal(a, b) and np.array_equal(fa, fb)


def test_compiled_stream_matches_reference_blocks():
    rng = np.random.default_rng(11)
    n = 50_001
    x = rng.integers(0, 2, n).astype(np.uint8)
    s = (2.0 * cc.encode(x) - 1.0 + 0.6 * rng.standard_normal(2 * n)).astype(np.float32)  # Eb/N0 4.4 dB
    bits, q = cc.viterbi_decode_stream(s, block_bits=1024, overlap_bits=48)
    ss = cc.sanitize_symbols(s)
    nblk = -(-n // 1024)
    buf = np.zeros(2 * (nblk * 1024 + 96), np.float32)
    buf[96 : 96 + 2 * n] = ss
    blocks = np.stack([buf[2 * k * 1024 : 2 * (k * 1024 + 1120)] for k in range(nblk)])
    ref, fin = reference_viterbi_batch(blocks, False, False)
    assert np.array_equal(bits, ref[:, 48 : 48 + 1024].reshape(-1)[:n])
    assert np.allclose(q, fin / (np.abs(blocks).sum(axis=1) + 1e-30), rtol=1e-5)
    assert (bits != x).mean() < 1e-3
