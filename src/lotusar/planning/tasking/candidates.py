"""Candidate acquisitions (from the orbit stage's SAR opportunities) and downlink windows.

A candidate is one way to satisfy one request: a satellite, an overflight, a look side, a
time interval and the look angle. Its duration is the AOI's along-track extent divided by the
ground speed (zero-Doppler times of the first and last AOI point, from
:func:`lotusar.orbit.access.sar_opportunities`), at least the mode's minimum dwell (a steered
spotlight needs the whole synthetic aperture, a burst mode one burst cycle), plus a margin on
both sides. Its volume is duration × the mode's raw data rate.

Time-flexible takes: an agile satellite can image the AOI before or after its zero-Doppler
crossing by pitching the beam forward or backward (squinted acquisition). With ``t_ref`` the
zero-Doppler time of the AOI centroid, ``R0`` the slant range there and ``v`` the satellite's
speed relative to the ground (ITRS), a take centred at ``t`` looks with pitch

    pitch(t) = atan(v (t_ref − t) / R0)        (positive: looking forward)

and the take may start anywhere in ``[window_start_s, window_end_s]``, where |pitch| ≤
``max_pitch_deg(mode)`` (and inside the request's window). ``start_s`` is the position the
candidate is placed at (by default the one nearest to zero pitch); :meth:`Candidate.at`
slides it.

Times inside the planner are float seconds from the plan epoch (the window start).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from lotusar.geodesy import geodetic_to_ecef
from lotusar.orbit.passes import find_passes
from lotusar.orbit.propagate import sunlit
from lotusar.planning.tasking.opportunities import (
    MEAN_EARTH_RADIUS_M,
    aoi_point_arrays,
    centroid_crossings,
    crossing_geometry,
)
from lotusar.planning.tasking.optical import (
    MIN_SUN_ELEVATION_DEG,
    CloudField,
    optical_data_rate_bps,
    optical_payload,
    sun_elevation_deg,
)
from lotusar.timeutil import to_datetime64

# minimum dwell (s), from the mode's parameters (assumptions): a steered spotlight (a mode with
# a scene length) sweeps its beam over the scene to form the full aperture; a burst mode
# (``burst_cycle_s`` given, or a multi-beam swath wider than one beam can illuminate) needs one
# full burst cycle over all sub-swaths; otherwise (stripmap) a short minimum take.
STEERED_MIN_DWELL_S = 10.0
BURST_MIN_DWELL_S = 6.0
SINGLE_BEAM_MAX_SWATH_KM = 30.0
STRIP_MIN_DWELL_S = 2.0
MARGIN_S = 1.0                 # before and after each acquisition (instrument start / stop)
DOWNLINK_SETUP_S = 60.0        # antenna acquisition + carrier lock after AOS
PASS_GUARD_S = 2.0             # margin inside [AOS + set-up, LOS] for pass-time differences between tools (< 1 s)
# ASSUMPTION: the bus pitches up to ±20° at the same rate as it rolls (same reaction wheels).
# A SAR mode narrows this with its own ``max_pitch_deg`` in the fleet file: the squint at which
# its products still focus at theory (see :func:`max_pitch_deg`).
DEFAULT_MAX_PITCH_DEG = 20.0


def max_pitch_deg(mode=None) -> float:
    """Pitch limit of a take [deg]: the fleet SAR mode's ``max_pitch_deg`` where it states one,
    else the platform default (camera takes, modes without a stated limit)."""
    limit = getattr(mode, "max_pitch_deg", None)
    return DEFAULT_MAX_PITCH_DEG if limit is None else float(limit)


def mode_kind(mode) -> str:
    """How a fleet SAR mode images, from its parameters (never its name): ``strip`` (one beam,
    no steering), ``steered`` (a scene length: spotlight-like) or ``burst`` (a burst cycle, or a
    swath wider than one beam covers: ScanSAR-like)."""
    if mode.burst_cycle_s is not None or (mode.scene_length_km is None and mode.swath_km > SINGLE_BEAM_MAX_SWATH_KM):
        return "burst"
    if mode.scene_length_km is not None:
        return "steered"
    return "strip"


def min_dwell_s(mode) -> float:
    """Shortest take of a fleet SAR mode (see the constants above)."""
    if mode.burst_cycle_s is not None:
        return float(mode.burst_cycle_s)
    return {"steered": STEERED_MIN_DWELL_S, "burst": BURST_MIN_DWELL_S}.get(mode_kind(mode), STRIP_MIN_DWELL_S)


@dataclass
class Candidate:
    idx: int
    request_id: str
    satellite: str
    start_s: float
    end_s: float
    look_side: str
    direction: str
    incidence_deg: float
    off_nadir_deg: float        # unsigned look angle from nadir at the AOI centroid
    volume_bits: float
    mode: str
    priority: int
    weight: float
    t_ref_s: float | None = None          # zero-Doppler time of the AOI centroid (None: fixed take)
    slant_range_m: float = 0.0            # slant range at t_ref
    speed_m_s: float = 0.0                # satellite speed relative to the ground
    orbit_rate_rad_s: float = 0.0         # angular rate of the velocity direction (|r × v| / |r|²)
    window_start_s: float | None = None   # earliest start (|pitch| ≤ max pitch, request window)
    window_end_s: float | None = None     # latest start
    sensor: str = "sar"                   # "sar" or "optical"
    cloud_probability: float | None = None    # optical: at the area and time (weight × (1 − p))
    sun_elevation_deg: float | None = None    # optical: at the area's centroid, mid-take

    @property
    def roll_deg(self) -> float:
        """Signed body roll: left looks negative, right looks positive."""
        return -self.off_nadir_deg if self.look_side == "left" else self.off_nadir_deg

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @cached_property
    def pitch_deg(self) -> float:
        """Beam pitch of the take as placed (0 for a fixed take); see :func:`pitch_at`."""
        if self.t_ref_s is None or self.slant_range_m <= 0.0:
            return 0.0
        dt = self.t_ref_s - 0.5 * (self.start_s + self.end_s)
        return math.degrees(math.atan2(self.speed_m_s * dt, self.slant_range_m)
                            - self.orbit_rate_rad_s * dt * math.cos(math.radians(self.off_nadir_deg)))

    @property
    def slidable(self) -> bool:
        return self.window_start_s is not None and self.window_end_s is not None \
            and self.window_end_s > self.window_start_s

    def at(self, start_s: float) -> Candidate:
        """The same take slid to start at ``start_s`` (same idx, same duration and volume)."""
        d = self.duration_s
        s = round(float(start_s), 3)
        return dataclasses.replace(self, start_s=s, end_s=round(s + d, 3))

    def to_json_dict(self) -> dict:
        return {k: getattr(self, k) for k in (
            "request_id", "satellite", "start_s", "end_s", "look_side", "direction", "incidence_deg",
            "off_nadir_deg", "volume_bits", "mode", "priority", "weight", "t_ref_s", "slant_range_m",
            "speed_m_s", "orbit_rate_rad_s", "window_start_s", "window_end_s", "sensor", "cloud_probability",
            "sun_elevation_deg")}


def pitch_at(c: Candidate, start_s):
    """Pitch (deg) of take ``c`` started at ``start_s`` (scalar or array)."""
    if c.t_ref_s is None or c.slant_range_m <= 0.0:
        return np.zeros_like(np.asarray(start_s, float))
    dt = c.t_ref_s - (np.asarray(start_s, float) + 0.5 * (c.end_s - c.start_s))
    # straight-line squint, less the turn of the velocity along the curved orbit (the line of
    # sight is ~cos(off-nadir) downward, the velocity tilts up by ω Δt before the crossing)
    return np.degrees(np.arctan2(c.speed_m_s * dt, c.slant_range_m)
                      - c.orbit_rate_rad_s * dt * np.cos(np.radians(c.off_nadir_deg)))


@dataclass
class DownlinkWindow:
    satellite: str
    station: str
    aos_s: float
    los_s: float
    start_s: float              # usable start (AOS + set-up + guard, after any antenna conflict)
    max_elevation_deg: float
    end_s: float | None = None  # usable end (LOS − guard); None = LOS

    @property
    def usable_end_s(self) -> float:
        return self.los_s if self.end_s is None else self.end_s


@dataclass
class RequestCandidates:
    request_id: str
    candidates: list = field(default_factory=list)
    reason: str | None = None   # why there are none


def _s(t64, epoch64) -> float:
    return float((np.datetime64(t64, "ns") - epoch64).astype(np.int64)) / 1e9


def take_window(centre_s: float, dwell_s: float, t_ref_s: float, slant_range_m: float, speed_m_s: float,
                turn_rad_s: float, rel_s: float, deadline_s: float, pitch_limit_deg: float = DEFAULT_MAX_PITCH_DEG):
    """(earliest start, latest start, preferred start) of a take of ``dwell_s`` whose zero-pitch
    centre is ``centre_s``: |pitch| ≤ ``pitch_limit_deg`` at the take's centre and the take inside
    [rel_s, deadline_s]; the preferred start is the one nearest to zero pitch. Millisecond grid
    (the plan file's ISO times carry exact values). None when no start is possible."""
    # |atan(v Δt / R0) − turn Δt| ≤ pitch limit: the straight-line bound, widened by the turn
    half = slant_range_m * math.tan(math.radians(pitch_limit_deg)) / max(speed_m_s, 1.0)
    for _ in range(3):
        half = slant_range_m * math.tan(math.radians(pitch_limit_deg) + turn_rad_s * half) / max(speed_m_s, 1.0)
    # pitch is measured at the take's centre from t_ref; keep |t_ref − centre| ≤ half
    lo = t_ref_s - half - 0.5 * dwell_s
    hi = t_ref_s + half - 0.5 * dwell_s
    ws = math.ceil(max(lo, rel_s) * 1000.0) / 1000.0
    we = math.floor(min(hi, deadline_s - dwell_s) * 1000.0) / 1000.0
    if we < ws:
        return None
    s0 = round(min(max(centre_s - 0.5 * dwell_s, ws), we), 3)
    return ws, we, s0


def sar_satellites(fleet):
    return [s for s in fleet.satellites if s.sar_payload() is not None and s.status != "reentered"]


def imaging_satellites(fleet, optical: bool = False):
    """SAR satellites, plus those with an optical camera when ``optical`` (not re-entered)."""
    return [s for s in fleet.satellites if s.status != "reentered"
            and (s.sar_payload() is not None or (optical and optical_payload(s) is not None))]


def wants_optical(requests) -> bool:
    return any(r.sensor != "sar" for r in requests)


def _satellite_passes(sat, epoch, end_s, polys, inc_hi, lon, lat):
    """Per request index: list of (crossing row, geometry) of ``sat`` (one vectorised pass);
    for a camera also the sun elevation at each crossing."""
    radius_m = np.array([0.5 * np.hypot((p.bounds[2] - p.bounds[0]) * np.cos(np.radians(p.centroid.y)),
                                        p.bounds[3] - p.bounds[1]) * 111_195.0 for p in polys])
    P = geodetic_to_ecef(lat_deg=lat[:, 0], lon_deg=lon[:, 0], height_m=np.zeros(lat.shape[0]))
    inc = np.asarray(inc_hi, float) + 5.0
    if sat.sar_payload() is None:       # a camera: reach set by the roll limit (incidence ≈ 1.1 × off-nadir)
        inc = np.full(len(polys), 1.1 * sat.platform.max_roll_deg + 5.0)
    cr = centroid_crossings(sat, epoch, end_s, P, inc, radius_m)
    geo = crossing_geometry(cr, lon, lat)
    rows: dict[int, list[int]] = {}
    for m in np.argsort(cr.t_s, kind="stable"):
        rows.setdefault(int(cr.req[m]), []).append(int(m))
    sun = None
    if optical_payload(sat) is not None and cr.t_s.size:
        sun = sun_elevation_deg(epoch, cr.t_s, lat[cr.req, 0], lon[cr.req, 0])
    return cr, geo, rows, sun


def request_candidates(requests, fleet, epoch, end, start_idx: int = 0, progress=None,
                       cloud: CloudField | None = None) -> list[RequestCandidates]:
    """Candidates for every request on every imaging satellite of ``fleet`` in [epoch, end]
    (SAR takes for ``sensor`` sar/any, camera takes for optical/any; ``cloud``: a cloud
    forecast, default the climatology).

    One vectorised opportunity search per satellite for all requests (:mod:`opportunities`);
    ``progress(done, total)`` is called after each request when given.
    """
    end_s = (end - epoch).total_seconds()
    sats = imaging_satellites(fleet, wants_optical(requests))
    cloud = cloud or CloudField()
    polys = [r.polygon() for r in requests]
    out: list[RequestCandidates] = []
    if not requests:
        return out
    lon, lat = aoi_point_arrays(polys)
    inc_hi = [r.incidence_max_deg for r in requests]
    passes = {s.name: _satellite_passes(s, epoch, end_s, polys, inc_hi, lon, lat) for s in sats}
    idx = start_idx
    for k, req in enumerate(requests):
        if progress is not None:
            progress(k, len(requests))
        rc = RequestCandidates(req.id)
        rel_s = max(0.0, (req.earliest_start - epoch).total_seconds())
        dl_s = min(end_s, (req.deadline - epoch).total_seconds())
        reasons: list[str] = []
        if dl_s <= rel_s:
            rc.reason = "no opportunity in its window (request window outside the planning window)"
            out.append(rc)
            continue
        for sat in sats:
            if req.sensor in ("sar", "any") and sat.sar_payload() is not None:
                idx = _candidates_on(rc, req, sat, passes[sat.name], k, rel_s, dl_s, idx, reasons)
            if req.sensor in ("optical", "any") and optical_payload(sat) is not None:
                idx = _optical_candidates_on(rc, req, sat, passes[sat.name], k, (rel_s, dl_s), idx, reasons,
                                             epoch, cloud)
        if not sats:
            reasons.append("no opportunity in its window (no SAR satellite in the fleet)")
        rc.candidates.sort(key=lambda c: c.start_s)
        if not rc.candidates:
            rc.reason = "; ".join(reasons) if reasons else "no opportunity in its window"
        out.append(rc)
    return out


def _candidates_on(rc, req, sat, passes, k, rel_s, dl_s, idx, reasons) -> int:
    """Append request ``k``'s candidates on ``sat`` to ``rc`` (or a reason); next free idx."""
    payload = sat.sar_payload()
    if req.mode not in payload.modes:
        reasons.append(f"mode {req.mode} not on {sat.name}")
        return idx
    mode = sat.sar_mode(req.mode)
    lo = max(req.incidence_min_deg, mode.incidence_min_deg)
    hi = min(req.incidence_max_deg, mode.incidence_max_deg)
    if hi <= lo:
        reasons.append(f"incidence outside the mode ({req.mode} {mode.incidence_min_deg:g}-"
                       f"{mode.incidence_max_deg:g} deg on {sat.name})")
        return idx
    sides = [s for s in mode.look_sides if req.look_side in ("any", s)]
    if not sides:
        reasons.append(f"look side {req.look_side} not available in {req.mode} on {sat.name}")
        return idx
    cr, geo, rows, _sun = passes
    n_opp = n_partial = n_roll = 0
    swath = float(mode.swath_km)
    for m in rows.get(k, []):
        direction = "ascending" if cr.ascending[m] else "descending"
        if req.pass_direction not in ("any", direction):
            continue
        if geo.t1_s[m] < rel_s - 300.0 or geo.t0_s[m] > dl_s + 300.0:
            continue
        for side in sides:
            on_side = geo.right[m] if side == "right" else ~geo.right[m]
            in_win = on_side & (geo.inc_deg[m] >= lo) & (geo.inc_deg[m] <= hi)
            if not in_win.any():
                continue
            n_opp += 1
            xt = geo.xt_km[m] * (1 if side == "right" else -1)
            full = bool(in_win.all() and xt.max() - xt.min() <= swath
                        and (mode.scene_length_km is None or geo.at_km[m] <= mode.scene_length_km))
            if not full:
                n_partial += 1
                continue
            if geo.off_nadir_deg[m] > sat.platform.max_roll_deg:
                n_roll += 1
                continue
            t0, t1, t_ref = float(geo.t0_s[m]), float(geo.t1_s[m]), float(cr.t_s[m])
            dwell = round(max(t1 - t0, min_dwell_s(mode)) + 2 * MARGIN_S, 3)
            rate = float(cr.orbit_rate_rad_s[m])
            window = take_window(0.5 * (t0 + t1), dwell, t_ref, float(geo.slant_range_m[m]), float(cr.speed_m_s[m]),
                                 rate * math.cos(math.radians(float(geo.off_nadir_deg[m]))), rel_s, dl_s,
                                 max_pitch_deg(mode))
            if window is None:
                continue
            ws, we, s0 = window
            rc.candidates.append(Candidate(
                idx=idx, request_id=req.id, satellite=sat.name, start_s=s0, end_s=round(s0 + dwell, 3),
                look_side=side, direction=direction, incidence_deg=float(geo.inc_deg[m, 0]),
                off_nadir_deg=float(geo.off_nadir_deg[m]), volume_bits=dwell * float(mode.data_rate_bps),
                mode=req.mode, priority=req.priority, weight=req.weight, t_ref_s=t_ref,
                slant_range_m=float(geo.slant_range_m[m]), speed_m_s=float(cr.speed_m_s[m]), orbit_rate_rad_s=rate,
                window_start_s=ws, window_end_s=we))
            idx += 1
    if n_opp == 0:
        reasons.append(f"no opportunity in its window on {sat.name} (incidence {lo:g}-{hi:g} deg, "
                       f"look {req.look_side}, direction {req.pass_direction})")
    elif n_partial == n_opp:
        reasons.append(f"no opportunity in its window covers the whole area on {sat.name} "
                       f"(incidence/swath/scene only partial)")
    elif n_roll:
        reasons.append(f"no opportunity in its window within the roll limit on {sat.name}")
    return idx


def _optical_candidates_on(rc, req, sat, passes, k, window, idx, reasons, epoch, cloud) -> int:
    """Append request ``k``'s camera takes on ``sat`` (see :mod:`optical`); next free idx."""
    rel_s, dl_s = window
    payload = optical_payload(sat)
    cr, geo, rows, sun = passes
    n_opp = n_wide = n_dark = n_cloud = 0
    for m in rows.get(k, []):
        direction = "ascending" if cr.ascending[m] else "descending"
        if req.pass_direction not in ("any", direction):
            continue
        if geo.t1_s[m] < rel_s - 300.0 or geo.t0_s[m] > dl_s + 300.0:
            continue
        side = "right" if geo.right[m, 0] else "left"
        if req.look_side not in ("any", side):
            continue
        n_opp += 1
        on_side = geo.right[m] if side == "right" else ~geo.right[m]
        xt = geo.xt_km[m] * (1 if side == "right" else -1)
        if not (on_side.all() or geo.off_nadir_deg[m] < 1.0) or xt.max() - xt.min() > payload.swath_km \
                or geo.off_nadir_deg[m] > sat.platform.max_roll_deg:
            n_wide += 1
            continue
        if sun[m] < MIN_SUN_ELEVATION_DEG:
            n_dark += 1
            continue
        p_cloud = cloud.probability(epoch, float(cr.t_s[m]), float(req.polygon().centroid.y),
                                    float(req.polygon().centroid.x))
        if p_cloud > req.max_cloud_probability:
            n_cloud += 1
            continue
        t0, t1, t_ref = float(geo.t0_s[m]), float(geo.t1_s[m]), float(cr.t_s[m])
        dwell = round(max(t1 - t0, STRIP_MIN_DWELL_S) + 2 * MARGIN_S, 3)
        rate = float(cr.orbit_rate_rad_s[m])
        tw = take_window(0.5 * (t0 + t1), dwell, t_ref, float(geo.slant_range_m[m]), float(cr.speed_m_s[m]),
                         rate * math.cos(math.radians(float(geo.off_nadir_deg[m]))), rel_s, dl_s)
        if tw is None:
            continue
        ws, we, s0 = tw
        ground_speed = float(cr.speed_m_s[m]) * MEAN_EARTH_RADIUS_M / float(np.linalg.norm(cr.r[m]))
        rc.candidates.append(Candidate(
            idx=idx, request_id=req.id, satellite=sat.name, start_s=s0, end_s=round(s0 + dwell, 3),
            look_side=side, direction=direction, incidence_deg=float(geo.inc_deg[m, 0]),
            off_nadir_deg=float(geo.off_nadir_deg[m]),
            volume_bits=dwell * optical_data_rate_bps(payload, ground_speed), mode="optical", priority=req.priority,
            weight=req.weight * (1.0 - p_cloud), t_ref_s=t_ref, slant_range_m=float(geo.slant_range_m[m]),
            speed_m_s=float(cr.speed_m_s[m]), orbit_rate_rad_s=rate, window_start_s=ws, window_end_s=we,
            sensor="optical", cloud_probability=p_cloud, sun_elevation_deg=float(sun[m])))
        idx += 1
    if n_opp == 0:
        reasons.append(f"no camera opportunity in its window on {sat.name} (look {req.look_side}, "
                       f"direction {req.pass_direction})")
    elif n_wide == n_opp:
        reasons.append(f"no camera opportunity on {sat.name} within the swath and the off-nadir limit")
    elif n_dark + n_wide == n_opp:
        reasons.append(f"no camera opportunity on {sat.name} with the sun above {MIN_SUN_ELEVATION_DEG:g} deg")
    elif n_cloud:
        reasons.append(f"cloud probability above {req.max_cloud_probability:g} at every camera opportunity "
                       f"on {sat.name}")
    return idx


def downlink_windows(fleet, epoch, end, setup_s: float = DOWNLINK_SETUP_S, sats=None) -> list[DownlinkWindow]:
    """Station passes of every SAR satellite, as usable downlink windows (s from epoch).

    One satellite per antenna at a time and one station per satellite at a time: windows are
    taken first come (by AOS) and later overlapping ones start after the earlier LOS plus the
    set-up time (or are dropped when less than a minute is left). ``sats``: default the SAR
    satellites.
    """
    sats = sar_satellites(fleet) if sats is None else sats
    if not sats or not fleet.stations:
        return []
    epoch64 = to_datetime64(epoch)
    passes = find_passes(sats, fleet.stations, epoch, end)
    by_norad = {s.norad_id: s.name for s in sats}
    raw = sorted(
        (DownlinkWindow(by_norad.get(p.norad_id, p.name), p.station, _s(p.aos, epoch64), _s(p.los, epoch64),
                        _s(p.aos, epoch64) + setup_s + PASS_GUARD_S, float(p.max_elevation_deg),
                        _s(p.los, epoch64) - PASS_GUARD_S) for p in passes),
        key=lambda w: w.aos_s)
    busy_station: dict[str, float] = {}
    busy_sat: dict[str, float] = {}
    out = []
    for w in raw:
        s = max(w.start_s, busy_station.get(w.station, -np.inf) + setup_s + PASS_GUARD_S,
                busy_sat.get(w.satellite, -np.inf) + setup_s + PASS_GUARD_S)
        if w.usable_end_s - s < 60.0:
            continue
        w.start_s = s
        busy_station[w.station] = w.los_s
        busy_sat[w.satellite] = w.los_s
        out.append(w)
    return out


def sunlit_grid(sat, epoch, end, step_s: float = 60.0):
    """(t_s, sunlit bool) on a regular grid covering [epoch, end] (eclipse from the orbit stage)."""
    end_s = (end - epoch).total_seconds()
    n = int(np.ceil(end_s / step_s)) + 1
    ts = np.arange(n) * step_s
    grid = to_datetime64(epoch) + (ts * 1e9).astype(np.int64).astype("timedelta64[ns]")
    return ts, np.asarray(sunlit(sat, grid), bool)
