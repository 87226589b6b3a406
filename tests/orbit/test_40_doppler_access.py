"""Doppler vs skyfield range rate; SAR incidence vs an independent pyproj + skyfield computation."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Polygon

from lotusar.constants import SPEED_OF_LIGHT_M_S as C_M_S
from lotusar.orbit import frames
from lotusar.orbit.doppler import antenna_track, doppler_series
from lotusar.orbit.elements import parse_tle
from lotusar.orbit.passes import Site, find_passes
from lotusar.orbit.propagate import time_grid

ASNARO2 = ("1 43152U 18007A   22298.08260215  .00001542  00000+0  69772-4 0  9994",
           "2 43152  97.4255 302.4939 0001769  88.8270 356.6907 15.22399995264894")
HOA_LAC = Site("Hoa Lac", 21.0105, 105.529, 15.0, 5.0)


@pytest.fixture(scope="module")
def asnaro():
    return parse_tle("\n".join(ASNARO2) + "\n")[0]


def test_doppler_matches_skyfield_range_rate(asnaro):
    from skyfield.api import EarthSatellite, wgs84

    p = find_passes([asnaro], [HOA_LAC], "2022-10-25T00:00", "2022-10-26T00:00")[0]
    t = time_grid(p.aos, p.los, 1.0)
    f = 8.1e9
    d = doppler_series(asnaro, HOA_LAC, t, f)
    sat = EarthSatellite(*ASNARO2, ts=frames.timescale())
    topo = wgs84.latlon(HOA_LAC.lat_deg, HOA_LAC.lon_deg, elevation_m=HOA_LAC.height_m)
    rel = (sat - topo).at(frames.skyfield_time(t))
    _, _, dist, _, _, rr = rel.frame_latlon_and_rates(topo)
    ref_hz = -f * rr.m_per_s / C_M_S
    assert np.abs(d["doppler_hz"] - ref_hz).max() < 5.0            # issue: 5 Hz at 8 GHz
    assert np.abs(d["range_m"] - dist.m).max() < 1e-2
    alt, az, _ = rel.altaz()
    assert np.abs(d["elevation_deg"] - alt.degrees).max() < 1e-4
    # Doppler rate = derivative of the Doppler shift (independent: finite difference of skyfield)
    dd = np.gradient(ref_hz, 1.0)
    assert np.abs(d["doppler_rate_hz_s"][2:-2] - dd[2:-2]).max() < 1.0
    # physics: zero Doppler at closest approach, extremes of ~ ±f v/c
    k = np.argmin(d["range_m"])
    assert abs(d["doppler_hz"][k]) < 0.03 * f * 7.6e3 / C_M_S
    assert np.abs(d["doppler_hz"]).max() < f * 7.7e3 / C_M_S


def test_uhf_beacon_track_and_writers(asnaro, tmp_path):
    from lotusar.orbit.io import write_track_csv, write_track_json

    p = find_passes([asnaro], [HOA_LAC], "2022-10-25T00:00", "2022-10-26T00:00")[0]
    tr = antenna_track(asnaro, HOA_LAC, p.aos, p.los, step_s=1.0, carrier_hz=437e6)
    assert tr["elevation_deg"].min() > 5 - 1e-3
    csv_path = write_track_csv(tmp_path / "t.csv", tr)
    lines = csv_path.read_text().splitlines()
    assert lines[0].split(",")[:5] == ["time", "azimuth_deg", "elevation_deg", "range_m", "range_rate_m_s"]
    assert len(lines) == len(tr["time"]) + 1
    import json

    js = json.loads(write_track_json(tmp_path / "t.json", tr).read_text())
    assert abs(js[10]["doppler_hz"] - tr["doppler_hz"][10]) < 1e-6


def _independent_incidence(line1, line2, t, lon, lat):
    """pyproj (WGS84 geodetic → ECEF) + skyfield (satellite ITRS) + ellipsoid normal."""
    from pyproj import Transformer
    from skyfield.api import EarthSatellite
    from skyfield.framelib import itrs

    tr = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
    x, y, z = tr.transform(lon, lat, 0.0)
    sat = EarthSatellite(line1, line2, ts=frames.timescale())
    r = sat.at(frames.skyfield_time(np.array([t]))).frame_xyz(itrs).m[:, 0]
    n = np.array([np.cos(np.radians(lat)) * np.cos(np.radians(lon)), np.cos(np.radians(lat)) * np.sin(np.radians(lon)),
                  np.sin(np.radians(lat))])
    d = r - np.array([x, y, z])
    return np.degrees(np.arccos(d @ n / np.linalg.norm(d))), np.linalg.norm(d)


def test_incidence_at_centroid_is_independent_geometry(asnaro):
    from lotusar.orbit.access import sar_opportunities

    aoi = Polygon([(106.9, 16.8), (107.3, 16.8), (107.3, 17.1), (106.9, 17.1)])
    ops = sar_opportunities(asnaro, aoi, (15.0, 55.0), "2022-10-25T00:00", "2022-10-28T00:00", look="both")
    assert len(ops) >= 2
    c = aoi.centroid
    for o in ops:
        inc, rng = _independent_incidence(*ASNARO2, o.centroid_time, c.x, c.y)
        assert abs(inc - o.incidence_centroid_deg) < 0.05
        assert abs(rng - o.slant_range_centroid_m) < 1.0
        assert o.incidence_min_deg <= o.incidence_centroid_deg <= o.incidence_max_deg
        # zero Doppler: the centroid is at closest approach (range rate ~ 0) at centroid_time
        d = doppler_series(asnaro, Site("c", c.y, c.x, 0.0), np.array([o.centroid_time]), 1e9, with_rate=False)
        assert abs(d["range_rate_m_s"][0]) < 0.05
        assert o.start <= o.centroid_time <= o.end
        assert o.direction in ("ascending", "descending") and o.look_side in ("left", "right")


def test_look_side_and_window_filtering(asnaro):
    from lotusar.errors import ValidationError
    from lotusar.orbit.access import sar_opportunities

    aoi = Polygon([(106.9, 16.8), (107.3, 16.8), (107.3, 17.1), (106.9, 17.1)])
    both = sar_opportunities(asnaro, aoi, (15.0, 55.0), "2022-10-25T00:00", "2022-10-28T00:00")
    left = sar_opportunities(asnaro, aoi, (15.0, 55.0), "2022-10-25T00:00", "2022-10-28T00:00", look="left")
    right = sar_opportunities(asnaro, aoi, (15.0, 55.0), "2022-10-25T00:00", "2022-10-28T00:00", look="right")
    assert len(left) + len(right) == len(both)
    assert all(o.look_side == "left" for o in left)
    narrow = sar_opportunities(asnaro, aoi, (30.0, 32.0), "2022-10-25T00:00", "2022-10-28T00:00")
    assert all(o.incidence_max_deg >= 30.0 and o.incidence_min_deg <= 32.0 for o in narrow)
    assert all(o.coverage == "partial" for o in narrow)  # 2° of incidence cannot hold a 40 km AOI
    with pytest.raises(ValidationError):
        sar_opportunities(asnaro, aoi, (50.0, 20.0), "2022-10-25T00:00", "2022-10-28T00:00")


def test_small_aoi_full_coverage_with_wide_swath(asnaro):
    from lotusar.orbit.access import sar_opportunities

    aoi = Polygon([(107.0, 16.9), (107.05, 16.9), (107.05, 16.95), (107.0, 16.95)])  # ~5 km
    ops = sar_opportunities(asnaro, aoi, (15.0, 55.0), "2022-10-25T00:00", "2022-10-28T00:00", swath_km=12.0)
    assert ops and all(o.coverage == "full" for o in ops if 15 < o.incidence_min_deg and o.incidence_max_deg < 55)
    assert all(o.cross_track_extent_km < 8 for o in ops)
