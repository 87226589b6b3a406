"""The SAR product model (`lotusar.sar.model`) against geometry computed independently from the orbit.

A simulated squinted raw product (2° forward squint, LOTUSat-1 stripmap) supplies the orbit and
the Doppler model; the checks use only the state vectors and textbook relations:
f_D = 2/λ · v·(p − r)/|p − r| at the beam-centre time, K_a = (2/λ)·d²R/dt² at closest approach
(finite differences of |r(t) − p|), and the zero-Doppler condition v·(p − r) = 0.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from lotusar.constants import SPEED_OF_LIGHT_M_S as C
from lotusar.sar.model import (
    azimuth_fm_rate_hz_s,
    doppler_centroid_hz,
    geo2rdr,
    orbit_of,
    rdr2geo,
    zero_doppler_ground_points,
)

SCENE = {"azimuth_lines": 64, "range_samples": 64, "squint_deg": 2.0, "antenna_pattern": False, "noise": False,
         "quantisation": "none", "targets": [{"along_track_m": 0, "cross_track_m": 0, "height_m": 0, "rcs_m2": 1}]}


@pytest.fixture(scope="module")
def raw(tmp_path_factory, run_cli):
    from lotusar.sar.io import read_raw

    d = tmp_path_factory.mktemp("model")
    (d / "scene.json").write_text(json.dumps(SCENE))
    run_cli("sar", "simulate", "--preset", "lotusat1-stripmap", "--targets", d / "scene.json", "--out", d / "raw.h5",
            check=True)
    return read_raw(d / "raw.h5")


def test_doppler_centroid_is_the_beam_centre_doppler(raw):
    """At t = 0 the beam centre crosses the scene centre (simulator convention)."""
    orbit = orbit_of(raw)
    lam = C / float(raw.attrs["carrier_hz"])
    p = np.asarray(raw.attrs["scene_centre_ecef_m"], float)
    r, v = orbit.interpolate(np.array(0.0))
    los = p - r
    f_geo = 2 / lam * float(np.dot(v, los)) / float(np.linalg.norm(los))
    t0 = float(raw.attrs["scene_centre_zero_doppler_time_s"])
    r0 = float(raw.attrs["scene_centre_slant_range_m"])
    assert abs(f_geo) > float(raw.attrs["prf_hz"])  # squinted: ambiguity number > 0
    assert float(doppler_centroid_hz(raw, t0, r0)) == pytest.approx(f_geo, abs=5.0)


def test_azimuth_fm_rate_is_the_range_curvature(raw):
    orbit = orbit_of(raw)
    lam = C / float(raw.attrs["carrier_hz"])
    p = np.asarray(raw.attrs["scene_centre_ecef_m"], float)
    t0 = float(raw.attrs["scene_centre_zero_doppler_time_s"])
    r0 = float(raw.attrs["scene_centre_slant_range_m"])
    h = 0.05
    rr = np.linalg.norm(orbit.position(t0 + np.array([-h, 0.0, h])) - p, axis=-1)
    ka_numeric = 2 / lam * (rr[0] - 2 * rr[1] + rr[2]) / h**2
    assert float(azimuth_fm_rate_hz_s(raw, t0, r0)) == pytest.approx(ka_numeric, rel=2e-3)


def test_rdr2geo_geo2rdr_round_trip_and_zero_doppler(raw):
    orbit = orbit_of(raw)
    t = np.array([-1.0, 0.0, 1.5])
    r = float(raw.attrs["scene_centre_slant_range_m"]) + np.array([-500.0, 0.0, 800.0])
    lon, lat, h, x = rdr2geo(orbit, t, r, 25.0, look_side=str(raw.attrs["look_side"]))
    np.testing.assert_allclose(h, 25.0, atol=1e-3)
    pos, vel = orbit.interpolate(t)
    assert np.all(np.abs(np.sum(vel * (x - pos), -1) / np.linalg.norm(vel, axis=-1) / r) < 1e-9)  # ⊥ velocity
    t2, r2, ok = geo2rdr(orbit, x)
    assert ok.all()
    np.testing.assert_allclose(t2, t, atol=1e-7)
    np.testing.assert_allclose(r2, r, atol=1e-4)
    # a range shorter than the altitude reaches no ground: NaN, not a point under the surface
    assert np.isnan(zero_doppler_ground_points(orbit, 0.0, [1.0e5], "right")).all()
