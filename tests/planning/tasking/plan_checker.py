"""Independent plan checker (deliberately shares no code with lotusar.planning.tasking).

Re-derives every constraint from the plan JSON, the fleet file (platform numbers, TLE text,
stations) and skyfield (passes via ``EarthSatellite.find_events``):
transitions (roll and pitch: max(|Δroll|, |Δpitch|) at the roll rate after the mode-transition
time; each take's pitch recomputed from skyfield's ITRS state at mid-take and the AOI centroid,
and within the ±20° pitch limit), overlaps, duty cycle, recorder level (recomputed from acquisitions and
downlinks), downlinks inside passes after the set-up time, antenna exclusivity, request
windows/incidence/look side, strict priority, every request accounted for.
Returns a list of violation strings (empty = valid).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

SETUP_S = 60.0
TOL_S = 1e-3
MAX_PITCH_DEG = 20.0      # the platform default (docs/planning_tasking.md); a SAR mode's max_pitch_deg narrows it
PITCH_TOL_DEG = 1.0       # SGP4 element set / centroid / Earth-model differences


def _centroid_lonlat(aoi: dict) -> tuple[float, float]:
    from shapely.geometry import shape

    if aoi.get("type") == "Feature":
        aoi = aoi["geometry"]
    if aoi["type"] == "Point":
        return float(aoi["coordinates"][0]), float(aoi["coordinates"][1])
    c = shape(aoi).centroid
    return c.x, c.y


def skyfield_pitch_deg(fleet, sat_name: str, when: datetime, lon_deg: float, lat_deg: float) -> float:
    """Angle between the line of sight to the target and the zero-Doppler plane (positive:
    target ahead), from skyfield's ITRS position and velocity."""
    from skyfield.api import EarthSatellite, load, wgs84
    from skyfield.framelib import itrs

    ts = load.timescale(builtin=True)
    sat = _platforms(fleet)[sat_name]
    w64 = np.datetime64(when.replace(tzinfo=None), "ns")
    es = min(sat.element_sets(), key=lambda e: abs((e.epoch - w64).astype(np.int64)))
    t = ts.from_datetime(when)
    r, v = EarthSatellite(es.line1, es.line2, ts=ts).at(t).frame_xyz_and_velocity(itrs)
    r_m, v_m_s = r.m, v.m_per_s
    p = wgs84.latlon(lat_deg, lon_deg).itrs_xyz.m
    los = (p - r_m) / np.linalg.norm(p - r_m)
    return float(np.degrees(np.arcsin(np.dot(los, v_m_s / np.linalg.norm(v_m_s)))))


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def _sec(s: str, t0: datetime) -> float:
    return (_t(s) - t0).total_seconds()


def _platforms(fleet):
    return {s.name: s for s in fleet.satellites}


def skyfield_passes(fleet, sat_name: str, station, t0: datetime, t1: datetime):
    """(rise, set) datetimes of every full pass from skyfield, with the element set nearest in epoch."""
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    sat = _platforms(fleet)[sat_name]
    sets = sat.element_sets()
    mid = t0 + (t1 - t0) / 2
    mid64 = np.datetime64(mid.replace(tzinfo=None), "ns")
    es = min(sets, key=lambda e: abs((e.epoch - mid64).astype(np.int64)))
    es_sat = EarthSatellite(es.line1, es.line2, ts=ts)
    site = wgs84.latlon(station.lat_deg, station.lon_deg, elevation_m=station.height_m)
    tt, ev = es_sat.find_events(site, ts.from_datetime(t0 - timedelta(minutes=20)),
                                ts.from_datetime(t1 + timedelta(minutes=20)), altitude_degrees=station.min_elevation_deg)
    out = []
    rise = None
    for ti, e in zip(tt, ev):
        if e == 0:
            rise = ti.utc_datetime()
        elif e == 2 and rise is not None:
            out.append((rise, ti.utc_datetime()))
            rise = None
    return out


MIN_SUN_ELEVATION_DEG = 15.0   # the planner's documented camera assumption
BITS_PER_SAMPLE = 12           # the planner's documented camera assumption


def _check_optical(a, r, subs, fleet, s, e) -> list[str]:
    """A camera take: sun elevation at the area (the Almanac's low-precision Sun), volume from
    the camera's push-broom rate (skyfield ground speed), cloud probability within the
    request's limit."""
    from skyfield.api import EarthSatellite, load
    from skyfield.framelib import itrs

    bad = []
    sub = subs.get(a.get("sub_request_id"), r)
    lon_c, lat_c = _centroid_lonlat(sub["aoi"])
    ts = load.timescale(builtin=True)
    mid = s + (e - s) / 2
    sun_el = _sun_elevation_deg(mid, lat_c, lon_c)
    if sun_el < MIN_SUN_ELEVATION_DEG - 0.5:
        bad.append(f"{a['request_id']}: camera take with the sun at {sun_el:.1f} deg")
    cam = next(p for p in _platforms(fleet)[a["satellite"]].payloads if p.kind == "optical")
    w64 = np.datetime64(mid.replace(tzinfo=None), "ns")
    sat = _platforms(fleet)[a["satellite"]]
    es = min(sat.element_sets(), key=lambda x: abs((x.epoch - w64).astype(np.int64)))
    pos, vel = EarthSatellite(es.line1, es.line2, ts=ts).at(ts.from_datetime(mid)).frame_xyz_and_velocity(itrs)
    ground = np.linalg.norm(vel.m_per_s) * 6_371_008.8 / np.linalg.norm(pos.m)
    rate = cam.swath_km * 1000 / cam.gsd_m * max(len(cam.bands), 1) * BITS_PER_SAMPLE * ground / cam.gsd_m
    if abs(a["volume_bits"] - (e - s).total_seconds() * rate) > 0.02 * a["volume_bits"]:
        bad.append(f"{a['request_id']}: camera volume {a['volume_bits']:.3g} != duration × rate {rate:.3g}")
    if a.get("cloud_probability") is None or a["cloud_probability"] > r.get("max_cloud_probability", 0.8) + 1e-9:
        bad.append(f"{a['request_id']}: cloud probability {a.get('cloud_probability')} above the request's limit")
    return bad


def _sun_elevation_deg(when: datetime, lat_deg: float, lon_deg: float) -> float:
    """Sun elevation from a low-precision solar position (Astronomical Almanac, ±0.01°)."""
    jd = (when - datetime(2000, 1, 1, 12, tzinfo=UTC)).total_seconds() / 86400.0
    g = np.radians((357.528 + 0.9856003 * jd) % 360)
    q = (280.459 + 0.98564736 * jd) % 360
    lam = np.radians(q + 1.915 * np.sin(g) + 0.020 * np.sin(2 * g))
    eps = np.radians(23.439 - 0.0000004 * jd)
    ra = np.arctan2(np.cos(eps) * np.sin(lam), np.cos(lam))
    dec = np.arcsin(np.sin(eps) * np.sin(lam))
    gmst = np.radians((280.46061837 + 360.98564736629 * jd) % 360)
    ha = gmst + np.radians(lon_deg) - ra
    lat = np.radians(lat_deg)
    return float(np.degrees(np.arcsin(np.sin(lat) * np.sin(dec) + np.cos(lat) * np.cos(dec) * np.cos(ha))))


def check_plan(plan: dict, fleet, requests: list[dict] | None = None) -> list[str]:
    bad: list[str] = []
    t0 = _t(plan["window"]["start"])
    t1 = _t(plan["window"]["end"])
    sats = _platforms(fleet)
    reqs = {r["id"]: r for r in (requests if requests is not None else plan["requests"])}
    subs = {r["id"]: r for r in plan.get("replan_state", {}).get("sub_requests", [])}
    acqs = plan["acquisitions"]
    dls = plan["downlinks"]
    for k in ("request_id", "satellite", "start", "end", "look_side", "incidence_deg", "volume_bits"):
        for a in acqs:
            if k not in a:
                bad.append(f"acquisition without {k}")
    for d in dls:
        for k in ("satellite", "station", "start", "end"):
            if k not in d:
                bad.append(f"downlink without {k}")
    # --- per-acquisition request constraints
    for a in acqs:
        r = reqs.get(a["request_id"])
        if r is None:
            bad.append(f"acquisition for unknown request {a['request_id']}")
            continue
        s, e = _t(a["start"]), _t(a["end"])
        if s < _t(r["earliest_start"]) - timedelta(seconds=TOL_S) or e > _t(r["deadline"]) + timedelta(seconds=TOL_S):
            bad.append(f"{a['request_id']}: acquisition outside the request window")
        if s < t0 or e > t1:
            bad.append(f"{a['request_id']}: acquisition outside the planning window")
        if r.get("look_side", "any") not in ("any", a["look_side"]):
            bad.append(f"{a['request_id']}: look side {a['look_side']} != requested {r['look_side']}")
        if r.get("pass_direction", "any") not in ("any", a.get("direction")):
            bad.append(f"{a['request_id']}: direction {a.get('direction')} != requested {r['pass_direction']}")
        if a["off_nadir_deg"] > sats[a["satellite"]].platform.max_roll_deg + 1e-6:
            bad.append(f"{a['request_id']}: off-nadir beyond max roll")
        sensor = a.get("sensor", "sar")
        if r.get("sensor", "sar") not in ("any", sensor):
            bad.append(f"{a['request_id']}: {sensor} take for a {r.get('sensor', 'sar')} request")
        sub = subs.get(a.get("sub_request_id"), r)
        lon_c, lat_c = _centroid_lonlat(sub["aoi"])
        pitch = skyfield_pitch_deg(fleet, a["satellite"], s + (e - s) / 2, lon_c, lat_c)
        if abs(pitch - a.get("pitch_deg", 0.0)) > PITCH_TOL_DEG:
            bad.append(f"{a['request_id']}: pitch {a.get('pitch_deg', 0.0):.2f} deg, skyfield gives {pitch:.2f}")
        limit = MAX_PITCH_DEG
        if sensor == "sar":
            stated = sats[a["satellite"]].sar_mode(a["mode"]).max_pitch_deg
            limit = MAX_PITCH_DEG if stated is None else stated
        if abs(pitch) > limit + PITCH_TOL_DEG:
            bad.append(f"{a['request_id']}: pitch {pitch:.2f} deg beyond the ±{limit:g} deg limit")
        if sensor == "optical":
            bad += _check_optical(a, r, subs, fleet, s, e)
            continue
        mode = sats[a["satellite"]].sar_mode(r["mode"])
        lo = max(r.get("incidence_min_deg", 0), mode.incidence_min_deg) - 1e-6
        hi = min(r.get("incidence_max_deg", 90), mode.incidence_max_deg) + 1e-6
        if not lo <= a["incidence_deg"] <= hi:
            bad.append(f"{a['request_id']}: incidence {a['incidence_deg']:.2f} outside [{lo:.2f}, {hi:.2f}]")
        dur = (e - s).total_seconds()
        if abs(a["volume_bits"] - dur * mode.data_rate_bps) > 1e-6 * a["volume_bits"] + 1:
            bad.append(f"{a['request_id']}: volume {a['volume_bits']} != duration × data rate")
    # --- per satellite: overlaps, transitions, duty cycle, memory
    for name in {a["satellite"] for a in acqs} | {d["satellite"] for d in dls}:
        p = sats[name].platform
        A = sorted([a for a in acqs if a["satellite"] == name], key=lambda a: a["start"])
        st = np.array([_sec(a["start"], t0) for a in A])
        en = np.array([_sec(a["end"], t0) for a in A])
        roll = np.array([(-1 if a["look_side"] == "left" else 1) * a["off_nadir_deg"] for a in A])
        pitch = np.array([a.get("pitch_deg", 0.0) for a in A])
        for i in range(len(A) - 1):
            need = p.mode_transition_s + max(abs(roll[i + 1] - roll[i]), abs(pitch[i + 1] - pitch[i])) / p.roll_rate_deg_s
            if st[i + 1] - en[i] < need - TOL_S:
                bad.append(f"{name}: {A[i]['request_id']} → {A[i + 1]['request_id']}: gap {st[i + 1] - en[i]:.1f} s "
                           f"< transition {need:.1f} s")
        n_rev_day = sats[name].element_sets()[0].satrec.no_kozai * 1440 / (2 * np.pi)
        period = 86400.0 / n_rev_day
        for i in range(len(A)):
            busy = np.clip(np.minimum(en, st[i] + period) - np.maximum(st, st[i]), 0, None).sum()
            if busy > p.max_imaging_s_per_orbit + TOL_S:
                bad.append(f"{name}: {busy:.0f} s of imaging in one orbit from {A[i]['start']}")
        D = sorted([d for d in dls if d["satellite"] == name], key=lambda d: d["start"])
        ds = np.array([_sec(d["start"], t0) for d in D])
        de = np.array([_sec(d["end"], t0) for d in D])
        for d, a_, b_ in zip(D, ds, de):
            if "volume_bits" in d and abs(d["volume_bits"] - (b_ - a_) * p.downlink_rate_bps) > 1e-6 * d["volume_bits"] + 1:
                bad.append(f"{name}: downlink volume != duration × rate")
        for i in range(len(D) - 1):
            if ds[i + 1] < de[i] - TOL_S:
                bad.append(f"{name}: two downlinks at once ({D[i]['station']}, {D[i + 1]['station']})")
        # recorder: fill linear over each acquisition, drain linear over each downlink
        vol = np.array([a["volume_bits"] for a in A])
        tb = np.unique(np.concatenate([st, en, ds, de, [0.0]]))
        fill = (vol[None, :] * np.clip((tb[:, None] - st) / np.maximum(en - st, 1e-9), 0, 1)).sum(1) if len(A) else 0 * tb
        drain = (p.downlink_rate_bps * np.clip(tb[:, None] - ds, 0, None).clip(max=(de - ds))).sum(1) if len(D) else 0 * tb
        level = fill - drain
        # stricter: a take's data counted only once the take is complete (left limits at every breakpoint)
        tl = np.concatenate([tb, tb - 1e-6])
        done = (vol[None, :] * (en[None, :] <= tl[:, None])).sum(1) if len(A) else 0 * tl
        drain_l = (p.downlink_rate_bps * np.clip(tl[:, None] - ds, 0, None).clip(max=(de - ds))).sum(1) if len(D) else 0 * tl
        if (done - drain_l).min(initial=0) < -1e3:
            bad.append(f"{name}: a downlink dumps data of a take not yet complete")
        if level.min(initial=0) < -1e3:
            bad.append(f"{name}: recorder below zero ({level.min():.3g} bits)")
        if level.max(initial=0) > p.memory_bits + 1e3:
            bad.append(f"{name}: recorder above capacity ({level.max():.3g} > {p.memory_bits:.3g} bits)")
        # energy profile within [DoD floor, capacity]
        for pt in plan.get("energy", {}).get(name, []):
            if not (0.2 * p.battery_wh - 1e-6 <= pt["value"] <= p.battery_wh + 1e-6):
                bad.append(f"{name}: battery {pt['value']:.1f} Wh outside [{0.2 * p.battery_wh}, {p.battery_wh}]")
                break
    # --- downlinks inside skyfield passes, after set-up; one satellite per antenna
    stations = {s.name: s for s in fleet.stations}
    cache = {}
    for d in dls:
        key = (d["satellite"], d["station"])
        if key not in cache:
            cache[key] = skyfield_passes(fleet, d["satellite"], stations[d["station"]], t0, t1)
        s, e = _t(d["start"]), _t(d["end"])
        ok = any(s >= r + timedelta(seconds=SETUP_S) and e <= st_ for r, st_ in cache[key])   # strict
        if not ok:
            bad.append(f"downlink {d['satellite']}→{d['station']} {d['start']}–{d['end']} not inside a pass after set-up")
    for stn in {d["station"] for d in dls}:
        D = sorted([d for d in dls if d["station"] == stn], key=lambda d: d["start"])
        for x, y in zip(D, D[1:]):
            if _t(y["start"]) < _t(x["end"]) - timedelta(seconds=TOL_S):
                bad.append(f"{stn}: antenna used by two downlinks at once")
    # --- every request accounted for; strict priority
    planned = {a["request_id"] for a in acqs}
    unpl = {u["request_id"]: u for u in plan["unplanned"]}
    for rid in reqs:
        if rid not in planned and rid not in unpl:
            bad.append(f"request {rid} neither planned nor unplanned")
        if rid in unpl and not unpl[rid].get("reason"):
            bad.append(f"request {rid} unplanned without a reason")
    prio = {rid: r.get("priority", 3) for rid, r in reqs.items()}
    if "stability" in plan:
        pass
    for rid, u in unpl.items():
        reason = u["reason"]
        if reason.startswith("conflict with request "):
            other = reason.split()[3]
            if other not in planned:
                bad.append(f"{rid}: blamed on {other}, which is not planned")
            elif prio[other] > prio[rid] and "inserted by re-planning" not in reason:
                bad.append(f"{rid} (priority {prio[rid]}) lost to lower-priority {other} ({prio[other]})")
    bad += _dominance(plan, fleet, prio, planned, unpl, t0)
    return bad


def _dominance(plan, fleet, prio, planned, unpl, t0) -> list[str]:
    """No unplanned request has a candidate (from the plan's candidate list, i.e. data) that is
    blocked only by acquisitions of lower priority (timeline conflicts recomputed here)."""
    st = plan.get("replan_state", {})
    cands = st.get("candidates", [])
    sub_of = {}
    for r in st.get("sub_requests", []):
        sub_of[r["id"]] = r.get("parent_id") or r["id"]
    sats = _platforms(fleet)
    acqs = plan["acquisitions"]
    bad = []
    for c in cands:
        root = sub_of.get(c["request_id"], c["request_id"])
        if root not in unpl or "conflict with request" not in unpl[root]["reason"]:
            continue
        p = sats[c["satellite"]].platform
        rc = (-1 if c["look_side"] == "left" else 1) * c["off_nadir_deg"]
        blockers = []
        for a in acqs:
            if a["satellite"] != c["satellite"]:
                continue
            s, e = _sec(a["start"], t0), _sec(a["end"], t0)
            ra = (-1 if a["look_side"] == "left" else 1) * a["off_nadir_deg"]
            need = p.mode_transition_s + abs(ra - rc) / p.roll_rate_deg_s
            first_end, second_start = (e, c["start_s"]) if s <= c["start_s"] else (c["end_s"], s)
            if second_start - first_end < need - TOL_S:
                blockers.append(a)
        if blockers and all(a["priority"] > prio[root] for a in blockers) and "re-planning" not in unpl[root]["reason"]:
            bad.append(f"{root} (priority {prio[root]}) blocked only by lower-priority acquisitions at {c['start_s']:.0f} s")
    return bad
