"""KISS framing, AX.25 UI frames and HDLC bit-level framing.

* KISS (Chepponis & Karn 1987): frames between FEND (0xC0); FESC (0xDB) + TFEND (0xDC) / TFESC
  (0xDD) escape the two special bytes; the first byte is normally a command (0x00 = data on
  port 0), but some recorders omit it — the AX.25 header is then located by its content.
* AX.25 v2.2 UI frame: destination and source address blocks (6 callsign characters shifted
  left by one bit, SSID byte with the end-of-address bit), optional digipeaters, control 0x03,
  PID 0xF0, information field, FCS = CRC-16/X.25 sent least-significant byte first.
* HDLC on the air: flags 0x7E, bit stuffing (a 0 after five 1s), bytes sent LSB first, NRZI
  (a 0 is a transition). Stuffing and unstuffing work on whole bit arrays: the zero after a run
  of exactly five ones is removed, runs of six ones are flags, longer runs are aborts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lotusar.groundstation.crc import crc16_x25

FEND, FESC, TFEND, TFESC = 0xC0, 0xDB, 0xDC, 0xDD


@dataclass
class KissFrame:
    """One KISS frame: byte offset of its first byte in the file, unescaped bytes, problems."""

    offset: int
    data: bytes
    error: str | None = None


def kiss_deframe(data: bytes) -> list[KissFrame]:
    """Split a KISS byte stream into frames (empty frames between repeated FENDs are skipped)."""
    out: list[KissFrame] = []
    buf = bytes(data)
    n = len(buf)
    i = 0
    while i < n:
        if buf[i] != FEND:
            # bytes before the first FEND, or a frame without the opening FEND
            start = i
        else:
            while i < n and buf[i] == FEND:
                i += 1
            start = i
        j = buf.find(bytes([FEND]), start)
        end = n if j < 0 else j
        if end > start:
            raw = buf[start:end]
            fr = bytearray()
            err = None
            k = 0
            while k < len(raw):
                c = raw[k]
                if c == FESC:
                    if k + 1 < len(raw) and raw[k + 1] in (TFEND, TFESC):
                        fr.append(FEND if raw[k + 1] == TFEND else FESC)
                        k += 2
                        continue
                    err = f"bad KISS escape at byte {start + k}"
                    k += 1
                    continue
                fr.append(c)
                k += 1
            if j < 0:
                err = err or "frame not closed by FEND (truncated)"
            out.append(KissFrame(start, bytes(fr), err))
        i = end
    return out


def kiss_frame(payload: bytes, port: int = 0) -> bytes:
    """Wrap one frame for KISS (data command on ``port``)."""
    esc = payload.replace(bytes([FESC]), bytes([FESC, TFESC])).replace(bytes([FEND]), bytes([FESC, TFEND]))
    return bytes([FEND, (port & 0x0F) << 4]) + esc + bytes([FEND])


# --- AX.25 -----------------------------------------------------------------------------------


def encode_address(call: str, ssid: int = 0, last: bool = False, command: bool = False) -> bytes:
    """One 7-byte AX.25 address block."""
    c = call.upper().ljust(6)[:6]
    b = bytes((ord(ch) << 1) & 0xFE for ch in c)
    return b + bytes([0x60 | ((ssid & 0x0F) << 1) | (0x80 if command else 0) | (1 if last else 0)])


def decode_address(block: bytes) -> tuple[str, int, bool]:
    """(callsign, ssid, end-of-address bit) of a 7-byte address block."""
    call = "".join(chr(b >> 1) for b in block[:6]).rstrip()
    return call, (block[6] >> 1) & 0x0F, bool(block[6] & 1)


def ax25_ui_frame(dest: str, src: str, info: bytes, pid: int = 0xF0, dest_ssid: int = 0, src_ssid: int = 0, with_fcs: bool = True) -> bytes:
    """An AX.25 UI frame (with its FCS, LSB first, unless ``with_fcs`` is False)."""
    body = encode_address(dest, dest_ssid, command=True) + encode_address(src, src_ssid, last=True) + bytes([0x03, pid]) + bytes(info)
    if with_fcs:
        fcs = crc16_x25(body)
        body += bytes([fcs & 0xFF, fcs >> 8])
    return body


def _valid_address_block(b: bytes) -> bool:
    if len(b) < 7:
        return False
    chars = [c >> 1 for c in b[:6]]
    if any(c & 1 for c in b[:6]):
        return False
    return all((48 <= c <= 57) or (65 <= c <= 90) or c == 32 for c in chars) and chars[0] != 32


def parse_ax25(frame: bytes, has_fcs: bool | None = None) -> dict:
    """Parse a standard AX.25 frame → dict(dest, src, digipeaters, control, pid, info, fcs).

    ``fcs``: "valid", "invalid" or "absent" (when ``has_fcs`` is None it is "valid" if the last
    two bytes check, else treated as absent). Raises ValueError with a one-line reason.
    """
    f = bytes(frame)
    if len(f) < 16:
        raise ValueError(f"{len(f)} bytes is shorter than an AX.25 UI header")
    addrs = []
    i = 0
    while True:
        if i + 7 > len(f):
            raise ValueError("address field not terminated")
        blk = f[i : i + 7]
        if not _valid_address_block(blk):
            raise ValueError(f"address block at byte {i} is not a shifted callsign")
        addrs.append(decode_address(blk))
        i += 7
        if blk[6] & 1:
            break
        if len(addrs) > 10:
            raise ValueError("more than 8 digipeaters")
    if len(addrs) < 2:
        raise ValueError("fewer than two addresses")
    if i + 2 > len(f):
        raise ValueError("no control/PID bytes")
    control, pid = f[i], f[i + 1]
    info = f[i + 2 :]
    fcs_state = "absent"
    if has_fcs is not False and len(info) >= 2:
        ok = crc16_x25(f[:-2]) == (f[-2] | (f[-1] << 8))
        if ok:
            fcs_state = "valid"
            info = info[:-2]
        elif has_fcs:
            fcs_state = "invalid"
            info = info[:-2]
    return {
        "dest": addrs[0][0], "dest_ssid": addrs[0][1], "src": addrs[1][0], "src_ssid": addrs[1][1],
        "digipeaters": [a[0] + (f"-{a[1]}" if a[1] else "") for a in addrs[2:]],
        "control": control, "pid": pid, "info": info, "fcs": fcs_state,
    }


# --- HDLC bit level -------------------------------------------------------------------------------

FLAG_BITS = np.array([0, 1, 1, 1, 1, 1, 1, 0], dtype=np.uint8)


def bytes_to_bits_lsb(data: bytes) -> np.ndarray:
    """Bits of bytes, least significant first (HDLC order)."""
    return np.unpackbits(np.frombuffer(bytes(data), np.uint8), bitorder="little")


def bit_stuff(bits: np.ndarray) -> np.ndarray:
    """Insert a 0 after every run of five 1s."""
    out = []
    run = 0
    for b in bits.tolist():
        out.append(b)
        if b:
            run += 1
            if run == 5:
                out.append(0)
                run = 0
        else:
            run = 0
    return np.asarray(out, dtype=np.uint8)


def hdlc_encode(frames: list[bytes], preamble_flags: int = 32, postamble_flags: int = 4) -> np.ndarray:
    """HDLC bit stream (before NRZI): flags, stuffed frames (FCS included in ``frames``)."""
    parts = [np.tile(FLAG_BITS, preamble_flags)]
    for f in frames:
        parts.append(bit_stuff(bytes_to_bits_lsb(f)))
        parts.append(np.tile(FLAG_BITS, 2))
    parts.append(np.tile(FLAG_BITS, postamble_flags))
    return np.concatenate(parts)


def nrzi_encode(bits: np.ndarray, level0: int = 1) -> np.ndarray:
    """NRZI: a 0 toggles the line level, a 1 keeps it → levels 0/1."""
    toggles = (np.asarray(bits, np.uint8) == 0).astype(np.uint8)
    return (np.cumsum(toggles) + level0) % 2


def nrzi_decode(levels: np.ndarray) -> np.ndarray:
    """Inverse of :func:`nrzi_encode` (the first bit is decided against level 1)."""
    lv = np.asarray(levels, np.uint8)
    prev = np.concatenate([[1], lv[:-1]])
    return (lv == prev).astype(np.uint8)


def hdlc_deframe(bits: np.ndarray, min_bytes: int = 17, max_bytes: int = 1024) -> list[tuple[int, bytes]]:
    """Frames between HDLC flags in a bit stream → [(bit offset, bytes)] (FCS not checked).

    Vectorised unstuffing: runs of ones are measured with array operations; the zero after a run
    of exactly five ones is dropped; a run of six ones inside 0…0 is a flag; seven or more is an
    abort (the frame in progress is discarded).
    """
    b = np.asarray(bits, dtype=np.uint8)
    n = b.size
    if n < 16:
        return []
    # run-length of ones
    edges = np.diff(np.concatenate([[0], b, [0]]).astype(np.int8))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)  # exclusive
    lens = ends - starts
    flag_ends = ends[(lens == 6) & (starts >= 1) & (ends < n)]  # position of the closing 0 of a flag
    flag_ok = (b[np.clip(starts[(lens == 6) & (starts >= 1) & (ends < n)] - 1, 0, n - 1)] == 0)
    flag_ends = flag_ends[flag_ok]
    aborts = starts[lens >= 7]
    stuffed = ends[(lens == 5) & (ends < n)]  # index of the stuffed zero
    keep = np.ones(n, dtype=bool)
    keep[stuffed] = False
    out: list[tuple[int, bytes]] = []
    for a, z in zip(flag_ends[:-1], flag_ends[1:]):
        s0, s1 = a + 1, z - 7  # data between the flags
        if s1 - s0 < 8 * min_bytes or s1 - s0 > 8 * max_bytes * 1.25:
            continue
        if aborts.size and ((aborts >= s0) & (aborts < s1)).any():
            continue
        seg = b[s0:s1][keep[s0:s1]]
        if seg.size % 8 or seg.size < 8 * min_bytes:
            continue
        out.append((int(s0), np.packbits(seg, bitorder="little").tobytes()))
    return out


def g3ruh_scramble(bits: np.ndarray) -> np.ndarray:
    """G3RUH multiplicative scrambler 1 + x^12 + x^17: s[n] = d[n] ^ s[n-12] ^ s[n-17]."""
    d = np.asarray(bits, np.uint8)
    s = np.zeros(d.size + 17, dtype=np.uint8)
    for i in range(d.size):
        s[i + 17] = d[i] ^ s[i + 17 - 12] ^ s[i]
    return s[17:]


def g3ruh_descramble(bits: np.ndarray) -> np.ndarray:
    """Self-synchronising descrambler: d[n] = s[n] ^ s[n-12] ^ s[n-17] (vectorised)."""
    s = np.concatenate([np.zeros(17, np.uint8), np.asarray(bits, np.uint8)])
    return s[17:] ^ s[5:-12] ^ s[:-17]
