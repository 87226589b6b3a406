"""The transmit side: packets → frames → RS → randomise → ASM → convolutional code → soft symbols.

Used by the tests (round trips, channel-error statistics) and the end-to-end scenario.

* :func:`packets_to_frames` fills the packet zones of one virtual channel with the packets back
  to back (packets may span frames; the first header pointer marks the first header in each
  frame) and pads the last frame with an idle packet (APID 2047), CCSDS 133.0-B / 732.0-B.
* :func:`frames_to_cadus` RS-encodes (interleaved, basis per profile), randomises and attaches
  the ASM.
* :func:`cadus_to_soft_symbols` convolutionally encodes the CADU bit stream (continuous,
  CCSDS 131.0-B §3) and maps bits to BPSK amplitudes (+1 for 1) in AWGN: with code rate R
  (information bits of the frames per channel symbol), Es/N0 = R · Eb/N0 and the noise
  standard deviation per unit-amplitude symbol is sqrt(1 / (2 Es/N0)). ``ebn0_db`` may be a
  scalar or an array (one value per symbol, or any length, linearly resampled over the
  stream — e.g. the per-second Eb/N0 over a pass from the link budget).
"""

from __future__ import annotations

import numpy as np

from lotusar.errors import ValidationError
from lotusar.groundstation import convolutional as conv
from lotusar.groundstation import frames as fr
from lotusar.groundstation import reedsolomon as rs
from lotusar.groundstation.packets import IDLE_APID, make_packet
from lotusar.groundstation.profile import Profile, load_profile
from lotusar.groundstation.randomizer import randomize
from lotusar.groundstation.sync import ASM


def _profile(p: Profile | str) -> Profile:
    return load_profile(p) if isinstance(p, str) else p


def packets_to_frames(
    packets: list[bytes], profile: Profile | str, vcid: int = 1, scid: int | None = None, vc_count0: int = 0, clcw: int | None = None
) -> np.ndarray:
    """Transfer frames (N, length) carrying ``packets`` on one virtual channel."""
    prof = _profile(profile)
    cfg = prof.frame_config
    if cfg is None:
        raise ValidationError(f"profile {prof.name!r} has no frame layout")
    scid = cfg.scid if scid is None else scid
    scid = 0 if scid is None else scid
    zl = cfg.zone_len()
    stream = b"".join(bytes(p) for p in packets)
    starts = []
    pos = 0
    for p in packets:
        starts.append(pos)
        pos += len(p)
    need = (-len(stream)) % zl
    if 0 < need < 7:
        need += zl
    if need:
        starts.append(len(stream))
        stream += make_packet(IDLE_APID, 0, b"\x55" * (need - 6))
    if not stream:
        return np.zeros((0, cfg.length), np.uint8)
    n = len(stream) // zl
    zones = np.frombuffer(stream, np.uint8).reshape(n, zl)
    st = np.asarray(starts, dtype=np.int64)
    first = np.full(n, fr.FHP_NO_START, dtype=np.int64)
    fidx = st // zl
    # first packet start in each frame: the smallest start in that frame
    order = np.argsort(st, kind="stable")
    fidx_o, st_o = fidx[order], st[order]
    uniq, pos_first = np.unique(fidx_o, return_index=True)
    first[uniq] = st_o[pos_first] - uniq * zl
    ocf = None if clcw is None else np.full(n, clcw, np.uint32)
    return fr.build_frames(zones, first, cfg, scid, vcid, vc_count0=vc_count0, ocf_words=ocf)


def frames_to_cadus(frames: np.ndarray, profile: Profile | str) -> np.ndarray:
    """CADUs (N, 4 + codeblock) from frames: RS (if any), randomise (if set), ASM."""
    prof = _profile(profile)
    c = prof.coding
    f = np.atleast_2d(np.asarray(frames, np.uint8))
    if c is None:
        return f
    cb = rs.encode_codeblocks(f, c.rs_depth, c.rs_dual) if c.rs_depth else f
    if c.randomizer:
        cb = randomize(cb)
    asm = np.frombuffer(int(c.asm).to_bytes(4, "big"), np.uint8)
    return np.concatenate([np.broadcast_to(asm, (cb.shape[0], 4)), cb], axis=1)


def code_rate(profile: Profile | str) -> float:
    """Information bits (frame bits) per channel symbol of the whole chain."""
    prof = _profile(profile)
    c = prof.coding
    frame_bits = prof.frame_config.length * 8
    cadu_bits = prof.cadu_len * 8 if c is not None else frame_bits
    r = frame_bits / cadu_bits
    if c is not None and c.convolutional:
        r *= 0.5
    return r


def ebn0_to_sigma(ebn0_db: float | np.ndarray, rate: float) -> np.ndarray:
    """Noise standard deviation for unit-amplitude BPSK symbols at Eb/N0 (dB) and code rate."""
    esn0 = rate * 10.0 ** (np.asarray(ebn0_db, dtype=np.float64) / 10.0)
    return np.sqrt(1.0 / (2.0 * esn0))


def cadus_to_soft_symbols(
    cadus: np.ndarray, ebn0_db: float | np.ndarray | None, profile: Profile | str, seed: int = 0, invert: bool = False
) -> np.ndarray:
    """Convolutionally coded BPSK soft symbols (float32) of the CADU stream, in AWGN.

    ``ebn0_db`` None gives noiseless ±1 symbols.
    """
    prof = _profile(profile)
    bits = np.unpackbits(np.ascontiguousarray(cadus, dtype=np.uint8).reshape(-1))
    if prof.coding is not None and prof.coding.convolutional:
        sym = conv.encode(bits, tail=True)
    else:
        sym = bits
    x = 2.0 * sym.astype(np.float32) - 1.0
    if invert:
        x = -x
    if ebn0_db is None:
        return x.astype(np.float32)
    e = np.asarray(ebn0_db, dtype=np.float64)
    if e.ndim and e.size != x.size:
        if e.size == 0:
            raise ValidationError("empty Eb/N0 array")
        e = np.interp(np.linspace(0, e.size - 1, x.size), np.arange(e.size), e)
    sigma = ebn0_to_sigma(e, code_rate(prof))
    rng = np.random.default_rng(seed)
    return (x + sigma * rng.standard_normal(x.size)).astype(np.float32)


def encode_packets_to_soft_symbols(
    packets: list[bytes],
    ebn0_db: float | np.ndarray | None = None,
    profile: Profile | str = "lotusat-xband",
    seed: int = 0,
    vcid: int = 1,
    idle_frames_before: int = 2,
) -> np.ndarray:
    """The whole transmit chain: packets → soft symbols (float32, positive → 1).

    A few idle frames lead the stream (a real downlink starts with fill, and it gives the
    receiver's Viterbi decoder and frame synchroniser time to settle).
    """
    prof = _profile(profile)
    f = packets_to_frames(packets, prof, vcid=vcid)
    if idle_frames_before:
        f = np.concatenate([fr.idle_frames(idle_frames_before, prof.frame_config, prof.frame_config.scid or 0), f])
    return cadus_to_soft_symbols(frames_to_cadus(f, prof), ebn0_db, prof, seed)


def encode_packets_to_cadus(packets: list[bytes], profile: Profile | str = "lotusat-xband", vcid: int = 1) -> bytes:
    """Packets → CADU byte stream (for ``--input-format aos-cadus`` / ``tm-frames``)."""
    prof = _profile(profile)
    return frames_to_cadus(packets_to_frames(packets, prof, vcid=vcid), prof).tobytes()


def random_packets(n: int, apids: tuple[int, ...] = (100, 101, 102), min_len: int = 20, max_len: int = 600, seed: int = 0) -> list[bytes]:
    """Test packets: round-robin APIDs, contiguous sequence counts, random payloads."""
    rng = np.random.default_rng(seed)
    counts = {a: 0 for a in apids}
    out = []
    for i in range(n):
        a = apids[i % len(apids)]
        ln = int(rng.integers(min_len, max_len + 1))
        out.append(make_packet(a, counts[a], rng.integers(0, 256, ln, dtype=np.uint8).tobytes()))
        counts[a] += 1
    return out


__all__ = [
    "ASM",
    "packets_to_frames",
    "frames_to_cadus",
    "cadus_to_soft_symbols",
    "encode_packets_to_soft_symbols",
    "encode_packets_to_cadus",
    "code_rate",
    "ebn0_to_sigma",
    "random_packets",
]
