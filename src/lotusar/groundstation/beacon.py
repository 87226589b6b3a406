"""Small-satellite beacon decoding driven by profiles (data, not code per satellite).

Inputs: KISS files, WAV audio (AFSK 1200 or G3RUH 9600 per the profile's ``radio``), or soft
symbols (AO-40 FEC). Per frame the result is one dict: ``index``, ``offset`` (byte in the KISS
file / sample in the audio / symbol in the stream), ``status`` (``ok`` or ``rejected`` with a
one-line ``reason``), the AX.25 addresses, ``fcs`` state, ``rs_corrected``, the payload fields
(calibrated values at top level; ``formatted`` holds display strings — ISO times, ``%.3f``
numbers, ``0x%02x`` flags) and ``info_text`` for text beacons.

Profile ``ax25`` section: ``standard_addresses`` (shifted callsigns per AX.25) or raw ASCII
(QB50 SE01), ``header_len``, ``callsign`` (used to locate the header when the KISS command
byte is missing), ``fcs`` (required | optional). ``rs``: a CCSDS RS codeword after the header
(``length``, ``basis``). ``payload``: ``text`` or ``struct`` with typed fields and conversions
(``linear``: (raw + add) * mul / div; ``epoch``: seconds since a given epoch).
"""

from __future__ import annotations

import struct
from datetime import datetime, timedelta

import numpy as np

from lotusar.errors import ValidationError
from lotusar.groundstation import ax25
from lotusar.groundstation import reedsolomon as rs
from lotusar.groundstation.ao40 import decode_ao40_stream
from lotusar.groundstation.crc import crc16_x25
from lotusar.groundstation.level0 import soft_symbols_from_bytes
from lotusar.groundstation.modem import demodulate_wav, supported_audio_modulation
from lotusar.groundstation.profile import Profile
from lotusar.timeutil import parse_utc

BEACON_FORMATS = ("kiss", "wav", "soft-symbols")

_TYPES = {
    "u8": ("B", 1),
    "i8": ("b", 1),
    "u16": ("H", 2),
    "i16": ("h", 2),
    "u32": ("I", 4),
    "i32": ("i", 4),
    "u32be": (">I", 4),
    "u16be": (">H", 2),
    "f32": ("f", 4),
}


def _convert(raw, conv: dict | None):
    if not conv:
        return raw
    k = conv.get("kind")
    if k == "linear":
        return (raw + float(conv.get("add", 0.0))) * float(conv.get("mul", 1.0)) / float(conv.get("div", 1.0))
    if k == "epoch":
        ep = parse_utc(str(conv["epoch"]), "conversion epoch")
        return ep + timedelta(seconds=int(raw))
    raise ValidationError(f"unknown conversion kind {k!r}")


def decode_payload(payload: bytes, spec: dict) -> tuple[dict, dict]:
    """Decode a payload per the profile's ``payload`` spec → (values, formatted strings)."""
    kind = spec.get("kind", "raw")
    vals: dict = {}
    fmt: dict = {}
    if kind == "text":
        text = payload.decode("ascii", errors="replace").rstrip("\x00\r\n")
        vals["info_text"] = text
        fmt["info_text"] = text
        return vals, fmt
    if kind != "struct":
        vals["payload_hex"] = payload.hex()
        return vals, fmt
    endian = "<" if spec.get("endian", "little") == "little" else ">"
    for f in spec.get("fields", []):
        name, off, typ = f["name"], int(f["offset"]), f["type"]
        if typ == "cstring":
            ln = int(f.get("length", len(payload) - off))
            raw = payload[off : off + ln]
            if len(raw) < 1:
                raise ValueError(f"payload too short for field {name}")
            s = raw.split(b"\x00")[0].decode("ascii", errors="replace")
            vals[name] = s
            fmt[name] = s
            continue
        code, size = _TYPES[typ]
        if off + size > len(payload):
            raise ValueError(f"payload of {len(payload)} bytes too short for field {name}")
        c = code if code.startswith(">") else endian + code
        raw = struct.unpack_from(c, payload, off)[0]
        v = _convert(raw, f.get("conversion"))
        if isinstance(v, datetime):
            vals[name] = v.strftime("%Y-%m-%dT%H:%M:%SZ")
            fmt[name] = vals[name]
        elif f.get("format") == "hex":
            vals[name] = int(v)
            fmt[name] = f"0x{int(v):0{2 * size}x}"
        elif isinstance(v, float):
            vals[name] = round(v, 9)
            fmt[name] = f"{v:.3f}"
        else:
            vals[name] = v
            fmt[name] = str(v)
    return vals, fmt


def _locate_header(fr: bytes, prof: Profile) -> int:
    """Offset of the AX.25 header in a KISS frame (0 or 1: with or without the command byte)."""
    ax = prof.raw.get("ax25", {})
    call = ax.get("callsign")
    cands = [0, 1] if fr and fr[0] != 0x00 else [1, 0]
    for c in cands:
        h = fr[c:]
        if call and not ax.get("standard_addresses", True):
            if h[: len(call)] == call.encode():
                return c
        elif ax25._valid_address_block(h[:7]) and ax25._valid_address_block(h[7:14]):
            return c
    return 1 if fr and fr[0] == 0x00 else 0


def decode_ax25_frame(fr: bytes, prof: Profile) -> dict:
    """Decode one AX.25 frame (no KISS byte) per the profile; raises ValueError with a reason."""
    ax = prof.raw.get("ax25", {})
    rs_spec = prof.raw.get("rs")
    out: dict = {}
    if ax.get("standard_addresses", True):
        a = ax25.parse_ax25(fr, has_fcs=None if ax.get("fcs", "required") != "required" else True)
        if ax.get("fcs", "required") == "required" and a["fcs"] != "valid":
            raise ValueError(f"AX.25 FCS {a['fcs']}")
        out.update({k: a[k] for k in ("dest", "dest_ssid", "src", "src_ssid", "digipeaters", "control", "pid", "fcs")})
        info = a["info"]
    else:
        hl = int(ax.get("header_len", 16))
        need = hl + (int(rs_spec["length"]) if rs_spec else 1)
        if len(fr) < need:
            raise ValueError(f"fragment of {len(fr)} bytes, a frame needs {need}")
        out["dest"] = fr[0:6].decode("ascii", errors="replace").rstrip("\x00 ")
        out["src"] = fr[7:13].decode("ascii", errors="replace").rstrip("\x00 ")
        out["control"], out["pid"] = fr[14], fr[15]
        body = fr[hl:]
        if rs_spec:
            L = int(rs_spec["length"])
            extra = len(body) - L
            if extra == 2:
                out["fcs"] = "valid" if crc16_x25(fr[:-2]) == (fr[-2] | fr[-1] << 8) else "invalid"
            elif extra == 0:
                out["fcs"] = "absent"
            else:
                raise ValueError(f"frame body of {len(body)} bytes is neither {L} nor {L + 2}")
        else:
            out["fcs"] = "absent"
        info = body
    if rs_spec:
        L = int(rs_spec["length"])
        cw = np.frombuffer(info[:L], np.uint8)
        if cw.size != L:
            raise ValueError(f"RS codeword has {cw.size} of {L} bytes")
        r = rs.decode(cw[None, :], dual=rs_spec.get("basis", "conventional") == "dual")
        if r.corrected[0] < 0:
            raise ValueError("RS codeword uncorrectable (more than 16 byte errors)")
        out["rs_corrected"] = int(r.corrected[0])
        info = r.codewords[0, : L - 32].tobytes()
    vals, fmt = decode_payload(info, prof.raw.get("payload", {"kind": "raw"}))
    out.update(vals)
    out["formatted"] = fmt
    out["info_hex"] = info.hex()
    return out


def decode_kiss(data: bytes, prof: Profile) -> list[dict]:
    """All KISS frames of a file, decoded or rejected with a reason."""
    res = []
    for i, kf in enumerate(ax25.kiss_deframe(data)):
        rec: dict = {"index": i, "offset": kf.offset, "length": len(kf.data)}
        try:
            if kf.error and len(kf.data) < 17:
                raise ValueError(kf.error)
            h = _locate_header(kf.data, prof)
            rec.update(decode_ax25_frame(kf.data[h:], prof))
            rec["status"] = "ok"
        except (ValueError, KeyError, IndexError, UnicodeDecodeError) as e:
            rec["status"] = "rejected"
            rec["reason"] = str(e).splitlines()[0] if str(e) else type(e).__name__
        res.append(rec)
    return res


def decode_hdlc_frames(frames: list[tuple[int, bytes]], prof: Profile) -> list[dict]:
    """Decode frames recovered from audio (offsets in samples), dropping repeats across phases."""
    res: list[dict] = []
    seen: set[bytes] = set()
    for off, fb in sorted(frames, key=lambda x: x[0]):
        if fb in seen:
            continue
        rec: dict = {"index": len(res), "offset": off, "length": len(fb)}
        try:
            rec.update(decode_ax25_frame(fb, prof))
            rec["status"] = "ok"
            seen.add(fb)
        except (ValueError, KeyError, IndexError):
            continue  # bit streams contain many flag-delimited fragments; only good frames count
        res.append(rec)
    return res


def profile_needs_receiver(prof: Profile) -> bool:
    """True when a beacon profile's audio needs the SatYAML receiver (its ``transmitters``):
    the profile's ``radio.modulation`` is not one of the audio modems of :mod:`modem`."""
    radio = prof.raw.get("radio", {})
    return bool(prof.raw.get("transmitters")) and not supported_audio_modulation(str(radio.get("modulation", "")))


def decode_beacons(data: bytes, input_format: str, prof: Profile, source: str = "") -> list[dict]:
    """Decode a beacon recording per its profile (see module docstring)."""
    if input_format not in BEACON_FORMATS:
        raise ValidationError(f"--input-format must be one of {', '.join(BEACON_FORMATS)}, not {input_format!r}")
    if prof.kind != "beacon":
        raise ValidationError(f"profile {prof.name!r} is not a beacon profile")
    if input_format == "kiss":
        return decode_kiss(data, prof)
    if input_format == "wav":
        radio = prof.raw.get("radio", {})
        frames = demodulate_wav(data, radio.get("modulation", "AFSK1200"), source=source)
        return decode_hdlc_frames(frames, prof)
    if prof.raw.get("fec") != "ao40":
        raise ValidationError(f"profile {prof.name!r} has no soft-symbol FEC (fec: ao40)")
    out = []
    for i, r in enumerate(decode_ao40_stream(soft_symbols_from_bytes(data))):
        rec = {"index": i, **r}
        if r.get("status") == "ok":
            vals, fmt = decode_payload(bytes.fromhex(r["frame_hex"]), prof.raw.get("payload", {"kind": "raw"}))
            rec.update(vals)
        out.append(rec)
    return out
