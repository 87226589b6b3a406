"""CCSDS K=7 rate-1/2 convolutional code and a soft-decision Viterbi decoder.

Code (CCSDS 131.0-B-4 §3): constraint length 7, generators G1 = 171 (octal), G2 = 133 (octal),
the G2 output inverted; the G1 symbol is sent first. With the shift register holding the newest
bit in its least significant bit, the outputs are parity(reg & 0x4F) and NOT parity(reg & 0x6D).
Both generators have odd weight, so the code is transparent: complementing the received symbols
complements the decoded bits (phase ambiguity is resolved later on the ASM polarity).

Soft symbols: float, sign = bit (positive → 1), magnitude = reliability (e.g. LLR or matched
filter output). The Viterbi decoder (Viterbi 1967; Forney 1973) maximises the correlation
metric sum y·(2c−1) over the 64-state trellis. Long streams are cut into overlapping blocks
(overlap ≥ 5K symbols on each side, the usual traceback depth) that are decoded
independently. The decoder is compiled with numba: 16 blocks share the SIMD lanes of one
add-compare-select loop (float32 metrics, vectorised by LLVM), and groups of 16 run in
parallel threads.
"""

from __future__ import annotations

import numba
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


@numba.njit(cache=True, parallel=True)
def _scale_clip(x: np.ndarray, scale: float) -> np.ndarray:
    out = np.empty(x.size, np.float32)
    for i in numba.prange(x.size):
        v = np.float64(x[i]) / scale
        out[i] = np.float32(min(max(v, -64.0), 64.0))
    return out


def _median_abs(x: np.ndarray) -> float:
    """Median of |x| for finite x, as np.median computes it in float64 (mean of the middle pair)."""
    m = np.abs(x)
    n = m.size
    k = n // 2
    if n % 2:
        return float(np.partition(m, k)[k])
    part = np.partition(m, (k - 1, k))
    return float((np.float64(part[k - 1]) + np.float64(part[k])) / 2.0)


def sanitize_symbols(symbols: np.ndarray) -> np.ndarray:
    """Finite float32 soft symbols on a unit scale: NaN → 0 (erasure), scaled by the median
    magnitude and clipped at ±64 so that absurd values (corrupt files) cannot overflow metrics.

    Finite input takes a compiled single pass; the values are those of the float64 reference
    (divide in float64, clip, round to float32)."""
    x = np.asarray(symbols).ravel()
    if x.size and x.dtype in (np.float32, np.float64) and bool(np.isfinite(x).all()):
        scale = _median_abs(x)
        if scale > 0 and np.isfinite(scale):
            return _scale_clip(x, scale)
    s = np.nan_to_num(np.asarray(x, dtype=np.float64), nan=0.0, posinf=1e30, neginf=-1e30)
    mag = np.abs(s)
    scale = float(np.median(mag)) if s.size else 1.0
    if not np.isfinite(scale) or scale <= 0:
        scale = float(mag.max()) if s.size and mag.max() > 0 else 1.0
    return np.clip(s / scale, -64.0, 64.0).astype(np.float32)


LANES = 16  # blocks decoded side by side in SIMD lanes (AVX2: two float32 registers)

# butterfly j's branch metric is sign_j * (y0 + y1) or sign_j * (y0 - y1): SA0/SB0 are ±1
_BM_DIFF = (_SA0 != _SB0).astype(np.int64)  # 1: uses y0 - y1 (scaled by SA0)
_BM_SIGN = _SA0.astype(np.float32)


@numba.njit(cache=True, boundscheck=False, inline="always")
def _acs_step(t: int, y0: np.ndarray, y1: np.ndarray, use_diff: np.ndarray, sign: np.ndarray, pm: np.ndarray, nx: np.ndarray,
              ssum: np.ndarray, sdif: np.ndarray, bm: np.ndarray, acc_e: np.ndarray, acc_o: np.ndarray, dec: np.ndarray) -> None:
    """One trellis step for LANES blocks: metrics pm → nx, decisions into dec[t].

    Add-compare-select as butterflies: the predecessors of states 2j and 2j+1 are j and j+32,
    and one branch metric bm_j = y0·SA0_j + y1·SB0_j = ±(y0 ± y1) (exact in float32: the
    generator signs are ±1) serves all four transitions of a butterfly. Every operation runs
    on the LANES independent blocks at once (the innermost loop, vectorised by LLVM), so no
    shuffles between states are needed. Decisions are packed in two 32-bit words per lane:
    ``dec[t, 0, lane]`` bit j for state 2j, ``dec[t, 1, lane]`` bit j for state 2j+1.
    Metrics are renormalised every 64 steps by their maximum.
    """
    for l in range(LANES):
        ssum[l] = y0[t, l] + y1[t, l]
        sdif[l] = y0[t, l] - y1[t, l]
        acc_e[l] = 0
        acc_o[l] = 0
    for j in range(32):
        sg = sign[j]
        if use_diff[j]:
            for l in range(LANES):
                bm[j, l] = sg * sdif[l]
        else:
            for l in range(LANES):
                bm[j, l] = sg * ssum[l]
    for j in range(32):
        bit = np.uint32(1) << np.uint32(j)
        for l in range(LANES):
            bmj = bm[j, l]
            lo = pm[j, l]
            hi = pm[j + 32, l]
            m0 = lo + bmj
            m1 = hi - bmj
            c0 = m1 > m0
            nx[2 * j, l] = m1 if c0 else m0
            m0b = lo - bmj
            m1b = hi + bmj
            c1 = m1b > m0b
            nx[2 * j + 1, l] = m1b if c1 else m0b
            acc_e[l] |= bit if c0 else np.uint32(0)
            acc_o[l] |= bit if c1 else np.uint32(0)
    for l in range(LANES):
        dec[t, 0, l] = acc_e[l]
        dec[t, 1, l] = acc_o[l]
    if t & 63 == 63:
        for l in range(LANES):
            mx = nx[0, l]
            for s in range(1, 64):
                if nx[s, l] > mx:
                    mx = nx[s, l]
            for s in range(64):
                nx[s, l] -= mx


@numba.njit(cache=True, boundscheck=False)
def _acs_group(y0: np.ndarray, y1: np.ndarray, use_diff: np.ndarray, sign: np.ndarray, start_known: bool, end_known: bool,
               dec: np.ndarray, bits_out: np.ndarray, final: np.ndarray) -> None:
    """Viterbi over LANES blocks: y0, y1 (T, LANES) float32 → bits_out (LANES, T), final metric (LANES,).

    Two steps per iteration with swapped metric buffers (no copy); then traceback per lane.
    """
    t_len = y0.shape[0]
    pa = np.zeros((64, LANES), np.float32)
    pb = np.empty((64, LANES), np.float32)
    if start_known:
        pa[1:, :] = np.float32(-1e9)
    ssum = np.empty(LANES, np.float32)
    sdif = np.empty(LANES, np.float32)
    bm = np.empty((32, LANES), np.float32)
    acc_e = np.empty(LANES, np.uint32)
    acc_o = np.empty(LANES, np.uint32)
    t = 0
    while t + 1 < t_len:
        _acs_step(t, y0, y1, use_diff, sign, pa, pb, ssum, sdif, bm, acc_e, acc_o, dec)
        _acs_step(t + 1, y0, y1, use_diff, sign, pb, pa, ssum, sdif, bm, acc_e, acc_o, dec)
        t += 2
    pm = pa
    if t < t_len:
        _acs_step(t, y0, y1, use_diff, sign, pa, pb, ssum, sdif, bm, acc_e, acc_o, dec)
        pm = pb
    for l in range(LANES):
        state = 0
        if not end_known:
            for s in range(1, 64):
                if pm[s, l] > pm[state, l]:
                    state = s
        final[l] = pm[state, l]
        for t in range(t_len - 1, -1, -1):
            bits_out[l, t] = state & 1
            msb = (dec[t, state & 1, l] >> (state >> 1)) & 1
            state = (state >> 1) | (int(msb) << 5)


@numba.njit(cache=True, parallel=True, boundscheck=False)
def _viterbi_groups(y0: np.ndarray, y1: np.ndarray, use_diff: np.ndarray, sign: np.ndarray, start_known: bool,
                    end_known: bool) -> tuple[np.ndarray, np.ndarray]:
    ng, t_len, _ = y0.shape
    bits = np.empty((ng * LANES, t_len), np.uint8)
    final = np.empty(ng * LANES, np.float32)
    for g in numba.prange(ng):
        dec = np.empty((t_len, 2, LANES), np.uint32)
        _acs_group(y0[g], y1[g], use_diff, sign, start_known, end_known, dec,
                   bits[g * LANES : (g + 1) * LANES], final[g * LANES : (g + 1) * LANES])
    return bits, final


def _viterbi_batch(sym: np.ndarray, start_known: bool, end_known: bool) -> tuple[np.ndarray, np.ndarray]:
    """Decode a batch of blocks sym (B, 2T) float → bits (B, T) uint8 and final metric (B,).

    Compiled (numba): blocks are grouped LANES at a time into SIMD lanes
    (:func:`_acs_group`) and the groups run in parallel threads.
    """
    s = np.asarray(sym, dtype=np.float32)
    nb, two_t = s.shape
    t_len = two_t // 2
    ng = -(-nb // LANES)
    pad = np.zeros((ng * LANES, 2 * t_len), np.float32)
    pad[:nb] = s[:, : 2 * t_len]
    g = pad.reshape(ng, LANES, t_len, 2)
    y0 = np.ascontiguousarray(g[..., 0].transpose(0, 2, 1))  # (G, T, LANES)
    y1 = np.ascontiguousarray(g[..., 1].transpose(0, 2, 1))
    bits, final = _viterbi_groups(y0, y1, _BM_DIFF, _BM_SIGN, bool(start_known), bool(end_known))
    return bits[:nb], final[:nb]


def viterbi_decode(symbols: np.ndarray, start_state_zero: bool = False, end_state_zero: bool = False) -> np.ndarray:
    """Decode one terminated or unterminated block of soft symbols (2n,) → n bits."""
    s = np.asarray(symbols, dtype=np.float32)
    if s.ndim != 1 or s.size % 2:
        raise ValidationError(f"need an even number of soft symbols, got {s.size}")
    bits, _ = _viterbi_batch(s[None, :], start_state_zero, end_state_zero)
    return bits[0]


@numba.njit(cache=True, parallel=True)
def _gather_groups(buf: np.ndarray, n_groups: int, block_bits: int, win: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlapping blocks of a padded symbol buffer, laid out for :func:`_viterbi_groups`:
    y0, y1 (G, win, LANES) and the sum of |symbols| per block."""
    y0 = np.empty((n_groups, win, LANES), np.float32)
    y1 = np.empty((n_groups, win, LANES), np.float32)
    absum = np.zeros(n_groups * LANES, np.float32)
    for g in numba.prange(n_groups):
        for l in range(LANES):
            base = 2 * ((g * LANES + l) * block_bits)
            acc = np.float32(0.0)
            for t in range(win):
                a = buf[base + 2 * t]
                b = buf[base + 2 * t + 1]
                y0[g, t, l] = a
                y1[g, t, l] = b
                acc += abs(a) + abs(b)
            absum[g * LANES + l] = acc
    return y0, y1, absum


def viterbi_decode_stream(symbols: np.ndarray, block_bits: int = 2048, overlap_bits: int = 48,
                          max_batch: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Decode a long stream of soft symbols (even length) in overlapping blocks.

    Returns (bits (n,), per-block metric quality (nblocks,)). Block k decodes bits
    [k*block - overlap, (k+1)*block + overlap) and keeps its core [k*block, (k+1)*block).
    At most ``max_batch`` blocks (rounded up to a SIMD group) are held in memory at once.
    """
    s = sanitize_symbols(np.asarray(symbols).ravel())
    n_bits = s.size // 2
    s = s[: 2 * n_bits]
    if n_bits == 0:
        return np.zeros(0, np.uint8), np.zeros(0, np.float32)
    nblk = -(-n_bits // block_bits)
    n_groups = -(-nblk // LANES)
    win = block_bits + 2 * overlap_bits
    total = n_groups * LANES * block_bits + 2 * overlap_bits
    buf = np.zeros(2 * total, dtype=np.float32)
    buf[2 * overlap_bits : 2 * overlap_bits + 2 * n_bits] = s
    per = max(1, -(-max_batch // LANES))
    core = np.empty((n_groups * LANES, block_bits), dtype=np.uint8)
    quality = np.empty(n_groups * LANES, dtype=np.float32)
    for g0 in range(0, n_groups, per):
        g1 = min(g0 + per, n_groups)
        sub = buf[2 * g0 * LANES * block_bits : 2 * (g1 * LANES * block_bits + 2 * overlap_bits)]
        y0, y1, absum = _gather_groups(sub, g1 - g0, block_bits, win)
        bits, final = _viterbi_groups(y0, y1, _BM_DIFF, _BM_SIGN, False, False)
        core[g0 * LANES : g1 * LANES] = bits[:, overlap_bits : overlap_bits + block_bits]
        quality[g0 * LANES : g1 * LANES] = final / (absum + np.float32(1e-30))
    return core.reshape(-1)[:n_bits], quality[:nblk]


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
