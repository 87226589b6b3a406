"""Map layers computed from the fleet: satellite ground tracks and station visibility masks.

Station mask: the ground region from which a satellite at altitude h is seen above the
station's elevation mask ε. On a sphere of radius R the edge lies at Earth-central angle

    λ = arccos(R cos ε / (R + h)) − ε

from the station (e.g. h = 500 km, ε = 5° → λ ≈ 17.53°, ≈ 1 950 km); the polygon is the small
circle of that angular radius (spherical destination formula). Reference: Wertz, *Space
Mission Analysis and Design*, §5.2 (Earth geometry viewed from space).

Ground tracks: sub-satellite points from ``lotusar.orbit.propagate.geodetic_track`` (SGP4 →
ITRS → WGS84), split where they cross the antimeridian.
"""

from __future__ import annotations

import numpy as np

from lotusar.fleet import load_fleet
from lotusar.orbit.propagate import geodetic_track
from lotusar.timeutil import iso_utc, parse_window, to_datetime64

R_EARTH_M = 6_371_008.8  # IUGG mean radius


def coverage_half_angle_deg(altitude_m: float, min_elevation_deg: float) -> float:
    """Earth-central angle λ (deg) from a station to the edge of its visibility circle."""
    eps = np.radians(min_elevation_deg)
    return float(np.degrees(np.arccos(R_EARTH_M * np.cos(eps) / (R_EARTH_M + altitude_m)) - eps))


def small_circle(lat_deg: float, lon_deg: float, radius_deg: float, n: int = 121) -> list[list[float]]:
    """Closed ring of the small circle of angular radius ``radius_deg`` (lon continuous, unwrapped)."""
    phi1, lam1, d = np.radians(lat_deg), np.radians(lon_deg), np.radians(radius_deg)
    az = np.linspace(0.0, 2 * np.pi, n)
    phi2 = np.arcsin(np.sin(phi1) * np.cos(d) + np.cos(phi1) * np.sin(d) * np.cos(az))
    lam2 = lam1 + np.arctan2(np.sin(az) * np.sin(d) * np.cos(phi1), np.cos(d) - np.sin(phi1) * np.sin(phi2))
    lon = np.degrees(lam2)
    lat = np.clip(np.degrees(phi2), -89.999, 89.999)
    ring = [[round(float(x), 5), round(float(y), 5)] for x, y in zip(lon, lat)]
    ring[-1] = ring[0]
    return ring


def split_antimeridian(lon_deg: np.ndarray, lat_deg: np.ndarray) -> list[list[list[float]]]:
    """Polyline pieces of a track, cut where consecutive longitudes jump by more than 180°."""
    lon = ((np.asarray(lon_deg, float) + 180.0) % 360.0) - 180.0
    lat = np.asarray(lat_deg, float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))  # SGP4 failures (decayed elements): gaps
    jump = np.abs(np.diff(lon)) > 180.0
    cut = np.zeros(lon.size, bool)
    cut[1:] = jump | bad[1:] | bad[:-1]
    starts = np.r_[0, np.where(cut)[0]]
    ends = np.r_[np.where(cut)[0], lon.size]
    pieces = []
    for a, b in zip(starts, ends):
        seg = slice(a, b)
        if b - a >= 2 and not bad[seg].any():
            pieces.append([[round(float(x), 5), round(float(y), 5)] for x, y in zip(lon[seg], lat[seg])])
    return pieces


def fleet_layers(start, end, step_s: float = 30.0, fleet_path=None) -> dict:
    """GeoJSON FeatureCollection: a ground track per satellite over [start, end] and a visibility
    mask per station (for the fleet's mean altitude in the window)."""
    t0, t1 = parse_window(start, end)
    a, b = to_datetime64(t0), to_datetime64(t1)
    n = int((b - a) / np.timedelta64(1, "s") // step_s) + 1
    times = a + (np.arange(n) * step_s * 1e9).astype("timedelta64[ns]")
    fleet = load_fleet(fleet_path)
    feats, heights = [], []
    for sat in fleet.satellites:
        lat, lon, h = geodetic_track(sat, times)
        if np.isfinite(h).any():
            heights.append(float(np.nanmedian(h)))
        pieces = split_antimeridian(lon, lat)
        if pieces:
            feats.append({"type": "Feature", "geometry": {"type": "MultiLineString", "coordinates": pieces},
                          "properties": {"kind": "ground_track", "satellite": sat.name, "norad_id": sat.norad_id,
                                         "start": iso_utc(t0), "end": iso_utc(t1), "step_s": step_s}})
    alt_m = float(np.median(heights)) if heights else 500e3
    for st in fleet.stations:
        lam = coverage_half_angle_deg(alt_m, st.min_elevation_deg)
        feats.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [small_circle(st.lat_deg, st.lon_deg, lam)]},
                      "properties": {"kind": "station_mask", "station": st.name, "min_elevation_deg": st.min_elevation_deg,
                                     "altitude_m": round(alt_m, 1), "half_angle_deg": round(lam, 4)}})
    return {"type": "FeatureCollection", "features": feats}
