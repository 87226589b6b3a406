"""Level-0 processing: from a received stream to per-APID, time-ordered, duplicate-free packets.

Input formats:

* ``packets`` — concatenated Space Packets (a Level-0 file or a packet dump);
* ``tm-frames`` / ``aos-cadus`` — a byte stream of CADUs (ASM + randomised, RS-coded frame
  per the profile) at any bit alignment; a stream of bare frames is accepted when the profile
  has no ASM-based coding (``coding: null``);
* ``soft-symbols`` — float32 soft symbols (sign = bit, positive → 1) of the convolutionally
  coded CADU stream, decoded by the batched Viterbi decoder first.

Chain: Viterbi → ASM sync (slips, phase inversion) → derandomise → RS check/correct (per-frame
counts) → FECF → frame headers, master/virtual channel counters (gaps, duplicates, idle
frames) → packet reassembly from the first header pointers (packets spanning lost frames are
dropped and reported) → per APID: duplicates removed, time order, sequence-count gaps.

Nothing in the input stops the run: every problem becomes a ``Defect`` ``{offset, kind,
detail}`` in the report (offsets are byte offsets in the input file; for soft symbols the byte
offset of the first float32 symbol of the affected CADU). The output bytes depend on the input
bytes only (no clocks, no hash seeds), so re-running gives identical files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from lotusar.cliutil import to_json
from lotusar.errors import ValidationError
from lotusar.fileio import write_bytes_atomic, write_text_atomic
from lotusar.groundstation import frames as fr
from lotusar.groundstation import reedsolomon as rs
from lotusar.groundstation.convolutional import decode_stream_autophase
from lotusar.groundstation.crc import crc16_ccitt
from lotusar.groundstation.layout import detect_layout
from lotusar.groundstation.packets import IDLE_APID, SEQ_MOD, Defect, Packet, ParseLimits, learn_apids, parse_stream, sum16_ok
from lotusar.groundstation.profile import Profile, load_profile
from lotusar.groundstation.randomizer import randomize
from lotusar.groundstation.sync import frame_sync
from lotusar.timeutil import parse_utc

INPUT_FORMATS = ("packets", "tm-frames", "aos-cadus", "soft-symbols")


@dataclass
class FrameStats:
    """Counts over the frame layer."""

    frames_total: int = 0
    frames_idle: int = 0
    frames_rs_corrected: int = 0
    rs_symbols_corrected: int = 0
    frames_uncorrectable: int = 0
    frames_fecf_error: int = 0
    frames_duplicate: int = 0
    frames_missing: int = 0
    frames_invalid_header: int = 0
    frames_used: int = 0
    ocf: dict = field(default_factory=dict)


@dataclass
class Level0Result:
    """Per-APID Level-0 packet files and the quality report."""

    files: dict[int, bytes]
    report: dict
    packets: dict[int, list[Packet]]


# --- frame layer --------------------------------------------------------------------------------


def decode_codeblocks(
    codeblocks: np.ndarray, offsets: np.ndarray, profile: Profile, stats: FrameStats, defects: list[Defect]
) -> tuple[np.ndarray, np.ndarray]:
    """Derandomise and RS-decode codeblocks (N, L) → (frames (M, length), their input offsets)."""
    cfg, coding = profile.frame_config, profile.coding
    cb = np.asarray(codeblocks, dtype=np.uint8)
    stats.frames_total += cb.shape[0]
    if cb.shape[0] == 0:
        return np.zeros((0, cfg.length), np.uint8), np.zeros(0, np.int64)
    if coding is not None and coding.randomizer:
        cb = randomize(cb)
    keep = np.ones(cb.shape[0], dtype=bool)
    if coding is not None and coding.rs_depth:
        depth = coding.rs_depth
        valid = rs.codeblocks_valid(cb, depth, coding.rs_dual)
        frames = np.ascontiguousarray(cb[:, : cfg.length])
        bad = np.flatnonzero(~valid)
        if bad.size:
            data, corrected, unc = rs.decode_codeblocks(cb[bad], depth, coding.rs_dual)
            frames[bad] = data
            stats.frames_rs_corrected += int(((corrected > 0) & ~unc).sum())
            stats.rs_symbols_corrected += int(corrected[~unc].sum())
            stats.frames_uncorrectable += int(unc.sum())
            for i in bad[unc]:
                defects.append(
                    Defect(
                        int(offsets[i]),
                        "rs_uncorrectable",
                        f"codeblock at offset {int(offsets[i])}: more than 16 symbol errors in a codeword; frame dropped",
                    )
                )
            keep[bad[unc]] = False
    else:
        frames = np.ascontiguousarray(cb[:, : cfg.length])
    if cfg.fecf:
        crc_bad = np.asarray(crc16_ccitt(frames)) != 0
        crc_bad &= keep
        for i in np.flatnonzero(crc_bad):
            defects.append(
                Defect(
                    int(offsets[i]), "fecf_error", f"frame at offset {int(offsets[i])}: CRC-16 frame error control mismatch; frame dropped"
                )
            )
        stats.frames_fecf_error += int(crc_bad.sum())
        keep &= ~crc_bad
    return frames[keep], np.asarray(offsets)[keep]


def _frame_sizes(profile: Profile) -> tuple[int, int]:
    """(bytes per received unit in a byte stream, codeblock bytes)."""
    cfg, coding = profile.frame_config, profile.coding
    if coding is None:
        return cfg.length, cfg.length
    cb = cfg.length + (32 * coding.rs_depth if coding.rs_depth else 0)
    return cb + 4, cb


def packets_from_frames(
    frames: np.ndarray, offsets: np.ndarray, profile: Profile, limits: ParseLimits, stats: FrameStats, defects: list[Defect]
) -> list[Packet]:
    """Counters, idle frames and packet reassembly over frames (in received order)."""
    cfg = profile.frame_config
    f = np.asarray(frames, dtype=np.uint8)
    off = np.asarray(offsets, dtype=np.int64)
    if f.shape[0] == 0:
        return []
    hdr = fr.decode_headers(f, cfg)
    valid = hdr.version == (0 if cfg.kind == "tm" else 1)
    if cfg.scid is not None:
        valid &= hdr.scid == cfg.scid
    for i in np.flatnonzero(~valid):
        defects.append(
            Defect(
                int(off[i]),
                "frame_header_invalid",
                f"frame at offset {int(off[i])}: version {int(hdr.version[i])} / SCID {int(hdr.scid[i])} not of this link; frame dropped",
            )
        )
    stats.frames_invalid_header += int((~valid).sum())
    # master channel counter (TM)
    if cfg.kind == "tm":
        vi = np.flatnonzero(valid)
        miss, dup = fr.counter_analysis(hdr.mc_count[vi], 256)
        for k in np.flatnonzero(miss > 0):
            defects.append(
                Defect(
                    int(off[vi[k]]),
                    "mc_frame_gap",
                    f"master channel count {int(hdr.mc_count[vi[k - 1]])} → {int(hdr.mc_count[vi[k]])}: {int(miss[k])} frames missing",
                )
            )
    idle = valid & ((hdr.vcid == fr.AOS_IDLE_VCID) if cfg.kind == "aos" else (hdr.fhp == fr.FHP_IDLE))
    stats.frames_idle += int(idle.sum())
    # OCF / CLCW summary
    if (hdr.ocf_flag & valid).any():
        words = fr.ocf_words(f, cfg, hdr)[hdr.ocf_flag & valid]
        last = int(words[-1])
        stats.ocf = {"frames_with_ocf": int(words.size), "last_clcw": fr.clcw_fields(last)}
    zs, ze = fr.zone_bounds(f, cfg, hdr)
    out: list[Packet] = []
    data_frames = valid & ~idle
    for v in np.unique(hdr.vcid[data_frames]):
        idx = np.flatnonzero(data_frames & (hdr.vcid == v))
        counts = hdr.vc_count[idx]
        # duplicates: same count and identical bytes as a frame seen before
        drop = np.zeros(idx.size, dtype=bool)
        uc, inv, cnt = np.unique(counts, return_inverse=True, return_counts=True)
        if (cnt > 1).any():
            for g in np.flatnonzero(cnt > 1):
                members = np.flatnonzero(inv == g)
                seen: set[bytes] = set()
                for mbr in members:
                    key = hashlib.blake2b(f[idx[mbr]].tobytes(), digest_size=16).digest()
                    if key in seen:
                        drop[mbr] = True
                        defects.append(
                            Defect(
                                int(off[idx[mbr]]),
                                "duplicate_frame",
                                f"VC {int(v)} frame count {int(counts[mbr])} received again; duplicate dropped",
                            )
                        )
                    seen.add(key)
        stats.frames_duplicate += int(drop.sum())
        idx = idx[~drop]
        counts = counts[~drop]
        missing, repeat = fr.counter_analysis(counts, cfg.vc_modulus)
        breaks = (missing != 0) | repeat
        for k in np.flatnonzero(breaks):
            if missing[k] > 0:
                stats.frames_missing += int(missing[k])
                defects.append(
                    Defect(
                        int(off[idx[k]]),
                        "frame_gap",
                        f"VC {int(v)} frame count {int(counts[k - 1])} → {int(counts[k])}: {int(missing[k])} frames missing",
                    )
                )
            else:
                defects.append(
                    Defect(
                        int(off[idx[k]]),
                        "frame_count_jump",
                        f"VC {int(v)} frame count {int(counts[k - 1])} → {int(counts[k])}: out of order or reset; continuity lost",
                    )
                )
        seg_starts = np.concatenate([[0], np.flatnonzero(breaks), [idx.size]])
        seg_starts = np.unique(seg_starts)
        for s0, s1 in zip(seg_starts[:-1], seg_starts[1:]):
            out.extend(
                _reassemble_segment(
                    f, off, idx[s0:s1], hdr, zs, ze, int(v), limits, defects, followed_by_gap=s1 < idx.size, after_gap=s0 > 0
                )
            )
        stats.frames_used += int(idx.size)
    return out


def _reassemble_segment(f, off, idx, hdr, zs, ze, vcid, limits, defects, followed_by_gap: bool, after_gap: bool) -> list[Packet]:
    """Packets from a run of frames of one VC with contiguous counters."""
    z0, z1 = zs[idx], ze[idx]
    lens = z1 - z0
    if (z0 == z0[0]).all() and (z1 == z1[0]).all():
        zone = np.ascontiguousarray(f[idx, z0[0] : z1[0]]).reshape(-1)
    else:
        zone = np.concatenate([f[i, a:b] for i, a, b in zip(idx, z0, z1)])
    starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
    fhp = hdr.fhp[idx]
    has = (fhp != fr.FHP_NO_START) & (fhp != fr.FHP_IDLE)
    bad_fhp = has & (fhp >= lens)
    for k in np.flatnonzero(bad_fhp):
        defects.append(
            Defect(
                int(off[idx[k]]),
                "fhp_invalid",
                f"VC {vcid} frame count {int(hdr.vc_count[idx[k]])}: first header pointer {int(fhp[k])} "
                f"beyond the {int(lens[k])}-byte zone",
            )
        )
    has &= ~bad_fhp
    anchors = (starts + fhp)[has]

    def in_off(pos: int) -> int:
        k = int(np.searchsorted(starts, pos, side="right") - 1)
        return int(off[idx[max(k, 0)]])

    def in_offs(pos: np.ndarray) -> np.ndarray:
        k = np.maximum(np.searchsorted(starts, pos, side="right") - 1, 0)
        return off[idx[k]]

    if anchors.size == 0:
        if zone.size:
            defects.append(Defect(int(off[idx[0]]), "packet_lost_in_gap" if (after_gap or followed_by_gap) else "partial_packet",
                                  f"VC {vcid}: {zone.size} bytes of a packet whose header or end was not received; dropped"))
        return []
    first = int(anchors[0])
    if first > 0:
        kind = "packet_lost_in_gap" if after_gap else "partial_packet"
        defects.append(
            Defect(int(off[idx[0]]), kind, f"VC {vcid}: {first} bytes continuing a packet whose start was not received; dropped")
        )
    pk, dfs, rest = parse_stream(zone[first:], limits, base_offset=0, anchors=anchors - first, end_is_final=False)
    for d in dfs:
        defects.append(Defect(in_off(d.offset + first), d.kind, f"VC {vcid}: {d.detail}"))
    if pk:
        mapped = in_offs(np.fromiter((p.offset for p in pk), dtype=np.int64, count=len(pk)) + first).tolist()
        for p, m in zip(pk, mapped):
            p.offset = m
            p.vcid = vcid
    left = zone.size - first - rest
    if left > 0:
        if followed_by_gap:
            defects.append(
                Defect(
                    in_off(rest + first),
                    "packet_lost_in_gap",
                    f"VC {vcid}: packet started here continues into lost frames; {left} bytes dropped",
                )
            )
        else:
            defects.append(
                Defect(
                    in_off(rest + first),
                    "truncated_packet",
                    f"VC {vcid}: last packet incomplete at the end of the input; {left} bytes dropped",
                )
            )
    return pk


# --- Level-0 assembly ------------------------------------------------------------------------------


def packet_time(pkt: bytes, time_cfg: dict | None) -> datetime | None:
    """Packet time from the profile's time definition (bit fields or CUC), or None."""
    if not time_cfg:
        return None
    try:
        kind = time_cfg.get("kind")
        if kind == "bitfields":
            def bf(spec):
                byte, bit, size = spec
                nbytes = (bit + size + 7) // 8
                v = int.from_bytes(pkt[byte : byte + nbytes], "big")
                if len(pkt) < byte + nbytes:
                    raise ValueError("short")
                return (v >> (nbytes * 8 - bit - size)) & ((1 << size) - 1)

            year, day = bf(time_cfg["year"]), bf(time_cfg["day"])
            t = datetime(year, 1, 1, tzinfo=UTC) + timedelta(
                days=day - 1,
                hours=bf(time_cfg["hour"]),
                minutes=bf(time_cfg["minute"]),
                seconds=bf(time_cfg["second"]),
                microseconds=bf(time_cfg.get("microsecond", [0, 0, 0])) if time_cfg.get("microsecond") else 0,
            )
            return t
        if kind == "cuc":
            o = int(time_cfg.get("offset", 6))
            nc, nf = int(time_cfg.get("coarse_bytes", 4)), int(time_cfg.get("fine_bytes", 2))
            if len(pkt) < o + nc + nf:
                return None
            coarse = int.from_bytes(pkt[o : o + nc], "big")
            fine = int.from_bytes(pkt[o + nc : o + nc + nf], "big") / (1 << (8 * nf)) if nf else 0.0
            epoch = parse_utc(str(time_cfg.get("epoch", "1958-01-01T00:00:00Z")), "packet time epoch")
            return epoch + timedelta(seconds=coarse + fine)
    except (ValueError, KeyError, TypeError, OverflowError, IndexError):
        return None
    return None


def assemble_level0(
    packets: list[Packet], defects: list[Defect], time_cfg: dict | None = None
) -> tuple[dict[int, list[Packet]], dict, dict]:
    """Per-APID lists (duplicates removed, time ordered), sequence gaps, counts."""
    per: dict[int, list[Packet]] = {}
    idle = 0
    for p in packets:
        if p.apid == IDLE_APID:
            idle += 1
            continue
        per.setdefault(p.apid, []).append(p)
    gaps: dict[str, list[dict]] = {}
    times_all: list[datetime] = []
    dup_total = 0
    for apid in sorted(per):
        lst = per[apid]
        seen: dict[int, list[bytes]] = {}
        kept: list[Packet] = []
        for p in lst:
            prev = seen.get(p.seq_count)
            if prev is not None and p.data in prev:
                dup_total += 1
                defects.append(
                    Defect(p.offset, "duplicate_packet", f"APID {apid} sequence count {p.seq_count} received again; duplicate dropped")
                )
                continue
            if prev is None:
                seen[p.seq_count] = [p.data]
            else:
                prev.append(p.data)
            kept.append(p)
        if time_cfg:
            opt = [packet_time(p.data, time_cfg) for p in kept]
            tt = [t for t in opt if t is not None]
            if len(tt) == len(opt):
                order = sorted(range(len(kept)), key=lambda i: tt[i])  # stable
                kept = [kept[i] for i in order]
                times_all.extend(tt)
        per[apid] = kept
        g = []
        for a, b in zip(kept[:-1], kept[1:]):
            d = (b.seq_count - a.seq_count) % SEQ_MOD
            if d > 1:
                g.append({"after_count": a.seq_count, "missing": d - 1})
            elif d == 0:
                defects.append(
                    Defect(b.offset, "sequence_repeat", f"APID {apid} sequence count {b.seq_count} repeated with different content")
                )
        gaps[str(apid)] = g
    extra: dict = {"packets_idle": idle, "packets_duplicate": dup_total}
    if times_all:
        extra["time_range"] = [min(times_all), max(times_all)]
    return per, gaps, extra


def _report(per, gaps, extra, stats: FrameStats | None, defects: list[Defect], input_format: str, profile_name: str) -> dict:
    defects_sorted = sorted(defects, key=lambda d: (d.offset, d.kind, d.detail))
    rep = {
        "input_format": input_format,
        "profile": profile_name,
        "packets_total": sum(len(v) for v in per.values()),
        "packets_per_apid": {str(a): len(per[a]) for a in sorted(per)},
        "sequence_gaps": gaps,
        "frames_total": stats.frames_total if stats else 0,
        "frames_rs_corrected": stats.frames_rs_corrected if stats else 0,
        "rs_symbols_corrected": stats.rs_symbols_corrected if stats else 0,
        "frames_uncorrectable": stats.frames_uncorrectable if stats else 0,
        "frames_fecf_error": stats.frames_fecf_error if stats else 0,
        "frames_idle": stats.frames_idle if stats else 0,
        "frames_duplicate": stats.frames_duplicate if stats else 0,
        "frames_missing": stats.frames_missing if stats else 0,
        "frames_used": stats.frames_used if stats else 0,
        **extra,
        "defect_counts": {},
        "defects": [d.as_dict() for d in defects_sorted],
    }
    if stats and stats.ocf:
        rep["ocf"] = stats.ocf
    counts: dict[str, int] = {}
    for d in defects_sorted:
        counts[d.kind] = counts.get(d.kind, 0) + 1
    rep["defect_counts"] = counts
    return rep


def _finish(packets, defects, stats, profile: Profile, input_format: str) -> Level0Result:
    per, gaps, extra = assemble_level0(packets, defects, profile.time)
    files = {a: b"".join(p.data for p in per[a]) for a in per}
    return Level0Result(files, _report(per, gaps, extra, stats, defects, input_format, profile.name), per)


def _packet_limits(data: bytes | np.ndarray, lim: ParseLimits) -> ParseLimits:
    """The profile's packet rules with the APIDs learned from the stream when unset."""

    if lim.apids is None:
        learned = learn_apids(data, lim)
        if learned:
            lim = replace(lim, apids=learned)
    return lim


def level0_from_packets(data: bytes, profile: Profile) -> Level0Result:
    """Level-0 from a stream of concatenated Space Packets.

    A stream whose first header is not CCSDS version 0 (synthetic or legacy files) is also
    parsed with that version; the reading that puts more bytes into whole packets wins. When
    the profile names no packet checksum, a trailing 16-bit sum (CYGNSS style) is detected:
    if at least 90 % of (three or more) packets carry one — 1 in 65 536 by chance — it is
    checked on every packet.
    """


    base = profile.limits
    options = [base]
    if data and base.version is not None and (data[0] >> 5) != base.version:
        options.append(replace(base, version=data[0] >> 5))
    best: tuple | None = None
    for lim0 in options:
        pk, dfs, _ = parse_stream(data, lim0)
        if lim0.checksum is None and len(pk) >= 3 and sum(sum16_ok(p.data) for p in pk) >= 0.9 * len(pk):
            lim0 = replace(lim0, checksum="sum16")
            pk, dfs, _ = parse_stream(data, lim0)
        if dfs:  # damaged: learn the stream's APIDs so that resynchronisation is stricter
            lim = _packet_limits(data, lim0)
            pk, dfs, _ = parse_stream(data, lim)
        cover = sum(p.length for p in pk)
        if best is None or cover > best[0]:
            best = (cover, pk, dfs, lim0)
    assert best is not None  # options is never empty
    _, pk, dfs, lim_used = best
    defects: list[Defect] = list(dfs)
    res = _finish(pk, defects, None, profile, "packets")
    res.report["packet_checksum"] = lim_used.checksum
    return res


AUTO_BASE = {"aos-cadus": "lotusat-xband", "soft-symbols": "lotusat-xband", "tm-frames": "ccsds-tm"}


def level0_from_cadu_bytes(
    data: bytes | np.ndarray, profile: Profile, input_format: str = "aos-cadus", bit_units: float = 1 / 8
) -> Level0Result:
    """Level-0 from a byte stream of CADUs (or bare frames when the profile has no coding).

    With the ``auto`` profile the layout is detected from the stream (:mod:`layout`).
    """
    layout_info = None
    if profile.name == "auto":

        base = load_profile(AUTO_BASE.get(input_format, "lotusat-xband"))
        buf0 = np.frombuffer(bytes(data), np.uint8) if not isinstance(data, np.ndarray) else data
        kind = "tm" if input_format == "tm-frames" else base.frame_config.kind
        profile, layout_info = detect_layout(buf0, kind, base, convolutional=input_format == "soft-symbols")
    if profile.frame is None:
        raise ValidationError(f"profile {profile.name!r} has no frame layout; use --input-format packets")
    defects: list[Defect] = []
    stats = FrameStats()
    unit, cb_len = _frame_sizes(profile)
    buf = np.frombuffer(bytes(data), np.uint8) if not isinstance(data, np.ndarray) else data
    if profile.coding is None:
        n = buf.size // unit
        cbs = buf[: n * unit].reshape(n, unit)
        offs = np.arange(n, dtype=np.int64) * unit
        if buf.size % unit:
            defects.append(Defect(n * unit, "truncated_frame", f"last frame has {buf.size % unit} of {unit} bytes; dropped"))
    else:
        sr = frame_sync(buf, unit, profile.coding.asm, bit_units=bit_units)
        defects.extend(sr.defects)
        cbs = sr.codeblocks
        offs = (sr.bit_offsets * bit_units).astype(np.int64)
        if sr.inverted.any():
            defects.append(
                Defect(
                    int(offs[np.flatnonzero(sr.inverted)[0]]),
                    "phase_inverted",
                    f"{int(sr.inverted.sum())} frames received with inverted polarity (corrected)",
                )
            )
    frames, foff = decode_codeblocks(cbs, offs, profile, stats, defects)
    lim = profile.limits
    pk = packets_from_frames(frames, foff, profile, lim, stats, defects)
    res = _finish(pk, defects, stats, profile, input_format)
    if layout_info is not None:
        res.report["layout"] = layout_info
    return res


def soft_symbols_from_bytes(data: bytes) -> np.ndarray:
    """float32 little-endian soft symbols from a file's bytes (a trailing partial value is ignored)."""
    n = len(data) // 4
    return np.frombuffer(data[: 4 * n], dtype="<f4")


def _as_profile(profile: Profile | str) -> Profile:
    if isinstance(profile, str):

        return load_profile(profile)
    return profile


def level0_from_soft_symbols(symbols: np.ndarray, profile: Profile | str = "lotusat-xband") -> Level0Result:
    """Level-0 from soft symbols (float, positive → 1) of a convolutionally coded CADU stream.

    The inverse of :func:`lotusar.groundstation.encoder.encode_packets_to_soft_symbols`:
    Viterbi (symbol-pair alignment found automatically) → ASM sync (either polarity) → CADUs.
    """

    profile = _as_profile(profile)

    s = np.nan_to_num(np.asarray(symbols, dtype=np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    if profile.name == "auto" or (profile.coding is not None and profile.coding.convolutional):
        bits, phase = decode_stream_autophase(s)
        # one decoded bit per two symbols: bit b ↔ symbol 2b+phase ↔ byte offset 4*(2b+phase)
        units = 8.0
    else:
        bits = (s > 0).astype(np.uint8)
        phase = 0
        units = 4.0
    nb = bits.size // 8 * 8
    packed = np.packbits(bits[:nb])
    res = level0_from_cadu_bytes(packed, profile, "soft-symbols", bit_units=units)
    if phase:
        res.report["symbol_phase"] = phase
    return res


def level0(data: bytes, input_format: str, profile: Profile | str) -> Level0Result:
    """Dispatch on the input format (see module docstring)."""
    profile = _as_profile(profile)
    if input_format not in INPUT_FORMATS:
        raise ValidationError(f"unknown input format {input_format!r}; one of {', '.join(INPUT_FORMATS)}")
    if input_format == "packets":
        return level0_from_packets(data, profile)
    if input_format == "soft-symbols":
        return level0_from_soft_symbols(soft_symbols_from_bytes(data), profile)
    return level0_from_cadu_bytes(data, profile, input_format)


def write_level0(result: Level0Result, out_dir: str | Path) -> list[Path]:
    """Write ``apid<NNNNN>.pkt`` per APID (atomic) and ``report.json``; returns the paths."""

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for apid in sorted(result.files):
        paths.append(write_bytes_atomic(out / f"apid{apid:05d}.pkt", result.files[apid]))
    paths.append(write_text_atomic(out / "report.json", to_json(result.report) + "\n"))
    return paths


def decode_frames(data: bytes, input_format: str, profile: Profile | str) -> tuple[list[dict], np.ndarray, dict]:
    """Frame-level decoding (no reassembly): one record per CADU/frame, the decoded frames, layout.

    Records: ``offset``, ``status`` (ok | rs_uncorrectable | fecf_error), ``rs_corrected``,
    ``version``, ``scid``, ``vcid``, ``vc_count``, ``mc_count`` (TM), ``fhp``, ``idle``, ``ocf``.
    """

    prof = _as_profile(profile)
    units = 1 / 8
    if input_format == "soft-symbols":
        s = np.nan_to_num(soft_symbols_from_bytes(data), nan=0.0, posinf=1.0, neginf=-1.0)
        bits, _ = decode_stream_autophase(s)
        buf = np.packbits(bits[: bits.size // 8 * 8])
        units = 8.0
    elif input_format in ("tm-frames", "aos-cadus"):
        buf = np.frombuffer(bytes(data), np.uint8)
    else:
        raise ValidationError(f"frame decoding needs tm-frames, aos-cadus or soft-symbols, not {input_format!r}")
    layout: dict = {}
    if prof.name == "auto":

        base = load_profile(AUTO_BASE.get(input_format, "lotusat-xband"))
        prof, layout = detect_layout(
            buf, "tm" if input_format == "tm-frames" else "aos", base, convolutional=input_format == "soft-symbols"
        )
    if prof.frame is None:
        raise ValidationError(f"profile {prof.name!r} has no frame layout")
    cfg, coding = prof.frame, prof.coding
    unit, _ = _frame_sizes(prof)
    if coding is None:
        n = buf.size // unit
        cbs, offs = buf[: n * unit].reshape(n, unit), np.arange(n, dtype=np.int64) * unit
    else:
        sr = frame_sync(buf, unit, coding.asm, bit_units=units)
        cbs, offs = sr.codeblocks, (sr.bit_offsets * units).astype(np.int64)
    if coding is not None and coding.randomizer:
        cbs = randomize(cbs)
    corrected = np.zeros(cbs.shape[0], np.int64)
    status = np.array(["ok"] * cbs.shape[0], dtype=object)
    if coding is not None and coding.rs_depth and cbs.shape[0]:
        frames, corrected, unc = rs.decode_codeblocks(cbs, coding.rs_depth, coding.rs_dual)
        status[unc] = "rs_uncorrectable"
    else:
        frames = np.ascontiguousarray(cbs[:, : cfg.length])
    if cfg.fecf and frames.shape[0]:
        bad = (np.asarray(crc16_ccitt(frames)) != 0) & (status == "ok")
        status[bad] = "fecf_error"
    recs = []
    if frames.shape[0]:
        h = fr.decode_headers(frames, cfg)
        ocf = fr.ocf_words(frames, cfg, h)
        idle = (h.vcid == fr.AOS_IDLE_VCID) if cfg.kind == "aos" else (h.fhp == fr.FHP_IDLE)
        for i in range(frames.shape[0]):
            recs.append(
                {
                    "offset": int(offs[i]),
                    "status": status[i],
                    "rs_corrected": int(corrected[i]),
                    "version": int(h.version[i]),
                    "scid": int(h.scid[i]),
                    "vcid": int(h.vcid[i]),
                    "vc_count": int(h.vc_count[i]),
                    "mc_count": int(h.mc_count[i]),
                    "fhp": int(h.fhp[i]),
                    "idle": bool(idle[i]),
                    "ocf": f"0x{int(ocf[i]):08x}" if h.ocf_flag[i] else None,
                }
            )
    return recs, frames, {"profile": prof.name, **layout}
