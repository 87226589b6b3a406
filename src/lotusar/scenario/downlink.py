"""SAR raw data ⇄ CCSDS Space Packets (the instrument's source-packet format for the scenario).

The raw echoes of one acquisition travel to the ground as Space Packets (CCSDS 133.0-B-2):

* APID ``ECHO_APID`` (0x200) — one packet per echo line. Data field: secondary header
  (uint32 line index, float64 pulse transmit time in s since the raw file's reference epoch,
  both big-endian), then the line's BAQ block scales (float32, big-endian), then the I/Q
  samples as signed integers of ``bits`` bits, packed MSB first (4-bit: two per byte).
* APID ``ANCILLARY_APID`` (0x201) — the acquisition's metadata (every attribute and every
  non-echo variable of the raw Dataset: orbit state vectors, timing, truth) as UTF-8 JSON,
  split into segments with the sequence flags first / continuation / last.

:func:`raw_to_packets` and :func:`packets_to_raw` are exact inverses: the raw Dataset rebuilt
from the Level-0 packet files has bit-identical echoes, scales, axes, orbit and attributes.
"""

from __future__ import annotations

import json
import struct

import numpy as np
import xarray as xr

from lotusar.errors import InputFormatError
from lotusar.groundstation.packets import make_packet

ECHO_APID = 0x200
ANCILLARY_APID = 0x201
_SEG = 60000  # ancillary segment size (bytes), below the 65536-byte packet data field limit
_SEQ_MOD = 16384


def _pack_iq(iq: np.ndarray, bits: int) -> bytes:
    """Pack signed I/Q integers (…, 2) int8 into bytes; 4-bit values two per byte (MSB first)."""
    flat = iq.reshape(-1).astype(np.int8)
    if bits > 4:
        return flat.tobytes()
    u = (flat.astype(np.int16) & 0x0F).astype(np.uint8)
    if u.size % 2:
        u = np.append(u, np.uint8(0))
    return ((u[0::2] << 4) | u[1::2]).astype(np.uint8).tobytes()


def _unpack_iq(buf: bytes, n: int, bits: int) -> np.ndarray:
    a = np.frombuffer(buf, np.uint8)
    if bits > 4:
        return a[:n].view(np.int8).copy()
    hi, lo = (a >> 4).astype(np.int8), (a & 0x0F).astype(np.int8)
    out = np.empty(a.size * 2, np.int8)
    out[0::2], out[1::2] = hi, lo
    out = out[:n]
    return np.where(out > 7, out - 16, out).astype(np.int8)


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return {"__ndarray__": v.tolist(), "dtype": str(v.dtype), "shape": list(v.shape)}
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    return v


def _from_json(v):
    if isinstance(v, dict) and "__ndarray__" in v:
        return np.asarray(v["__ndarray__"], dtype=v["dtype"]).reshape(v.get("shape", np.shape(v["__ndarray__"])))
    return v


def raw_to_packets(raw: xr.Dataset) -> list[bytes]:
    """Packetise a quantised raw Dataset (``echoes_iq`` + ``echo_scale``) into Space Packets.

    Returns ancillary packets first, then one echo packet per line, in transmit order.
    """
    if "echoes_iq" not in raw or "echo_scale" not in raw:
        raise InputFormatError("raw dataset has no quantised echoes (echoes_iq/echo_scale): simulate with quantisation")
    bits = int(raw.attrs["quantisation_bits"])
    meta = {
        "attrs": {k: _jsonable(v) for k, v in raw.attrs.items()},
        "coords": {k: {"dims": list(raw[k].dims), "data": _jsonable(raw[k].values), "attrs": dict(raw[k].attrs)} for k in raw.coords},
        "vars": {k: {"dims": list(raw[k].dims), "data": _jsonable(raw[k].values),
                     "attrs": {a: _jsonable(b) for a, b in raw[k].attrs.items()}}
                 for k in raw.data_vars if k not in ("echoes_iq", "echo_scale", "echoes")},
        "echo": {"lines": int(raw.sizes["azimuth_time"]), "samples": int(raw.sizes["fast_time"]),
                 "scale_blocks": int(raw.sizes["scale_block"]), "bits": bits},
    }
    blob = json.dumps(meta, separators=(",", ":")).encode()
    segs = [blob[i:i + _SEG] for i in range(0, len(blob), _SEG)] or [b"{}"]
    packets = []
    for i, seg in enumerate(segs):
        flags = 3 if len(segs) == 1 else (1 if i == 0 else (2 if i == len(segs) - 1 else 0))
        packets.append(make_packet(ANCILLARY_APID, i, seg, sec_hdr=0, seq_flags=flags))
    iq = raw["echoes_iq"].values
    scale = raw["echo_scale"].values.astype(">f4")
    times = raw["azimuth_time"].values.astype(float)
    for line in range(iq.shape[0]):
        payload = struct.pack(">Id", line, times[line]) + scale[line].tobytes() + _pack_iq(iq[line], bits)
        packets.append(make_packet(ECHO_APID, line % _SEQ_MOD, payload, sec_hdr=1))
    return packets


def _data_field(pkt: bytes) -> bytes:
    return pkt[6:]


def packets_to_raw(ancillary: list[bytes], echoes: list[bytes]) -> xr.Dataset:
    """Rebuild the raw Dataset from Level-0 packets (ancillary APID, echo APID, in order).

    Lines whose packets were lost are zero-filled and listed in ``attrs['missing_lines']``.
    """
    try:
        meta = json.loads(b"".join(_data_field(p) for p in ancillary).decode())
    except (ValueError, UnicodeDecodeError) as err:
        raise InputFormatError(f"ancillary packets (APID {ANCILLARY_APID}): metadata does not decode: {err}") from None
    echo = meta["echo"]
    lines, samples, nblk, bits = echo["lines"], echo["samples"], echo["scale_blocks"], echo["bits"]
    iq = np.zeros((lines, samples, 2), np.int8)
    scale = np.zeros((lines, nblk), np.float32)
    seen = np.zeros(lines, bool)
    head = struct.calcsize(">Id")
    for p in echoes:
        d = _data_field(p)
        line, _t = struct.unpack(">Id", d[:head])
        if not 0 <= line < lines:
            raise InputFormatError(f"echo packet: line index {line} outside 0..{lines - 1}")
        scale[line] = np.frombuffer(d[head:head + 4 * nblk], ">f4")
        iq[line] = _unpack_iq(d[head + 4 * nblk:], samples * 2, bits).reshape(samples, 2)
        seen[line] = True
    coords = {k: (v["dims"], _from_json(v["data"]), v["attrs"]) for k, v in meta["coords"].items()}
    data: dict[str, tuple] = {k: (v["dims"], _from_json(v["data"]), {a: _from_json(b) for a, b in v["attrs"].items()})
                              for k, v in meta["vars"].items()}
    data["echoes_iq"] = (("azimuth_time", "fast_time", "iq"), iq)
    data["echo_scale"] = (("azimuth_time", "scale_block"), scale)
    attrs = {k: _from_json(v) for k, v in meta["attrs"].items()}
    attrs["missing_lines"] = np.flatnonzero(~seen).astype(np.int64)
    return xr.Dataset(data, coords=coords, attrs=attrs)
