"""Independent SatNet checker (shares no code with lotusar.planning.satnet): the benchmark's
rules and metrics re-derived from its README, on the raw ``problem.json`` / ``maintenance.csv``.

Rules: antenna (or array) of the request; tracking [ON, OFF] inside one view period of that
exact antenna combination; ON = START + 60·setup, END = OFF + 60·teardown; no two
[START, END) on one antenna and none across a maintenance window; each track ≥ duration_min
(requests of ≥ 8 h: ≥ min(duration_min, 4 h)). Metrics: T_S per antenna entry and with arrays
once, satisfied requests, U_m = (requested − min(tracked, duration)) / requested per mission,
U_rms, U_max.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path


def load(case_dir):
    case_dir = Path(case_dir)
    reqs = {r["track_id"]: r for r in json.loads((case_dir / "problem.json").read_text())}
    maint = {}
    with (case_dir / "maintenance.csv").open() as f:
        for row in csv.DictReader(f):
            maint.setdefault(row["antenna"], []).append((int(row["starttime"]), int(row["endtime"])))
    return reqs, maint


def check(case_dir, tracks) -> tuple[list[str], dict]:
    reqs, maint = load(case_dir)
    errors = []
    logical = {}
    for t in tracks:
        key = (t["TRACK_ID"], int(t["START_TIME"]), int(t["TRACKING_ON"]), int(t["TRACKING_OFF"]), int(t["END_TIME"]))
        logical.setdefault(key, []).append(t["RESOURCE"])
        if t["TRACK_ID"] not in reqs:
            errors.append(f"unknown request {t['TRACK_ID']}")
            continue
        for a, b in maint.get(t["RESOURCE"], []):
            if int(t["START_TIME"]) < b and a < int(t["END_TIME"]):
                errors.append(f"maintenance overlap {t['TRACK_ID']} {t['RESOURCE']}")
    by_ant = {}
    for t in tracks:
        by_ant.setdefault(t["RESOURCE"], []).append((int(t["START_TIME"]), int(t["END_TIME"])))
    for ant, ivs in by_ant.items():
        ivs.sort()
        for (_s0, e0), (s1, _e1) in zip(ivs, ivs[1:]):
            if s1 < e0:
                errors.append(f"overlap on {ant} at {s1}")
    tracked = {}
    for (tid, start, on, off, end), ants in logical.items():
        r = reqs.get(tid)
        if r is None:
            continue
        key = "_".join(sorted(ants))
        vps = r["resource_vp_dict"].get(key, [])
        if not any(vp["TRX ON"] <= on <= off <= vp["TRX OFF"] for vp in vps):
            errors.append(f"{tid} on {key}: outside view periods")
        if on - start != round(r["setup_time"] * 60) or end - off != round(r["teardown_time"] * 60):
            errors.append(f"{tid}: setup/teardown")
        dur, dmin = int(r["duration"] * 3600), int(r["duration_min"] * 3600)
        need = min(dmin, 4 * 3600) if dur >= 8 * 3600 else dmin
        if off - on < need:
            errors.append(f"{tid}: track {off - on} s < {need} s")
        tracked[tid] = tracked.get(tid, 0) + off - on
    req_m, got_m, sat = {}, {}, 0
    for tid, r in reqs.items():
        dur, dmin = int(r["duration"] * 3600), int(r["duration_min"] * 3600)
        got = min(tracked.get(tid, 0), dur)
        sat += got >= dmin
        req_m[r["subject"]] = req_m.get(r["subject"], 0) + dur
        got_m[r["subject"]] = got_m.get(r["subject"], 0) + got
    u = [max(req_m[m] - got_m[m], 0) / req_m[m] for m in req_m if req_m[m] > 0]
    metrics = {"hours_per_antenna_entry": sum(int(t["TRACKING_OFF"]) - int(t["TRACKING_ON"]) for t in tracks) / 3600,
               "hours_arrays_once": sum(k[3] - k[2] for k in logical) / 3600, "satisfied": sat,
               "u_rms": math.sqrt(sum(x * x for x in u) / len(u)), "u_max": max(u)}
    return errors, metrics
