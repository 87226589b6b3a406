"""Plan assembly: requests → problem → solved schedule → :class:`Plan` (JSON, metrics).

``plan_requests(requests, fleet, start, end, time_limit_s=10)`` is the public entry point;
``Plan.to_json_dict()`` is the plan file (see docs/planning_tasking.md for the format).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from lotusar.errors import ValidationError
from lotusar.fleet import load_fleet
from lotusar.planning.tasking.candidates import (
    DEFAULT_MAX_PITCH_DEG,
    DOWNLINK_SETUP_S,
    downlink_windows,
    imaging_satellites,
    request_candidates,
    sar_satellites,
    wants_optical,
)
from lotusar.planning.tasking.core import (
    MIN_SOC_FRACTION,
    Problem,
    SatParams,
    Schedule,
    explain,
    greedy,
    local_search,
    priority_repair,
)
from lotusar.planning.tasking.cpsat import cpsat_improve
from lotusar.planning.tasking.optical import optical_payload
from lotusar.planning.tasking.requests import (
    TaskingRequest,
    expand_repeats,
    parse_requests,
    split_request,
    track_tilt_deg,
)
from lotusar.timeutil import iso_utc, parse_utc, parse_window

PLAN_FORMAT = "lotusar-tasking-plan"
PLAN_VERSION = 1


@dataclass
class Plan:
    acquisitions: list
    downlinks: list
    unplanned: list
    memory: dict
    energy: dict
    metrics: dict
    window: tuple
    fleet_path: str | None
    requests: list                  # root requests as given (TaskingRequest)
    stability: float | None = None
    solver: dict = field(default_factory=dict)
    problem: Problem | None = field(default=None, repr=False)
    schedule: Schedule | None = field(default=None, repr=False)
    coverage: dict = field(default_factory=dict)

    def to_json_dict(self) -> dict:
        p = self.problem
        d = {
            "format": PLAN_FORMAT, "version": PLAN_VERSION,
            "window": {"start": iso_utc(self.window[0]), "end": iso_utc(self.window[1])},
            "fleet": self.fleet_path or "default",
            "acquisitions": self.acquisitions, "downlinks": self.downlinks,
            "memory": self.memory, "energy": self.energy, "unplanned": self.unplanned,
            "coverage": self.coverage, "metrics": self.metrics, "solver": self.solver,
        }
        if self.stability is not None:
            d["stability"] = self.stability
        d["constraints"] = {
            "downlink_setup_s": DOWNLINK_SETUP_S, "min_soc_fraction": MIN_SOC_FRACTION,
            "max_pitch_deg": DEFAULT_MAX_PITCH_DEG, "pitch_rate": "roll_rate_deg_s",
            "satellites": {s: {k: getattr(sp, k) for k in (
                "memory_bits", "downlink_rate_bps", "roll_rate_deg_s", "mode_transition_s",
                "max_imaging_s_per_orbit", "period_s", "battery_wh", "power_generation_w", "idle_power_w",
                "imaging_power_w", "downlink_power_w")} for s, sp in p.sats.items()},
        }
        d["requests"] = [r.to_json_dict() for r in self.requests]
        # everything needed to re-plan without recomputing opportunities
        d["replan_state"] = {
            "epoch": iso_utc(p.epoch),
            "sub_requests": [r.to_json_dict() for r in p.requests.values()],
            "candidates": [c.to_json_dict() | {"idx": c.idx} for cs in p.cands_by_req.values() for c in cs],
            "windows": [vars(w) for w in p.all_windows],
            "reasons": dict(p.reasons),
        }
        return d


def _iso(epoch: datetime, s: float) -> str:
    return iso_utc(epoch + timedelta(seconds=float(s)))


def expand_requests(requests, fleet) -> list[TaskingRequest]:
    """Repeats → occurrences, wide areas → strips (the narrowest swath of the fleet's mode)."""
    sats = sar_satellites(fleet)
    out = []
    cams = [optical_payload(s) for s in imaging_satellites(fleet, True) if optical_payload(s) is not None]
    for r in requests:
        for occ in expand_repeats(r):
            swaths = [s.sar_mode(occ.mode) for s in sats if occ.mode in s.sar_payload().modes]
            if occ.sensor == "optical" and cams:    # a camera's swath tiles it
                parts = split_request(occ, float(min(c.swath_km for c in cams)), None, 0.0)
                if len(parts) > 1:
                    for q in parts:
                        q.weight = occ.weight / len(parts)
                out.extend(parts)
                continue
            if not swaths:
                out.append(occ)
                continue
            m = min(swaths, key=lambda m: m.swath_km)
            scene = m.scene_length_km      # steered modes: tiles no longer than the scene
            lat = occ.polygon().centroid.y
            tilt = max(track_tilt_deg(math.degrees(s.element_sets()[0].satrec.inclo),
                                      2 * math.pi / s.element_sets()[0].satrec.no_kozai * 60.0, lat) for s in sats)
            parts = split_request(occ, float(m.swath_km), scene, tilt)
            if len(parts) > 1:
                for q in parts:
                    q.weight = occ.weight / len(parts)
            out.extend(parts)
    return out


def build_problem(requests, fleet, start, end, *, sub_requests=None, cands=None, windows=None, reasons=None,
                  progress=None, cloud=None):
    t0, t1 = parse_window(start, end)
    subs = sub_requests if sub_requests is not None else expand_requests(requests, fleet)
    imaging = imaging_satellites(fleet, wants_optical(subs))
    if cands is None:
        rcs = request_candidates(subs, fleet, t0, t1, progress=progress, cloud=cloud)
        cands = {rc.request_id: rc.candidates for rc in rcs}
        reasons = {rc.request_id: rc.reason for rc in rcs if rc.reason}
    if windows is None:
        windows = downlink_windows(fleet, t0, t1, sats=imaging)
    sats = {s.name: SatParams.from_satellite(s, t0, t1) for s in imaging}
    prob = Problem(subs, cands, sats, windows, t0, t1)
    prob.reasons.update(reasons or {})
    return prob


def solve(problem: Problem, time_limit_s: float = 10.0, use_cpsat: bool = True) -> tuple[Schedule, dict]:
    """Greedy → local search → CP-SAT (lexicographic by priority, hinted) → priority repair."""
    t_start = time.perf_counter()
    info = {}
    sched = greedy(problem)
    info["greedy_s"] = time.perf_counter() - t_start
    info["greedy_value"] = list(sched.key())
    sched = local_search(problem, sched, deadline_t=t_start + 0.3 * time_limit_s)
    info["local_search_value"] = list(sched.key())
    if use_cpsat and time.perf_counter() - t_start < time_limit_s:
        budget = max(0.5, time_limit_s - (time.perf_counter() - t_start))
        sched, cinfo = cpsat_improve(problem, sched, budget)
        info["cpsat"] = cinfo
    sched = priority_repair(problem, sched)
    info["final_value"] = list(sched.key())
    info["solve_s"] = time.perf_counter() - t_start
    return sched, info


def assemble(problem: Problem, sched: Schedule, requests, window, fleet_path, solver_info=None,
             stability=None) -> Plan:
    """Evaluate every satellite exactly and write out acquisitions, downlinks, profiles, metrics."""
    explain(problem, sched)
    ep = problem.epoch
    acqs_out, dls_out, memory, energy = [], [], {}, {}
    pc_wh = 0.0
    for sat in problem.sats:
        acqs = sorted(sched.by_sat[sat], key=lambda a: a.start_s)
        ev = problem.evaluate(sat, acqs)
        if not ev.ok:
            raise ValidationError(f"internal: plan for {sat} violates a constraint ({ev.reason}); not written")
        pc_wh += ev.energy_wh
        base = len(dls_out)
        dl_rids: dict[int, list] = {}
        for a in acqs:
            for j in ev.carried_by.get(a.idx, []):
                dl_rids.setdefault(j, []).append(a.request_id)
        for j, (w, s0, s1, v, _, _) in enumerate(ev.downlinks):
            dls_out.append({"satellite": sat, "station": w.station, "start": _iso(ep, s0), "end": _iso(ep, s1),
                            "volume_bits": v, "aos": _iso(ep, w.aos_s), "los": _iso(ep, w.los_s),
                            "request_ids": sorted({problem.requests[r].root_id for r in dl_rids.get(j, [])}),
                            "sub_request_ids": dl_rids.get(j, [])})
        for a in acqs:
            req = problem.requests[a.request_id]
            tg = ev.on_ground_s.get(a.idx)
            acqs_out.append({
                "request_id": req.root_id, "sub_request_id": a.request_id, "satellite": sat,
                "start": _iso(ep, a.start_s), "end": _iso(ep, a.end_s), "look_side": a.look_side,
                "incidence_deg": a.incidence_deg, "off_nadir_deg": a.off_nadir_deg, "roll_deg": a.roll_deg,
                "pitch_deg": a.pitch_deg, "sensor": a.sensor, "cloud_probability": a.cloud_probability,
                "sun_elevation_deg": a.sun_elevation_deg,
                "volume_bits": a.volume_bits, "mode": a.mode, "direction": a.direction, "priority": a.priority,
                "weight": req.weight, "downlink_indices": [base + j for j in ev.carried_by.get(a.idx, [])],
                "on_ground": _iso(ep, tg) if tg is not None else None,
                "latency_s": (tg - a.end_s) if tg is not None else None})
        tm, lv = ev.memory
        memory[sat] = [{"time": _iso(ep, t), "value": float(v)} for t, v in zip(tm, lv)]
        te, soc = ev.energy
        energy[sat] = [{"time": _iso(ep, t), "value": float(v)} for t, v in zip(te, soc)]
    acqs_out.sort(key=lambda a: a["start"])
    # per root request: complete when all its parts are acquired
    roots: dict[str, list] = {}
    for rid, r in problem.requests.items():
        roots.setdefault(r.root_id, []).append(rid)
    unplanned, coverage = [], {}
    n_done, w_done, w_all, tats = 0, 0.0, 0.0, []
    root_req = {r.id: r for r in requests}
    for root, parts in roots.items():
        got = [p for p in parts if p in sched.sel]
        coverage[root] = len(got) / len(parts)
        rw = root_req[root].weight if root in root_req else sum(problem.requests[p].weight for p in parts)
        w_all += rw
        if len(got) == len(parts):
            n_done += 1
            w_done += rw
            rel = min(problem.requests[p].earliest_start for p in parts)
            done_s = max(sched.sel[p].end_s for p in parts)
            tats.append(done_s - (rel - ep).total_seconds())
        else:
            missing = [p for p in parts if p not in sched.sel]
            why = problem.reasons.get(missing[0]) or "not selected by the optimiser"
            if len(parts) > 1:
                why = f"{why} [missing part {missing[0]}; {len(got)} of {len(parts)} parts acquired]"
            unplanned.append({"request_id": root, "reason": why, "priority": problem.requests[parts[0]].priority,
                              "missing_parts": missing if len(parts) > 1 else []})
    lat = [a["latency_s"] for a in acqs_out if a["latency_s"] is not None]
    metrics = {
        "requests": len(roots), "completed": n_done,
        "CR": n_done / len(roots) if roots else 1.0,
        "WCR": w_done / w_all if w_all else 1.0,
        "TAT_s": float(np.mean(tats)) if tats else None,
        "PC_wh": pc_wh,
        "acquisitions": len(acqs_out), "downlinks": len(dls_out),
        "mean_latency_s": float(np.mean(lat)) if lat else None,
        "max_latency_s": float(np.max(lat)) if lat else None,
        "data_acquired_bits": float(sum(a["volume_bits"] for a in acqs_out)),
        "data_downlinked_bits": float(sum(d["volume_bits"] for d in dls_out)),
    }
    return Plan(acqs_out, dls_out, unplanned, memory, energy, metrics, (problem.epoch, problem.end), fleet_path,
                list(requests), stability, solver_info or {}, problem, sched, coverage)


def as_requests(items) -> list[TaskingRequest]:
    """TaskingRequest objects or plain mappings (validated) → list of TaskingRequest."""
    items = list(items)
    if all(isinstance(r, TaskingRequest) for r in items):
        return items
    return parse_requests([r.to_json_dict() if isinstance(r, TaskingRequest) else r for r in items], "requests")


def plan_requests(requests, fleet=None, start=None, end=None, time_limit_s: float = 10.0,
                  fleet_path: str | None = None, use_cpsat: bool = True, progress=None, cloud=None) -> Plan:
    """Plan ``requests`` (TaskingRequest list) on ``fleet`` (default fleet when None) in [start, end];
    ``cloud``: a :class:`optical.CloudField` for camera takes (default: the climatology)."""
    if fleet is None or isinstance(fleet, (str, Path)):
        fleet_path = str(fleet) if fleet is not None else fleet_path
        fleet = load_fleet(fleet_path)
    requests = as_requests(requests)
    if start is None:
        start = parse_utc(fleet.reference_epoch or "2022-10-25T12:00:00Z")
    if end is None:
        end = parse_utc(start) + timedelta(days=1)
    if time_limit_s <= 0:
        raise ValidationError(f"time_limit_s must be > 0, got {time_limit_s}")
    t0 = time.perf_counter()
    prob = build_problem(requests, fleet, start, end, progress=progress, cloud=cloud)
    t_cand = time.perf_counter() - t0
    sched, info = solve(prob, time_limit_s, use_cpsat)
    info["candidates_s"] = t_cand
    info["n_candidates"] = len(prob.cands)
    return assemble(prob, sched, requests, (prob.epoch, prob.end), fleet_path, info)
