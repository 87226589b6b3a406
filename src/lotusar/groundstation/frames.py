"""TM (CCSDS 132.0-B-3) and AOS (CCSDS 732.0-B-4) transfer frames: headers, counters, zones.

TM primary header (6 bytes): version 00 (2 bits), spacecraft id (10), virtual channel id (3),
OCF flag (1) | master channel frame count (8) | virtual channel frame count (8) | data field
status: secondary header flag, synchronisation flag, packet order, segment length id (2),
first header pointer (11). Optional secondary header (length in its first byte), data field,
optional OCF (4 bytes, e.g. a CLCW, CCSDS 232.0-B), optional FECF (CRC-16).

AOS primary header (6 bytes): version 01, spacecraft id (8), virtual channel id (6; 63 = idle
VC) | VC frame count (24) | signalling field: replay flag, VC count cycle usage flag, spare (2),
VC count cycle (4). Optional frame header error control (2), insert zone, M_PDU (header of
5 spare bits + 11-bit first header pointer, then the packet zone), optional OCF and FECF.

First header pointer: offset of the first packet header in the packet zone; 0x7FF (2047) =
no packet starts in this frame; 0x7FE (2046) = idle data only (TM OID frames / AOS idle).

All header decoding is done for N frames at once (arrays); the per-VC counter analysis is
array work as well, with Python touching only the irregular places (gaps, duplicates).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lotusar.errors import ValidationError
from lotusar.groundstation.crc import crc16_ccitt

FHP_NO_START = 0x7FF
FHP_IDLE = 0x7FE
AOS_IDLE_VCID = 63


@dataclass(frozen=True)
class FrameConfig:
    """Layout of a mission's transfer frames."""

    kind: str = "aos"  # "aos" | "tm"
    length: int = 892  # transfer frame bytes (without ASM and RS parity)
    scid: int | None = None  # expected spacecraft id (None: accept any)
    ocf: bool = False  # AOS: OCF present (TM: per-frame flag in the header)
    fecf: bool = False
    insert_zone: int = 0  # AOS insert zone bytes
    fhec: bool = False  # AOS frame header error control (2 bytes; not verified here)

    def __post_init__(self) -> None:
        if self.kind not in ("aos", "tm"):
            raise ValidationError(f"frame kind must be 'aos' or 'tm', not {self.kind!r}")
        if self.length < self.header_len + 8 or self.length > 2048 * 8:
            raise ValidationError(f"frame length {self.length} out of range")

    @property
    def header_len(self) -> int:
        if self.kind == "tm":
            return 6
        return 6 + (2 if self.fhec else 0) + self.insert_zone + 2  # includes the M_PDU header

    @property
    def trailer_len(self) -> int:
        return (4 if self.ocf else 0) + (2 if self.fecf else 0)

    @property
    def vc_modulus(self) -> int:
        return 256 if self.kind == "tm" else 1 << 24

    def zone_len(self, ocf_present: bool | None = None) -> int:
        ocf = self.ocf if ocf_present is None else ocf_present
        return self.length - self.header_len - (4 if ocf else 0) - (2 if self.fecf else 0)


@dataclass
class FrameHeaders:
    """Decoded primary headers of N frames (arrays)."""

    version: np.ndarray
    scid: np.ndarray
    vcid: np.ndarray
    vc_count: np.ndarray
    mc_count: np.ndarray  # TM only (-1 for AOS)
    fhp: np.ndarray
    ocf_flag: np.ndarray
    sec_hdr: np.ndarray  # TM secondary header flag
    replay: np.ndarray  # AOS replay flag


def decode_headers(frames: np.ndarray, cfg: FrameConfig) -> FrameHeaders:
    """Primary header fields of frames (N, length) uint8."""
    full = np.atleast_2d(frames)
    hl = 6 + (2 if cfg.fhec else 0) + cfg.insert_zone + 2
    f = full[:, :hl].astype(np.int64)  # only the header bytes
    b0, b1, b2, b3, b4, b5 = (f[:, i] for i in range(6))
    n = f.shape[0]
    if cfg.kind == "tm":
        return FrameHeaders(
            version=b0 >> 6,
            scid=((b0 & 0x3F) << 4) | (b1 >> 4),
            vcid=(b1 >> 1) & 7,
            vc_count=b3,
            mc_count=b2,
            fhp=((b4 & 7) << 8) | b5,
            ocf_flag=(b1 & 1).astype(bool),
            sec_hdr=(b4 >> 7).astype(bool),
            replay=np.zeros(n, bool),
        )
    h = 6 + (2 if cfg.fhec else 0) + cfg.insert_zone
    m0, m1 = f[:, h], f[:, h + 1]
    return FrameHeaders(
        version=b0 >> 6,
        scid=((b0 & 0x3F) << 2) | (b1 >> 6),
        vcid=b1 & 0x3F,
        vc_count=(b2 << 16) | (b3 << 8) | b4,
        mc_count=np.full(n, -1, np.int64),
        fhp=((m0 & 7) << 8) | m1,
        ocf_flag=np.full(n, cfg.ocf, bool),
        sec_hdr=np.zeros(n, bool),
        replay=(b5 >> 7).astype(bool),
    )


def build_frames(
    zones: np.ndarray,
    fhp: np.ndarray,
    cfg: FrameConfig,
    scid: int,
    vcid: int,
    vc_count0: int = 0,
    mc_count0: int = 0,
    ocf_words: np.ndarray | None = None,
) -> np.ndarray:
    """Assemble N frames from packet zones (N, zone_len) and first header pointers (N,)."""
    z = np.atleast_2d(np.asarray(zones, dtype=np.uint8))
    n = z.shape[0]
    out = np.zeros((n, cfg.length), dtype=np.uint8)
    cnt = (vc_count0 + np.arange(n)) % cfg.vc_modulus
    fh = np.asarray(fhp, dtype=np.int64)
    if cfg.kind == "tm":
        w0 = (0 << 14) | ((scid & 0x3FF) << 4) | ((vcid & 7) << 1) | int(cfg.ocf)
        out[:, 0] = w0 >> 8
        out[:, 1] = w0 & 0xFF
        out[:, 2] = (mc_count0 + np.arange(n)) % 256
        out[:, 3] = cnt
        dfs = (0 << 15) | (0 << 14) | (0 << 13) | (3 << 11) | fh
        out[:, 4] = dfs >> 8
        out[:, 5] = dfs & 0xFF
    else:
        w0 = (1 << 14) | ((scid & 0xFF) << 6) | (vcid & 0x3F)
        out[:, 0] = w0 >> 8
        out[:, 1] = w0 & 0xFF
        out[:, 2] = cnt >> 16
        out[:, 3] = (cnt >> 8) & 0xFF
        out[:, 4] = cnt & 0xFF
        out[:, 5] = 0
        h = 6 + (2 if cfg.fhec else 0) + cfg.insert_zone
        out[:, h] = (fh >> 8) & 7
        out[:, h + 1] = fh & 0xFF
    hl = cfg.header_len
    zl = cfg.zone_len()
    if z.shape[1] != zl:
        raise ValidationError(f"packet zone is {z.shape[1]} bytes, frame layout needs {zl}")
    out[:, hl : hl + zl] = z
    if cfg.ocf:
        words = np.zeros(n, np.uint32) if ocf_words is None else np.asarray(ocf_words, np.uint32)
        o = hl + zl
        for k in range(4):
            out[:, o + k] = (words >> np.uint32(24 - 8 * k)) & 0xFF
    if cfg.fecf:
        crc = crc16_ccitt(out[:, :-2])
        out[:, -2] = crc >> 8
        out[:, -1] = crc & 0xFF
    return out


def idle_frames(n: int, cfg: FrameConfig, scid: int) -> np.ndarray:
    """Idle frames (AOS: VCID 63; TM: VCID 7 with FHP 0x7FE) filled with the idle pattern 0x55."""
    zones = np.full((n, cfg.zone_len()), 0x55, dtype=np.uint8)
    vcid = AOS_IDLE_VCID if cfg.kind == "aos" else 7
    return build_frames(zones, np.full(n, FHP_IDLE), cfg, scid, vcid)


def clcw_fields(word: int) -> dict:
    """Decode a CLCW (CCSDS 232.0-B §4.2) from a 32-bit OCF word."""
    return {
        "control_word_type": (word >> 31) & 1,
        "version": (word >> 29) & 3,
        "status": (word >> 26) & 7,
        "cop_in_effect": (word >> 24) & 3,
        "vcid": (word >> 18) & 0x3F,
        "no_rf_available": bool((word >> 15) & 1),
        "no_bit_lock": bool((word >> 14) & 1),
        "lockout": bool((word >> 13) & 1),
        "wait": bool((word >> 12) & 1),
        "retransmit": bool((word >> 11) & 1),
        "farm_b_counter": (word >> 9) & 3,
        "report_value": word & 0xFF,
    }


def make_clcw(vcid: int, report_value: int, lockout: bool = False, wait: bool = False, retransmit: bool = False) -> int:
    """Build a CLCW word (type 0, version 00, COP-1 in effect)."""
    return (1 << 24) | ((vcid & 0x3F) << 18) | (int(lockout) << 13) | (int(wait) << 12) | (int(retransmit) << 11) | (report_value & 0xFF)


def ocf_words(frames: np.ndarray, cfg: FrameConfig, hdr: FrameHeaders) -> np.ndarray:
    """OCF words of frames that carry one (others 0)."""
    f = np.atleast_2d(frames)
    o = cfg.length - (2 if cfg.fecf else 0) - 4
    w = (f[:, o].astype(np.uint32) << 24) | (f[:, o + 1].astype(np.uint32) << 16) | (f[:, o + 2].astype(np.uint32) << 8) | f[:, o + 3]
    return np.where(hdr.ocf_flag, w, 0)


def zone_bounds(frames: np.ndarray, cfg: FrameConfig, hdr: FrameHeaders) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) of each frame's packet zone (TM secondary header skipped)."""
    f = np.atleast_2d(frames)
    n = f.shape[0]
    start = np.full(n, cfg.header_len, dtype=np.int64)
    if cfg.kind == "tm":
        sh = hdr.sec_hdr
        if sh.any():
            shl = (f[:, 6].astype(np.int64) & 0x3F) + 1
            start = np.where(sh, start + shl, start)
    end = cfg.length - (2 if cfg.fecf else 0) - np.where(hdr.ocf_flag, 4, 0)
    return start, np.maximum(end, start)


def counter_analysis(counts: np.ndarray, modulus: int) -> tuple[np.ndarray, np.ndarray]:
    """For a VC's frame counts in received order: (missing frames before each frame, duplicate?).

    ``missing[i]`` = frames lost between frame i−1 and i (0 for contiguous); a count equal to
    the previous is a duplicate. A large backward jump (more than half the modulus) is treated as
    a counter reset/out-of-order frame and reported as a gap of unknown size (-1).
    """
    c = np.asarray(counts, dtype=np.int64)
    missing = np.zeros(c.size, dtype=np.int64)
    dup = np.zeros(c.size, dtype=bool)
    if c.size < 2:
        return missing, dup
    d = (c[1:] - c[:-1]) % modulus
    dup[1:] = d == 0
    miss = d - 1
    miss[d == 0] = 0
    miss[d > modulus // 2] = -1
    missing[1:] = miss
    return missing, dup
