"""Frame synchronisation on the attached sync marker (CCSDS 131.0-B-4 §9).

The 32-bit ASM 0x1ACFFC1D precedes every codeblock (CADU = ASM + codeblock). The
synchroniser works on bytes holding a bit stream (MSB first) at any bit alignment:

* The Hamming distance between the ASM and the 32 bits starting at *every* bit position is
  computed at once: for each of the 8 bit shifts, 40-bit big-endian windows of the byte
  array are shifted into place and ``bitwise_count(window ^ ASM)`` gives the distance;
  a distance ≥ 32 − e means the ASM with inverted polarity (a 180° phase ambiguity).
* A search/lock state machine (as in CCSDS 130.1-G "frame synchronizer"): in *search*
  the ASM must match within ``search_errors`` bits; once locked, the next marker is
  expected exactly one CADU later and is accepted within ``lock_errors`` bits (flywheel).
  A marker found early (bit slip: bits lost) or late (bits inserted / garbage) is reported
  with its bit offset and the affected frame is dropped rather than passed damaged.

A fast path handles a clean byte-aligned file of whole CADUs with one array comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lotusar.groundstation.packets import Defect

ASM = 0x1ACFFC1D
ASM_BYTES = ASM.to_bytes(4, "big")


@dataclass
class SyncResult:
    """Codeblocks found in a stream and where they started."""

    codeblocks: np.ndarray  # (N, L) uint8, polarity corrected
    bit_offsets: np.ndarray  # (N,) bit offset of each ASM in the stream
    inverted: np.ndarray  # (N,) bool
    defects: list[Defect]


def asm_distances(buf: np.ndarray, asm: int = ASM) -> np.ndarray:
    """Hamming distance between ``asm`` and the 32 bits at every bit offset → (8*len-31,) uint8."""
    b = np.asarray(buf, dtype=np.uint8)
    n = b.size
    if n < 4:
        return np.zeros(0, dtype=np.uint8)
    pad = np.concatenate([b, np.zeros(4, np.uint8)]).astype(np.uint64)
    w = (
        (pad[:n] << np.uint64(32))
        | (pad[1 : n + 1] << np.uint64(24))
        | (pad[2 : n + 2] << np.uint64(16))
        | (pad[3 : n + 3] << np.uint64(8))
        | pad[4 : n + 4]
    )
    out = np.empty((n, 8), dtype=np.uint8)
    a = np.uint64(asm)
    mask = np.uint64(0xFFFFFFFF)
    for s in range(8):
        win = (w >> np.uint64(8 - s)) & mask
        out[:, s] = np.bitwise_count(win ^ a)
    d = out.reshape(-1)
    return d[: 8 * n - 31]


def _extract(buf: np.ndarray, bit_pos: np.ndarray, n_bytes: int) -> np.ndarray:
    """Bytes of length n_bytes starting at arbitrary bit positions → (N, n_bytes)."""
    if bit_pos.size == 0:
        return np.zeros((0, n_bytes), np.uint8)
    byte0 = bit_pos // 8
    shift = (bit_pos % 8).astype(np.uint16)
    pad = np.concatenate([buf, np.zeros(n_bytes + 2, np.uint8)])
    idx = byte0[:, None] + np.arange(n_bytes + 1)[None, :]
    chunk = pad[idx].astype(np.uint16)
    val = (chunk[:, :-1] << 8) | chunk[:, 1:]
    return ((val << shift[:, None]) >> 8).astype(np.uint8)


def frame_sync(
    data: bytes | np.ndarray,
    cadu_len: int,
    asm: int = ASM,
    search_errors: int = 3,
    lock_errors: int = 8,
    bit_units: float = 1 / 8,
) -> SyncResult:
    """Find CADUs of ``cadu_len`` bytes (ASM included) in a bit stream packed in bytes.

    ``bit_units`` converts a bit position into the input offset reported in defects (1/8 for
    byte files: byte offsets).
    """
    buf = np.frombuffer(bytes(data), dtype=np.uint8) if not isinstance(data, np.ndarray) else np.asarray(data, np.uint8)
    n = buf.size
    cb_len = cadu_len - 4
    defects: list[Defect] = []
    # fast path: byte-aligned, whole CADUs, every ASM exact and same polarity
    if n and n % cadu_len == 0:
        view = buf.reshape(-1, cadu_len)
        heads = view[:, :4]
        if (heads == np.frombuffer(ASM_BYTES, np.uint8)).all():
            pos = np.arange(view.shape[0], dtype=np.int64) * cadu_len * 8
            return SyncResult(view[:, 4:], pos, np.zeros(len(pos), bool), defects)
    dist = asm_distances(buf, asm).astype(np.int16)
    total_bits = 8 * n
    period = cadu_len * 8
    cand = np.flatnonzero((dist <= search_errors) | (dist >= 32 - search_errors))
    positions: list[int] = []
    inverted: list[bool] = []

    def off(bit: int) -> int:
        return int(bit * bit_units)

    i = 0
    p = int(cand[0]) if cand.size else -1
    if p > 0:
        defects.append(Defect(0, "sync_search", f"{p} bits before the first sync marker skipped"))
    elif p < 0 and total_bits:
        defects.append(Defect(0, "no_sync", f"no sync marker in {total_bits} bits; nothing decoded"))
    while p >= 0 and p + period <= total_bits:
        positions.append(p)
        inverted.append(bool(dist[p] >= 16))
        q = p + period
        if q + 32 <= total_bits and (dist[q] <= lock_errors or dist[q] >= 32 - lock_errors):
            p = q  # flywheel: marker where expected
            continue
        if q + 32 > total_bits:
            p = q
            break
        # lost lock: next candidate after p
        i = int(np.searchsorted(cand, p + 1))
        if i >= cand.size:
            defects.append(Defect(off(q), "sync_loss", f"no sync marker after bit {q}; {total_bits - q} bits not decoded"))
            p = -1
            break
        nq = int(cand[i])
        if nq > q and (nq - q) % period == 0:
            # still in step: the markers in between were too damaged to see; keep those
            # frames (the RS decoder decides on them) and stay locked
            for k in range(q, nq, period):
                positions.append(k)
                inverted.append(inverted[-1])
            p = nq
            continue
        if nq < q:
            # bits lost inside the previous frame: it is short and damaged
            positions.pop()
            inverted.pop()
            defects.append(Defect(off(p), "sync_slip", f"next sync marker {q - nq} bits early (bits lost); frame at bit {p} dropped"))
        else:
            defects.append(
                Defect(
                    off(q),
                    "sync_slip" if nq - q < period else "garbage",
                    f"{nq - q} bits between frames skipped before the next sync marker",
                )
            )
        p = nq
    if p >= 0 and p < total_bits and p + period > total_bits and total_bits - p >= 32:
        if dist[p] <= lock_errors or dist[p] >= 32 - lock_errors:
            defects.append(Defect(off(p), "truncated_frame", f"last frame has {(total_bits - p) // 8} of {cadu_len} bytes; dropped"))
    pos = np.asarray(positions, dtype=np.int64)
    inv = np.asarray(inverted, dtype=bool)
    blocks = _extract(buf, pos + 32, cb_len)
    blocks[inv] ^= 0xFF
    return SyncResult(blocks, pos, inv, defects)
