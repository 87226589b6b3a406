"""The planning problem and its exact feasibility check (per satellite), greedy and local search.

Constraints (one satellite at a time; satellites only share station antennas, which the
downlink windows already resolve, see :func:`candidates.downlink_windows`):

* one acquisition at a time; between consecutive acquisitions a and b,
  ``b.start − a.end ≥ mode_transition_s + max(|roll_b − roll_a|, |pitch_b − pitch_a|) / rate``
  (signed roll: left looks negative; pitch of the take as placed, see
  :mod:`candidates`; roll and pitch slew simultaneously at ``roll_rate_deg_s``, so the
  slowest axis sets the time). The attitude distance is a metric, so the condition on
  consecutive pairs implies it for every pair (triangle inequality) and the CP-SAT model uses
  pairwise exclusions;
* duty cycle: the imaging seconds inside ANY interval of one orbital period are at most
  ``max_imaging_s_per_orbit`` (a sliding window, so no orbit numbering convention is needed;
  its maximum is reached by a window starting at an acquisition start);
* memory: the recorder fills at ``volume/duration`` during each acquisition and is dumped
  first-in first-out at ``downlink_rate_bps`` during station passes (one contiguous downlink
  per pass from AOS + set-up — or, when the recorder is empty then, from the end of the first
  take inside the pass — until no complete take is left aboard, or LOS; a take's data is
  dumped only once the take is complete, so the level is ≥ 0 whatever fill model a checker
  assumes: linear, at the start or at the end of a take); the level is piecewise
  linear, so checking it at every breakpoint is exact: 0 ≤ level ≤ memory_bits;
* latency: the last bit of an acquisition reaches the ground (FIFO) within the request's
  ``max_latency_s``;
* energy: battery starting full, charged at ``power_generation_w`` in sunlight (eclipse from
  :func:`lotusar.orbit.propagate.sunlit` on a 60 s grid), loads ``idle_power_w`` always plus
  ``imaging_power_w`` while imaging and ``downlink_power_w`` while dumping; the state of
  charge (capped at ``battery_wh``) must stay above ``MIN_SOC_FRACTION × battery_wh``.

Imaging while dumping is allowed (separate X-band chain; the power of both is counted).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from lotusar.planning.tasking.candidates import pitch_at, sunlit_grid

SLIDE_STEP_S = 0.5         # start grid when sliding a take inside its window
SLIDE_TRIES = 4            # exact checks per slide attempt (positions nearest the preferred start)
MIN_SOC_FRACTION = 0.2    # depth-of-discharge limit (80 %), assumption for Li-ion LEO cycling
ENERGY_STEP_S = 60.0


@dataclass
class SatParams:
    name: str
    memory_bits: float
    downlink_rate_bps: float
    roll_rate_deg_s: float
    mode_transition_s: float
    max_imaging_s_per_orbit: float
    period_s: float
    battery_wh: float
    power_generation_w: float
    idle_power_w: float
    imaging_power_w: float
    downlink_power_w: float
    sun_t_s: np.ndarray = field(repr=False, default=None)
    sun_lit: np.ndarray = field(repr=False, default=None)

    @classmethod
    def from_satellite(cls, sat, epoch, end):
        p = sat.platform
        sets = sat.element_sets()
        n_rad_min = float(sets[0].satrec.no_kozai)          # rad/min
        ts, lit = sunlit_grid(sat, epoch, end, ENERGY_STEP_S)
        return cls(sat.name, float(p.memory_bits), float(p.downlink_rate_bps), float(p.roll_rate_deg_s),
                   float(p.mode_transition_s), float(p.max_imaging_s_per_orbit), 2 * np.pi / n_rad_min * 60.0,
                   float(p.battery_wh), float(p.power_generation_w), float(p.idle_power_w),
                   float(p.imaging_power_w), float(p.downlink_power_w), ts, lit)

    def transition_s(self, a, b) -> float:
        """Settling + slew time between takes a and b (roll and pitch slew together)."""
        return self.mode_transition_s + max(abs(b.roll_deg - a.roll_deg), abs(b.pitch_deg - a.pitch_deg)) \
            / self.roll_rate_deg_s


@dataclass
class SatEval:
    ok: bool
    reason: str | None = None
    blockers: list = field(default_factory=list)     # candidates in timeline conflict
    downlinks: list = field(default_factory=list)    # (window, start_s, end_s, volume_bits, d_before, d_after)
    memory: tuple | None = None                      # (t_s, level_bits)
    energy: tuple | None = None                      # (t_s, soc_wh)
    on_ground_s: dict = field(default_factory=dict)  # cand idx -> time the last bit is on the ground
    carried_by: dict = field(default_factory=dict)   # cand idx -> [downlink positions]
    energy_wh: float = 0.0


class Problem:
    """Requests, their candidates, satellite parameters and downlink windows (seconds from epoch)."""

    def __init__(self, requests, cands_by_req, sat_params, windows, epoch, end):
        self.requests = {r.id: r for r in requests}
        self.order = [r.id for r in requests]
        self.cands_by_req = cands_by_req                  # id -> list[Candidate]
        self.cands = {c.idx: c for cs in cands_by_req.values() for c in cs}
        self.sats = sat_params                            # name -> SatParams
        self.windows = {s: sorted([w for w in windows if w.satellite == s], key=lambda w: w.start_s) for s in sat_params}
        self.all_windows = windows
        self.epoch = epoch
        self.end = end
        self.end_s = (end - epoch).total_seconds()
        self.reasons: dict[str, str] = {}

    # -- exact evaluation of one satellite's acquisitions -----------------------------------
    def timeline_blockers(self, acqs, c):
        """Acquisitions of the same satellite that ``c`` cannot coexist with (overlap/transition)."""
        sp = self.sats[c.satellite]
        out = []
        for a in acqs:
            if a.idx == c.idx:
                continue
            first, second = (a, c) if a.start_s <= c.start_s else (c, a)
            if second.start_s - first.end_s < sp.transition_s(first, second) - 1e-9:
                out.append(a)
        return out

    def free_starts(self, acqs, c, prefer_s: float | None = None) -> np.ndarray:
        """Starts in ``c``'s window (``SLIDE_STEP_S`` grid, its ends and its current start) at
        which it has no overlap/transition conflict with ``acqs``, nearest to ``prefer_s``
        (default: its current start) first."""
        if not c.slidable:
            return np.array([c.start_s]) if not self.timeline_blockers(acqs, c) else np.empty(0)
        sp = self.sats[c.satellite]
        ws, we = c.window_start_s, c.window_end_s
        grid = np.unique(np.round(np.concatenate([np.arange(ws, we, SLIDE_STEP_S), [we, c.start_s]]), 3))
        grid = grid[(grid >= ws) & (grid <= we)]
        d = c.duration_s
        pitch = pitch_at(c, grid)
        ok = np.ones(grid.size, bool)
        reach = sp.mode_transition_s + 180.0 / max(sp.roll_rate_deg_s, 1e-9)
        for a in acqs:
            if a.idx == c.idx or a.end_s < ws - reach or a.start_s > we + d + reach:
                continue
            need = sp.mode_transition_s + np.maximum(abs(a.roll_deg - c.roll_deg), np.abs(a.pitch_deg - pitch)) \
                / sp.roll_rate_deg_s
            ok &= (grid - a.end_s >= need - 1e-9) | (a.start_s - grid - d >= need - 1e-9)
        free = grid[ok]
        ref = c.start_s if prefer_s is None else prefer_s
        return free[np.argsort(np.abs(free - ref), kind="stable")]

    def evaluate(self, sat: str, acqs, full: bool = False) -> SatEval:
        """Check every constraint of one satellite's acquisition list (any order)."""
        sp = self.sats[sat]
        acqs = sorted(acqs, key=lambda a: a.start_s)
        for a, b in zip(acqs, acqs[1:]):
            if b.start_s - a.end_s < sp.transition_s(a, b) - 1e-9:
                return SatEval(False, "conflict", blockers=[a, b])
        n = len(acqs)
        if n:
            s = np.array([a.start_s for a in acqs])
            e = np.array([a.end_s for a in acqs])
            ov = np.clip(np.minimum(e[None, :], s[:, None] + sp.period_s) - np.maximum(s[None, :], s[:, None]), 0, None)
            if (ov.sum(1) > sp.max_imaging_s_per_orbit + 1e-6).any():
                return SatEval(False, "imaging duty cycle per orbit exhausted")
        ev = self._downlinks(sp, acqs)
        if not ev.ok:
            return ev
        for a in acqs:
            lat = self.requests[a.request_id].max_latency_s if a.request_id in self.requests else None
            if lat is not None:
                tg = ev.on_ground_s.get(a.idx)
                if tg is None or tg - a.end_s > lat + 1e-6:
                    return SatEval(False, "no downlink in time", blockers=[a])
        self._energy(sp, acqs, ev)
        if ev.energy[1].min() < MIN_SOC_FRACTION * sp.battery_wh - 1e-9:
            return SatEval(False, "energy: battery below its depth-of-discharge limit")
        return ev

    def _downlinks(self, sp: SatParams, acqs) -> SatEval:
        r = sp.downlink_rate_bps
        s = np.array([a.start_s for a in acqs], float)
        e = np.array([a.end_s for a in acqs], float)
        vol = np.array([a.volume_bits for a in acqs], float)
        cum_end = np.cumsum(vol)
        cum_start = cum_end - vol
        fill = vol / np.maximum(e - s, 1e-9)

        d_total = 0.0
        dls = []
        eps_bits = r * 1e-3 + 1.0   # downlinks start/stop on a 1 ms grid: < 1 ms of data may stay aboard
        def completed(t):
            """Bits of the takes finished by ``t``: a take's data is dumped only once it is complete."""
            return float(vol[e <= t + 1e-9].sum())

        for w in self.windows.get(sp.name, []):
            S, L = math.ceil(w.start_s * 1000.0) / 1000.0, math.floor(w.usable_end_s * 1000.0) / 1000.0
            t = S
            if completed(S) - d_total <= eps_bits:
                # nothing complete aboard at the start: dump from the end of the first take in the pass
                inside = e[(e >= S) & (e < L - 1.0)]
                if inside.size == 0:
                    continue
                t = math.ceil(float(inside.min()) * 1000.0) / 1000.0
            start = t
            # the queue of complete takes drains at r and jumps at each take end; stop when empty
            jumps = np.unique(e[(e > t) & (e < L)])
            stop = L
            for b in list(jumps) + [L]:
                q = completed(t) - d_total - r * (t - start)
                if q - r * (b - t) <= 0.0:
                    stop = t + max(q, 0.0) / r
                    break
                t = b
            stop = max(start, math.floor(stop * 1000.0) / 1000.0)   # ms grid (exact ISO times)
            if stop - start <= 1e-6:
                continue
            v = r * (stop - start)
            dls.append([w, start, stop, v, d_total, d_total + v])
            d_total += v
        ev = SatEval(True, downlinks=dls)
        # memory profile at every breakpoint (exact for a piecewise-linear level)
        tb = np.unique(np.concatenate([[0.0, self.end_s], s, e] + [[d[1], d[2]] for d in dls]))

        def downlinked(t):
            tot = 0.0
            for d in dls:
                tot += r * min(max(t - d[1], 0.0), d[2] - d[1])
            return tot

        acq_t = np.sum(vol[None, :] * np.clip((tb[:, None] - s[None, :]) / np.maximum(e - s, 1e-9)[None, :], 0, 1), 1) \
            if len(acqs) else np.zeros(tb.size)
        dl_t = np.array([downlinked(t) for t in tb])
        level = acq_t - dl_t
        ev.memory = (tb, level)
        if level.max(initial=0.0) > sp.memory_bits + 1e-3:
            return SatEval(False, "memory full")
        if level.min(initial=0.0) < -1e-3:
            return SatEval(False, "memory accounting below zero")
        # FIFO: acquisition k is on the ground when cumulative downlink reaches cum_end[k]
        for k, a in enumerate(acqs):
            carried = [j for j, d in enumerate(dls) if d[4] < cum_end[k] - 1e-6 and d[5] > cum_start[k] + 1e-6]
            ev.carried_by[a.idx] = carried
            for d in dls:
                if d[5] >= cum_end[k] - eps_bits:
                    ev.on_ground_s[a.idx] = min(max(d[1] + (cum_end[k] - d[4]) / r, a.end_s), d[2])
                    break
        del fill
        return ev

    def _energy(self, sp: SatParams, acqs, ev: SatEval):
        t = sp.sun_t_s
        dt = ENERGY_STEP_S
        t1 = t + dt

        def busy(starts, ends):
            if len(starts) == 0:
                return np.zeros(t.size)
            a = np.asarray(starts)[None, :]
            b = np.asarray(ends)[None, :]
            return np.clip(np.minimum(t1[:, None], b) - np.maximum(t[:, None], a), 0, None).sum(1)

        img = busy([a.start_s for a in acqs], [a.end_s for a in acqs])
        dl = busy([d[1] for d in ev.downlinks], [d[2] for d in ev.downlinks])
        x_wh = (sp.power_generation_w * sp.sun_lit * dt - sp.idle_power_w * dt
                - sp.imaging_power_w * img - sp.downlink_power_w * dl) / 3600.0
        S = sp.battery_wh + np.concatenate([[0.0], np.cumsum(x_wh)])
        soc = S - np.maximum.accumulate(np.maximum(S - sp.battery_wh, 0.0))   # reflection at full
        ev.energy = (np.concatenate([t, [t1[-1]]]), soc)
        ev.energy_wh = float((sp.imaging_power_w * img.sum() + sp.downlink_power_w * dl.sum()) / 3600.0)


class Schedule:
    """A selection (request id → candidate) with per-satellite lists."""

    def __init__(self, problem: Problem):
        self.p = problem
        self.sel: dict[str, object] = {}
        self.by_sat: dict[str, list] = {s: [] for s in problem.sats}

    def copy(self) -> Schedule:
        n = Schedule(self.p)
        n.sel = dict(self.sel)
        n.by_sat = {k: list(v) for k, v in self.by_sat.items()}
        return n

    def add(self, c):
        self.sel[c.request_id] = c
        self.by_sat[c.satellite].append(c)

    def remove(self, rid):
        c = self.sel.pop(rid)
        self.by_sat[c.satellite] = [a for a in self.by_sat[c.satellite] if a.idx != c.idx]
        return c

    def try_add(self, c, slide: bool = True, prefer_s: float | None = None):
        """Insert ``c`` if every constraint of its satellite still holds, sliding it inside its
        window when it conflicts where it is (``slide``); (ok, reason, blockers). The reason and
        blockers are those of ``c`` where it was given."""
        acqs = self.by_sat[c.satellite]
        bl = self.p.timeline_blockers(acqs, c)
        if not bl:
            ev = self.p.evaluate(c.satellite, acqs + [c])
            if ev.ok:
                self.add(c)
                return True, None, []
            if not slide or not c.slidable or ev.reason != "no downlink in time":
                return False, ev.reason, ev.blockers
            why, blockers = ev.reason, ev.blockers
        else:
            why, blockers = "conflict", bl
            if not slide or not c.slidable:
                return False, why, blockers
        for s in self.p.free_starts(acqs, c, prefer_s)[:SLIDE_TRIES]:
            cc = c.at(float(s))
            if self.p.evaluate(c.satellite, acqs + [cc]).ok:
                self.add(cc)
                return True, None, []
        return False, why, blockers

    def key(self):
        """Lexicographic value: per priority level (ascending), the summed weight of the takes
        planned (a camera take's weight is discounted by its cloud probability)."""
        levels = sorted({r.priority for r in self.p.requests.values()})
        return tuple(sum(c.weight for rid, c in self.sel.items() if self.p.requests[rid].priority == lv)
                     for lv in levels)


def request_order(problem: Problem, ids=None):
    ids = problem.order if ids is None else ids
    rq = problem.requests
    return sorted(ids, key=lambda i: (rq[i].priority, -rq[i].weight, rq[i].deadline, i))


def _reason(problem: Problem, rid: str, why: str, blockers) -> str:
    r = problem.requests[rid]
    if why == "conflict" and blockers:
        b = min(blockers, key=lambda c: (c.priority, c.start_s))
        rel = "higher" if b.priority < r.priority else ("the same" if b.priority == r.priority else "lower")
        root = problem.requests[b.request_id].root_id if b.request_id in problem.requests else b.request_id
        part = f" (part {b.request_id})" if root != b.request_id else ""
        return f"conflict with request {root} of {rel} priority ({b.priority}){part}"
    return why


def greedy(problem: Problem, sched: Schedule | None = None, ids=None) -> Schedule:
    """Priority order (then weight, deadline), each request on its earliest feasible candidate."""
    sched = sched or Schedule(problem)
    for rid in request_order(problem, ids):
        if rid in sched.sel:
            continue
        cands = problem.cands_by_req.get(rid, [])
        first_fail = None
        for c in cands:
            ok, why, bl = sched.try_add(c)
            if ok:
                problem.reasons.pop(rid, None)
                break
            if first_fail is None or (first_fail[0] != "conflict" and why == "conflict"):
                first_fail = (why, bl)
        else:
            if cands:
                problem.reasons[rid] = _reason(problem, rid, *first_fail)
    return sched


def local_search(problem: Problem, sched: Schedule, max_rounds: int = 2, deadline_t: float | None = None) -> Schedule:
    """Ejection chains of depth one: insert an unplanned request by moving the acquisitions that
    block it to other candidates of theirs (never dropping any). Keeps the schedule valid."""
    for _ in range(max_rounds):
        improved = False
        for rid in request_order(problem, [i for i in problem.order if i not in sched.sel]):
            if deadline_t is not None and time.perf_counter() > deadline_t:
                return sched
            for c in problem.cands_by_req.get(rid, []):
                bl = problem.timeline_blockers(sched.by_sat[c.satellite], c)
                if not bl or len(bl) > 2:
                    continue
                trial = sched.copy()
                for b in bl:
                    trial.remove(b.request_id)
                ok, _, _ = trial.try_add(c)
                if not ok:
                    continue
                moved = True
                for b in bl:
                    if not any(trial.try_add(alt)[0] for alt in problem.cands_by_req[b.request_id] if alt.idx != b.idx):
                        moved = False
                        break
                if moved:
                    sched.sel, sched.by_sat = trial.sel, trial.by_sat
                    problem.reasons.pop(rid, None)
                    improved = True
                    break
        if not improved:
            break
    return sched


def _insert_evicting(problem: Problem, sched: Schedule, c, priority: int):
    """Schedule copy with ``c`` added after removing only acquisitions of priority > ``priority``
    (timeline blockers first; for memory/latency/energy/duty the lower-priority acquisition of
    that satellite nearest in time, repeatedly). Returns (trial, evicted ids) or None."""
    trial = sched.copy()
    evicted = []
    for _ in range(50):
        ok, why, bl = trial.try_add(c)
        if ok:
            return trial, evicted
        if why == "conflict":
            victims = [b for b in bl if b.priority > priority]
            if len(victims) < len(bl):
                return None
        else:
            pool = [a for a in trial.by_sat[c.satellite] if a.priority > priority]
            if not pool:
                return None
            victims = [min(pool, key=lambda a: (abs(a.start_s - c.start_s), -a.priority))]
        for v in victims:
            trial.remove(v.request_id)
            evicted.append(v.request_id)
    return None


PASS_GAP_S = 900.0   # candidates of one satellite closer than this belong to the same overflight


def insert_with_eviction(problem: Problem, sched: Schedule, rid: str, earliest_only: bool = False):
    """Plan ``rid`` on its EARLIEST feasible overflight, removing only acquisitions of strictly
    lower priority. Among the candidates of that overflight (left/right look, other
    satellites passing at the same time) the one displacing the fewest acquisitions is taken;
    displaced ones are re-inserted on another of their candidates when possible.
    Returns (ok, ids displaced and not re-planned)."""
    req = problem.requests[rid]
    cands = sorted(problem.cands_by_req.get(rid, []), key=lambda c: c.start_s)
    groups: list[list] = []
    for c in cands:
        if groups and c.start_s - groups[-1][0].start_s < PASS_GAP_S:
            groups[-1].append(c)
        else:
            groups.append([c])
    for g in groups:
        best = None
        for c in g:
            res = _insert_evicting(problem, sched, c, req.priority)
            if res is None:
                continue
            trial, evicted = res
            lost = []
            for vid in request_order(problem, evicted):
                if not any(trial.try_add(alt)[0] for alt in problem.cands_by_req[vid]):
                    lost.append(vid)
            cost = (len(evicted), sum(problem.requests[v].weight for v in lost), c.start_s)
            if best is None or cost < best[0]:
                best = (cost, trial, lost)
        if best is not None:
            _, trial, lost = best
            for vid in lost:
                problem.reasons[vid] = (f"conflict with request {req.root_id} of higher priority "
                                        f"({req.priority}) inserted by re-planning")
            problem.reasons.pop(rid, None)
            sched.sel, sched.by_sat = trial.sel, trial.by_sat
            return True, lost
        if earliest_only:
            break
    return False, []


def _pass_groups(cands) -> list[list]:
    groups: list[list] = []
    for c in sorted(cands, key=lambda c: c.start_s):
        if groups and c.start_s - groups[-1][0].start_s < PASS_GAP_S:
            groups[-1].append(c)
        else:
            groups.append([c])
    return groups


def _conflict_sets(problem: Problem, sched: Schedule, c, limit: int = 6):
    """Positions of ``c`` in its window with the fewest distinct timeline conflicts:
    [(start_s, [blocking acquisitions])], smallest sets first, one position per set (the
    one nearest to zero pitch)."""
    acqs = sched.by_sat[c.satellite]
    if c.slidable:
        grid = np.unique(np.round(np.concatenate([np.arange(c.window_start_s, c.window_end_s, SLIDE_STEP_S),
                                                  [c.window_end_s, c.start_s]]), 3))
    else:
        grid = np.array([c.start_s])
    seen: dict[frozenset, tuple] = {}
    for s in grid:
        cc = c.at(float(s))
        bl = problem.timeline_blockers(acqs, cc)
        key = frozenset(b.idx for b in bl)
        score = abs(cc.pitch_deg)
        if key not in seen or score < seen[key][0]:
            seen[key] = (score, float(s), bl)
    ranked = sorted(seen.values(), key=lambda v: (len(v[2]), sum(b.weight for b in v[2]), v[0]))
    return [(s, bl) for _, s, bl in ranked[:limit]]


def _fits_before(problem: Problem, a, b) -> bool:
    return b.start_s - a.end_s >= problem.sats[a.satellite].transition_s(a, b) - 1e-9


def _slide_to_fit(problem: Problem, a, other, before: bool):
    """``a`` slid (inside its window, away from ``other``: earlier when it comes ``before`` it,
    later otherwise) by the least amount that makes the pair fit; None when impossible."""
    if not a.slidable:
        return None
    sp = problem.sats[a.satellite]
    if before:
        grid = np.round(np.arange(a.start_s, a.window_start_s - 1e-9, -SLIDE_STEP_S), 3)
    else:
        grid = np.round(np.arange(a.start_s, a.window_end_s + 1e-9, SLIDE_STEP_S), 3)
    if grid.size == 0:
        return None
    d = a.duration_s
    dp = np.abs(pitch_at(a, grid) - other.pitch_deg)
    need = sp.mode_transition_s + np.maximum(abs(a.roll_deg - other.roll_deg), dp) / sp.roll_rate_deg_s
    ok = (other.start_s - (grid + d) >= need - 1e-9) if before else (grid - other.end_s >= need - 1e-9)
    k = np.flatnonzero(ok)
    return a.at(float(grid[k[0]])) if k.size else None


def _push(problem: Problem, acqs, cc):
    """Make room for ``cc`` by sliding its neighbours away from it inside their own windows
    (a block shift: each one only as far as needed). {idx: slid take} or None."""
    acqs = sorted((a for a in acqs if a.idx != cc.idx), key=lambda a: a.start_s)
    moved: dict = {}
    for side in (True, False):
        chain = [a for a in acqs if (a.start_s <= cc.start_s) == side]
        chain = chain[::-1] if side else chain
        ref = cc
        for a in chain:
            if (_fits_before(problem, a, ref) if side else _fits_before(problem, ref, a)):
                break
            a2 = _slide_to_fit(problem, a, ref, side)
            if a2 is None:
                return None
            moved[a.idx] = a2
            ref = a2
    return moved


def _push_options(problem: Problem, sched: Schedule, c, limit: int = 4):
    """Insert ``c`` without dropping anything by pushing its neighbours inside their windows:
    [(n moved, |pitch|, trial)], best first, exact-checked."""
    acqs = sched.by_sat[c.satellite]
    if c.slidable:
        grid = np.unique(np.round(np.concatenate([np.arange(c.window_start_s, c.window_end_s, SLIDE_STEP_S),
                                                  [c.window_end_s, c.start_s]]), 3))
    else:
        grid = np.array([c.start_s])
    found = []
    for s in grid:
        cc = c.at(float(s))
        moved = _push(problem, acqs, cc)
        if moved is not None:
            found.append((len(moved), abs(cc.pitch_deg), float(s), moved))
    found.sort(key=lambda f: f[:3])
    out = []
    for n, pitch, s, moved in found[:limit]:
        trial = sched.copy()
        by_rid = {a.idx: a.request_id for a in acqs}
        for idx, a2 in moved.items():
            trial.remove(by_rid[idx])
            trial.add(a2)
        if trial.try_add(c.at(s), slide=False)[0]:
            out.append((n, pitch, trial))
            break
    return out


def _change_cost(problem: Problem, sched: Schedule, trial: Schedule, rid: str):
    """Lexicographic cost of going from ``sched`` to ``trial`` (which adds ``rid``): (committed
    requests lost, committed takes out of their visibility window (lost or moved to another
    overflight), takes slid inside their window, weight lost, |pitch| of the new take)."""
    lost = [r for r in sched.sel if r not in trial.sel]
    out = sum(1 for r, c in sched.sel.items() if r in trial.sel and trial.sel[r].idx != c.idx)
    slid = sum(1 for r, c in sched.sel.items() if r in trial.sel and trial.sel[r].idx == c.idx
               and abs(trial.sel[r].start_s - c.start_s) > 1e-6)
    w = sum(problem.requests[r].weight for r in lost)
    return (len(lost), len(lost) + out, slid, w, abs(trial.sel[rid].pitch_deg)), lost


def _stable_options(problem: Problem, sched: Schedule, c, priority: int):
    """Ways to insert candidate ``c``, yielded as (cost, trial schedule, lost ids), cost from
    :func:`_change_cost`: sliding it alone, pushing its neighbours inside their windows,
    removing the takes in its way (each re-placed inside its window, on another overflight,
    or dropped when of lower priority), or evicting lower-priority takes for a
    recorder/energy/duty/latency limit."""
    trial = sched.copy()
    if trial.try_add(c)[0]:
        yield (*_change_cost(problem, sched, trial, c.request_id), trial)
        return
    for _n, _pitch, trial in _push_options(problem, sched, c):
        yield (*_change_cost(problem, sched, trial, c.request_id), trial)
    for s, bl in _conflict_sets(problem, sched, c):
        if not bl:
            continue
        trial = sched.copy()
        for b in bl:
            trial.remove(b.request_id)
        if not trial.try_add(c.at(s), slide=False)[0]:
            continue
        for b in sorted(bl, key=lambda b: (b.priority, -b.weight, b.start_s)):
            # slide it inside its own window first (nearest its committed start), else another pass
            if trial.try_add(b, prefer_s=b.start_s)[0] or any(
                    trial.try_add(alt)[0] for alt in problem.cands_by_req[b.request_id] if alt.idx != b.idx):
                continue
            # another of its candidates, pushing the takes there inside their windows
            pushed = next((o for alt in problem.cands_by_req[b.request_id] if alt.idx != b.idx
                           for o in _push_options(problem, trial, alt)), None)
            if pushed is not None:
                trial = pushed[2]
            elif b.priority <= priority:
                break
        else:
            yield (*_change_cost(problem, sched, trial, c.request_id), trial)
    # not a timeline conflict (recorder, energy, duty cycle, latency): evict lower priority
    res = _insert_evicting(problem, sched, c, priority)
    if res is not None:
        trial, evicted = res
        for v in request_order(problem, evicted):
            any(trial.try_add(alt)[0] for alt in problem.cands_by_req[v])
        yield (*_change_cost(problem, sched, trial, c.request_id), trial)


def insert_stable(problem: Problem, sched: Schedule, rid: str):
    """Plan ``rid`` on its EARLIEST feasible overflight (sliding it inside its window), then with
    the fewest committed requests lost, the fewest committed takes taken out of their
    visibility window, the fewest slid inside it (:func:`_change_cost`); only acquisitions of
    strictly lower priority may be dropped. Returns (ok, ids dropped)."""
    req = problem.requests[rid]
    for g in _pass_groups(problem.cands_by_req.get(rid, [])):
        best = None
        for c in g:
            for cost, lost, trial in _stable_options(problem, sched, c, req.priority):
                if best is None or cost < best[0]:
                    best = (cost, trial, lost)
                if cost[:3] == (0, 0, 0):
                    break
        if best is not None:
            _, trial, lost = best
            for vid in lost:
                problem.reasons[vid] = (f"conflict with request {req.root_id} of higher priority "
                                        f"({req.priority}) inserted by re-planning")
            problem.reasons.pop(rid, None)
            sched.sel, sched.by_sat = trial.sel, trial.by_sat
            return True, lost
    return False, []


def recover_displaced(problem: Problem, sched: Schedule, rids, deadline_t: float) -> list[str]:
    """Re-plan displaced requests without dropping anything: each one on one of its candidates
    (its committed window first), pushing the takes there inside their windows. Returns the
    ids recovered."""
    back = []
    for rid in request_order(problem, [r for r in rids if r not in sched.sel]):
        if time.perf_counter() > deadline_t:
            break
        for c in problem.cands_by_req.get(rid, []):
            trial = sched.copy()
            if trial.try_add(c)[0]:
                opts = [(0, 0.0, trial)]
            else:
                opts = _push_options(problem, sched, c)
            if opts:
                sched.sel, sched.by_sat = opts[0][2].sel, opts[0][2].by_sat
                problem.reasons.pop(rid, None)
                back.append(rid)
                break
    return back


def priority_repair(problem: Problem, sched: Schedule) -> Schedule:
    """Enforce strict priority: no unplanned request could be planned by evicting only
    lower-priority acquisitions."""
    for rid in request_order(problem, [i for i in problem.order if i not in sched.sel]):
        if rid in sched.sel:
            continue
        insert_with_eviction(problem, sched, rid)
    return sched


def explain(problem: Problem, sched: Schedule) -> None:
    """Set the reason of every unplanned request that has candidates, against the final plan."""
    for rid in problem.order:
        if rid in sched.sel:
            problem.reasons.pop(rid, None)
            continue
        cands = problem.cands_by_req.get(rid, [])
        if not cands:
            continue
        first = None
        for c in cands:
            trial = sched.copy()
            ok, why, bl = trial.try_add(c)
            if ok:   # feasible alone: it lost a lexicographic trade at its own priority level
                why, bl = "not selected: planning it would displace more weight of the same priority", []
            if first is None or (first[0] != "conflict" and why == "conflict"):
                first = (why, bl)
        problem.reasons[rid] = _reason(problem, rid, *first)
