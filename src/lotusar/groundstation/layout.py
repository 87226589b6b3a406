"""Detect the CADU layout of an unknown stream (``--profile auto``).

From the first part of the stream: the ASM spacing gives the CADU length; then every
combination of randomiser (on/off), RS interleaving depth (1–8, with virtual fill) and basis
(dual/conventional) is tried on the first codeblocks, and the one under which most of them
have all-zero syndromes is taken — a false match is essentially impossible (a random block
decodes with probability ~1e-13), even with channel errors.
Without RS, the randomiser setting is chosen by the consistency of the frame headers (version
and spacecraft id) and, for TM, the FECF is detected by its CRC residue.
"""

from __future__ import annotations

import numpy as np

from lotusar.errors import ValidationError
from lotusar.groundstation import reedsolomon as rs
from lotusar.groundstation.crc import crc16_ccitt
from lotusar.groundstation.frames import FrameConfig
from lotusar.groundstation.profile import CodingConfig, Profile
from lotusar.groundstation.randomizer import randomize
from lotusar.groundstation.sync import ASM, asm_distances, frame_sync


def detect_layout(
    buf: np.ndarray, kind: str, base: Profile, convolutional: bool = False, probe_bytes: int = 1 << 17
) -> tuple[Profile, dict]:
    """A profile for the stream (``base`` when nothing is detected) and what was found."""
    probe = np.asarray(buf[:probe_bytes], np.uint8)
    info: dict = {"detected": False}
    d = asm_distances(probe).astype(np.int16)
    cand = np.flatnonzero((d <= 2) | (d >= 30))
    if cand.size < 3:
        return base, info
    diffs = np.diff(cand)
    vals, counts = np.unique(diffs, return_counts=True)
    ok = (vals % 8 == 0) & (vals >= 8 * 40)
    if not ok.any():
        return base, info
    vals, counts = vals[ok], counts[ok]
    period = int(vals[np.argmax(counts)])
    if counts.max() < 2:
        return base, info
    cadu = period // 8
    n = cadu - 4
    sr = frame_sync(probe, cadu)
    cbs = sr.codeblocks[:16]
    if cbs.shape[0] == 0:
        return base, info
    info.update(cadu_length=cadu)
    def header_score(f: np.ndarray) -> tuple[float, str]:
        """Consistency of the transfer-frame headers: one version, one spacecraft id."""
        ver = f[:, 0] >> 6
        vmaj = int(np.bincount(ver, minlength=4).argmax())
        k = "aos" if vmaj == 1 else ("tm" if vmaj == 0 else kind)
        sc = ((f[:, 0].astype(np.int64) & 0x3F) << 8) | f[:, 1]
        return float((ver == vmaj).mean() * (vmaj < 2)) + float((sc == np.bincount(sc).argmax()).mean()), k

    configs = []
    for rand in (True, False):
        x = randomize(cbs) if rand else cbs
        for depth in range(1, 9):
            if n % depth or not (33 <= n // depth <= 255) or n - 32 * depth < 16:
                continue
            for dual in (True, False):
                configs.append((rand, depth, dual, x))

    def collect(decodable: bool) -> list:
        out = []
        for rand, depth, dual, x in configs:
            if decodable:
                # decodable (not merely error-free) so that a noisy stream is recognised too;
                # a random word lies within 16 symbols of a codeword with probability ~1e-13
                _, _, unc = rs.decode_codeblocks(x, depth, dual)
                frac = float((~unc).mean())
            else:
                frac = float(rs.codeblocks_valid(x, depth, dual, workers=1).mean())
            # one decodable codeblock is already proof (a random block decodes with p ~ 1e-13
            # per codeword); needed for very noisy streams where most blocks fail
            if frac >= (1e-9 if decodable else 0.5):
                hs, k = header_score(x[:, : n - 32 * depth])
                out.append((frac + hs, rand, depth, dual, k))
        return out

    cands = collect(False) or collect(True)
    if not cands and base.frame is not None and base.coding is not None and base.coding.rs_depth and base.cadu_len == cadu:
        info.update(profile=base.name, note="no codeblock decodable; the standard profile of this CADU length is assumed")
        return base, info
    if cands:
        _, rand, depth, dual, kind = max(cands, key=lambda c: c[0])
        flen = n - 32 * depth
        frames = (randomize(cbs) if rand else cbs)[:, :flen]
    else:
        depth, dual = 0, True
        flen = n
        s_r, k_r = header_score(randomize(cbs))
        s_p, k_p = header_score(cbs)
        rand = s_r >= s_p
        kind = k_r if rand else k_p
        frames = randomize(cbs) if rand else cbs
    fecf = False
    if kind == "tm" and flen >= 8:
        fecf = bool((np.asarray(crc16_ccitt(frames)) == 0).mean() >= 0.5)
    bf = base.frame or FrameConfig()
    try:
        frame = FrameConfig(
            kind=kind,
            length=flen,
            scid=None,
            ocf=bf.ocf if kind == "aos" and base.frame is not None and base.frame.kind == "aos" else False,
            fecf=fecf,
            insert_zone=0,
            fhec=False,
        )
    except ValidationError:  # a detected length outside the frame formats: keep the base profile
        return base, info
    coding = CodingConfig(asm=ASM, randomizer=rand, rs_depth=depth or None, rs_dual=dual, convolutional=convolutional)
    info.update(
        detected=True,
        frame_kind=kind,
        frame_length=flen,
        randomizer=rand,
        rs_depth=depth or None,
        rs_basis=("dual" if dual else "conventional") if depth else None,
        fecf=fecf,
    )
    # keep the base profile when it already describes this layout (its SCID, OCF, time rules)
    if (
        base.frame is not None
        and base.coding is not None
        and base.frame.kind == kind
        and base.frame.length == flen
        and (base.coding.rs_depth or None) == depth
        and base.coding.randomizer == rand
        and (depth is None or base.coding.rs_dual == dual)
        and base.frame.fecf == fecf
    ):
        info["profile"] = base.name
        return base, info
    prof = Profile(
        name=f"auto({kind},{flen},{'RS I=' + str(depth) + (' dual' if dual else ' conv') if depth else 'no RS'}"
        f"{', randomised' if rand else ''})",
        kind="link",
        frame=frame,
        coding=coding,
        limits=base.limits,
        time=base.time,
        raw={"auto": True},
    )
    info["profile"] = prof.name
    return prof, info
