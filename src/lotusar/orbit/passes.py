"""Station passes (AOS / TCA / LOS) for many satellites × many stations.

Method
------
1. One vectorised SGP4 run per chunk of satellites on a regular grid (``step_s`` ≤ 60 s and
   ≤ period/90) → ITRS states; elevation and the *sign of the elevation rate*
   (d sin(el)/dt = v·u/ρ − (d·u)(d·v)/ρ³, exact from the SGP4 velocity) at every sample for
   every station.
2. Every maximum of elevation is bracketed by a +→− sign change of the rate, so a pass
   cannot hide between samples however short it is (a grazing pass is a maximum just above
   the mask; it is found even when no sample is above the mask).
3. Maxima, then the mask crossings before/after them, are refined by vectorised bisection on
   a cubic Hermite interpolant of the ITRS state between the two bracketing samples (position
   and velocity both match SGP4 at the samples; interpolation error ≈ ω⁴ r Δt⁴/384 ≈ 0.3 m at
   Δt = 60 s in LEO, i.e. < 1 ms in time) to 1e-6 of the step.
4. The final elevation, azimuths and sunlight are recomputed with SGP4 itself at the refined
   times.

Only passes whose AOS and LOS both fall inside the window are reported unless
``include_partial=True`` (then truncated ends are clipped to the window and flagged).
Elevations are geometric, above the plane normal to the WGS84 ellipsoid normal; with
``refraction=True`` the Sæmundsson (1986) mean refraction (10 °C, 1010 hPa) is added.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from lotusar.orbit import frames
from lotusar.orbit.elements import ElementSet, group_by_satellite
from lotusar.orbit.propagate import element_sets_of, teme_states, teme_states_many

_NS = 1_000_000_000


@dataclass(frozen=True)
class Site:
    """A ground site: WGS84 geodetic position and elevation mask."""

    name: str
    lat_deg: float
    lon_deg: float
    height_m: float = 0.0
    min_elevation_deg: float = 0.0

    @classmethod
    def of(cls, st) -> "Site":
        if isinstance(st, Site):
            return st
        return cls(str(st.name), float(st.lat_deg), float(st.lon_deg), float(st.height_m),
                   float(getattr(st, "min_elevation_deg", 0.0) or 0.0))

    @property
    def itrs_m(self) -> np.ndarray:
        return frames.geodetic_to_itrs(self.lat_deg, self.lon_deg, self.height_m)

    @property
    def enu(self) -> np.ndarray:
        return frames.enu_basis(self.lat_deg, self.lon_deg)


@dataclass
class Pass:
    norad_id: int
    name: str
    station: str
    aos: np.datetime64
    tca: np.datetime64
    los: np.datetime64
    max_elevation_deg: float
    aos_azimuth_deg: float
    tca_azimuth_deg: float
    los_azimuth_deg: float
    duration_s: float
    min_range_m: float
    sunlit: bool
    min_elevation_deg: float
    aos_truncated: bool = False
    los_truncated: bool = False

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("aos", "tca", "los"):
            from lotusar.timeutil import iso_utc

            d[k] = iso_utc(d[k], 3)
        return d


@dataclass
class _Sat:
    norad_id: int
    name: str
    sets: list


def normalise_satellites(satellites) -> list[_Sat]:
    """Satellites given as fleet Satellites, ElementSets (grouped by NORAD id), or Satrecs."""
    if not isinstance(satellites, (list, tuple)):
        satellites = [satellites]
    out: list[_Sat] = []
    loose = [s for s in satellites if isinstance(s, ElementSet)]
    for s in satellites:
        if isinstance(s, ElementSet):
            continue
        if isinstance(s, (list, tuple)):
            sets = element_sets_of(list(s))
            if isinstance(sets[0], ElementSet):
                out.append(_Sat(sets[0].norad_id, sets[-1].name or str(sets[0].norad_id), sets))
            else:
                out.append(_Sat(int(sets[0].satnum), str(sets[0].satnum), sets))
        elif hasattr(s, "element_sets"):
            out.append(_Sat(int(s.norad_id), s.name, element_sets_of(s)))
        else:
            sets = element_sets_of(s)
            out.append(_Sat(int(sets[0].satnum), str(sets[0].satnum), sets))
    for norad, grp in group_by_satellite(loose).items():
        out.append(_Sat(norad, next((e.name for e in reversed(grp) if e.name), str(norad)), grp))
    return out


def refraction_deg(el_deg, temperature_c: float = 10.0, pressure_hpa: float = 1010.0):
    """Mean atmospheric refraction (deg) for a geometric elevation (Sæmundsson 1986); frozen below −1°."""
    h = np.maximum(np.asarray(el_deg, float), -1.0)
    r_arcmin = 1.02 / np.tan(np.radians(h + 10.3 / (h + 5.11)))
    return r_arcmin / 60.0 * (pressure_hpa / 1010.0) * (283.0 / (273.0 + temperature_c))


def _hermite(p0, v0, p1, v1, h, s):
    s = s[..., None]
    s2, s3 = s * s, s * s * s
    hh = h[..., None]
    pos = (2 * s3 - 3 * s2 + 1) * p0 + (s3 - 2 * s2 + s) * hh * v0 + (-2 * s3 + 3 * s2) * p1 + (s3 - s2) * hh * v1
    vel = ((6 * s2 - 6 * s) * p0 + (3 * s2 - 4 * s + 1) * hh * v0 + (-6 * s2 + 6 * s) * p1 + (3 * s2 - 2 * s) * hh * v1) / hh
    return pos, vel


def _el_and_rate(r, v, site, up):
    dx, dy, dz = r[..., 0] - site[0], r[..., 1] - site[1], r[..., 2] - site[2]
    vx, vy, vz = v[..., 0], v[..., 1], v[..., 2]
    rho2 = dx * dx + dy * dy + dz * dz
    rho = np.sqrt(rho2)
    du = dx * up[0] + dy * up[1] + dz * up[2]
    sin_el = du / rho
    # d(sin el)/dt = v·u/ρ − (d·u)(d·v)/ρ³
    rate = ((vx * up[0] + vy * up[1] + vz * up[2]) - sin_el * (dx * vx + dy * vy + dz * vz) / rho) / rho
    return np.degrees(np.arcsin(np.clip(sin_el, -1, 1))), rate


def _bisect(f, lo, hi, f_lo_positive, iters=12):
    """Vectorised bisection of f(s) on [lo, hi] with sign(f(lo)) given (True = positive)."""
    lo = lo.copy()
    hi = hi.copy()
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        pos = f(mid) > 0
        same = pos == f_lo_positive
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    return 0.5 * (lo + hi)


def default_step_s(sats: list[_Sat]) -> float:
    period_min = min(2 * np.pi / s.sets[0].satrec.no_kozai if hasattr(s.sets[0], "satrec") else 2 * np.pi / s.sets[0].no_kozai
                     for s in sats)
    return float(min(240.0, period_min * 60.0 / 22.0))


def _states_chunk(chunk: list[_Sat], grid, scales):
    """ITRS r, v (S, N, 3) for a chunk of satellites."""
    single = all(len(s.sets) == 1 for s in chunk)
    if single:
        r, v, _ = teme_states_many([s.sets[0] for s in chunk], grid, scales)
    else:
        rs, vs = [], []
        for s in chunk:
            r1, v1, _ = teme_states(s.sets, grid, scales)
            rs.append(r1)
            vs.append(v1)
        r, v = np.stack(rs), np.stack(vs)
    return frames.teme_to_itrs(r, v, scales)


def find_passes(satellites, stations, start, end, min_elevation_deg: float | None = None,
                refraction: bool = False, step_s: float | None = None, include_partial: bool = False,
                chunk_size: int = 64, progress=None) -> list[Pass]:
    """All passes of ``satellites`` over ``stations`` in [start, end], sorted by AOS.

    ``min_elevation_deg`` overrides each station's own mask. See the module docstring for the
    method; AOS/TCA/LOS are exact to < 1 ms for LEO.
    """
    from lotusar.timeutil import parse_window, to_datetime64

    t0, t1 = parse_window(start, end)
    sats = normalise_satellites(satellites)
    sites = [Site.of(s) for s in (stations if isinstance(stations, (list, tuple)) else [stations])]
    if not sats or not sites:
        return []
    step = float(step_s) if step_s else default_step_s(sats)
    t0n, t1n = to_datetime64(t0), to_datetime64(t1)
    n = int(np.ceil((t1n - t0n).astype(np.int64) / (step * _NS)))
    offs = np.minimum(np.round(np.arange(n + 1) * step * _NS).astype(np.int64), (t1n - t0n).astype(np.int64))
    grid = t0n + offs.astype("timedelta64[ns]")
    grid = np.unique(grid)
    N = grid.size
    scales = frames.time_scales(grid)
    h_all = np.diff(grid).astype(np.int64) / _NS  # (N-1,) seconds
    site_xyz = [s.itrs_m for s in sites]
    ups = [s.enu[2] for s in sites]
    masks = [(min_elevation_deg if min_elevation_deg is not None else s.min_elevation_deg) for s in sites]

    def el_eff(el):
        return el + refraction_deg(el) if refraction else el

    events = []  # (sat index, station index, t_aos, t_tca, t_los, trunc_a, trunc_l) as float seconds from t0
    idx = np.arange(N)
    for c0 in range(0, len(sats), chunk_size):
        chunk = sats[c0:c0 + chunk_size]
        r, v = _states_chunk(chunk, grid, scales)
        for k, (site, up, mask) in enumerate(zip(site_xyz, ups, masks)):
            el, rate = _el_and_rate(r, v, site, up)
            el = el_eff(el)
            valid = np.isfinite(el)
            rate = np.where(valid, rate, 0.0)
            el = np.where(valid, el, -90.0)
            # maxima: + → − sign change of the elevation rate
            rmax = (rate[:, :-1] > 0) & (rate[:, 1:] <= 0)
            si, ki = np.nonzero(rmax)
            if si.size:
                # rigorous reachability bound: the line of sight turns at most |v|/ρ(t) rad/s and
                # ρ(t) ≥ ρ_e − |v| |t − t_e|, so from either end of the interval the elevation
                # can grow by at most ln(ρ_e / (ρ_e − |v| h)); maxima that cannot reach the mask
                # from both ends are not passes and skip the refinement
                h = h_all[ki]
                bound = np.full(si.size, np.inf)
                for kk in (ki, ki + 1):
                    d = r[si, kk] - site
                    rho = np.sqrt(np.einsum("ij,ij->i", d, d))
                    vh = np.sqrt(np.einsum("ij,ij->i", v[si, kk], v[si, kk])) * h
                    with np.errstate(divide="ignore", invalid="ignore"):
                        grow = np.where(rho > vh, np.degrees(np.log(rho / np.maximum(rho - vh, 1e-9))), np.inf)
                    bound = np.minimum(bound, el[si, kk] + grow)
                keep = ~(bound < mask - (1.0 if refraction else 1e-6))
                si, ki, h = si[keep], ki[keep], h[keep]
            # grazing maxima at window edges are outside every complete pass; passes entirely
            # above the mask from start to end are partial on both sides
            if include_partial:
                whole = (el >= mask).all(axis=1) & valid.all(axis=1)
            if si.size == 0 and not (include_partial and whole.any()):
                continue
            p0, v0 = r[si, ki], v[si, ki]
            p1, v1 = r[si, ki + 1], v[si, ki + 1]

            def rate_at(s, p0=p0, v0=v0, p1=p1, v1=v1, h=h):
                pp, vv = _hermite(p0, v0, p1, v1, h, s)
                return _el_and_rate(pp, vv, site, up)[1]

            def el_at(s, p0=p0, v0=v0, p1=p1, v1=v1, h=h):
                pp, vv = _hermite(p0, v0, p1, v1, h, s)
                return el_eff(_el_and_rate(pp, vv, site, up)[0])

            s_tca = _bisect(rate_at, np.zeros(si.size), np.ones(si.size), np.ones(si.size, bool))
            el_max = el_at(s_tca)
            ok = el_max >= mask
            si, ki, h, s_tca = si[ok], ki[ok], h[ok], s_tca[ok]
            p0, v0, p1, v1 = p0[ok], v0[ok], p1[ok], v1[ok]
            below = el < mask
            last_below = np.maximum.accumulate(np.where(below, idx, -1), axis=1)
            next_below = np.minimum.accumulate(np.where(below, idx, N)[:, ::-1], axis=1)[:, ::-1]
            ja = last_below[si, ki]
            jl = next_below[si, ki + 1]
            # AOS bracket
            a_int = np.where(ja == ki, ki, np.maximum(ja, 0))
            a_hi = np.where(ja == ki, s_tca, 1.0)
            l_int = np.where(jl == ki + 1, ki, np.minimum(jl, N - 1) - 1)
            l_lo = np.where(jl == ki + 1, s_tca, 0.0)
            t_tca = (grid[ki] - t0n).astype(np.int64) / _NS + s_tca * h

            def crossing(intv, lo, hi, rising):
                hh = h_all[intv]
                q0, w0 = r[si, intv], v[si, intv]
                q1, w1 = r[si, intv + 1], v[si, intv + 1]

                def f(s):
                    pp, vv = _hermite(q0, w0, q1, w1, hh, s)
                    return el_eff(_el_and_rate(pp, vv, site, up)[0]) - mask

                s = _bisect(f, lo, hi, np.full(lo.shape, not rising))
                return (grid[intv] - t0n).astype(np.int64) / _NS + s * hh

            t_aos = crossing(a_int, np.zeros(si.size), a_hi, True)
            t_los = crossing(l_int, l_lo, np.ones(si.size), False)
            # an SGP4 failure (decay) ends the known track: such an end is not an AOS/LOS
            tr_a = (ja < 0) | ~valid[si, np.maximum(ja, 0)]
            tr_l = (jl >= N) | ~valid[si, np.minimum(jl, N - 1)]
            span = (t1n - t0n).astype(np.int64) / _NS
            t_aos = np.where(tr_a, 0.0, t_aos)
            t_los = np.where(tr_l, span, t_los)
            events.append(np.stack((c0 + si, np.full(si.size, k), t_aos, t_tca, t_los, tr_a, tr_l, el_max[ok]), axis=1))
            if include_partial:
                for s_ in np.nonzero(whole)[0]:
                    j = int(np.argmax(el[s_]))
                    tt = (grid[j] - t0n).astype(np.int64) / _NS
                    events.append(np.array([[c0 + int(s_), k, 0.0, tt, span, 1.0, 1.0, float(el[s_, j])]]))
        if progress is not None:
            progress(min(c0 + chunk_size, len(sats)), len(sats))
    # one pass per (sat, station, aos, los): several maxima inside one pass keep the highest
    if not events:
        return []
    E = np.concatenate(events)
    if E.size == 0:
        return []
    # several maxima inside one pass (same sat, station, AOS, LOS) keep the highest
    key = np.stack((E[:, 0], E[:, 1], np.round(E[:, 2], 3), np.round(E[:, 4], 3)), axis=1)
    order = np.lexsort((-E[:, 7], key[:, 3], key[:, 2], key[:, 1], key[:, 0]))
    ks = key[order]
    first = np.ones(order.size, bool)
    first[1:] = np.any(ks[1:] != ks[:-1], axis=1)
    E = E[order[first]]
    if not include_partial:
        E = E[(E[:, 5] == 0) & (E[:, 6] == 0)]
    evs = E
    return _finalise(evs, sats, sites, masks, t0n, refraction)


def _exact(sats, sat_i, sites, st_i, times, refraction, with_sun=True):
    """Exact SGP4 topocentric values at ``times`` (M, K): az, el (deg), range (m), el rate (deg/s), sunlit."""
    from lotusar.orbit.sun import is_sunlit, sun_position_teme_m

    M, K = times.shape
    ri = np.empty((M, K, 3))
    vi = np.empty((M, K, 3))
    lit = np.empty((M, K), bool)
    order = np.argsort(sat_i, kind="stable")
    bounds = np.searchsorted(sat_i[order], np.arange(len(sats) + 1))
    flat = times[order].ravel()
    sc_all = frames.time_scales(flat)
    rt = np.empty((flat.size, 3))
    vt = np.empty((flat.size, 3))
    for si in range(len(sats)):
        a, b = bounds[si] * K, bounds[si + 1] * K
        if b > a:
            rt[a:b], vt[a:b], _ = teme_states(sats[si].sets, flat[a:b], sc_all.take(slice(a, b)))
    r_i, v_i = frames.teme_to_itrs(rt, vt, sc_all)
    ri[order] = r_i.reshape(-1, K, 3)
    vi[order] = v_i.reshape(-1, K, 3)
    if with_sun:
        lit[order] = is_sunlit(rt, sun_position_teme_m(sc_all)).reshape(-1, K)
    az = np.empty((M, K))
    el = np.empty((M, K))
    rng = np.empty((M, K))
    rate = np.empty((M, K))
    for k, site in enumerate(sites):
        m = st_i == k
        if m.any():
            az[m], el[m], rng[m], _ = frames.topocentric(ri[m], None, site.itrs_m, site.enu)
            _, sr = _el_and_rate(ri[m], vi[m], site.itrs_m, site.enu[2])
            rate[m] = np.degrees(sr / np.cos(np.radians(np.minimum(el[m], 89.999))))
    if refraction:
        el = el + refraction_deg(el)
    return az, el, rng, rate, lit


def _finalise(evs, sats, sites, masks, t0n, refraction) -> list[Pass]:
    """Polish the events with exact SGP4 (one Newton step each) and fill in az/el/sunlight."""
    if len(evs) == 0:
        return []
    ev = np.asarray(evs, dtype=np.float64)[:, :5]  # sat, station, aos, tca, los (s from t0)
    trunc = np.asarray(evs)[:, 5:7] != 0
    sat_i = ev[:, 0].astype(np.int64)
    st_i = ev[:, 1].astype(np.int64)
    mask = np.asarray(masks, float)[st_i]
    dt_s = 1.0

    def to_t(x):
        return t0n + np.round(x * _NS).astype(np.int64).astype("timedelta64[ns]")

    new = ev[:, 2:5].copy()
    M = new.shape[0]
    # the values reported are those of the last exact evaluation, at the times evaluated
    # (within 0.2 ms of the converged roots): no extra SGP4 call just to report them
    rep_s = np.empty((M, 3))
    rep_az = np.empty((M, 3))
    rep_el = np.empty((M, 3))
    rep_rng = np.empty((M, 3))
    rep_lit = np.empty((M, 3), bool)
    active = np.arange(M)
    for _ in range(6):
        if active.size == 0:
            break
        nw = new[active]
        secs = np.stack((nw[:, 0], nw[:, 1] - dt_s, nw[:, 1], nw[:, 1] + dt_s, nw[:, 2]), axis=1)
        az, el, rng, rate, lit = _exact(sats, sat_i[active], sites, st_i[active], to_t(secs), refraction)
        cols = [0, 2, 4]
        rep_s[active], rep_az[active], rep_el[active] = secs[:, cols], az[:, cols], el[:, cols]
        rep_rng[active], rep_lit[active] = rng[:, cols], lit[:, cols]
        m = mask[active]
        with np.errstate(divide="ignore", invalid="ignore"):
            # crossings: Newton on el − mask with the analytic rate as the slope
            da = np.clip(np.nan_to_num(-(el[:, 0] - m) / rate[:, 0]), -30, 30)
            dl = np.clip(np.nan_to_num(-(el[:, 4] - m) / rate[:, 4]), -30, 30)
            # culmination from exact elevations (a parabola through t−δ, t, t+δ): SGP4's velocity
            # is not the exact derivative of its position (SDP4 long-period terms, ~1 m/s), so the
            # analytic rate would bias a flat deep-space culmination by seconds
            g1 = (el[:, 3] - el[:, 1]) / (2 * dt_s)
            curv = (el[:, 3] - 2 * el[:, 2] + el[:, 1]) / dt_s**2
            dc = np.clip(np.nan_to_num(np.where(curv < 0, -g1 / curv, 0.0)), -60, 60)
        da = np.where(trunc[active, 0], 0.0, da)
        dl = np.where(trunc[active, 1], 0.0, dl)
        new[active] = nw + np.stack((da, dc, dl), axis=1)
        active = active[np.maximum(np.maximum(np.abs(da), np.abs(dl)), np.abs(dc)) >= 2e-4]
    # near the zenith the elevation is cusp-like and a parabola fits badly: zoom in on the
    # exact elevation (61 samples over ±1.5 s, then ±50 ms, then ±1.7 ms → < 0.1 ms)
    steep = np.nonzero(rep_el[:, 1] > 75.0)[0]
    if steep.size:
        centre = rep_s[steep, 1]
        half = 1.5
        offs = np.linspace(-1.0, 1.0, 61)
        for _ in range(3):
            x = centre[:, None] + half * offs[None, :]
            _, e, _, _, _ = _exact(sats, sat_i[steep], sites, st_i[steep], to_t(x), refraction, with_sun=False)
            centre = x[np.arange(x.shape[0]), np.argmax(e, axis=1)]
            half = half / 30.0
        az, el, rng, _, lit = _exact(sats, sat_i[steep], sites, st_i[steep], to_t(centre[:, None]), refraction)
        rep_s[steep, 1], rep_az[steep, 1], rep_el[steep, 1] = centre, az[:, 0], el[:, 0]
        rep_rng[steep, 1], rep_lit[steep, 1] = rng[:, 0], lit[:, 0]
    new = rep_s
    times = to_t(new)
    az, el, rng, lit = rep_az, rep_el, rep_rng, rep_lit
    key = np.lexsort((sat_i, st_i, times[:, 0].astype(np.int64)))
    out = []
    for j in key:
        sat = sats[sat_i[j]]
        out.append(Pass(
            norad_id=sat.norad_id, name=sat.name, station=sites[st_i[j]].name,
            aos=times[j, 0], tca=times[j, 1], los=times[j, 2],
            max_elevation_deg=float(el[j, 1]), aos_azimuth_deg=float(az[j, 0]), tca_azimuth_deg=float(az[j, 1]),
            los_azimuth_deg=float(az[j, 2]), duration_s=float(new[j, 2] - new[j, 0]), min_range_m=float(rng[j, 1]),
            sunlit=bool(lit[j, 1]), min_elevation_deg=float(mask[j]),
            aos_truncated=bool(trunc[j, 0]), los_truncated=bool(trunc[j, 1])))
    return out
