"""Stage 4 of the scenario: the raw echoes through the CCSDS downlink chain and back.

Transmit: raw → Space Packets (``scenario.downlink``) → AOS frames → RS(255,223) I=4 (dual basis)
→ CCSDS randomiser → K=7 r=1/2 convolutional code → BPSK soft symbols in AWGN. The channel's
Eb/N0 is the link budget of the planned downlink pass (``groundstation.linkbudget``) over the
seconds the transmission occupies at the link's data rate, starting at the downlink's start.

Receive: soft symbols → Viterbi → frame sync → derandomise → RS decode → packet reassembly →
Level-0 per APID (``groundstation.level0``). The Level-0 files are compared byte for byte with
the packets that were sent.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from lotusar.fileio import write_bytes_atomic
from lotusar.fleet import Fleet
from lotusar.groundstation.encoder import encode_packets_to_soft_symbols
from lotusar.groundstation.level0 import level0_from_soft_symbols, write_level0
from lotusar.groundstation.linkbudget import link_budget_over_pass
from lotusar.groundstation.profile import load_profile
from lotusar.scenario.downlink import ANCILLARY_APID, ECHO_APID, packets_to_raw, raw_to_packets
from lotusar.timeutil import iso_utc, parse_utc, to_datetime64

ECHO_PROFILE = "lotusat-xband"  # the LOTUSat-1 X-band downlink profile (groundstation/profiles)


def transmission_ebn0_db(plan: dict, fleet: Fleet, n_bits: int) -> tuple[np.ndarray, dict]:
    """Per-second Eb/N0 (dB) over the transmission of ``n_bits`` starting at the downlink start."""
    dl = plan["downlink"]
    t0, t1 = parse_utc(dl["start"]), parse_utc(dl["end"])
    lb = link_budget_over_pass(dl["satellite"], dl["station"], t0 - timedelta(minutes=20), t1 + timedelta(minutes=5), fleet=fleet)
    # the pass that contains the downlink
    times = lb.time.astype("datetime64[ns]")
    start64 = to_datetime64(t0)
    duration_s = n_bits / lb.link.data_rate_bps
    sel = (times >= start64 - np.timedelta64(1, "s")) & (times <= start64 + np.timedelta64(int(np.ceil(duration_s)) + 1, "s"))
    ebn0 = lb.ebn0_db[sel] if sel.any() else lb.ebn0_db[np.argmin(np.abs((times - start64).astype(float)))][None]
    info = {**lb.summary(), "transmission_start": iso_utc(t0), "transmission_duration_s": duration_s,
            "transmission_ebn0_db_min": float(np.min(ebn0)), "transmission_ebn0_db_max": float(np.max(ebn0))}
    return np.asarray(ebn0, float), info


def downlink(res, fleet: Fleet, plan: dict, sim: dict, seed: int) -> dict:
    """Send the simulated raw echoes through the downlink chain; Level-0 files and their check."""
    packets = raw_to_packets(sim["raw"])
    n_bits = 8 * sum(len(p) for p in packets)
    ebn0, link = transmission_ebn0_db(plan, fleet, n_bits)
    profile = load_profile(ECHO_PROFILE)
    symbols = encode_packets_to_soft_symbols(packets, ebn0, profile, seed=seed)
    l0 = level0_from_soft_symbols(symbols, profile)
    out = res.out_dir / "level0"
    written = write_level0(l0, out)
    # Byte equality with what was sent, per APID.
    sent: dict[int, bytes] = {}
    for p in packets:
        apid = ((p[0] & 0x07) << 8) | p[1]
        sent[apid] = sent.get(apid, b"") + p
    equal = {f"{apid:05d}": l0.files.get(apid, b"") == data for apid, data in sent.items()}
    # The raw file is rebuilt from the Level-0 packet files alone (what a processor would get).
    rebuilt = packets_to_raw(_split(l0.files.get(ANCILLARY_APID, b"")), _split(l0.files.get(ECHO_APID, b"")))
    report = {k: v for k, v in l0.report.items() if k != "defects"}
    report["defects"] = len(l0.report.get("defects", []))
    res.summary["downlink_link_budget"] = link
    res.summary["level0"] = {"packets_sent": len(packets), "bits_sent": n_bits, "equal_per_apid": equal,
                             "level0_equals_sent": all(equal.values()) and set(l0.files) == set(sent),
                             "missing_lines": int(len(rebuilt.attrs.get("missing_lines", []))), **report}
    sent_path = write_bytes_atomic(res.out_dir / "level0_sent" / "packets.bin", b"".join(packets))
    res.ledger.add("packets_sent", sent_path, "groundstation.encode", inputs=["raw"], parameters={"profile": profile.name})
    res.ledger.add("level0", out, "groundstation.level0", inputs=["packets_sent"],
                   parameters={"profile": profile.name, "ebn0_db_min": link["transmission_ebn0_db_min"], "seed": seed})
    res.products["level0"] = str(out)
    return {"raw": rebuilt, "report": l0.report, "files": [str(p) for p in written]}


def _split(stream: bytes) -> list[bytes]:
    """Split a concatenation of Space Packets using their length fields."""
    out, i = [], 0
    while i + 6 <= len(stream):
        n = ((stream[i + 4] << 8) | stream[i + 5]) + 7
        out.append(stream[i:i + n])
        i += n
    return out
