"""The pass finder's fast internals: bracketed Newton, interpolated time scales, refraction threshold.

And a window holding a leap second (2016-12-31T23:59:60), where the interpolated UT1/TT
offsets must give way to the exact time scales: passes still match skyfield.
"""

from __future__ import annotations

import numpy as np

from lotusar.orbit import frames
from lotusar.orbit.passes import Site, _Clock, _newton_bracketed, _sin_threshold, find_passes, refraction_deg
from lotusar.orbit.satellite import Satellite


def test_newton_bracketed_roots_and_untouched_brackets():
    c = np.array([0.1, 0.5, 0.9, 0.3, 2.0])

    def make_fd(rows):
        cc = c[rows]
        return lambda x: (np.tanh(8 * (x - cc)) * (1 + x), 8 * (1 - np.tanh(8 * (x - cc)) ** 2) * (1 + x)
                          + np.tanh(8 * (x - cc)))
    a, b = np.zeros(c.size), np.ones(c.size)
    fa = np.tanh(8 * (a - c)) * (1 + a)
    fb = np.tanh(8 * (b - c)) * (1 + b)
    x = _newton_bracketed(make_fd, a, b, fa, fb, xtol=1e-12)
    np.testing.assert_allclose(x[:4], c[:4], atol=1e-10)
    # no sign change on [0, 1] for c = 2: left at the secant point, inside the bracket, finite
    assert np.isfinite(x[4]) and 0.0 <= x[4] <= 1.0


def test_clock_scales_match_frames_time_scales():
    t0 = np.datetime64("2024-06-01T00:00", "ns")
    grid = t0 + (np.arange(0, 7 * 86400 + 1, 240) * 1_000_000_000).astype("timedelta64[ns]")
    clock = _Clock(grid, frames.time_scales(grid), t0)
    assert clock.smooth
    secs = np.random.default_rng(1).uniform(0, 7 * 86400, 500)
    a = clock.scales(secs)
    b = frames.time_scales(clock.times(secs))
    th_a, _ = frames.gmst82_rad(a.jd_whole, a.ut1_fraction)
    th_b, _ = frames.gmst82_rad(b.jd_whole, b.ut1_fraction)
    d = np.angle(np.exp(1j * (th_a - th_b)))
    assert np.abs(d).max() < 1e-10  # rad: < 1 mm at the Earth's surface
    assert np.abs((a.jd_whole - b.jd_whole) + (a.tt_fraction - b.tt_fraction)).max() * 86400 < 1e-6


def test_clock_falls_back_across_a_leap_second():
    t0 = np.datetime64("2016-12-31T12:00", "ns")
    grid = t0 + (np.arange(0, 86400 + 1, 240) * 1_000_000_000).astype("timedelta64[ns]")
    assert not _Clock(grid, frames.time_scales(grid), t0).smooth


def test_refraction_threshold_inverts_the_apparent_elevation():
    masks = np.array([-0.5, 0.0, 5.0, 10.0])
    el = np.degrees(np.arcsin(_sin_threshold(masks, True)))
    np.testing.assert_allclose(el + refraction_deg(el), masks, atol=1e-9)
    np.testing.assert_allclose(_sin_threshold(masks, False), np.sin(np.radians(masks)))


def _satrec(epoch: str, inc_deg: float, node_deg: float, ma_deg: float, rev_day: float):
    from sgp4.api import WGS72, Satrec

    days = (np.datetime64(epoch) - np.datetime64("1949-12-31T00:00")).astype("timedelta64[s]").astype(float) / 86400
    s = Satrec()
    s.sgp4init(WGS72, "i", 99001, days, 1e-5, 0.0, 0.0, 0.001, np.radians(90.0), np.radians(inc_deg),
               np.radians(ma_deg), rev_day * 2 * np.pi / 1440.0, np.radians(node_deg))
    return s


def test_passes_across_a_leap_second_match_skyfield():
    from skyfield.api import EarthSatellite, wgs84

    sat = _satrec("2016-12-31T12:00", 97.4, 40.0, 10.0, 15.2)
    site = Site("SvalSat", 78.2297, 15.4078, 500.0, 5.0)
    start, end = "2016-12-31T12:00", "2017-01-01T12:00"
    mine = find_passes([Satellite.from_satrec(sat)], [site], start, end)
    ts = frames.timescale()
    es = EarthSatellite.from_satrec(sat, ts)
    topos = wgs84.latlon(site.lat_deg, site.lon_deg, elevation_m=site.height_m)
    t0 = frames.skyfield_time(np.array([start], dtype="datetime64[ns]"))[0]
    t1 = frames.skyfield_time(np.array([end], dtype="datetime64[ns]"))[0]
    t, ev = es.find_events(topos, t0, t1, altitude_degrees=5.0)
    pairs, rise = [], None  # complete rise → set pairs (a pass in progress at the start is partial)
    for ti, e in zip(t, ev):
        if e == 0:
            rise = ti
        elif e == 2 and rise is not None:
            pairs.append((rise, ti))
            rise = None
    assert len(mine) == len(pairs) >= 8
    for p, (r, s) in zip(mine, pairs):
        for mine_t, sk in ((p.aos, r), (p.los, s)):
            d = abs((mine_t - np.datetime64(sk.utc_datetime().replace(tzinfo=None), "ns")).astype(np.int64)) / 1e9
            assert d < 1.0
