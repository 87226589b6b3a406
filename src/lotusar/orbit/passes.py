"""Station passes (AOS / TCA / LOS) for many satellites × many stations.

Method
------
1. One vectorised SGP4 run per chunk of satellites on a regular grid (``step_s`` ≤ 240 s and
   ≤ period/22) → ITRS states; sin(elevation) and the *sign of the elevation rate*
   (ρ³ d(sin el)/dt = (v·u)ρ² − (d·u)(d·v), exact from the SGP4 velocity) at every sample for
   every station, from |r|², r·v shared by all stations and four mat-vec products each.
2. Every maximum of elevation is bracketed by a +→− sign change of the rate, so a pass
   cannot hide between samples however short it is (a grazing pass is a maximum just above
   the mask; it is found even when no sample is above the mask). A rigorous reachability
   bound drops maxima that cannot reach the mask.
3. All candidates of all chunks and stations are refined at once on the cubic Hermite
   interpolant of the ITRS state between the bracketing samples (position and velocity both
   match SGP4 there), written as scalar polynomials q(s) = d·u (cubic) and ρ²(s) = d·d
   (degree 6): TCA = root of d(sin el)/ds, AOS/LOS = roots of sin el − sin(mask), by
   bracketed Newton steps with analytic derivatives (3–6 evaluations; converged rows drop out).
4. One exact SGP4 evaluation per AOS, TCA and LOS: a Newton step on sin el − sin(mask) with
   the analytic rate (AOS/LOS), on d(sin el)/dt with the interpolant's curvature (TCA; a
   parabola through exact values at ± 1 s for deep-space satellites, whose velocity is not the
   exact derivative of their position). From the interpolant's start (≲ 0.1 s off) the step
   lands within ~0.1 ms; azimuth, range and the peak elevation are carried to the corrected
   times by their rates (the Newton model's peak sin el − g²/2c for the TCA). Events whose step
   is ≥ 0.2 s, or whose predicted elevation gain is ≥ 1e-4° (near the zenith), are evaluated
   again (about 1 in 300 in LEO).
5. UT1 − UTC and TT − UTC for the exact evaluations are interpolated from the grid (< 1 µs);
   a window holding a leap second uses the exact scales everywhere.

Only passes whose AOS and LOS both fall inside the window are reported unless
``include_partial=True`` (then truncated ends are clipped to the window and flagged).
Elevations are geometric, above the plane normal to the WGS84 ellipsoid normal; with
``refraction=True`` the Sæmundsson (1986) mean refraction (10 °C, 1010 hPa) is added.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from lotusar.constants import DAY_S, MEAN_EARTH_RADIUS_M
from lotusar.geodesy import enu_basis, geodetic_to_ecef
from lotusar.orbit import frames
from lotusar.orbit.propagate import teme_states, teme_states_many
from lotusar.orbit.satellite import Satellite, SatelliteLike, as_satellites
from lotusar.orbit.sun import is_sunlit, sun_position_teme_m
from lotusar.timeutil import iso_utc, parse_window, to_datetime64

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
    def of(cls, st) -> Site:
        if isinstance(st, Site):
            return st
        return cls(str(st.name), float(st.lat_deg), float(st.lon_deg), float(st.height_m),
                   float(getattr(st, "min_elevation_deg", 0.0) or 0.0))

    @property
    def itrs_m(self) -> np.ndarray:
        return geodetic_to_ecef(lat_deg=self.lat_deg, lon_deg=self.lon_deg, height_m=self.height_m)

    @property
    def enu(self) -> np.ndarray:
        return enu_basis(lat_deg=self.lat_deg, lon_deg=self.lon_deg)


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
            d[k] = iso_utc(d[k], 3)
        return d


def visibility_circle(lat_deg: float, lon_deg: float, height_km: float, mask_deg: float, n: int = 181):
    """(lon_deg, lat_deg) arrays of a station's visibility circle for a satellite at ``height_km``.

    Small circle of Earth-central half-angle λ = arccos(R cos ε / (R + h)) − ε around the
    station (spherical Earth of the mean radius R, mask ε): a quick-look estimate.
    """
    r_km = MEAN_EARTH_RADIUS_M / 1000.0
    eps = np.radians(mask_deg)
    lam = np.arccos(r_km * np.cos(eps) / (r_km + height_km)) - eps
    lat0, lon0 = np.radians(lat_deg), np.radians(lon_deg)
    b = np.linspace(0, 2 * np.pi, n)
    lat = np.arcsin(np.sin(lat0) * np.cos(lam) + np.cos(lat0) * np.sin(lam) * np.cos(b))
    lon = lon0 + np.arctan2(np.sin(b) * np.sin(lam) * np.cos(lat0), np.cos(lam) - np.sin(lat0) * np.sin(lat))
    return (np.degrees(lon) + 180) % 360 - 180, np.degrees(lat)


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


def _sin_el_and_rate(r, v, site, up):
    """sin(elevation) and its time derivative (1/s), without the arcsin; per-row site/up allowed.

    ``site=None``: ``r`` already is the station → satellite vector.
    """
    if site is None:
        dx, dy, dz = r[..., 0], r[..., 1], r[..., 2]
    else:
        dx, dy, dz = r[..., 0] - site[..., 0], r[..., 1] - site[..., 1], r[..., 2] - site[..., 2]
    ux, uy, uz = up[..., 0], up[..., 1], up[..., 2]
    rho = np.sqrt(dx * dx + dy * dy + dz * dz)
    sin_el = (dx * ux + dy * uy + dz * uz) / rho
    if v is None:
        return sin_el, None
    vx, vy, vz = v[..., 0], v[..., 1], v[..., 2]
    rate = ((vx * ux + vy * uy + vz * uz) - sin_el * (dx * vx + dy * vy + dz * vz) / rho) / rho
    return sin_el, rate


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


def default_step_s(sats: list[Satellite]) -> float:
    """Coarse grid step: ≤ 240 s and ≤ 1/22 of the shortest period."""
    return float(min(240.0, min(s.period_s for s in sats) / 22.0))


def _teme_states_chunk(chunk: list[Satellite], grid, scales):
    """TEME r, v (S, N, 3) for a chunk of satellites (one SatrecArray run when possible)."""
    if all(len(s.element_sets) == 1 for s in chunk):
        r, v, _ = teme_states_many(chunk, grid, scales)
        return r, v
    rs, vs = [], []
    for s in chunk:
        r1, v1, _ = teme_states(s, grid, scales)
        rs.append(r1)
        vs.append(v1)
    return np.stack(rs), np.stack(vs)


def _itrs_rv6(chunk: list[Satellite], grid, scales) -> np.ndarray:
    """ITRS states of a chunk as one (S, N, 6) array [r | v], written in place.

    The same arithmetic, in the same order, as :func:`frames.teme_to_itrs` (bit-identical),
    without its temporaries and without a later concatenation for the row takes.
    """
    r, v = _teme_states_chunk(chunk, grid, scales)
    theta, w = frames.gmst82_rad(scales.jd_whole, scales.ut1_fraction)
    c, s = np.cos(theta), np.sin(theta)
    out = np.empty(r.shape[:-1] + (6,))
    x, y = r[..., 0], r[..., 1]
    o0, o1, o3, o4 = out[..., 0], out[..., 1], out[..., 3], out[..., 4]
    np.multiply(c, x, out=o0)
    o0 += s * y
    np.multiply(-s, x, out=o1)
    o1 += c * y
    out[..., 2] = r[..., 2]
    vx, vy = v[..., 0], v[..., 1]
    np.multiply(c, vx, out=o3)
    o3 += s * vy
    o3 += w * o1
    np.multiply(-s, vx, out=o4)
    o4 += c * vy
    o4 -= w * o0
    out[..., 5] = v[..., 2]
    return out


def _sin_threshold(mask_deg, refraction: bool) -> np.ndarray:
    """sin of the geometric elevation whose (refracted) elevation equals the mask.

    The apparent elevation el + R(el) is strictly increasing (|dR/del| < 0.2), so comparing
    sin(el) with this threshold is the same test as comparing the apparent elevation with
    the mask, without an arcsin per sample.
    """
    m = np.asarray(mask_deg, float)
    if not refraction:
        return np.sin(np.radians(m))
    lo, hi = m - 1.0, m.copy()
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        up = mid + refraction_deg(mid) >= m
        hi = np.where(up, mid, hi)
        lo = np.where(up, lo, mid)
    return np.sin(np.radians(hi))


def _newton_bracketed(make_fd, a, b, fa, fb, xtol: float = 1e-6, maxiter: int = 40):
    """Roots of f on brackets [a, b] (f(a), f(b) of opposite signs or zero), vectorised.

    ``make_fd(rows)`` returns a function of x (one value per row) giving f and df/dx for those
    rows. Newton steps from the secant point of the bracket; a step that would leave the
    (shrinking) bracket is replaced by bisection, so it always converges, quadratically once
    close (3–4 evaluations for a smooth crossing of a 4-minute interval). Converged rows drop
    out (the function is rebuilt for the rest once they are < 60 %). Brackets without a sign
    change (truncated ends, failed SGP4 samples) are left alone.
    """
    a, b, fa, fb = (np.array(x, float) for x in (a, b, fa, fb))
    skip = ~((fa > 0) != (fb > 0)) | (fa == 0) | (fb == 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = b - fb * (b - a) / (fb - fa)
        x = np.where(np.isfinite(x) & (x >= np.minimum(a, b)) & (x <= np.maximum(a, b)), x, 0.5 * (a + b))
        out = np.where(fb == 0, b, np.where(fa == 0, a, x))
        act = np.nonzero(~skip)[0]
        a, b, fa, fb, x = a[act], b[act], fa[act], fb[act], out[act]
        sub, fd, pos = act, (make_fd(act) if act.size else None), np.arange(act.size)
        for _ in range(maxiter):
            if act.size == 0:
                break
            if act.size < 0.6 * sub.size:
                sub, fd, pos = act, make_fd(act), np.arange(act.size)
            assert fd is not None  # built above whenever rows are active
            xin = np.full(sub.size, 0.5)
            xin[pos] = x
            fx, dfx = fd(xin)
            fx, dfx = fx[pos], dfx[pos]
            keep_b = ((fx > 0) == (fa > 0)) & (fx != 0)  # root in [x, b]
            a, fa = np.where(keep_b, x, a), np.where(keep_b, fx, fa)
            b, fb = np.where(keep_b, b, x), np.where(keep_b, fb, fx)
            xn = x - fx / dfx
            inside = np.isfinite(xn) & (xn >= np.minimum(a, b)) & (xn <= np.maximum(a, b))
            small = (np.abs(xn - x) < xtol) | (np.abs(b - a) < xtol)
            done = small | (fx == 0) | ~np.isfinite(fx)
            x = np.where(inside & (fx != 0), xn, np.where(done, x, 0.5 * (a + b)))
            out[act[done]] = x[done]
            go = ~done
            act, a, b, fa, fb, x, pos = act[go], a[go], b[go], fa[go], fb[go], x[go], pos[go]
        out[act] = x
    return out


class _Clock:
    """Seconds from the window start → datetime64 and time scales.

    UT1 − UTC and TT − UTC are interpolated linearly between the coarse grid's samples (they
    change by ~2 ms/day: the interpolation error is < 1 µs); with a leap second inside the
    window every time goes through :func:`frames.time_scales` instead.
    """

    def __init__(self, grid, scales: frames.TimeScales, t0n):
        self.t0n = t0n
        self.grid_s = (grid - t0n).astype(np.int64) / _NS
        self.d_ut1 = (scales.jd_whole - scales.jd_utc_whole) + (scales.ut1_fraction - scales.jd_utc_fraction)
        self.d_tt = (scales.jd_whole - scales.jd_utc_whole) + (scales.tt_fraction - scales.jd_utc_fraction)
        self.smooth = self.d_ut1.size < 2 or bool(np.abs(np.diff(self.d_ut1)).max() < 0.5 / DAY_S)

    def times(self, secs):
        return self.t0n + np.round(np.asarray(secs, float) * _NS).astype(np.int64).astype("timedelta64[ns]")

    def scales(self, secs) -> frames.TimeScales:
        t = self.times(secs)
        if not self.smooth:
            return frames.time_scales(t)
        whole, frac = frames.utc_julian_date(t)
        return frames.TimeScales(whole, frac, whole, frac + np.interp(secs, self.grid_s, self.d_ut1),
                                 frac + np.interp(secs, self.grid_s, self.d_tt))


def _eval_exact(sats, sat_i, secs, clock: _Clock):
    """Exact SGP4 states at (satellite index, seconds) pairs: ITRS r, v and TEME r, v."""
    n = sat_i.size
    order = np.argsort(sat_i, kind="stable")
    ss = sat_i[order]
    bounds = np.searchsorted(ss, np.arange(len(sats) + 1))
    t_sorted = secs[order]
    sc = clock.scales(t_sorted)
    times = clock.times(t_sorted)
    rt = np.empty((n, 3))
    vt = np.empty((n, 3))
    for si in np.nonzero(bounds[1:] > bounds[:-1])[0]:
        a, b = bounds[si], bounds[si + 1]
        rt[a:b], vt[a:b], _ = teme_states(sats[si], times[a:b], sc.take(slice(a, b)))
    ri, vi = frames.teme_to_itrs(rt, vt, sc)
    inv = np.empty(n, np.int64)
    inv[order] = np.arange(n)
    return ri[inv], vi[inv], rt[inv], vt[inv]


def find_passes(satellites: SatelliteLike | Sequence[SatelliteLike], stations, start, end, min_elevation_deg: float | None = None,
                refraction: bool = False, step_s: float | None = None, include_partial: bool = False,
                chunk_size: int = 64, progress=None) -> list[Pass]:
    """All passes of ``satellites`` over ``stations`` in [start, end], sorted by AOS.

    ``min_elevation_deg`` overrides each station's own mask. See the module docstring for the
    method; AOS/LOS are exact to ~0.1 ms and the TCA to a few ms (its elevation to < 1e-6°) in LEO.
    """
    t0, t1 = parse_window(start, end)
    sats = as_satellites(satellites)
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
    clock = _Clock(grid, scales, t0n)
    gs = clock.grid_s
    h_all = np.diff(gs)  # (N-1,) seconds
    span = float(gs[-1])
    site_xyz = np.array([s.itrs_m for s in sites])
    enus = np.array([s.enu for s in sites])
    ups = enus[:, 2]
    masks = np.array([(min_elevation_deg if min_elevation_deg is not None else s.min_elevation_deg)
                      for s in sites], float)
    thr = _sin_threshold(masks, refraction)
    margin = 1.0 if refraction else 1e-6

    def el_eff(sin_el):
        el = np.degrees(np.arcsin(np.clip(sin_el, -1, 1)))
        return el + refraction_deg(el) if refraction else el

    # ---- 1. coarse sampling: candidate maxima with their bracketing intervals -------------
    cand = []   # per (chunk, station): sat, station, ki, ja, jl, tr_a, tr_l
    states = []  # per (chunk, station): r/v at the bounds of the TCA, AOS and LOS intervals
    whole_rows = []
    for c0 in range(0, len(sats), chunk_size):
        chunk = sats[c0:c0 + chunk_size]
        rv6 = _itrs_rv6(chunk, grid, scales)
        r, v = rv6[..., :3], rv6[..., 3:]
        valid = np.isfinite(r[..., 0]) & np.isfinite(v[..., 0])
        all_valid = bool(valid.all())
        rr = np.einsum("snk,snk->sn", r, r)
        rv = np.einsum("snk,snk->sn", r, v)
        vnorm = np.sqrt(np.einsum("snk,snk->sn", v, v)).ravel()
        validf = valid.ravel()
        rv6 = rv6.reshape(-1, 6)  # flat (sat, sample) rows for takes
        for k in range(len(sites)):
            s_, u_ = site_xyz[k], ups[k]
            # (r − s)·u, |r − s|², (r − s)·v, v·u with per-chunk |r|², r·v shared by all stations
            du = r @ u_ - s_ @ u_
            rho2 = rr - 2.0 * (r @ s_) + s_ @ s_
            dv = rv - v @ s_
            vu = v @ u_
            sin_el = du / np.sqrt(rho2)
            num = vu * rho2 - du * dv  # ρ³ d(sin el)/dt: same sign as the elevation rate
            if not all_valid:
                sin_el = np.where(valid, sin_el, -2.0)
                num = np.where(valid, num, 0.0)
            below = sin_el < thr[k]
            if include_partial:
                whole = ~below.any(axis=1) & valid.all(axis=1)
                for s_i in np.nonzero(whole)[0]:
                    j = int(np.argmax(sin_el[s_i]))
                    whole_rows.append([c0 + int(s_i), k, 0.0, gs[j], span, 1.0, 1.0,
                                       float(el_eff(sin_el[s_i, j])), np.nan])
            # maxima: + → − sign change of the elevation rate
            si, ki = np.nonzero((num[:, :-1] > 0) & (num[:, 1:] <= 0))
            if si.size == 0:
                continue
            # rigorous reachability bound: the line of sight turns at most |v|/ρ(t) rad/s and
            # ρ(t) ≥ ρ_e − |v| |t − t_e|, so from either end of the interval the elevation
            # can grow by at most ln(ρ_e / (ρ_e − |v| h)); maxima that cannot reach the mask
            # from both ends are not passes and skip the refinement
            # G(τ) is convex with G(0) = 0, so G(τ) ≤ G(h) τ/h: the peak at t₀ + τ is below both
            # lines el₀ + a τ and el₁ + b (h − τ), hence below their intersection
            h = h_all[ki]
            with np.errstate(divide="ignore", invalid="ignore"):
                rho2f, sinf = rho2.ravel(), sin_el.ravel()
                ends = []
                for kk in (si * N + ki, si * N + ki + 1):  # flat indices: one take per array
                    rho = np.sqrt(rho2f[kk])
                    vh = vnorm[kk] * h
                    grow = np.where(rho > vh, np.degrees(np.log(rho / np.maximum(rho - vh, 1e-9))), np.inf)
                    ends.append((el_eff(sinf[kk]), grow))
                (e0, g0), (e1, g1) = ends
                bound = np.minimum(e0 + g0, e1 + g1)
                tau = np.clip((e1 - e0 + g1) / (g0 + g1), 0.0, 1.0)  # in units of h
                bound = np.where(np.isfinite(g0) & np.isfinite(g1), np.minimum(bound, e0 + g0 * tau), bound)
                bound = np.where(np.isnan(bound), np.inf, bound)
            keep = ~(bound < masks[k] - margin)
            si, ki = si[keep], ki[keep]
            if si.size == 0:
                continue
            # last sample below the mask at or before ki, first one at or after ki + 1
            bpos = np.flatnonzero(below)
            f = si * N + ki
            ia = np.searchsorted(bpos, f, side="right") - 1
            pa = bpos[np.maximum(ia, 0)] if bpos.size else np.full(si.size, -1)
            ja = np.where((ia >= 0) & (pa >= si * N), pa - si * N, -1)
            il = np.searchsorted(bpos, f + 1, side="left")
            pl = bpos[np.minimum(il, bpos.size - 1)] if bpos.size else np.full(si.size, N * len(chunk))
            jl = np.where((il < bpos.size) & (pl < (si + 1) * N), pl - si * N, N)
            a_int = np.where(ja == ki, ki, np.maximum(ja, 0))
            l_int = np.where(jl == ki + 1, ki, np.minimum(jl, N - 1) - 1)
            base = si * N
            tr_a = (ja < 0) | ~validf[base + np.maximum(ja, 0)]
            tr_l = (jl >= N) | ~validf[base + np.minimum(jl, N - 1)]
            cand.append(np.stack((c0 + si, np.full(si.size, k), ki, ja, jl, a_int, l_int, tr_a, tr_l), axis=1))
            states.append(np.concatenate([rv6[base + j] for j in (ki, ki + 1, a_int, a_int + 1, l_int, l_int + 1)],
                                         axis=1))
        if progress is not None:
            progress(min(c0 + chunk_size, len(sats)), len(sats))
    rows = []
    if cand:
        C = np.concatenate(cand).astype(np.int64)
        X = np.concatenate(states)
        rows.append(_refine(C, X, gs, h_all, site_xyz, ups, thr, masks, el_eff, span))
    if whole_rows:
        rows.append(np.array(whole_rows, float))
    if not rows:
        return []
    E = np.concatenate(rows)
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
    return _finalise(E, sats, sites, masks, thr, clock, refraction)


def _refine(C, X, gs, h_all, site_xyz, ups, thr, masks, el_eff, span):
    """Refine every candidate at once on the cubic Hermite interpolant of the ITRS state.

    TCA: root of d(sin el)/dt in the bracketing interval; AOS/LOS: roots of sin el − sin(mask)
    in theirs, all by bracketed Newton steps with the interpolant's analytic derivatives.
    Returns rows (sat, station, aos, tca, los, trunc_a, trunc_l, el_max, d²(sin el)/dt² at the
    TCA) in seconds from the window start.
    """
    sat, st, ki, ja, jl, a_int, l_int, tr_a, tr_l = C.T
    site = site_xyz[st]
    up = ups[st]
    th = thr[st]
    m = C.shape[0]
    P = [X[:, 3 * j:3 * j + 3] for j in range(12)]  # r0 v0 r1 v1 of the TCA, AOS and LOS intervals
    zeros, ones = np.zeros(m), np.ones(m)

    def interval(j0, h, site, up):
        """Polynomial coefficients, rows (11, m), of one interval's Hermite interpolant.

        The station → satellite vector is the cubic d(s) = c0 + c1 s + c2 s² + c3 s³ (s = (t − t_k)/h);
        q(s) = d·u (cubic, rows 0–3) and ρ²(s) = d·d (degree 6, rows 4–10) in ascending powers,
        so sin el = q/ρ and its derivatives cost a few scalar Horner steps per evaluation.
        """
        p0, v0, p1, v1 = P[j0:j0 + 4]
        hv0, hv1 = h[:, None] * v0, h[:, None] * v1
        dp = p1 - p0
        c = [np.ascontiguousarray(x.T) for x in (p0 - site, hv0, 3 * dp - 2 * hv0 - hv1, hv0 + hv1 - 2 * dp)]
        uT = np.ascontiguousarray(up.T)
        K = np.zeros((11, h.size))
        for i in range(4):
            K[i] = c[i][0] * uT[0] + c[i][1] * uT[1] + c[i][2] * uT[2]
            for j in range(i, 4):
                dot = c[i][0] * c[j][0] + c[i][1] * c[j][1] + c[i][2] * c[j][2]
                K[4 + i + j] += dot if i == j else 2.0 * dot
        return K

    def ev(K, s, order):
        """order 1: sin el and d(sin el)/ds; order 2: d(sin el)/ds and d²(sin el)/ds²."""
        q0, q1_, q2_, q3, r0_, r1_, r2_, r3, r4, r5, r6 = K
        q = ((q3 * s + q2_) * s + q1_) * s + q0
        dq = (3 * q3 * s + 2 * q2_) * s + q1_
        rr = (((((r6 * s + r5) * s + r4) * s + r3) * s + r2_) * s + r1_) * s + r0_
        dr = ((((6 * r6 * s + 5 * r5) * s + 4 * r4) * s + 3 * r3) * s + 2 * r2_) * s + r1_
        rho = np.sqrt(rr)
        rho3 = rr * rho
        fs = dq / rho - 0.5 * q * dr / rho3
        if order == 1:
            return q / rho, fs
        ddq = 6 * q3 * s + 2 * q2_
        ddr = (((30 * r6 * s + 20 * r5) * s + 12 * r4) * s + 6 * r3) * s + 2 * r2_
        fss = ddq / rho - (dq * dr + 0.5 * q * ddr) / rho3 + 0.75 * q * dr * dr / (rho3 * rr)
        return fs, fss

    with np.errstate(divide="ignore", invalid="ignore"):
        h = h_all[ki]
        r_lo = _sin_el_and_rate(P[0], P[1], site, up)[1]
        r_hi = _sin_el_and_rate(P[2], P[3], site, up)[1]
        K_tca = interval(0, h, site, up)

        def tca_fd(idx):
            K = K_tca[:, idx]
            return lambda s: ev(K, s, 2)
        s_tca = _newton_bracketed(tca_fd, zeros, ones, r_lo, r_hi, xtol=1e-5)
        sin_max = ev(K_tca, s_tca, 1)[0]
        el_max = el_eff(sin_max)
        ok = el_max >= masks[st]
        idx = np.nonzero(ok)[0]
        if idx.size < m:
            X = X[idx]  # one row take, then column views
            P = [X[:, 3 * j:3 * j + 3] for j in range(12)]
            sat, st, ki, ja, jl, a_int, l_int, tr_a, tr_l = (
                x[idx] for x in (sat, st, ki, ja, jl, a_int, l_int, tr_a, tr_l))
            site, up, th, h, s_tca, el_max = site[idx], up[idx], th[idx], h[idx], s_tca[idx], el_max[idx]
            K_tca = K_tca[:, idx]
        # curvature of sin el at the TCA (1/s²): the slope for the exact Newton steps
        curv = ev(K_tca, s_tca, 2)[1] / (h * h)
        m = idx.size
        zeros, ones = np.zeros(m), np.ones(m)
        t_tca = gs[ki] + s_tca * h

        def crossing(j0, intv, lo, hi):
            hh = h_all[intv]
            K_all = interval(j0, hh, site, up)

            def g_fd(idx):
                K, t_ = K_all[:, idx], th[idx]

                def g(s):
                    f, df = ev(K, s, 1)
                    return f - t_, df
                return g
            g_all = g_fd(np.arange(m))
            s = _newton_bracketed(g_fd, lo, hi, g_all(lo)[0], g_all(hi)[0], xtol=1e-5)
            return gs[intv] + s * hh

        t_aos = crossing(4, a_int, zeros, np.where(ja == ki, s_tca, 1.0))
        t_los = crossing(8, l_int, np.where(jl == ki + 1, s_tca, 0.0), ones)
    # an SGP4 failure (decay) ends the known track: such an end is not an AOS/LOS
    t_aos = np.where(tr_a != 0, 0.0, t_aos)
    t_los = np.where(tr_l != 0, span, t_los)
    return np.stack((sat, st, t_aos, t_tca, t_los, tr_a, tr_l, el_max, curv), axis=1).astype(float)


def _finalise(E, sats, sites, masks, thr, clock: _Clock, refraction) -> list[Pass]:
    """Polish the events with exact SGP4 (Newton steps) and fill in az/el/sunlight.

    Each step evaluates SGP4 once at AOS and LOS (Newton on sin el − sin mask with the
    analytic rate) and once at the TCA (Newton on d(sin el)/dt with the interpolant's
    curvature as the slope); for deep-space (SDP4) satellites, whose velocity is not the
    exact derivative of their position (long-period terms, ~1 m/s), and where no curvature is
    known, the TCA uses a parabola through exact sin el at t − 1 s, t, t + 1 s instead. An
    event stops once its correction is < 5 ms (TCA: or the predicted gain in elevation is
    < 1e-6°), which a Hermite start meets after one evaluation for almost every LEO pass.
    """
    if len(E) == 0:
        return []
    sat_i = E[:, 0].astype(np.int64)
    st_i = E[:, 1].astype(np.int64)
    trunc = E[:, 5:7] != 0
    curv = E[:, 8]
    M = sat_i.size
    site_xyz = np.array([s.itrs_m for s in sites])
    enus = np.array([s.enu for s in sites])
    deep = np.array([s.is_deep_space for s in sats])
    parab = deep[sat_i] | ~(curv < 0)
    t = E[:, 2:5].copy()
    rep_t = t.copy()
    rep_az = np.empty((M, 3))
    rep_el = np.empty(M)
    rep_rng = np.empty(M)
    rep_rt = np.empty((M, 3))
    dt_s = 1.0
    active = np.arange(M)
    for _ in range(8):
        if active.size == 0:
            break
        a = active
        pa = a[parab[a]]
        sat_f = np.concatenate((np.repeat(sat_i[a], 3), np.repeat(sat_i[pa], 2)))
        sec_f = np.concatenate((t[a].ravel(), (t[pa, 1][:, None] + np.array([-dt_s, dt_s])).ravel()))
        st_f = np.concatenate((np.repeat(st_i[a], 3), np.repeat(st_i[pa], 2)))
        ri, vi, rt, vt = _eval_exact(sats, sat_f, sec_f, clock)
        d = ri - site_xyz[st_f]
        B = enus[st_f]
        e_, n_, u_ = (np.einsum("ij,ij->i", d, B[:, j]) for j in range(3))
        rng = np.sqrt(np.einsum("ij,ij->i", d, d))
        sin_el = u_ / rng
        rate = (np.einsum("ij,ij->i", vi, B[:, 2]) - sin_el * np.einsum("ij,ij->i", d, vi) / rng) / rng
        na = a.size
        k3 = slice(0, 3 * na)
        S, R = sin_el[k3].reshape(na, 3), rate[k3].reshape(na, 3)
        th = thr[st_i[a]]
        with np.errstate(divide="ignore", invalid="ignore"):
            da = np.clip(np.nan_to_num(-(S[:, 0] - th) / R[:, 0]), -30, 30)
            dl = np.clip(np.nan_to_num(-(S[:, 2] - th) / R[:, 2]), -30, 30)
            c = curv[a].copy()
            g = R[:, 1].copy()
            if pa.size:
                sp = sin_el[3 * na:].reshape(-1, 2)
                jp = np.searchsorted(a, pa)
                g[jp] = (sp[:, 1] - sp[:, 0]) / (2 * dt_s)
                c[jp] = (sp[:, 1] - 2 * S[jp, 1] + sp[:, 0]) / dt_s**2
            dc = np.clip(np.nan_to_num(np.where(c < 0, -g / c, 0.0)), -60, 60)
            # the Newton model's peak: sin el + g dc + c dc²/2 = sin el − g²/(2c)
            s_peak = np.clip(S[:, 1] + 0.5 * g * dc, -1, 1)
            gain = np.degrees(np.arcsin(s_peak) - np.arcsin(np.clip(S[:, 1], -1, 1)))
            # azimuth and range rates carry the values to the Newton-corrected times
            ve, vn = (np.einsum("ij,ij->i", vi[k3], B[k3, j]) for j in range(2))
            az_rate = np.degrees((n_[k3] * ve - e_[k3] * vn) / (e_[k3] ** 2 + n_[k3] ** 2)).reshape(na, 3)
            rng_rate = (np.einsum("ij,ij->i", d[k3], vi[k3]) / rng[k3]).reshape(na, 3)
        da = np.where(trunc[a, 0], 0.0, da)
        dl = np.where(trunc[a, 1], 0.0, dl)
        step = np.stack((da, dc, dl), axis=1)
        az = np.degrees(np.arctan2(e_[k3], n_[k3])).reshape(na, 3)
        rep_az[a] = (az + np.nan_to_num(az_rate) * step) % 360.0
        rep_el[a] = np.degrees(np.arcsin(s_peak))
        rep_rng[a] = rng[1:3 * na:3] + rng_rate[:, 1] * dc
        rep_rt[a] = rt[1:3 * na:3] + vt[1:3 * na:3] * dc[:, None]
        t[a] += step
        rep_t[a] = t[a]
        # Newton converges quadratically: from a step < 0.2 s the corrected roots are within
        # ~0.1 ms (crossings: f''/(2f') dt² with f''/f' ≲ 1/300 s); the culmination also needs
        # the predicted gain in elevation to be small (near the zenith el(t) is cusp-like)
        conv = (np.abs(da) < 0.2) & (np.abs(dl) < 0.2) & (np.abs(dc) < 0.2) & (gain < 1e-4)
        active = a[~conv]
    el = rep_el
    if refraction:
        el = el + refraction_deg(el)
    lit = is_sunlit(rep_rt, sun_position_teme_m(clock.scales(rep_t[:, 1])))
    times = clock.times(rep_t)
    dur = rep_t[:, 2] - rep_t[:, 0]
    key = np.lexsort((sat_i, st_i, times[:, 0].astype(np.int64)))
    ids = np.array([s.norad_id for s in sats], dtype=object)[sat_i[key]].tolist()
    nms = np.array([s.name for s in sats], dtype=object)[sat_i[key]].tolist()
    sts = np.array([s.name for s in sites], dtype=object)[st_i[key]].tolist()
    cols = [x[key].tolist() for x in (el, rep_az[:, 0], rep_az[:, 1], rep_az[:, 2], dur, rep_rng, lit,
                                      masks[st_i], trunc[:, 0], trunc[:, 1])]
    # positional construction through map: ~2 µs a pass
    return list(map(Pass, ids, nms, sts, list(times[key, 0]), list(times[key, 1]), list(times[key, 2]), *cols))
