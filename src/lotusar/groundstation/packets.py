"""CCSDS Space Packets (CCSDS 133.0-B-2): headers, robust stream parsing, checksums.

Primary header (6 bytes, big-endian): version (3 bits, 000), type (1), secondary header flag
(1), APID (11; 2047 = idle packet), sequence flags (2; 3 = unsegmented), sequence count (14),
packet data length (16) = data-field bytes − 1. A packet is 7 … 65 542 bytes.

Parsing a damaged stream: a header is *plausible* when its version is 0, its length fits the
profile's limits and its APID is allowed; it is *accepted* when the header that follows it
is plausible too (or it ends the stream exactly). After an unusable header the parser skips to
the next offset from which three plausible headers chain (a strong resync point) and reports
the skipped bytes as a ``garbage`` defect; a last packet that runs past the end is reported as
``truncated_packet``. Plausibility and the chains are computed for every byte offset at once
(array work); only accepted packets are walked in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IDLE_APID = 2047
HEADER_LEN = 6
SEQ_MOD = 16384


@dataclass(frozen=True)
class Defect:
    """One problem found in the input: byte offset in the input, kind, one-line detail."""

    offset: int
    kind: str
    detail: str

    def as_dict(self) -> dict:
        return {"offset": int(self.offset), "kind": self.kind, "detail": self.detail}


@dataclass
class Packet:
    """A Space Packet with its primary-header fields and where it came from."""

    data: bytes
    offset: int  # offset in the input (first byte), or of the frame that holds its header
    apid: int
    seq_flags: int
    seq_count: int
    ptype: int
    sec_hdr: int
    vcid: int = -1

    @property
    def length(self) -> int:
        return len(self.data)


@dataclass
class ParseLimits:
    """What a plausible header looks like for this mission."""

    min_len: int = 7
    max_len: int = 65542
    apids: frozenset[int] | None = None  # allowed APIDs (None: any); 2047 always allowed
    checksum: str | None = None  # None or "sum16" (16-bit sum of all preceding bytes, big-endian)
    strong_chain: int = 3  # headers that must chain for a resync point
    version: int | None = 0  # packet version number (CCSDS: 0); None accepts any


def header_fields(pkt: bytes | np.ndarray) -> dict:
    """Decode the six primary-header fields of one packet (bytes)."""
    b = bytes(pkt[:6])
    w0 = (b[0] << 8) | b[1]
    w1 = (b[2] << 8) | b[3]
    return {
        "version": w0 >> 13,
        "type": (w0 >> 12) & 1,
        "sec_hdr": (w0 >> 11) & 1,
        "apid": w0 & 0x7FF,
        "seq_flags": w1 >> 14,
        "seq_count": w1 & 0x3FFF,
        "data_length": ((b[4] << 8) | b[5]) + 1,
    }


def make_packet(apid: int, seq_count: int, payload: bytes, ptype: int = 0, sec_hdr: int = 0, seq_flags: int = 3) -> bytes:
    """Build a Space Packet from its fields (payload = whole data field, 1..65536 bytes)."""
    if not payload:
        raise ValueError("packet data field must hold at least one byte")
    w0 = (ptype & 1) << 12 | (sec_hdr & 1) << 11 | (apid & 0x7FF)
    w1 = (seq_flags & 3) << 14 | (seq_count % SEQ_MOD)
    n = len(payload) - 1
    return bytes([w0 >> 8, w0 & 0xFF, w1 >> 8, w1 & 0xFF, n >> 8, n & 0xFF]) + bytes(payload)


def sum16_ok(pkt: bytes) -> bool:
    """CYGNSS-style checksum: last 16 bits = sum of all preceding bytes mod 65536."""
    if len(pkt) < 8:
        return False
    arr = np.frombuffer(pkt, dtype=np.uint8)
    return int(arr[:-2].sum(dtype=np.int64) & 0xFFFF) == ((pkt[-2] << 8) | pkt[-1])


def _plausible(buf: np.ndarray, limits: ParseLimits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every offset: (plausible packet?, plausible header ignoring the checksum?, end offset).

    With a ``sum16`` checksum the packet sum is checked at every offset at once from a running
    sum (sum of bytes [o, e-2) = C[e-2] - C[o]).
    """
    n = buf.size
    ok = np.zeros(n + 1, dtype=bool)
    ends = np.full(n + 1, -1, dtype=np.int64)
    m = n - HEADER_LEN + 1
    if m <= 0:
        return ok, ok.copy(), ends
    b0 = buf[:m].astype(np.int64)
    ln = (buf[4 : 4 + m].astype(np.int64) << 8 | buf[5 : 5 + m]) + 7
    p = ((b0 >> 5) == limits.version) if limits.version is not None else np.ones(m, dtype=bool)
    # an all-zero header (APID 0, count 0, 7 bytes) is zero fill, not a packet
    p &= (buf[:m] | buf[1 : 1 + m] | buf[2 : 2 + m] | buf[3 : 3 + m] | buf[4 : 4 + m] | buf[5 : 5 + m]) != 0
    p &= (ln >= limits.min_len) & (ln <= limits.max_len)
    if limits.apids is not None:
        apid = (b0 & 0x7) << 8 | buf[1 : 1 + m]
        allowed = np.zeros(2048, dtype=bool)
        allowed[list(limits.apids)] = True
        allowed[IDLE_APID] = True
        p &= allowed[apid]
    ok[:m] = p
    ends[:m] = np.arange(m) + ln
    ok_struct = ok.copy()
    if limits.checksum == "sum16":
        csum = np.concatenate([[0], np.cumsum(buf, dtype=np.int64)])
        e = ends[:m]
        inside = p & (e <= n)
        ei = np.where(inside, e, HEADER_LEN + np.arange(m))
        total = (csum[ei - 2] - csum[np.arange(m)]) & 0xFFFF
        stored = buf[np.clip(ei - 2, 0, n - 1)].astype(np.int64) << 8 | buf[np.clip(ei - 1, 0, n - 1)]
        ok[:m] &= ~inside | (total == stored)
    return ok, ok_struct, ends


def _chains(ok: np.ndarray, ends: np.ndarray, n: int, depth: int, end_ok: bool = True, last: np.ndarray | None = None) -> np.ndarray:
    """chain[o]: o starts depth+1 plausible headers in a row (or, with end_ok, reaches the end exactly).

    ``last``: the test for the final header of the chain (default: ``ok``).
    """
    fits = ok & (ends <= n)
    nxt = np.clip(ends, 0, n)
    at_end = (ends == n) if end_ok else np.zeros_like(fits)
    chain = fits & (at_end | (ok if last is None else last)[nxt])
    for _ in range(depth - 1):
        chain = fits & (at_end | chain[nxt])
    return chain


def _sum16(raw: bytes, o: int, e: int) -> bool:
    return (sum(raw[o : e - 2]) & 0xFFFF) == ((raw[e - 2] << 8) | raw[e - 1])


def _header_end(raw: bytes, o: int, n: int, limits: ParseLimits, structural: bool = False) -> int:
    """End offset of a plausible header at ``o`` (scalar twin of :func:`_plausible`), else -1."""
    if n - o < HEADER_LEN:
        return -1
    b0 = raw[o]
    if limits.version is not None and (b0 >> 5) != limits.version:
        return -1
    ln = ((raw[o + 4] << 8) | raw[o + 5]) + 7
    if ln < limits.min_len or ln > limits.max_len:
        return -1
    if not (b0 | raw[o + 1] | raw[o + 2] | raw[o + 3] | raw[o + 4] | raw[o + 5]):
        return -1
    if limits.apids is not None:
        apid = ((b0 & 7) << 8) | raw[o + 1]
        if apid != IDLE_APID and apid not in limits.apids:
            return -1
    return o + ln


def parse_stream(
    data: bytes | np.ndarray,
    limits: ParseLimits | None = None,
    base_offset: int = 0,
    anchors: np.ndarray | None = None,
    end_is_final: bool = True,
) -> tuple[list[Packet], list[Defect], int]:
    """Split a byte stream of concatenated packets; never raises on bad content.

    ``anchors`` (sorted offsets) are known packet starts (frame first-header pointers): a
    packet that runs across one is damaged (reported ``fhp_mismatch``) and parsing resumes
    there. With ``end_is_final`` False, bytes left after the last whole packet are returned
    as the unconsumed start offset (a packet continuing in a later frame) instead of being
    reported. Returns (packets, defects, offset where unconsumed bytes start).
    """
    limits = limits or ParseLimits()
    buf = np.frombuffer(bytes(data), dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    raw = buf.tobytes()
    n = buf.size
    arrays = None

    def need_arrays():
        ok, ok_struct, ends = _plausible(buf, limits)
        return (ok, ok_struct, ends, np.flatnonzero(_chains(ok, ends, n, limits.strong_chain)),
                _chains(ok, ends, n, 1, last=ok_struct), np.flatnonzero(_chains(ok, ends, n, 2, end_ok=False)))

    anc = np.asarray(anchors if anchors is not None else [], dtype=np.int64).tolist()
    packets: list[Packet] = []
    defects: list[Defect] = []
    o = 0
    ai = 0
    n_anc = len(anc)
    while o < n:
        while ai < n_anc and anc[ai] < o:
            ai += 1
        next_anchor = anc[ai] if ai < n_anc else None
        # fast path (no arrays): a plausible header followed by a plausible header or the end
        e = _header_end(raw, o, n, limits)
        if limits.checksum == "sum16":
            # a verified checksum is evidence enough, whatever follows
            accept = 0 < e <= n and _sum16(raw, o, e)
        else:
            accept = 0 < e <= n and (e == n or _header_end(raw, e, n, limits, structural=True) > 0)
        if not accept:
            if arrays is None:
                arrays = need_arrays()
            ok, ok_struct, ends, strong, weak_chain, inner = arrays
            e = int(ends[o])
            accept = bool(weak_chain[o]) or (limits.checksum == "sum16" and bool(ok[o]) and 0 < e <= n)
        if accept and next_anchor is not None and o < next_anchor < e:
            defects.append(
                Defect(
                    base_offset + o,
                    "fhp_mismatch",
                    f"packet at byte {o} of the zone runs across the first-header pointer at {next_anchor}; dropped",
                )
            )
            o = next_anchor
            continue
        if accept:
            pkt = raw[o:e]
            b0, b1, b2, b3 = pkt[0], pkt[1], pkt[2], pkt[3]
            packets.append(
                Packet(pkt, base_offset + o, ((b0 & 7) << 8) | b1, b2 >> 6, ((b2 & 0x3F) << 8) | b3, (b0 >> 4) & 1, (b0 >> 3) & 1)
            )
            o = e
            continue
        es = int(ends[o])
        if ok_struct[o] and not ok[o] and es <= n and (es == n or weak_chain[es]):
            # header and framing intact, body damaged: report and step over it
            h = header_fields(raw[o : o + HEADER_LEN])
            defects.append(
                Defect(base_offset + o, "checksum_error", f"APID {h['apid']} seq {h['seq_count']}: 16-bit sum mismatch; packet dropped")
            )
            o = es
            continue
        # resync point: next strong chain start (or next anchor, whichever first)
        k = np.searchsorted(strong, o + 1)
        nxt = int(strong[k]) if k < strong.size else n
        if next_anchor is not None and o < next_anchor < nxt:
            nxt = next_anchor
        later_real = np.searchsorted(inner, o + 1) < inner.size
        if nxt >= n or not later_real:
            tail_header = (n - o < HEADER_LEN) and (limits.version is None or (buf[o] >> 5) == limits.version)
            if (ok[o] and e > n) or tail_header:
                if not end_is_final:
                    return packets, defects, o
                need = f"needs {e - o} bytes" if ok[o] else "has no complete header"
                defects.append(Defect(base_offset + o, "truncated_packet", f"last packet {need}, only {n - o} bytes left; dropped"))
                return packets, defects, n
        defects.append(Defect(base_offset + o, "garbage", f"{nxt - o} bytes without a valid packet header skipped"))
        o = nxt
    return packets, defects, n


def learn_apids(data: bytes | np.ndarray, limits: ParseLimits | None = None, min_count: int = 1) -> frozenset[int]:
    """APIDs that start strong header chains at least ``min_count`` times (a mission's APID set).

    Used when no APID list is configured, so that random bytes rarely pass as packets.
    """
    limits = limits or ParseLimits()
    buf = np.frombuffer(bytes(data), dtype=np.uint8) if not isinstance(data, np.ndarray) else data
    ok, _, ends = _plausible(buf, limits)
    strong = np.flatnonzero(_chains(ok, ends, buf.size, limits.strong_chain, end_ok=False))
    if strong.size == 0:
        return frozenset()
    apid = (buf[strong].astype(np.int64) & 7) << 8 | buf[strong + 1]
    vals, counts = np.unique(apid, return_counts=True)
    return frozenset(int(v) for v, c in zip(vals, counts) if c >= min_count)


def split_by_apid(packets: list[Packet]) -> dict[int, list[Packet]]:
    """Group packets by APID, keeping their order."""
    out: dict[int, list[Packet]] = {}
    for p in packets:
        out.setdefault(p.apid, []).append(p)
    return out
