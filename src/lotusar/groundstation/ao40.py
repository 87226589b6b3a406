"""The AO-40 FEC chain (P. Karn, 2002), used by AO-73/FUNcube and other amateur satellites.

Built from CCSDS parts: a 256-byte frame is split into two RS(255,223) codewords in the
conventional basis, shortened to (160,128) and byte-interleaved (depth 2); the 320 bytes are
XORed with the CCSDS randomiser sequence, convolutionally encoded (K=7 r=1/2 CCSDS, encoder
starting in state 0, six zero tail bits → 5132 symbols) and block-interleaved with a 65-bit sync
vector: an 80-row × 65-column matrix whose first row is the sync vector, followed by the code
symbols row by row (plus 3 padding symbols), is sent column by column (5200 symbols).

The receiver finds the sync vector at stride 80 by correlating the soft symbols with it (both
polarities, all offsets at once with an FFT correlation), reads the matrix back, runs the
terminated Viterbi decoder, derandomises and RS-decodes both codewords.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve

from lotusar.groundstation import convolutional as conv
from lotusar.groundstation import reedsolomon as rs
from lotusar.groundstation.randomizer import pn_sequence

SYNC_BITS = np.array([int(c) for c in "1111111000011101111001011001001000000100010011000101110101101100" "0"], dtype=np.uint8)
ROWS, COLS = 80, 65
FRAME_SYMBOLS = ROWS * COLS  # 5200
CODE_SYMBOLS = 5132
DATA_BYTES = 256


def encode_frame(frame: bytes) -> np.ndarray:
    """256-byte frame → 5200 channel bits (0/1) in transmit order."""
    f = np.frombuffer(bytes(frame), np.uint8)
    if f.size != DATA_BYTES:
        raise ValueError(f"AO-40 frames are {DATA_BYTES} bytes, got {f.size}")
    cw = rs.encode(np.stack([f[0::2], f[1::2]]), dual=False)  # (2, 160)
    inter = rs.interleave(cw, 2)[0]  # 320 bytes: A0 B0 A1 B1 …
    scr = inter ^ pn_sequence(inter.size)
    sym = conv.encode(np.unpackbits(scr), state=0, tail=True)  # 5132
    m = np.zeros(FRAME_SYMBOLS, np.uint8)
    m[:COLS] = SYNC_BITS
    m[COLS : COLS + CODE_SYMBOLS] = sym
    return m.reshape(ROWS, COLS).T.ravel()


def _sync_kernel() -> np.ndarray:
    k = np.zeros((COLS - 1) * ROWS + 1, np.float32)
    k[:: ROWS] = 2.0 * SYNC_BITS - 1.0
    return k


def find_frames(symbols: np.ndarray, threshold: float = 0.6) -> list[tuple[int, bool]]:
    """Start offsets of AO-40 frames in a soft-symbol stream → [(offset, inverted)]."""
    s = np.asarray(symbols, np.float32)
    if s.size < FRAME_SYMBOLS:
        return []
    k = _sync_kernel()
    corr = fftconvolve(s, k[::-1], mode="valid")  # corr[i] = sum_j k[j] s[i+j]
    norm = fftconvolve(np.abs(s), np.abs(k)[::-1], mode="valid") + 1e-12
    score = corr / norm
    score = score[: s.size - FRAME_SYMBOLS + 1]
    out = []
    i = 0
    cand = np.flatnonzero(np.abs(score) >= threshold)
    for c in cand:
        if c < i:
            continue
        # best peak within a frame's span
        w = cand[(cand >= c) & (cand < c + FRAME_SYMBOLS // 2)]
        best = int(w[np.argmax(np.abs(score[w]))])
        out.append((best, bool(score[best] < 0)))
        i = best + FRAME_SYMBOLS
    return out


def decode_frame_symbols(frame_symbols: np.ndarray) -> dict:
    """5200 soft symbols (sync first, transmit order) → decoded frame and diagnostics."""
    s = np.asarray(frame_symbols, np.float32)
    m = s.reshape(COLS, ROWS).T.ravel()
    code = m[COLS : COLS + CODE_SYMBOLS]
    bits = conv.viterbi_decode(code, start_state_zero=True, end_state_zero=True)[:2560]
    post_viterbi = np.packbits(bits)
    hard = conv.encode(bits, tail=True)
    channel_errors = int(((code > 0).astype(np.uint8) != hard).sum())
    inter = post_viterbi ^ pn_sequence(post_viterbi.size)
    cws = rs.deinterleave(inter[None, :], 2)
    r = rs.decode(cws, dual=False)
    ok = bool((r.corrected >= 0).all())
    frame = np.empty(DATA_BYTES, np.uint8)
    frame[0::2] = r.codewords[0, :128]
    frame[1::2] = r.codewords[1, :128]
    return {
        "post_viterbi": post_viterbi.tobytes(),
        "frame": frame.tobytes(),
        "rs_corrected": [int(c) for c in r.corrected],
        "viterbi_corrected_symbols": channel_errors,
        "ok": ok,
    }


def decode_ao40_stream(symbols: np.ndarray) -> list[dict]:
    """All AO-40 frames in a soft-symbol stream → records (offset, status, frame_hex, …)."""
    s = np.asarray(symbols, np.float32)
    out = []
    for off, inv in find_frames(s):
        seg = s[off : off + FRAME_SYMBOLS]
        if inv:
            seg = -seg
        d = decode_frame_symbols(seg)
        rec = {
            "offset": int(off),
            "inverted": inv,
            "rs_corrected": d["rs_corrected"],
            "viterbi_corrected_symbols": d["viterbi_corrected_symbols"],
        }
        if d["ok"]:
            rec.update(status="ok", frame_hex=d["frame"].hex())
        else:
            rec.update(status="rejected", reason="RS codeword uncorrectable")
        out.append(rec)
    return out
