"""Deframers: soft symbols (positive → 1) → frames, one function per gr-satellites framing.

Each deframer returns :class:`Frame` records (symbol index of the frame start, the frame
bytes as the satellite sent them, ``crc_ok`` where the framing carries a CRC, else None).
A deframer only returns frames that pass the framing's own check (CRC or Reed–Solomon), so
a frame is either exact or absent. Sync-word framings accept either polarity (the 180°
ambiguity of BPSK and the unknown sense of an FM discriminator).

Framings (names as in gr-satellites SatYAML ``framing:``):

* ``AX.25`` / ``AX.25 G3RUH``: HDLC flags, bit stuffing, NRZI (a 0 is a transition), the
  G3RUH multiplicative scrambler 1 + x^12 + x^17; FCS CRC-16/X.25. Output: address field to
  the end of the information field.
* ``AO-40 FEC``: Karn's AO-40 FEC (see :mod:`ao40`), 256-byte frames, RS-checked.
* ``CCSDS Uncoded`` / ``CCSDS Reed-Solomon`` / ``CCSDS Concatenated``: ASM 0x1ACFFC1D,
  optional K=7 r=1/2 convolutional code (CCSDS, NASA-DSN, uninverted variants) decoded with
  soft decisions before the ASM search, CCSDS randomiser, RS(255,223) conventional or dual
  basis with interleaving depth I, ``frame size`` bytes of data (CCSDS 131.0-B).
* ``AAUSAT-4``: 48-bit sync, 8 FSM symbols, a terminated CCSDS convolutional code on a
  long (1996 symbols) or short (1020 symbols) block, CCSDS randomiser, shortened RS.
* ``Lucky-7``: Si4463 sync 0x2DD4, PN9 whitening (x^9 + x^5 + 1, seed 0x1FF), 35 data
  bytes + CRC-16 (poly 0x8005, init 0xFFFF, big-endian).
* ``AX100 ASM+Golay`` / ``AX100 Reed Solomon`` / ``U482C`` (GOMspace NanoCom): sync words
  0x930B51DE / 0xC3AA6655; ASM+Golay and U482C carry a (24,12) Golay-coded length field
  (U482C's flags select the convolutional code, CCSDS scrambler and RS), RS mode sends G3RUH-
  scrambled bits with a length byte; payloads are RS(255,223)-shortened (conventional).
  Output: the CSP frame as received (header not byte-swapped, as gr-satellites ≥ 3).
* ``OPS-SAT``: an NRZI + G3RUH AX.25 frame whose information field (after the 16-byte
  address/control/PID header, before the FCS) is a CCSDS-randomised shortened RS(255,223)
  codeword (conventional basis); the RS check decides, the FCS is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lotusar.groundstation import ao40, ax25
from lotusar.groundstation import convolutional as conv
from lotusar.groundstation import reedsolomon as rs
from lotusar.groundstation.crc import crc16_generic, crc16_x25
from lotusar.groundstation.randomizer import pn_sequence


@dataclass(frozen=True)
class Frame:
    """One decoded frame: start symbol in the stream, bytes, CRC state (None: no CRC)."""

    symbol: int
    data: bytes
    crc_ok: bool | None = None
    rs_corrected: int | None = None


@lru_cache(maxsize=32)
def gr_lfsr_bits(mask: int, seed: int, reg_len: int, n: int) -> np.ndarray:
    """Output bits of GNU Radio's Fibonacci LFSR (``digital.lfsr``), as its additive scramblers use."""
    sr = seed
    out = np.empty(n, np.uint8)
    for i in range(n):
        out[i] = sr & 1
        nb = bin(sr & mask).count("1") & 1
        sr = (sr >> 1) | (nb << reg_len)
    return out


def _hard(soft: np.ndarray) -> np.ndarray:
    return (np.asarray(soft) > 0).astype(np.uint8)


def sync_positions(soft: np.ndarray, sync_bits: str, max_errors: int) -> list[tuple[int, bool]]:
    """Positions just after each occurrence of ``sync_bits`` in the hard decisions → [(index, inverted)]."""
    h = _hard(soft).astype(np.int16)
    n = len(sync_bits)
    if h.size < n:
        return []
    pat = np.array([int(c) for c in sync_bits], np.int16)
    win = np.lib.stride_tricks.sliding_window_view(h, n)
    dist = (win != pat).sum(axis=1)
    out = [(int(i) + n, False) for i in np.flatnonzero(dist <= max_errors)]
    out += [(int(i) + n, True) for i in np.flatnonzero(dist >= n - max_errors)]
    return sorted(out)


# --- AX.25 ------------------------------------------------------------------------------------


def hdlc_frames(soft: np.ndarray, g3ruh: bool, min_bytes: int = 17) -> list[tuple[int, bytes]]:
    """HDLC frames (FCS not checked, not stripped) → [(symbol index, bytes)]."""
    lv = _hard(soft)
    if g3ruh:
        lv = ax25.g3ruh_descramble(lv)
    return ax25.hdlc_deframe(ax25.nrzi_decode(lv), min_bytes=min_bytes)


def deframe_ax25(soft: np.ndarray, g3ruh: bool = False) -> list[Frame]:
    """AX.25 frames whose FCS checks (FCS stripped)."""
    out = []
    for off, fb in hdlc_frames(soft, g3ruh):
        if crc16_x25(fb[:-2]) == (fb[-2] | fb[-1] << 8):
            out.append(Frame(off, fb[:-2], True))
    return out


# --- AO-40 FEC --------------------------------------------------------------------------------


def deframe_ao40(soft: np.ndarray) -> list[Frame]:
    """AO-40 FEC frames (256 bytes) whose two RS codewords decode."""
    s = conv.sanitize_symbols(soft)
    out = []
    for off, inv in ao40.find_frames(s, threshold=0.4):  # weak real signals: RS decides
        seg = s[off : off + ao40.FRAME_SYMBOLS]
        d = ao40.decode_frame_symbols(-seg if inv else seg)
        if d["ok"]:
            out.append(Frame(int(off), d["frame"], None, int(sum(d["rs_corrected"]))))
    return out


# --- CCSDS ------------------------------------------------------------------------------------


def _rs_check(block: np.ndarray, depth: int, dual: bool) -> tuple[np.ndarray, int] | None:
    """RS-decode an interleaved codeblock → (data bytes, corrected) or None."""
    cw = rs.deinterleave(block[None, :], depth) if depth > 1 else block[None, :]
    r = rs.decode(cw, dual=dual)
    if (r.corrected < 0).any():
        return None
    data = r.codewords[:, :-32]
    if depth > 1:
        data = data.T.reshape(-1)
    return data.reshape(-1), int(r.corrected.sum())


def conv_symbols(soft: np.ndarray, convention: str) -> np.ndarray:
    """Map a received symbol stream onto the decoder's (G1, NOT G2) pair order."""
    s = np.array(soft, np.float32)
    s = s[: s.size // 2 * 2]
    c = convention.strip().lower()
    if c.startswith("nasa"):
        s = s.reshape(-1, 2)[:, ::-1].reshape(-1).copy()  # NASA-DSN sends (NOT) G2 first
    if c.endswith("uninverted"):
        s[1::2] = -s[1::2]
    return s


def _viterbi_bits(soft: np.ndarray, convention: str) -> list[tuple[int, np.ndarray]]:
    """Decoded bits for both symbol-pair alignments → [(symbol offset, bits)]."""
    out = []
    for off in (0, 1):
        seg = conv_symbols(np.asarray(soft)[off:], convention)
        if seg.size < 64:
            continue
        bits, _ = conv.viterbi_decode_stream(seg)
        out.append((off, bits))
    return out


def deframe_ccsds(soft: np.ndarray, frame_size: int = 223, rs_depth: int = 1, rs_dual: bool | None = True,
                  scrambler: bool = True, convolutional: str | None = None, differential: bool = False) -> list[Frame]:
    """CCSDS TM codeblocks after the ASM → transfer frames (RS-decoded when ``rs_dual`` is not None)."""
    block_len = frame_size + (32 * rs_depth if rs_dual is not None else 0)
    streams: list[tuple[int, int, np.ndarray]] = []  # (symbol offset, symbols per bit, bits)
    if convolutional:
        streams = [(off, 2, b) for off, b in _viterbi_bits(soft, convolutional)]
    else:
        streams = [(0, 1, _hard(soft))]
    asm_bits = format(0x1ACFFC1D, "032b")
    out: list[Frame] = []
    for off, spb, bits in streams:
        if differential:
            bits = (bits ^ np.concatenate([[0], bits[:-1]])).astype(np.uint8)
        for pos, inv in sync_positions(bits.astype(np.float32) - 0.5, asm_bits, 3):
            seg = bits[pos : pos + 8 * block_len]
            if seg.size < 8 * block_len:
                continue
            block = np.packbits(seg ^ np.uint8(inv))
            if scrambler:
                block = block ^ pn_sequence(block_len)
            if rs_dual is None:
                out.append(Frame(off + spb * (pos - 32), block.tobytes(), None))
                continue
            r = _rs_check(block, rs_depth, rs_dual)
            if r is not None:
                out.append(Frame(off + spb * (pos - 32), r[0].tobytes(), None, r[1]))
    return out


# --- custom framings --------------------------------------------------------------------------


AAUSAT4_SYNC = "010011110101101000110100010000110101010101000010"


def deframe_aausat4(soft: np.ndarray) -> list[Frame]:
    """AAUSAT-4 frames (long: 92 data bytes, short: 31)."""
    s = conv.sanitize_symbols(soft)
    out = []
    for pos, inv in sync_positions(s, AAUSAT4_SYNC, 8):
        for nsym in (1996, 1020):
            seg = s[pos + 8 : pos + 8 + nsym]
            if seg.size < nsym:
                continue
            bits = conv.viterbi_decode(-seg if inv else seg, start_state_zero=True, end_state_zero=True)[: nsym // 2 - 6]
            block = np.packbits(bits) ^ pn_sequence(bits.size // 8)
            r = _rs_check(block, 1, False)
            if r is not None:
                out.append(Frame(pos - 48, r[0].tobytes(), None, r[1]))
                break
    return out


def deframe_lucky7(soft: np.ndarray) -> list[Frame]:
    """Lucky-7 frames (35 bytes, CRC stripped)."""
    h = _hard(soft)
    pn9 = gr_lfsr_bits(0x21, 0x1E1, 8, 37 * 8)
    out = []
    for pos, inv in sync_positions(soft, "0010110111010100", 1):
        seg = h[pos : pos + 37 * 8]
        if seg.size < 37 * 8:
            continue
        b = np.packbits(seg ^ np.uint8(inv) ^ pn9).tobytes()
        if crc16_generic(b[:35], 0x8005, 0xFFFF, False, False, 0) == int.from_bytes(b[35:], "big"):
            out.append(Frame(pos - 16, b[:35], True))
    return out


def deframe_ops_sat(soft: np.ndarray) -> list[Frame]:
    """OPS-SAT frames: RS-decoded payload of the AX.25 frame (the FCS is reported, RS decides)."""
    out = []
    for off, fb in hdlc_frames(soft, g3ruh=True, min_bytes=16 + 33 + 2):
        cw = np.frombuffer(fb[16:-2], np.uint8)
        if not 33 <= cw.size <= 255:
            continue
        r = _rs_check(cw ^ pn_sequence(cw.size), 1, False)
        if r is not None:
            fcs_ok = crc16_x25(fb[:-2]) == (fb[-2] | fb[-1] << 8)
            out.append(Frame(off, r[0].tobytes(), fcs_ok, r[1]))
    return out


# --- GOMspace NanoCom AX100 / U482C -------------------------------------------------------------

AX100_SYNC = "10010011000010110101000111011110"  # 0x930B51DE
U482C_SYNC = "11000011101010100110011001010101"  # 0xC3AA6655
_GOLAY_H = (0x8008ED, 0x4001DB, 0x2003B5, 0x100769, 0x80ED1, 0x40DA3, 0x20B47, 0x1068F, 0x8D1D, 0x4A3B, 0x2477, 0x1FFE)


@lru_cache(maxsize=1)
def golay24_codewords() -> np.ndarray:
    """All 4096 codewords of the (24,12) Golay code as gr-satellites sends the AX100 length
    field: parity (12 bits, bit i = parity(H_i & data)) above the 12 data bits."""
    d = np.arange(4096, dtype=np.uint32)
    par = np.zeros(4096, np.uint32)
    for h in _GOLAY_H:
        par = (par << np.uint32(1)) | (np.bitwise_count(d & np.uint32(h)) & np.uint32(1)).astype(np.uint32)
    return ((par & np.uint32(0xFFF)) << np.uint32(12)) | d


def golay24_decode(word: int) -> int | None:
    """12 data bits of a received 24-bit Golay word (up to 3 bit errors), or None."""
    dist = np.bitwise_count(golay24_codewords() ^ np.uint32(word))
    i = int(np.argmin(dist))
    return i if dist[i] <= 3 else None


def _packed_after_sync(soft: np.ndarray, sync: str, threshold: int, nbytes: int, descramble_g3ruh: bool = False) -> list[tuple[int, bytes]]:
    h = _hard(soft)
    if descramble_g3ruh:
        h = ax25.g3ruh_descramble(h)
        soft = h.astype(np.float32) - 0.5
    out = []
    for pos, inv in sync_positions(soft, sync, threshold):
        seg = h[pos : pos + 8 * nbytes]
        if seg.size == 8 * nbytes:
            out.append((pos - len(sync), np.packbits(seg ^ np.uint8(inv)).tobytes()))
    return out


def _golay_rs_payload(block: bytes, viterbi: bool | None, scrambler: bool | None, rs_on: bool | None) -> tuple[bytes, int] | None:
    """The U482C/AX100-ASM payload after the Golay length field (flags: None = from the field).

    Frames without RS are dropped: nothing would check their bytes."""
    field = golay24_decode(int.from_bytes(block[:3], "big"))
    if field is None:
        return None
    n = field & 0xFF
    use_v = bool(field & 0x100) if viterbi is None else viterbi
    use_s = bool(field & 0x200) if scrambler is None else scrambler
    use_rs = bool(field & 0x400) if rs_on is None else rs_on
    pkt = np.frombuffer(block[3:], np.uint8)
    if use_v:
        n_out = n // 2 - 1
        if n_out <= 0:
            return None
        sym = np.unpackbits(pkt)[: 2 * (8 * n_out + 6)].astype(np.float32) * 2 - 1
        pkt = np.packbits(conv.viterbi_decode(conv_symbols(sym, "CCSDS uninverted"), True, False)[: 8 * n_out])
        n = n_out
    if n > pkt.size or n < (33 if use_rs else 1):
        return None
    pkt = pkt[:n]
    if use_s:
        pkt = pkt ^ pn_sequence(n)
    if not use_rs:  # nothing would check the bytes: a frame is either exact or absent
        return None
    r = _rs_check(pkt, 1, False)
    return None if r is None else (r[0].tobytes(), r[1])


def deframe_ax100_asm_golay(soft: np.ndarray, scrambler: bool = True) -> list[Frame]:
    """GOMspace AX100 "ASM+Golay": sync 0x930B51DE, Golay length field, CCSDS scrambler, RS."""
    out = []
    for off, block in _packed_after_sync(soft, AX100_SYNC, 4, 255):
        r = _golay_rs_payload(block, False, scrambler, True)
        if r is not None:
            out.append(Frame(off, r[0], None, r[1]))
    return out


def deframe_ax100_rs(soft: np.ndarray) -> list[Frame]:
    """GOMspace AX100 "Reed Solomon": G3RUH scrambling, sync 0x930B51DE, a length byte and a
    shortened RS(255,223) codeword (conventional basis) of ``length − 1`` bytes."""
    out = []
    for off, block in _packed_after_sync(soft, AX100_SYNC, 4, 256, descramble_g3ruh=True):
        n = block[0] - 1
        if n < 33:
            continue
        r = _rs_check(np.frombuffer(block[1 : 1 + n], np.uint8), 1, False)
        if r is not None:
            out.append(Frame(off, r[0].tobytes(), None, r[1]))
    return out


def deframe_u482c(soft: np.ndarray) -> list[Frame]:
    """GOMspace U482C: sync 0xC3AA6655, Golay length field whose flags select the
    convolutional code, CCSDS scrambler and RS."""
    out = []
    for off, block in _packed_after_sync(soft, U482C_SYNC, 4, 258):
        r = _golay_rs_payload(block, None, None, None)
        if r is not None:
            out.append(Frame(off, r[0], None, r[1]))
    return out


# --- registry ---------------------------------------------------------------------------------


def _ccsds_from(params: dict, kind: str) -> Callable[[np.ndarray], list[Frame]]:
    basis = str(params.get("RS basis", params.get("rs_basis", "dual"))).lower()
    depth = int(params.get("RS interleaving", params.get("rs_interleaving", 1)))
    size = int(params.get("frame size", params.get("frame_size", 223)))
    scr = str(params.get("scrambler", "CCSDS")).lower() != "none"
    convention = str(params.get("convolutional", "CCSDS"))
    diff = str(params.get("precoding", "")).lower() == "differential"
    rs_dual = None if kind == "uncoded" else basis == "dual"
    cc = convention if kind == "concatenated" else None

    def run(soft: np.ndarray) -> list[Frame]:
        return deframe_ccsds(soft, size, depth, rs_dual, scr, cc, diff)

    return run


def get_deframer(framing: str, params: dict | None = None) -> Callable[[np.ndarray], list[Frame]] | None:
    """The deframer for a SatYAML ``framing`` name (with the transmitter's fields), or None."""
    p = params or {}
    f = framing.strip()
    simple: dict[str, Callable[[np.ndarray], list[Frame]]] = {
        "AX.25": lambda s: deframe_ax25(s, g3ruh=False),
        "AX.25 G3RUH": lambda s: deframe_ax25(s, g3ruh=True),
        "AO-40 FEC": deframe_ao40,
        "AAUSAT-4": deframe_aausat4,
        "Lucky-7": deframe_lucky7,
        "OPS-SAT": deframe_ops_sat,
        "AX100 Reed Solomon": deframe_ax100_rs,
        "U482C": deframe_u482c,
    }
    if f == "AX100 ASM+Golay":
        scr = str(p.get("scrambler", "CCSDS")).lower() != "none"
        return lambda s: deframe_ax100_asm_golay(s, scrambler=scr)
    if f in simple:
        return simple[f]
    for name, kind in (("CCSDS Uncoded", "uncoded"), ("CCSDS Reed-Solomon", "rs"), ("CCSDS Concatenated", "concatenated")):
        if f == name or f.startswith(name + " "):
            q = dict(p)
            suffix = f[len(name):].strip().lower()
            if suffix in ("dual", "conventional"):  # older SatYAML: "CCSDS Concatenated dual"
                q.setdefault("RS basis", suffix)
            return _ccsds_from(q, kind)
    return None


SUPPORTED_FRAMINGS = (
    "AX.25", "AX.25 G3RUH", "AO-40 FEC", "CCSDS Uncoded", "CCSDS Reed-Solomon", "CCSDS Concatenated", "AAUSAT-4", "Lucky-7", "OPS-SAT",
    "AX100 ASM+Golay", "AX100 Reed Solomon", "U482C",
)
