"""Point LOTUSat-1's beam at the flood area for the planned acquisition, and map the synthetic
scene into the simulator's along-track / ground-range grid.

The SAR simulator (``lotusar.sar.simulate``) places its scene centre where the beam centre
(look angle, squint 0) meets WGS84 at the mode's ``reference_time_utc``. To image the warning
area we choose that time as the zero-Doppler time of the area's centroid on the planned pass
and solve for the look angle whose beam centre falls on the centroid (one-dimensional root
on slant range; the result is the off-nadir angle in the simulator's antenna frame).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from pyproj import Transformer
from scipy.optimize import brentq

from lotusar.geodesy import ecef_to_geodetic, geodetic_to_ecef
from lotusar.sar import geometry as sgeo
from lotusar.sar.model import Orbit, geo2rdr
from lotusar.sar.orbit import orbit_state_vectors
from lotusar.timeutil import iso_utc, parse_datetime64


def _sv_around(mode, t_utc: np.datetime64, half_span_s: float = 40.0) -> Orbit:
    sv0 = orbit_state_vectors(mode, t_utc - np.timedelta64(int(half_span_s * 1e9), "ns"), 2 * half_span_s)
    return Orbit(time_s=sv0.time_s - half_span_s, position_m=sv0.position_m, velocity_m_s=sv0.velocity_m_s, epoch_utc=t_utc)


def steer_to_target(mode, lat_deg: float, lon_deg: float, approx_time_utc: np.datetime64, look_side: str,
                    tle: tuple[str, str] | None = None):
    """Return ``(mode', info)``: the mode pointed at (lat, lon, h=0) on the pass near ``approx_time``.

    ``mode'`` has ``reference_time_utc`` = zero-Doppler time of the target, ``look_side`` and
    ``look_angle_deg`` set so the beam centre hits the target, squint 0, and the TLE given.
    """
    if tle is not None:
        mode = dataclasses.replace(mode, tle_line1=tle[0], tle_line2=tle[1])
    p = geodetic_to_ecef(lat_deg=np.array([lat_deg]), lon_deg=np.array([lon_deg]), height_m=np.array([0.0]))
    sv = _sv_around(mode, approx_time_utc, 400.0)
    t_zd = float(geo2rdr(sv, p, t0_s=np.array([0.0]))[0][0])
    t_ref = approx_time_utc + np.timedelta64(int(round(t_zd * 1e9)), "ns")
    sv = _sv_around(mode, t_ref, 40.0)
    r_target = float(sgeo.slant_range_m(sv, p, np.array([0.0]))[0])

    def f(la: float) -> float:
        c = sgeo.scene_centre(sv, 0.0, look_side, la, 0.0, 0.0)
        return float(sgeo.slant_range_m(sv, c[None], np.array([0.0]))[0]) - r_target

    la = brentq(f, 5.0, 60.0, xtol=1e-9)
    centre = sgeo.scene_centre(sv, 0.0, look_side, la, 0.0, 0.0)
    miss_m = float(np.linalg.norm(centre - p[0]))
    steered = dataclasses.replace(mode, reference_time_utc=iso_utc(t_ref, 6), look_side=look_side, look_angle_deg=float(la), squint_deg=0.0)
    return steered, {"zero_doppler_time": iso_utc(t_ref, 6), "look_angle_deg": float(la), "slant_range_m": r_target,
                     "beam_centre_miss_m": miss_m, "look_side": look_side}


def sample_scene_on_sim_grid(mode, scene, rows: int, cols: int, spacing_m: float) -> dict:
    """Sample the synthetic UTM scene on the simulator's σ0 grid (rows along track, columns ground
    range, centred on the scene centre), by nearest neighbour.

    Returns ``sigma0_db``, ``classes`` and ``height_m`` on that grid plus the grid's lon/lat.
    """
    t_ref = parse_datetime64(mode.reference_time_utc, "reference_time_utc")
    sv = _sv_around(mode, t_ref, 40.0)
    centre = sgeo.scene_centre(sv, 0.0, mode.look_side, mode.look_angle_deg, mode.squint_deg, 0.0)
    along = (np.arange(rows) - (rows - 1) / 2.0) * spacing_m
    cross = (np.arange(cols) - (cols - 1) / 2.0) * spacing_m
    A, X = np.meshgrid(along, cross, indexing="ij")
    pts = sgeo.place_targets(sv, centre, 0.0, A.ravel(), X.ravel(), np.zeros(A.size), mode.look_side)
    lat, lon, _ = ecef_to_geodetic(pts)
    x, y = Transformer.from_crs(4326, scene.crs_epsg, always_xy=True).transform(lon, lat)
    col = np.floor((np.asarray(x) - scene.x0_m) / scene.pixel_m).astype(int)
    row = np.floor((scene.y0_m - np.asarray(y)) / scene.pixel_m).astype(int)
    nr, nc = scene.shape
    inside = (row >= 0) & (row < nr) & (col >= 0) & (col < nc)
    row, col = np.clip(row, 0, nr - 1), np.clip(col, 0, nc - 1)
    s0 = np.where(inside, scene.sigma0_db[row, col], -30.0).reshape(rows, cols).astype(np.float32)
    cls = np.where(inside, scene.classes[row, col], 255).reshape(rows, cols).astype(np.uint8)
    return {"sigma0_db": s0, "classes": cls, "lat_deg": lat.reshape(rows, cols), "lon_deg": lon.reshape(rows, cols),
            "outside_fraction": float(1 - inside.mean())}
