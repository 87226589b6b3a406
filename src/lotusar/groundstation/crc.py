"""CRC-16 frame checks: CCSDS FECF (CRC-16/CCITT-FALSE) and the AX.25/HDLC FCS (CRC-16/X.25).

CCSDS 132.0-B §4.1.6 / 732.0-B §4.1.6: generator x^16+x^12+x^5+1 (0x1021), register preset to
all ones, no reflection, no final XOR, sent big-endian after the frame; the CRC over frame +
FECF is 0 (the residue property used to check). AX.25 (ISO 3309 HDLC): same polynomial,
reflected, preset 0xFFFF, final XOR 0xFFFF, sent least-significant byte first.

Table-driven (one 256-entry table) and vectorised over many equal-length frames: the loop runs
over byte positions while each step updates all frames at once.
"""

from __future__ import annotations

import numpy as np


def _table_msb(poly: int) -> np.ndarray:
    t = np.zeros(256, dtype=np.uint16)
    for i in range(256):
        c = i << 8
        for _ in range(8):
            c = ((c << 1) ^ poly) if c & 0x8000 else (c << 1)
        t[i] = c & 0xFFFF
    return t


def _table_lsb(poly_reflected: int) -> np.ndarray:
    t = np.zeros(256, dtype=np.uint16)
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly_reflected if c & 1 else c >> 1
        t[i] = c
    return t


_T_CCITT = _table_msb(0x1021)
_T_X25 = _table_lsb(0x8408)


def crc16_ccitt(data: bytes | np.ndarray, init: int = 0xFFFF) -> int | np.ndarray:
    """CRC-16/CCITT-FALSE of one byte string (→ int) or of frames (N, L) uint8 (→ (N,) uint16)."""
    arr = np.frombuffer(data, dtype=np.uint8) if isinstance(data, (bytes, bytearray, memoryview)) else np.asarray(data, dtype=np.uint8)
    if arr.ndim == 1:
        crc = init
        t = _T_CCITT
        for b in arr.tolist():
            crc = ((crc << 8) & 0xFFFF) ^ int(t[(crc >> 8) ^ b])
        return crc
    crcs = np.full(arr.shape[0], init, dtype=np.uint16)
    for j in range(arr.shape[1]):
        crcs = (crcs << np.uint16(8)) ^ _T_CCITT[(crcs >> np.uint16(8)) ^ arr[:, j]]
    return crcs


def crc16_x25(data: bytes | np.ndarray) -> int:
    """CRC-16/X.25 (AX.25 FCS) of a byte string."""
    crc = 0xFFFF
    t = _T_X25
    for b in bytes(data):
        crc = (crc >> 8) ^ int(t[(crc ^ b) & 0xFF])
    return crc ^ 0xFFFF


def crc_generic(data: bytes, width: int, poly: int, init: int, refin: bool, refout: bool, xorout: int) -> int:
    """Bitwise reference CRC of any width in the Rocksoft/RevEng parameter model (known answers).

    CRC-32C (Castagnoli) is the CSP packet CRC used by many CubeSats.
    """
    top = 1 << (width - 1)
    mask = (1 << width) - 1
    crc = init
    for b in bytes(data):
        if refin:
            b = int(f"{b:08b}"[::-1], 2)
        crc ^= b << (width - 8)
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & mask if crc & top else (crc << 1) & mask
    if refout:
        crc = int(f"{crc:0{width}b}"[::-1], 2)
    return crc ^ xorout


def crc16_generic(data: bytes, poly: int, init: int, refin: bool, refout: bool, xorout: int) -> int:
    """16-bit :func:`crc_generic`."""
    return crc_generic(data, 16, poly, init, refin, refout, xorout)


def fecf_ok(frames: np.ndarray) -> np.ndarray:
    """True per frame (N, L) whose last two bytes are a valid CCSDS FECF (CRC residue zero)."""
    return np.asarray(crc16_ccitt(np.atleast_2d(frames))) == 0
