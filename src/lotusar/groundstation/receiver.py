"""The beacon receiver: a recording and a SatYAML file in, the frames each transmitter sent out.

For every transmitter of the satellite file that lotusar supports (see
:meth:`Transmitter.unsupported_reason`), the recording is demodulated into candidate soft-
symbol streams (:mod:`demod`) and each stream is deframed (:mod:`deframers`). Frames found
in several candidates are the same transmission: they are merged when their bytes agree and
their times are within half a frame of each other (a satellite repeating a beacon later
still counts twice). Unsupported transmitters are reported as one-line notices; a file with
no supported transmitter is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lotusar.errors import ValidationError
from lotusar.groundstation.deframers import get_deframer
from lotusar.groundstation.demod import Signal, demodulate
from lotusar.groundstation.satyaml import SatelliteFile, Transmitter


@dataclass
class ReceiverResult:
    """Decoded frames (time order) and the notices about skipped transmitters."""

    frames: list[dict] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def decode_transmitter(sig: Signal, tx: Transmitter) -> list[dict]:
    """All frames of one transmitter in a recording → records (see :func:`decode_recording`)."""
    deframe = get_deframer(tx.framing, tx.params)
    if deframe is None:
        raise ValidationError(f"framing {tx.framing!r} not supported")
    found: list[dict] = []
    for st in demodulate(sig, tx.modulation, tx.baudrate, tx.deviation_hz, tx.af_carrier_hz):
        if st.soft.size == 0:
            continue
        for fr in deframe(st.soft):
            t = float(st.time_s[min(max(fr.symbol, 0), st.time_s.size - 1)])
            half_frame_s = 0.5 * 8 * len(fr.data) / tx.baudrate
            same = [f for f in found if f["_data"] == fr.data and abs(f["offset_s"] - t) < half_frame_s]
            if same:
                same[0]["offset_s"] = min(same[0]["offset_s"], t)
                continue
            rec: dict = {"transmitter": tx.name, "modulation": tx.modulation, "baudrate": tx.baudrate, "framing": tx.framing,
                         "offset_s": t, "length": len(fr.data), "hex": fr.data.hex(), "_data": fr.data}
            if fr.crc_ok is not None:
                rec["crc_ok"] = bool(fr.crc_ok)
            if fr.rs_corrected is not None:
                rec["rs_corrected"] = int(fr.rs_corrected)
            found.append(rec)
    for f in found:
        del f["_data"]
        f["offset_s"] = round(f["offset_s"], 6)
    return found


def decode_recording(sig: Signal, sat: SatelliteFile) -> ReceiverResult:
    """Decode every supported transmitter of ``sat`` in the recording ``sig``."""
    res = ReceiverResult()
    usable = []
    for tx in sat.transmitters:
        why = tx.unsupported_reason()
        if why:
            res.notices.append(f"skipping transmitter {tx.name!r} of {sat.name}: {why}")
        elif sig.rate_hz / tx.baudrate < 2.0 and not sig.is_complex:
            why = f"{tx.baudrate:g} Bd needs more than {sig.rate_hz:g} samples/s"
            res.notices.append(f"skipping transmitter {tx.name!r} of {sat.name}: {why}")
        else:
            usable.append(tx)
    if not usable:
        raise ValidationError(f"{sat.source or sat.name}: no supported transmitter ({'; '.join(n.split(': ', 1)[1] for n in res.notices)})")
    for tx in usable:
        res.frames += decode_transmitter(sig, tx)
    res.frames.sort(key=lambda f: f["offset_s"])
    for i, f in enumerate(res.frames):
        f["index"] = i
    return res


