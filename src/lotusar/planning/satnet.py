"""Station-network scheduling on the SatNet benchmark (Deep Space Network weeks).

Problem (Goh et al. 2021, "SatNet: A benchmark for satellite scheduling optimization";
Claudet et al. 2022, "Delta-MILP"): each request of a mission asks for ``duration`` hours of
tracking (at least ``duration_min``) on one antenna or antenna array during that antenna's
view periods. A track occupies its antenna(s) for ``setup + tracking + teardown``; no two
tracks (nor a maintenance window) overlap on an antenna; every track lasts at least
``duration_min`` (requests of ≥ 8 h: min(duration_min, 4 h), several tracks then add up).
A request's allocation is its tracking time capped at ``duration``; a mission's unsatisfied
fraction is U_m = 1 − allocated / requested; the scores are U_max = max_m U_m and
U_rms = sqrt(mean_m U_m²), with the total tracking hours T_S and the satisfied requests
(allocation ≥ duration_min).

Solver (anytime): a fairness greedy (water filling: the mission with the largest U_m gets its
next track, the longest that fits) gives a first valid schedule; a leximin local search then
gives a request of the worst-off missions a track by removing at most two tracks of
better-off missions in its way and re-filling greedily, kept when the decreasing-sorted U
vector gets lexicographically smaller; a CP-SAT model finally minimises U_max and, with U_max
fixed, Σ U_m² (hinted with the incumbent; its schedule is kept only when better).
Model: one optional track per (request, view period) with variable tracking start/end on a
one-minute grid inside the view period, its antenna interval ``[on − setup, off + teardown]``
in one NoOverlap per antenna (maintenance as fixed intervals), a request's own tracks never
at the same time, allocation = min(Σ tracking, duration). Times are whole minutes from an
epoch that is a whole minute, so every time written is an exact integer second.
"""

from __future__ import annotations

import csv
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ortools.sat.python import cp_model

from lotusar.errors import InputFormatError, ValidationError
from lotusar.fileio import read_json

LONG_REQUEST_S = 8 * 3600          # requests of at least this length may be split ...
LONG_TRACK_MIN_S = 4 * 3600        # ... into tracks of at least min(duration_min, 4 h)
LEXIMIN_SHARE = 0.75               # of the time limit for the local search, the rest for CP-SAT
U_SCALE = 10_000                   # U_m as an integer fraction in the CP-SAT model


@dataclass
class ViewPeriod:
    antennas: tuple[str, ...]      # one antenna or an array
    on_s: int                      # TRX ON (Unix s)
    off_s: int                     # TRX OFF


@dataclass
class SatnetRequest:
    track_id: str
    mission: int
    duration_s: int
    duration_min_s: int
    setup_s: int
    teardown_s: int
    view_periods: list[ViewPeriod]

    @property
    def track_min_s(self) -> int:
        """Shortest allowed track (the benchmark's rule for long requests)."""
        if self.duration_s >= LONG_REQUEST_S:
            return min(self.duration_min_s, LONG_TRACK_MIN_S)
        return self.duration_min_s


@dataclass
class SatnetCase:
    requests: list[SatnetRequest]
    maintenance: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    name: str = ""


def _int_field(row: dict, key: str, where: str) -> float:
    try:
        return float(row[key])
    except (KeyError, TypeError, ValueError):
        raise InputFormatError(f"{where}: field {key!r}: missing or not a number") from None


def read_case(case_dir: str | Path) -> SatnetCase:
    """``problem.json`` + ``maintenance.csv`` of a SatNet case folder."""
    d = Path(case_dir)
    prob, maint = d / "problem.json", d / "maintenance.csv"
    if not d.is_dir():
        raise FileNotFoundError(f"{d}: no such folder")
    for p in (prob, maint):
        if not p.exists():
            raise FileNotFoundError(f"{p}: no such file (a SatNet case holds problem.json and maintenance.csv)")
    rows = read_json(prob)
    if not isinstance(rows, list) or not rows:
        raise InputFormatError(f"{prob}: expected a non-empty JSON array of requests")
    reqs = []
    for i, row in enumerate(rows):
        where = f"{prob}: [{i}]"
        if not isinstance(row, dict) or not isinstance(row.get("resource_vp_dict"), dict):
            raise InputFormatError(f"{where}: field 'resource_vp_dict': missing or not an object")
        vps = []
        for combo, lst in row["resource_vp_dict"].items():
            for vp in lst:
                on = vp.get("TRX ON", vp.get("RISE"))
                off = vp.get("TRX OFF", vp.get("SET"))
                if on is None or off is None:
                    raise InputFormatError(f"{where}: view period of {combo}: no 'TRX ON'/'TRX OFF'")
                vps.append(ViewPeriod(tuple(sorted(combo.split("_"))), int(on), int(off)))
        reqs.append(SatnetRequest(
            track_id=str(row.get("track_id", "")), mission=int(_int_field(row, "subject", where)),
            duration_s=int(_int_field(row, "duration", where) * 3600.0),
            duration_min_s=int(_int_field(row, "duration_min", where) * 3600.0),
            setup_s=int(_int_field(row, "setup_time", where) * 60), teardown_s=int(_int_field(row, "teardown_time", where) * 60),
            view_periods=vps))
        if not reqs[-1].track_id:
            raise InputFormatError(f"{where}: field 'track_id': missing")
    ids = [r.track_id for r in reqs]
    if len(set(ids)) != len(ids):
        raise ValidationError(f"{prob}: field 'track_id': duplicate ids")
    maintenance: dict[str, list[tuple[int, int]]] = defaultdict(list)
    with maint.open(newline="", encoding="utf-8") as f:
        for k, row in enumerate(csv.DictReader(f)):
            try:
                maintenance[str(row["antenna"])].append((int(row["starttime"]), int(row["endtime"])))
            except (KeyError, TypeError, ValueError):
                raise InputFormatError(f"{maint}: row {k + 2}: fields starttime, endtime, antenna needed") from None
    return SatnetCase(reqs, dict(maintenance), d.name)


# -- scoring (the benchmark's metrics) -----------------------------------------------------
def score(case: SatnetCase, tracks: list[dict]) -> dict:
    """Benchmark metrics of a solution (tracks in the benchmark's format)."""
    logical: dict[tuple, int] = {}
    for t in tracks:
        logical[(t["TRACK_ID"], t["START_TIME"], t["TRACKING_ON"], t["TRACKING_OFF"], t["END_TIME"])] = 1
    tracked: dict[str, int] = defaultdict(int)
    hours_once = 0.0
    for tid, _s, on, off, _e in logical:
        tracked[tid] += off - on
        hours_once += (off - on) / 3600.0
    requested: dict[int, int] = defaultdict(int)
    allocated: dict[int, int] = defaultdict(int)
    satisfied = 0
    for r in case.requests:
        a = min(tracked.get(r.track_id, 0), r.duration_s)
        requested[r.mission] += r.duration_s
        allocated[r.mission] += a
        satisfied += a >= r.duration_min_s
    u = {m: (max(requested[m] - allocated[m], 0) / requested[m] if requested[m] > 0 else 0.0) for m in requested}
    vals = list(u.values())
    return {"hours_allocated": hours_once,
            "hours_verifier_total": sum((t["TRACKING_OFF"] - t["TRACKING_ON"]) / 3600.0 for t in tracks),
            "u_rms": math.sqrt(sum(v * v for v in vals) / len(vals)) if vals else 0.0,
            "u_max": max(vals) if vals else 0.0,
            "requests_satisfied": satisfied, "tracks": len(logical),
            "per_mission_u": {str(m): u[m] for m in sorted(u)}}


# -- schedule representation ---------------------------------------------------------------
@dataclass
class Track:
    req: int               # index into case.requests
    vp: int                # index into the request's view periods
    on_s: int
    off_s: int


def to_solution(case: SatnetCase, tracks: list[Track]) -> list[dict]:
    """Benchmark solution: one entry per antenna (an array track repeats its times)."""
    out = []
    for t in sorted(tracks, key=lambda t: (t.on_s, t.req)):
        r = case.requests[t.req]
        for ant in r.view_periods[t.vp].antennas:
            out.append({"RESOURCE": ant, "SC": r.mission, "START_TIME": t.on_s - r.setup_s,
                        "TRACKING_ON": t.on_s, "TRACKING_OFF": t.off_s, "END_TIME": t.off_s + r.teardown_s,
                        "TRACK_ID": r.track_id})
    return out


class _Busy:
    """Per-antenna busy intervals (sorted, half-open) for the greedy."""

    def __init__(self, maintenance):
        self.iv: dict[str, list[tuple[int, int]]] = {a: sorted(v) for a, v in maintenance.items()}

    def free(self, antennas, lo: int, hi: int) -> list[tuple[int, int]]:
        """Free gaps within [lo, hi] on all ``antennas`` at once."""
        busy = sorted(iv for a in antennas for iv in self.iv.get(a, []) if iv[1] > lo and iv[0] < hi)
        gaps, t = [], lo
        for s, e in busy:
            if s > t:
                gaps.append((t, min(s, hi)))
            t = max(t, e)
            if t >= hi:
                break
        if t < hi:
            gaps.append((t, hi))
        return gaps

    def add(self, antennas, s: int, e: int) -> None:
        for a in antennas:
            self.iv.setdefault(a, []).append((s, e))


def greedy(case: SatnetCase, tracks: list[Track] | None = None, minute: int = 60) -> list[Track]:
    """Water filling from ``tracks`` (default: empty): the mission with the largest unsatisfied
    fraction gets its next track (the longest that fits, preferring one that completes a
    request), until nothing fits."""
    reqs = case.requests
    tracks = list(tracks or [])
    busy = _Busy(case.maintenance)
    own: dict[int, list[tuple[int, int]]] = defaultdict(list)
    alloc = [0] * len(reqs)
    requested: dict[int, int] = defaultdict(int)
    by_mission: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(reqs):
        requested[r.mission] += r.duration_s
        by_mission[r.mission].append(i)
    got: dict[int, int] = defaultdict(int)
    used: set[tuple[int, int]] = set()
    for t in tracks:
        r = reqs[t.req]
        busy.add(r.view_periods[t.vp].antennas, t.on_s - r.setup_s, t.off_s + r.teardown_s)
        own[t.req].append((t.on_s, t.off_s))
        used.add((t.req, t.vp))
        alloc[t.req] += t.off_s - t.on_s
        got[r.mission] += min(t.off_s - t.on_s, max(r.duration_s - alloc[t.req] + t.off_s - t.on_s, 0))
    active = {m for m in by_mission if requested[m] > 0}
    while active:
        m = max(active, key=lambda m: (1 - got[m] / requested[m], -m))
        best = None
        for i in by_mission[m]:
            r = reqs[i]
            need = r.duration_s - alloc[i]
            if need <= 0:
                continue
            tmin = r.track_min_s
            for k, vp in enumerate(r.view_periods):
                if (i, k) in used:
                    continue
                for g0, g1 in busy.free(vp.antennas, vp.on_s - r.setup_s, vp.off_s + r.teardown_s):
                    on = _ceil_to(max(vp.on_s, g0 + r.setup_s), minute)
                    off = min(vp.off_s, g1 - r.teardown_s)
                    on, off = _longest_outside(on, off, own[i], minute)   # tracked once at a time
                    length = min(off - on, need)
                    length -= length % minute
                    if length < tmin or length <= 0:
                        continue
                    key = (length >= need, length, -on)
                    if best is None or key > best[0]:
                        best = (key, i, k, on, on + length)
        if best is None:
            active.discard(m)
            continue
        _, i, k, on, off = best
        r = reqs[i]
        used.add((i, k))
        busy.add(r.view_periods[k].antennas, on - r.setup_s, off + r.teardown_s)
        own[i].append((on, off))
        alloc[i] += off - on
        got[m] += off - on
        tracks.append(Track(i, k, on, off))
    return tracks


def _u_vector(case: SatnetCase, tracks: list[Track]) -> tuple[float, ...]:
    """Missions' unsatisfied fractions sorted in decreasing order (the leximin key)."""
    tracked: dict[int, int] = defaultdict(int)
    for t in tracks:
        tracked[t.req] += t.off_s - t.on_s
    req: dict[int, int] = defaultdict(int)
    got: dict[int, int] = defaultdict(int)
    for i, r in enumerate(case.requests):
        req[r.mission] += r.duration_s
        got[r.mission] += min(tracked.get(i, 0), r.duration_s)
    return tuple(sorted((round(1 - got[m] / req[m], 9) for m in req if req[m] > 0), reverse=True))


def leximin_search(case: SatnetCase, tracks: list[Track], deadline: float, minute: int = 60) -> list[Track]:
    """Local search on the sorted U vector: give a request of the worst-off missions a track
    by removing the (at most two) tracks of better-off missions in its way, re-fill greedily,
    keep the change when the decreasing-sorted U vector gets lexicographically smaller."""
    reqs = case.requests
    cur, key = tracks, _u_vector(case, tracks)
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        tracked: dict[int, int] = defaultdict(int)
        for t in cur:
            tracked[t.req] += t.off_s - t.on_s
        umap = _mission_u(case, tracked)
        for m in sorted(umap, key=lambda m: -umap[m]):
            if umap[m] <= 0 or time.perf_counter() > deadline:
                break
            for i, r in enumerate(reqs):
                if r.mission != m or tracked.get(i, 0) >= r.duration_s or improved:
                    continue
                need = r.duration_s - tracked.get(i, 0)
                length = max(min(need, max(vp.off_s - vp.on_s for vp in r.view_periods)), r.track_min_s)
                length -= length % minute
                used = {(t.req, t.vp) for t in cur}
                for k, vp in enumerate(r.view_periods):
                    if (i, k) in used or vp.off_s - vp.on_s < r.track_min_s:
                        continue
                    ln = min(length, (vp.off_s - vp.on_s) // minute * minute)
                    if ln < r.track_min_s:
                        continue
                    for on in range(_ceil_to(vp.on_s, minute), vp.off_s - ln + 1, 30 * minute):
                        trial = _try_place(case, cur, umap, i, k, on, on + ln)
                        if trial is None:
                            continue
                        trial = greedy(case, trial, minute)
                        tk = _u_vector(case, trial)
                        if tk < key:
                            cur, key, improved = trial, tk, True
                            break
                        if time.perf_counter() > deadline:
                            return cur
                    if improved:
                        break
            if improved:
                break
    return cur


def _mission_u(case: SatnetCase, tracked: dict[int, int]) -> dict[int, float]:
    req: dict[int, int] = defaultdict(int)
    got: dict[int, int] = defaultdict(int)
    for i, r in enumerate(case.requests):
        req[r.mission] += r.duration_s
        got[r.mission] += min(tracked.get(i, 0), r.duration_s)
    return {m: 1 - got[m] / req[m] for m in req if req[m] > 0}


def _try_place(case, tracks, umap, i, k, on, off):
    """``tracks`` with request i tracked [on, off] in its view period k, after removing at most
    two tracks of missions better off than i's that are in the way; None if impossible."""
    r = case.requests[i]
    ants = set(r.view_periods[k].antennas)
    s, e = on - r.setup_s, off + r.teardown_s
    for a in ants:
        for ms, me in case.maintenance.get(a, []):
            if ms < e and me > s:
                return None
    out, removed = [], 0
    for t in tracks:
        q = case.requests[t.req]
        clash = (t.req == i and t.on_s < off and t.off_s > on) or (
            ants & set(q.view_periods[t.vp].antennas) and t.on_s - q.setup_s < e and t.off_s + q.teardown_s > s)
        if clash:
            if t.req == i or umap[q.mission] >= umap[r.mission]:
                return None
            removed += 1
            if removed > 2:
                return None
            continue
        out.append(t)
    out.append(Track(i, k, on, off))
    return out


def _longest_outside(on: int, off: int, taken: list[tuple[int, int]], minute: int) -> tuple[int, int]:
    """Longest piece of [on, off] outside the ``taken`` intervals (start on the minute grid)."""
    pieces, t = [], on
    for s, e in sorted(taken):
        if e <= t or s >= off:
            continue
        if s > t:
            pieces.append((t, s))
        t = max(t, _ceil_to(e, minute))
    if t < off:
        pieces.append((t, off))
    return max(pieces, key=lambda p: p[1] - p[0], default=(on, on))


def _ceil_to(t: int, q: int) -> int:
    return -((-t) // q) * q


# -- CP-SAT ---------------------------------------------------------------------------------
def _model(case: SatnetCase, epoch_s: int):
    """CP-SAT model on a one-minute grid from ``epoch_s``. Returns (model, variables)."""
    m = cp_model.CpModel()
    per_ant: dict[str, list] = defaultdict(list)
    opt = []                       # (req, vp, pres, on, off, length)
    per_req: dict[int, list] = defaultdict(list)
    for i, r in enumerate(case.requests):
        su, td = r.setup_s // 60, r.teardown_s // 60
        tmin = -((-r.track_min_s) // 60)
        cap = r.duration_s // 60
        if cap <= 0:
            continue
        for k, vp in enumerate(r.view_periods):
            lo = -((-(vp.on_s - epoch_s)) // 60)
            hi = (vp.off_s - epoch_s) // 60
            if hi - lo < tmin:
                continue
            pres = m.new_bool_var(f"p{i}_{k}")
            on = m.new_int_var(lo, hi, f"on{i}_{k}")
            ln = m.new_int_var(0, min(hi - lo, cap), f"ln{i}_{k}")
            off = m.new_int_var(lo, hi, f"off{i}_{k}")
            m.add(off == on + ln)
            m.add(ln >= tmin).only_enforce_if(pres)
            m.add(ln == 0).only_enforce_if(pres.negated())
            ant_iv = m.new_optional_interval_var(on - su, ln + su + td, off + td, pres, f"a{i}_{k}")
            for a in vp.antennas:
                per_ant[a].append(ant_iv)
            per_req[i].append(m.new_optional_interval_var(on, ln, off, pres, f"t{i}_{k}"))
            opt.append((i, k, pres, on, off, ln))
    for a, ivs in per_ant.items():
        for s, e in case.maintenance.get(a, []):
            s0 = (s - epoch_s) // 60
            e0 = -((-(e - epoch_s)) // 60)
            if e0 > s0:
                ivs.append(m.new_interval_var(s0, e0 - s0, e0, f"mnt{a}{s0}"))
        m.add_no_overlap(ivs)
    for ivs in per_req.values():
        if len(ivs) > 1:
            m.add_no_overlap(ivs)
    alloc = {}
    for i, r in enumerate(case.requests):
        lens = [o[5] for o in opt if o[0] == i]
        cap = r.duration_s // 60
        al = m.new_int_var(0, cap, f"al{i}")
        if lens:
            m.add(al <= sum(lens))
        else:
            m.add(al == 0)
        alloc[i] = al
    missions: dict[int, list[int]] = defaultdict(list)
    for i, r in enumerate(case.requests):
        missions[r.mission].append(i)
    u = {}
    for mi, idx in missions.items():
        req_min = sum(case.requests[i].duration_s for i in idx) / 60.0
        if req_min <= 0:
            continue
        um = m.new_int_var(0, U_SCALE, f"u{mi}")
        # U_m ≥ 1 − alloc/requested, in U_SCALE units (integers: multiply through by 60·requested)
        req_s = sum(case.requests[i].duration_s for i in idx)
        m.add(um * req_s >= U_SCALE * (req_s - 60 * sum(alloc[i] for i in idx)))
        u[mi] = um
    return m, {"opt": opt, "alloc": alloc, "u": u}


def solve_satnet(case: SatnetCase, time_limit_s: float = 300.0, workers: int = 2, log=None) -> tuple[list[Track], dict]:
    """Greedy, then CP-SAT on U_max then Σ U_m² (anytime: the best valid schedule found)."""
    t0 = time.perf_counter()
    if time_limit_s <= 0:
        raise ValidationError(f"time limit must be > 0, got {time_limit_s}")
    best = greedy(case)
    info: dict = {"greedy": _summary(case, best), "greedy_s": time.perf_counter() - t0, "stages": []}
    best = leximin_search(case, best, t0 + LEXIMIN_SHARE * time_limit_s)
    info["leximin"] = _summary(case, best)
    info["leximin_s"] = time.perf_counter() - t0
    if log:
        log({"stage": "leximin", **info["leximin"], "time_s": info["leximin_s"]})
    all_t = [vp.on_s for r in case.requests for vp in r.view_periods] or [0]
    epoch = (min(all_t) // 60) * 60 - 86_400
    m, v = _model(case, epoch)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    umax = m.new_int_var(0, U_SCALE, "umax")
    for um in v["u"].values():
        m.add(um <= umax)
    sq = []
    for mi, um in v["u"].items():
        s = m.new_int_var(0, U_SCALE * U_SCALE, f"sq{mi}")
        m.add_multiplication_equality(s, [um, um])
        sq.append(s)
    stages = [("u_max", umax, 0.45), ("u_sq", sum(sq), 1.0)]
    for name, obj, share in stages:
        left = time_limit_s - (time.perf_counter() - t0)
        if left < 1.0:
            break
        _hint(m, v, case, best, epoch)
        m.minimize(obj)
        solver.parameters.max_time_in_seconds = max(0.5, left * share)
        st = solver.solve(m)
        rec = {"stage": name, "status": solver.status_name(st), "time_s": solver.wall_time}
        if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            cand = [Track(i, k, epoch + 60 * solver.value(on), epoch + 60 * solver.value(off))
                    for i, k, pres, on, off, _ in v["opt"] if solver.value(pres)]
            rec["value"] = solver.objective_value
            if _key(case, cand) <= _key(case, best):
                best = cand
            if name == "u_max":
                m.add(umax <= int(round(solver.objective_value)))
        info["stages"].append(rec)
        if log:
            log(rec)
    info["final"] = _summary(case, best)
    info["time_s"] = time.perf_counter() - t0
    return best, info


def _key(case, tracks):
    s = score(case, to_solution(case, tracks))
    return round(s["u_max"], 9), round(s["u_rms"], 9), -s["hours_allocated"]


def _summary(case, tracks) -> dict:
    s = score(case, to_solution(case, tracks))
    return {k: s[k] for k in ("hours_allocated", "u_rms", "u_max", "requests_satisfied", "tracks")}


def _hint(m, v, case, tracks, epoch) -> None:
    m.clear_hints()
    chosen = {(t.req, t.vp): t for t in tracks}
    per_req_alloc: dict[int, int] = defaultdict(int)
    for i, k, pres, on, off, ln in v["opt"]:
        t = chosen.get((i, k))
        m.add_hint(pres, t is not None)
        if t is not None:
            m.add_hint(on, (t.on_s - epoch) // 60)
            m.add_hint(off, (t.off_s - epoch) // 60)
            m.add_hint(ln, (t.off_s - t.on_s) // 60)
            per_req_alloc[i] += (t.off_s - t.on_s) // 60
        else:
            m.add_hint(ln, 0)
    for i, a in v["alloc"].items():
        m.add_hint(a, min(per_req_alloc.get(i, 0), case.requests[i].duration_s // 60))


def verify_solution(case: SatnetCase, tracks: list[dict]) -> list[str]:
    """The benchmark's rules on a solution (list of problems, empty = valid): antenna of the
    request, tracking inside one view period of the antenna/array, set-up/tear-down times,
    no overlap on an antenna nor with its maintenance, minimum track length."""
    reqs = {r.track_id: r for r in case.requests}
    bad: list[str] = []
    groups: dict[tuple, list[str]] = defaultdict(list)
    per_ant: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for t in tracks:
        r = reqs.get(t["TRACK_ID"])
        if r is None:
            bad.append(f"unknown track id {t['TRACK_ID']}")
            continue
        groups[(t["TRACK_ID"], t["START_TIME"], t["TRACKING_ON"], t["TRACKING_OFF"], t["END_TIME"])].append(t["RESOURCE"])
        per_ant[t["RESOURCE"]].append((t["START_TIME"], t["END_TIME"], t["TRACK_ID"]))
        for ms, me in case.maintenance.get(t["RESOURCE"], []):
            if t["START_TIME"] < me and ms < t["END_TIME"]:
                bad.append(f"{t['TRACK_ID']} on {t['RESOURCE']} overlaps maintenance")
    for ant, ivs in per_ant.items():
        ivs.sort()
        for (_s0, e0, a), (s1, _e1, b) in zip(ivs, ivs[1:]):
            if s1 < e0:
                bad.append(f"{ant}: {a} and {b} overlap")
    for (tid, start, on, off, end), ants in groups.items():
        r = reqs[tid]
        combo = tuple(sorted(ants))
        if not any(vp.antennas == combo and vp.on_s <= on <= off <= vp.off_s for vp in r.view_periods):
            bad.append(f"{tid} on {'_'.join(combo)}: not inside a view period")
        if on - start != r.setup_s or end - off != r.teardown_s:
            bad.append(f"{tid}: set-up/tear-down times")
        if off - on < r.track_min_s:
            bad.append(f"{tid}: track of {off - on} s below {r.track_min_s} s")
    return bad
