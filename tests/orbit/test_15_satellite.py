"""The one Satellite type: from TLE lines, OMM, files, sgp4 records and the fleet file, against skyfield."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sgp4.api import Satrec
from sgp4.exporter import export_omm

from lotusar.errors import InputFormatError, NotFoundError, ValidationError
from lotusar.orbit import frames
from lotusar.orbit.elements import parse_tle
from lotusar.orbit.passes import Site, find_passes
from lotusar.orbit.propagate import itrs_state, teme_states, time_grid
from lotusar.orbit.satellite import Satellite, as_satellite, as_satellites, read_satellites

ISS_L1 = "1 25544U 98067A   22298.37257345  .00094794  00000+0  16849-2 0  9991"
ISS_L2 = "2 25544  51.6415  51.6332 0005510   4.8705  98.9120 15.49377037365378"


def test_from_tle_matches_skyfield_earth_satellite():
    from skyfield.api import EarthSatellite
    from skyfield.framelib import itrs

    sat = Satellite.from_tle(ISS_L1, ISS_L2, name="ISS")
    assert (sat.name, sat.norad_id, len(sat.element_sets)) == ("ISS", 25544, 1)
    assert sat.period_s == pytest.approx(86400.0 / 15.49377037365378, rel=1e-9)
    t = time_grid("2022-10-25T00:00:00Z", "2022-10-25T06:00:00Z", 120.0)
    r, v = itrs_state(sat, t)
    ref = EarthSatellite(ISS_L1, ISS_L2, "ISS", frames.timescale()).at(frames.skyfield_time(t))
    rr, vv = ref.frame_xyz_and_velocity(itrs)
    assert np.abs(rr.m.T - r).max() < 1e-3 and np.abs(vv.m_per_s.T - v).max() < 1e-3


def test_tle_omm_satrec_and_file_build_the_same_satellite(tmp_path):
    a = Satellite.from_tle(ISS_L1, ISS_L2)
    rec = Satrec.twoline2rv(ISS_L1, ISS_L2)
    omm = json.dumps(export_omm(rec, "ISS (ZARYA)"))
    b = Satellite.from_text(omm, source="iss.json")
    c = Satellite.from_satrec(rec)
    p = tmp_path / "iss.tle"
    p.write_text(f"ISS (ZARYA)\n{ISS_L1}\n{ISS_L2}\n")
    d = Satellite.from_file(p)
    assert b.name == d.name == "ISS (ZARYA)" and a.name == c.name == "25544"
    t = time_grid("2022-10-25T00:00:00Z", "2022-10-25T03:00:00Z", 60.0)
    ra, _, _ = teme_states(a, t)
    for other in (b, c, d):
        r, _, _ = teme_states(other, t)
        assert np.abs(r - ra).max() < 1e-2  # the same mean elements to their printed digits: < 1 cm


def test_several_element_sets_use_the_nearest_epoch(shared_data):
    sats = read_satellites(shared_data("tle-fleet-sar-history") / "vn_fleet_and_asnaro2.tle")
    asnaro = next(s for s in sats if s.norad_id == 43152)
    assert len(asnaro.element_sets) >= 2
    assert (np.diff(asnaro.epochs.astype(np.int64)) > 0).all()
    # at each epoch the satellite propagates with that epoch's own set
    for es in asnaro.element_sets:
        r, _, _ = teme_states(asnaro, np.array([es.epoch]))
        r1, _, _ = teme_states(es, np.array([es.epoch]))
        assert np.array_equal(r, r1)


def test_orbit_functions_take_satellites_fleet_records_and_element_sets():
    from lotusar.fleet import load_fleet

    rec = load_fleet().satellite("LOTUSat-1")
    sat = rec.orbit()
    site = [Site("Hoa Lac", 21.0105, 105.529, 15.0, 5.0)]
    window = ("2022-10-25T00:00Z", "2022-10-26T00:00Z")
    by_sat = find_passes([sat], site, *window)
    assert by_sat and [p.aos for p in find_passes([rec], site, *window)] == [p.aos for p in by_sat]
    assert [p.aos for p in find_passes(list(sat.element_sets), site, *window)] == [p.aos for p in by_sat]
    assert all(p.name == "LOTUSat-1" and p.norad_id == 43152 for p in by_sat)
    assert as_satellite(rec) is sat and as_satellites(sat) == [sat]


def test_bad_satellite_inputs_fail_with_a_message(tmp_path):
    es = parse_tle(f"{ISS_L1}\n{ISS_L2}\n")[0]
    other = Satellite.from_tle("1 43152U 18007A   22298.08260215  .00001542  00000+0  69772-4 0  9994",
                               "2 43152  97.4255 302.4939 0001769  88.8270 356.6907 15.22399995264894")
    with pytest.raises(ValidationError, match="several"):
        Satellite.from_element_sets([es, other.first])
    with pytest.raises(InputFormatError, match="checksum"):
        Satellite.from_tle(ISS_L1[:-1] + "0", ISS_L2)
    p = tmp_path / "two.tle"
    p.write_text(f"{ISS_L1}\n{ISS_L2}\n" + "\n".join(other.first.tle_lines()) + "\n")
    with pytest.raises(ValidationError, match="2 satellites"):
        Satellite.from_file(p)
    assert Satellite.from_file(p, norad_id=43152).norad_id == 43152
    with pytest.raises(NotFoundError, match="NORAD 1 not in"):
        Satellite.from_file(p, norad_id=1)
    with pytest.raises(TypeError, match="not a satellite"):
        as_satellite("ISS")
