"""SAR imaging opportunities over an area of interest.

Geometry (zero-Doppler, side-looking SAR): a ground point P is imaged when it is broadside,
i.e. at the time of closest approach in the Earth-fixed frame, where (P − r)·v_ITRS = 0.
The incidence angle at P is the angle between the WGS84 ellipsoid normal at P and the
vector P → satellite; the look side is right when (P − r)·(v × r) > 0 (right of the
velocity, seen from above). Incidence increases monotonically away from the ground track, so
its extremes over a polygon lie on the boundary: the AOI is sampled by its densified
boundary (≤ ``max_points``) plus its centroid.

An opportunity is one overflight and one look side where part of the AOI lies in the
incidence window. ``coverage`` is ``full`` when the whole AOI lies on that side, inside the
incidence window, its cross-track ground extent fits the swath and (for a mode with a
``scene_length_km``) its along-track extent fits the scene; otherwise ``partial``.
References: Curlander & McDonough (1991) ch. 1–2 (imaging geometry); Cumming & Wong (2005)
ch. 4 (zero-Doppler geometry).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from lotusar.constants import MEAN_EARTH_RADIUS_M, WGS84_B_M
from lotusar.errors import ValidationError
from lotusar.geodesy import enu_basis, geodetic_to_ecef
from lotusar.orbit import frames
from lotusar.orbit.passes import _bisect, _hermite
from lotusar.orbit.propagate import teme_states, time_grid
from lotusar.orbit.satellite import SatelliteLike, as_satellite
from lotusar.timeutil import iso_utc, parse_window, to_datetime64

_NS = 1_000_000_000


@dataclass
class Opportunity:
    norad_id: int
    name: str
    start: np.datetime64
    end: np.datetime64
    look_side: str
    direction: str
    incidence_min_deg: float
    incidence_max_deg: float
    incidence_centroid_deg: float
    coverage: str
    centroid_time: np.datetime64
    off_nadir_centroid_deg: float
    slant_range_centroid_m: float
    cross_track_extent_km: float
    along_track_extent_km: float
    fraction_in_window: float
    mode: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("start", "end", "centroid_time"):
            d[k] = iso_utc(d[k], 3)
        return d


def aoi_points(aoi, max_points: int = 400, spacing_km: float = 1.0):
    """(lon_deg, lat_deg) arrays: the centroid first, then the densified boundary."""
    geoms = list(getattr(aoi, "geoms", [aoi]))
    rings = []
    for g in geoms:
        rings.append(np.asarray(g.exterior.coords)[:-1])
        rings.extend(np.asarray(r.coords)[:-1] for r in g.interiors)
    pts = []
    total_km = 0.0
    segs = []
    for ring in rings:
        nxt = np.roll(ring, -1, axis=0)
        mid_lat = np.radians(0.5 * (ring[:, 1] + nxt[:, 1]))
        dkm = np.hypot((nxt[:, 0] - ring[:, 0]) * np.cos(mid_lat), nxt[:, 1] - ring[:, 1]) * 111.32
        segs.append((ring, nxt, dkm))
        total_km += dkm.sum()
    step = max(spacing_km, total_km / max(max_points, 8))
    for ring, nxt, dkm in segs:
        for a, b, d in zip(ring, nxt, dkm):
            n = max(1, int(np.ceil(d / step)))
            f = np.arange(n)[:, None] / n
            pts.append(a + f * (b - a))
    xy = np.concatenate(pts)
    c = aoi.centroid
    lon = np.concatenate(([c.x], xy[:, 0]))
    lat = np.concatenate(([c.y], xy[:, 1]))
    return lon, lat


def incidence_deg(r_sat_itrs_m, p_itrs_m, *, lat_deg, lon_deg):
    """Incidence at P (geodetic ``lat_deg``/``lon_deg``): angle between the ellipsoid normal at P
    and P → satellite (deg)."""
    up = enu_basis(lat_deg=lat_deg, lon_deg=lon_deg)[..., 2, :]
    d = r_sat_itrs_m - p_itrs_m
    cosi = np.einsum("...i,...i->...", d, up) / np.linalg.norm(d, axis=-1)
    return np.degrees(np.arccos(np.clip(cosi, -1, 1)))


def sar_opportunities(sat: SatelliteLike, aoi, mode_or_incidence_window, start, end, look: str = "both",
                      swath_km: float | None = None, target_height_m: float = 0.0,
                      step_s: float = 20.0, max_points: int = 400, mode_name: str | None = None) -> list[Opportunity]:
    """Imaging opportunities of ``sat`` over ``aoi`` (shapely polygon, lon/lat) in [start, end].

    ``mode_or_incidence_window``: a fleet ``SarMode`` (incidence window, swath, look sides,
    scene length) or a tuple ``(incidence_min_deg, incidence_max_deg)``. ``look``:
    ``left``, ``right`` or ``both`` (intersected with the mode's look sides).
    """
    t0, t1 = parse_window(start, end)
    scene_km = None
    sides = ["left", "right"]
    m = mode_or_incidence_window
    if hasattr(m, "incidence_min_deg"):
        inc_lo, inc_hi = float(m.incidence_min_deg), float(m.incidence_max_deg)
        swath_km = swath_km if swath_km is not None else float(m.swath_km)
        scene_km = getattr(m, "scene_length_km", None)
        sides = list(m.look_sides)
    else:
        inc_lo, inc_hi = (float(x) for x in m)
    if not (0.0 <= inc_lo < inc_hi < 90.0):
        raise ValidationError(f"incidence window must satisfy 0 <= min < max < 90 deg, got [{inc_lo}, {inc_hi}]")
    if look not in ("left", "right", "both"):
        raise ValidationError(f"look must be left, right or both, got {look!r}")
    if look != "both":
        sides = [s for s in sides if s == look]
    if swath_km is None:
        swath_km = np.inf
    s = as_satellite(sat)
    lon, lat = aoi_points(aoi, max_points=max_points)
    P = geodetic_to_ecef(lat_deg=lat, lon_deg=lon, height_m=np.full(lon.shape, target_height_m))  # (K, 3)
    grid = time_grid(to_datetime64(t0), to_datetime64(t1), step_s)
    sc = frames.time_scales(grid)
    rt, vt, _ = teme_states(s, grid, sc)
    r, v = frames.teme_to_itrs(rt, vt, sc)
    hmax = np.nanmax(np.linalg.norm(r, axis=-1)) - WGS84_B_M
    rng_max = 3.0 * hmax / np.cos(np.radians(min(inc_hi + 10.0, 85.0)))
    # only samples near the AOI (centroid distance) go on to the per-point search
    aoi_radius_m = float(np.linalg.norm(P - P[0], axis=1).max())
    speed = float(np.nanmax(np.linalg.norm(v, axis=1)))
    near = np.linalg.norm(r - P[0], axis=1) < rng_max + aoi_radius_m + 2 * speed * step_s
    near = near[:-1] | near[1:]
    n_idx = np.nonzero(near)[0]  # interval starts
    if n_idx.size == 0:
        return []
    ra, va, rb, vb = r[n_idx], v[n_idx], r[n_idx + 1], v[n_idx + 1]
    # f = (P − r)·v for every (interval end, point): + → − is closest approach (zero Doppler)
    fa = np.einsum("nkj,nj->nk", P[None, :, :] - ra[:, None, :], va)
    fb = np.einsum("nkj,nj->nk", P[None, :, :] - rb[:, None, :], vb)
    rng = np.linalg.norm(P[None, :, :] - ra[:, None, :], axis=-1)
    cand = (fa > 0) & (fb <= 0) & (rng < rng_max)
    nj, ki = np.nonzero(cand)
    ni = n_idx[nj]
    if ni.size == 0:
        return []
    h = np.diff(grid).astype(np.int64)[ni] / _NS
    p0, v0, p1, v1 = r[ni], v[ni], r[ni + 1], v[ni + 1]
    Pk = P[ki]

    def fz(sn):
        pp, vv = _hermite(p0, v0, p1, v1, h, sn)
        return np.einsum("mj,mj->m", Pk - pp, vv)

    sz = _bisect(fz, np.zeros(ni.size), np.ones(ni.size), np.ones(ni.size, bool), iters=30)
    tz_s = (grid[ni] - grid[0]).astype(np.int64) / _NS + sz * h
    # exact state at the zero-Doppler times
    tz = grid[0] + np.round(tz_s * _NS).astype(np.int64).astype("timedelta64[ns]")
    scz = frames.time_scales(tz)
    rzt, vzt, _ = teme_states(s, tz, scz)
    rz, vz = frames.teme_to_itrs(rzt, vzt, scz)
    inc = incidence_deg(rz, Pk, lat_deg=lat[ki], lon_deg=lon[ki])
    right = np.einsum("mj,mj->m", Pk - rz, np.cross(vz, rz)) > 0
    # cross-track signed ground distance (spherical, km), + to the right
    cang = np.einsum("mj,mj->m", Pk / np.linalg.norm(Pk, axis=1)[:, None], rz / np.linalg.norm(rz, axis=1)[:, None])
    xt_km = np.degrees(np.arccos(np.clip(cang, -1, 1))) * 111.195 * np.where(right, 1, -1)
    ground_speed_km_s = np.linalg.norm(vz, axis=1) / 1000.0 * MEAN_EARTH_RADIUS_M / np.linalg.norm(rz, axis=1)
    # group into overflights (gaps > 10 min)
    order = np.argsort(tz_s)
    gaps = np.diff(tz_s[order]) > 600.0
    group_of = np.empty(order.size, dtype=np.int64)
    group_of[order] = np.concatenate(([0], np.cumsum(gaps)))
    out: list[Opportunity] = []
    K = lon.size
    for g in range(int(group_of.max()) + 1):
        sel = np.nonzero(group_of == g)[0]
        # one zero-Doppler time per AOI point per overflight (keep the closest if repeated)
        if np.unique(ki[sel]).size < K:
            continue  # the overflight is cut by the window edge for part of the AOI
        c = sel[ki[sel] == 0][0]  # the centroid's zero-Doppler sample
        direction = "ascending" if vz[c, 2] > 0 else "descending"
        for side in sides:
            on_side = right[sel] if side == "right" else ~right[sel]
            in_win = on_side & (inc[sel] >= inc_lo) & (inc[sel] <= inc_hi)
            if not in_win.any():
                continue
            xt = xt_km[sel] * (1 if side == "right" else -1)
            xt_extent = float(xt.max() - xt.min())
            at_extent = float((tz_s[sel].max() - tz_s[sel].min()) * ground_speed_km_s[sel].mean())
            full = bool(on_side.all() and in_win.all() and xt_extent <= swath_km
                        and (scene_km is None or at_extent <= scene_km))
            t_sel = tz[sel]
            out.append(Opportunity(
                norad_id=s.norad_id, name=s.name, start=t_sel.min(), end=t_sel.max(), look_side=side,
                direction=direction, incidence_min_deg=float(inc[sel].min()), incidence_max_deg=float(inc[sel].max()),
                incidence_centroid_deg=float(inc[c]), coverage="full" if full else "partial",
                centroid_time=tz[c],
                off_nadir_centroid_deg=float(np.degrees(np.arccos(np.clip(
                    np.dot(-rz[c], Pk[c] - rz[c]) / (np.linalg.norm(rz[c]) * np.linalg.norm(Pk[c] - rz[c])), -1, 1)))),
                slant_range_centroid_m=float(np.linalg.norm(Pk[c] - rz[c])),
                cross_track_extent_km=xt_extent, along_track_extent_km=at_extent,
                fraction_in_window=float(in_win.mean()), mode=mode_name))
    out.sort(key=lambda o: o.start)
    return out
