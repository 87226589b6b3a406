"""CCSDS K=7 rate-1/2 convolutional code and a soft-decision Viterbi decoder.

Code (CCSDS 131.0-B-4 §3): constraint length 7, generators G1 = 171 (octal), G2 = 133 (octal),
the G2 output inverted; the G1 symbol is sent first. With the shift register holding the newest
bit in its least significant bit, the outputs are parity(reg & 0x4F) and NOT parity(reg & 0x6D).
Both generators have odd weight, so the code is transparent: complementing the received symbols
complements the decoded bits (phase ambiguity is resolved later on the ASM polarity).

Soft symbols: float, sign = bit (positive → 1), magnitude = reliability (e.g. LLR or matched
filter output). The Viterbi decoder (Viterbi 1967; Forney 1973) maximises the correlation
metric sum y·(2c−1) over the 64-state trellis. It is vectorised over the 64 states *and* over
a batch of independent blocks: long streams are cut into overlapping blocks (overlap ≥ 5K
symbols on each side, the usual traceback depth) that are decoded side by side, so the
per-step Python cost is shared by the whole batch.
"""

from __future__ import annotations

import numpy as np

from lotusar.errors import ValidationError

K = 7
N_STATES = 64
POLY_A = 0x4F  # G1 = 0o171 mirrored (newest bit in LSB)
POLY_B = 0x6D  # G2 = 0o133 mirrored, output inverted

_PARITY7 = np.array([bin(i).count("1") & 1 for i in range(128)], dtype=np.uint8)
# expected symbols for the 7-bit register value reg = (msb << 6) | next_state
OUT_A = _PARITY7[np.arange(128) & POLY_A]
OUT_B = 1 - _PARITY7[np.arange(128) & POLY_B]
SIGN_A = (2.0 * OUT_A - 1.0).astype(np.float32)
SIGN_B = (2.0 * OUT_B - 1.0).astype(np.float32)


def encode(bits: np.ndarray, state: int = 0, tail: bool = False) -> np.ndarray:
    """Encode bits (…, n) 0/1 → symbols (…, 2n) 0/1 (G1, G2-inverted interleaved).

    ``state``: the six previous input bits (newest in the LSB); ``tail`` appends six zeros.
    """
    b = np.asarray(bits, dtype=np.uint8)
    if tail:
        b = np.concatenate([b, np.zeros(b.shape[:-1] + (K - 1,), np.uint8)], axis=-1)
    n = b.shape[-1]
    prev = np.array([(state >> k) & 1 for k in range(K - 1)], dtype=np.uint8)  # prev[k] = bit k+1 steps ago
    ext = np.concatenate([np.broadcast_to(prev[::-1], b.shape[:-1] + (K - 1,)), b], axis=-1)
    reg = np.zeros(b.shape[:-1] + (n,), dtype=np.uint8)
    for k in range(K):  # reg bit k = input k steps ago
        reg |= ext[..., K - 1 - k : K - 1 - k + n] << k
    out = np.empty(b.shape[:-1] + (2 * n,), dtype=np.uint8)
    out[..., 0::2] = OUT_A[reg]
    out[..., 1::2] = OUT_B[reg]
    return out


# Both generators tap the newest and the oldest register bit, so complementing either flips
# both expected symbols: the branch metric of (msb, b, s) is (-1)^(msb+b) times that of (0, 0, s).
assert np.array_equal(SIGN_A.reshape(2, 32, 2)[1], -SIGN_A.reshape(2, 32, 2)[0])
assert np.array_equal(SIGN_A.reshape(2, 32, 2)[:, :, 1], -SIGN_A.reshape(2, 32, 2)[:, :, 0])
assert np.array_equal(SIGN_B.reshape(2, 32, 2)[1], -SIGN_B.reshape(2, 32, 2)[0])
_SA0 = SIGN_A.reshape(2, 32, 2)[0, :, 0].copy()
_SB0 = SIGN_B.reshape(2, 32, 2)[0, :, 0].copy()


def sanitize_symbols(symbols: np.ndarray) -> np.ndarray:
    """Finite float32 soft symbols on a unit scale: NaN → 0 (erasure), scaled by the median
    magnitude and clipped at ±64 so that absurd values (corrupt files) cannot overflow metrics."""
    s = np.nan_to_num(np.asarray(symbols, dtype=np.float64), nan=0.0, posinf=1e30, neginf=-1e30)
    mag = np.abs(s)
    scale = float(np.median(mag)) if s.size else 1.0
    if not np.isfinite(scale) or scale <= 0:
        scale = float(mag.max()) if s.size and mag.max() > 0 else 1.0
    return np.clip(s / scale, -64.0, 64.0).astype(np.float32)


def _viterbi_batch(sym: np.ndarray, start_known: bool, end_known: bool) -> tuple[np.ndarray, np.ndarray]:
    """Decode a batch of blocks sym (B, 2T) float → bits (B, T) uint8 and final metric (B,).

    Add-compare-select as butterflies: the predecessors of states 2s and 2s+1 are s and s+32,
    so each step works on (B, 32) halves with plain slices (no gathers), and one (B, 32) branch
    metric serves all four transitions of a butterfly (sign symmetry of the generators).
    """
    nb, two_t = sym.shape
    t_len = two_t // 2
    y0 = np.ascontiguousarray(sym[:, 0::2].T, dtype=np.float32)  # (T, B)
    y1 = np.ascontiguousarray(sym[:, 1::2].T, dtype=np.float32)
    buf = [np.zeros((nb, N_STATES), dtype=np.float32), np.zeros((nb, N_STATES), dtype=np.float32)]
    if start_known:
        buf[0][:, 1:] = -1e9
    dec = np.empty((t_len, nb, N_STATES), dtype=bool)
    m0 = np.empty((nb, 32), dtype=np.float32)
    m1 = np.empty((nb, 32), dtype=np.float32)
    bm = np.empty((nb, 32), dtype=np.float32)
    tmp = np.empty((nb, 32), dtype=np.float32)
    cur = 0
    for t in range(t_len):
        pm = buf[cur]
        nxt = buf[1 - cur].reshape(nb, 32, 2)
        lo = pm[:, :32]
        hi = pm[:, 32:]
        np.multiply(y0[t][:, None], _SA0, out=bm)
        np.multiply(y1[t][:, None], _SB0, out=tmp)
        bm += tmp
        d = dec[t].reshape(nb, 32, 2)
        # bit 0: from lo with +bm, from hi with -bm
        np.add(lo, bm, out=m0)
        np.subtract(hi, bm, out=m1)
        np.greater(m1, m0, out=d[:, :, 0])
        np.maximum(m0, m1, out=nxt[:, :, 0])
        # bit 1: from lo with -bm, from hi with +bm
        np.subtract(lo, bm, out=m0)
        np.add(hi, bm, out=m1)
        np.greater(m1, m0, out=d[:, :, 1])
        np.maximum(m0, m1, out=nxt[:, :, 1])
        cur = 1 - cur
        if t & 63 == 63:
            buf[cur] -= buf[cur].max(axis=1, keepdims=True)
    pm = buf[cur]
    if end_known:
        state = np.zeros(nb, dtype=np.intp)
    else:
        state = pm.argmax(axis=1)
    final = pm[np.arange(nb), state]
    bits = np.empty((t_len, nb), dtype=np.uint8)
    flat = dec.reshape(t_len, nb * N_STATES)
    base = np.arange(nb) * N_STATES
    for t in range(t_len - 1, -1, -1):
        bits[t] = state & 1
        msb = flat[t].take(base + state)
        state = (state >> 1) | (msb.astype(np.intp) << 5)
    return np.ascontiguousarray(bits.T), final


def viterbi_decode(symbols: np.ndarray, start_state_zero: bool = False, end_state_zero: bool = False) -> np.ndarray:
    """Decode one terminated or unterminated block of soft symbols (2n,) → n bits."""
    s = np.asarray(symbols, dtype=np.float32)
    if s.ndim != 1 or s.size % 2:
        raise ValidationError(f"need an even number of soft symbols, got {s.size}")
    bits, _ = _viterbi_batch(s[None, :], start_state_zero, end_state_zero)
    return bits[0]


def viterbi_decode_stream(symbols: np.ndarray, block_bits: int = 2048, overlap_bits: int = 48, max_batch: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Decode a long stream of soft symbols (even length) in overlapping blocks, batched.

    Returns (bits (n,), per-block metric quality (nblocks,)). Block k decodes bits
    [k*block - overlap, (k+1)*block + overlap) and keeps its core [k*block, (k+1)*block).
    """
    s = sanitize_symbols(np.asarray(symbols).ravel())
    n_bits = s.size // 2
    s = s[: 2 * n_bits]
    if n_bits == 0:
        return np.zeros(0, np.uint8), np.zeros(0, np.float32)
    nblk = -(-n_bits // block_bits)
    pad_front = overlap_bits
    total = nblk * block_bits + 2 * overlap_bits
    buf = np.zeros(2 * total, dtype=np.float32)
    buf[2 * pad_front : 2 * pad_front + 2 * n_bits] = s
    win = block_bits + 2 * overlap_bits
    idx = (np.arange(nblk)[:, None] * block_bits + np.arange(win)[None, :]) * 2
    blocks = np.empty((nblk, 2 * win), dtype=np.float32)
    blocks[:, 0::2] = buf[idx]
    blocks[:, 1::2] = buf[idx + 1]
    # bounded memory: decisions are T x B x 64 bytes, so decode at most max_batch blocks at once
    bits = np.empty((nblk, win), dtype=np.uint8)
    final = np.empty(nblk, dtype=np.float32)
    for b0 in range(0, nblk, max_batch):
        b1 = min(b0 + max_batch, nblk)
        bits[b0:b1], final[b0:b1] = _viterbi_batch(blocks[b0:b1], False, False)
    core = bits[:, overlap_bits : overlap_bits + block_bits].reshape(-1)[:n_bits]
    scale = np.abs(blocks).sum(axis=1) + 1e-30
    return core, final / scale


def decode_stream_autophase(symbols: np.ndarray, block_bits: int = 2048, overlap_bits: int = 48) -> tuple[np.ndarray, int]:
    """Decode a symbol stream whose symbol-pair alignment is unknown: try both, keep the better.

    Returns (bits, symbol offset used: 0 or 1). The decision uses the normalised path metric
    (a mis-paired stream does not match any code sequence and scores clearly lower).
    """
    s = np.asarray(symbols, dtype=np.float32).ravel()
    probe = s[: min(s.size, 8192)]
    q = []
    for off in (0, 1):
        _, metric = viterbi_decode_stream(probe[off:], block_bits=min(block_bits, 2048), overlap_bits=overlap_bits)
        q.append(float(np.median(metric)) if metric.size else -1.0)
    off = int(np.argmax(q))
    bits, _ = viterbi_decode_stream(s[off:], block_bits, overlap_bits)
    return bits, off
