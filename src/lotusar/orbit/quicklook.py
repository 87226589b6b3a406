"""Quicklook PNGs: ground tracks with station visibility circles, and a pass polar plot.

No map data is fetched: the ground-track map is a plate carrée lon/lat grid. Station
visibility circles are :func:`lotusar.orbit.passes.visibility_circle`.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from lotusar.fileio import atomic_path
from lotusar.geodesy import ecef_to_geodetic
from lotusar.orbit import frames
from lotusar.orbit.passes import Site, visibility_circle
from lotusar.orbit.propagate import itrs_state, time_grid
from lotusar.orbit.satellite import as_satellites
from lotusar.timeutil import iso_utc


def _split_dateline(lon, lat):
    jumps = np.nonzero(np.abs(np.diff(lon)) > 180)[0] + 1
    return np.split(lon, jumps), np.split(lat, jumps)


def ground_track_png(path, satellites, stations, start, end, passes=None, step_s: float = 30.0) -> Path:
    """Ground tracks of ``satellites`` over [start, end] with station visibility circles (PNG)."""
    sats = as_satellites(satellites)
    sites = [Site.of(s) for s in stations]
    t = time_grid(start, end, step_s)
    fig = Figure(figsize=(12, 6.5), dpi=110)
    ax = fig.subplots()
    colors = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    heights = []
    for i, s in enumerate(sats):
        r, _ = itrs_state(s, t)
        lat, lon, h = ecef_to_geodetic(r)
        heights.append(np.nanmean(h) / 1000.0)
        c = colors[i % len(colors)]
        for k, (lo, la) in enumerate(zip(*_split_dateline(lon, lat))):
            ax.plot(lo, la, "-", color=c, lw=1.0, label=s.name if k == 0 else None)
        ax.plot(lon[0], lat[0], "o", color=c, ms=4)
    h_km = float(np.nanmedian(heights)) if heights else 500.0
    for st in sites:
        lo, la = visibility_circle(st.lat_deg, st.lon_deg, h_km, st.min_elevation_deg)
        for a, b in zip(*_split_dateline(lo, la)):
            ax.plot(a, b, "k--", lw=0.8)
        ax.plot(st.lon_deg, st.lat_deg, "k^", ms=7)
        ax.annotate(st.name, (st.lon_deg, st.lat_deg), xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_xticks(range(-180, 181, 30))
    ax.set_yticks(range(-90, 91, 30))
    ax.grid(True, lw=0.4, alpha=0.6)
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("geodetic latitude (deg)")
    ax.set_title(f"Ground tracks {iso_utc(t[0], 0)} – {iso_utc(t[-1], 0)}; dashed: station visibility at {h_km:.0f} km"
                 + (f" ({len(passes)} passes)" if passes is not None else ""), fontsize=9)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path


def pass_polar_png(path, satellites, stations, passes, step_s: float = 5.0, max_passes: int = 40) -> Path:
    """Sky plot (azimuth clockwise from north, zenith at the centre) of the passes, per station."""
    sats = {s.norad_id: s for s in as_satellites(satellites)}
    sites = {st.name: st for st in (Site.of(s) for s in stations)}
    names = [n for n in sites if any(p.station == n for p in passes)] or list(sites)[:1]
    fig = Figure(figsize=(5 * max(1, len(names)), 5.2), dpi=110)
    axes = fig.subplots(1, max(1, len(names)), subplot_kw={"projection": "polar"}, squeeze=False)
    for ax, name in zip(axes[0], names):
        st = sites[name]
        ps = [p for p in passes if p.station == name][:max_passes]
        for p in ps:
            t = time_grid(p.aos, p.los, step_s)
            r, _ = itrs_state(sats[p.norad_id], t)
            az, el, _, _ = frames.topocentric(r, None, st.itrs_m, st.enu)
            ax.plot(np.radians(az), 90 - el, lw=0.9)
            ax.plot(np.radians(az[0]), 90 - el[0], "g.", ms=4)
        ax.set_theta_zero_location("N")
        ax.set_theta_direction(-1)
        ax.set_rlim(0, 90)
        ax.set_rticks([0, 30, 60, 90 - st.min_elevation_deg])
        ax.set_yticklabels(["90°", "60°", "30°", f"{st.min_elevation_deg:g}°"], fontsize=7)
        ax.set_title(f"{name}: {len(ps)} passes", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path


def access_png(path, aoi, opportunities, title: str = "SAR opportunities", incidence_window_deg=None) -> Path:
    """AOI outline with the incidence range of each opportunity (a simple timeline chart)."""
    fig = Figure(figsize=(12, 5), dpi=110)
    a1, a2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
    for g in getattr(aoi, "geoms", [aoi]):
        x, y = g.exterior.xy
        a1.fill(x, y, alpha=0.3)
        a1.plot(x, y, "k-", lw=0.8)
    a1.set_aspect(1 / np.cos(np.radians(aoi.centroid.y)))
    a1.set_xlabel("longitude (deg)")
    a1.set_ylabel("latitude (deg)")
    a1.set_title("area of interest")
    a1.grid(True, lw=0.4)
    if incidence_window_deg is not None:
        a2.axhspan(*incidence_window_deg, color="tab:blue", alpha=0.12, label="mode incidence window")
        a2.legend(loc="upper left", fontsize=8)
    for i, o in enumerate(opportunities):
        c = "tab:green" if o.coverage == "full" else "tab:orange"
        a2.plot([i, i], [o.incidence_min_deg, o.incidence_max_deg], "-", color=c, lw=6)
        a2.plot(i, o.incidence_centroid_deg, "k_", ms=12)
    a2.set_xticks(range(len(opportunities)))
    a2.set_xticklabels([f"{iso_utc(o.start, 0)[5:16]}\n{o.direction[:4]} {o.look_side}" for o in opportunities],
                       fontsize=7, rotation=60)
    a2.set_ylabel("incidence over the AOI (deg)")
    a2.set_title(f"{title} (green: full, orange: partial)", fontsize=9)
    a2.grid(True, lw=0.4)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path
