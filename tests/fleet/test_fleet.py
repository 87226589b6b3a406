"""Fleet schema: the embedded default, strict validation, lookups."""

from __future__ import annotations

import json

import pytest

from lotusar.errors import InputFormatError, NotFoundError, ValidationError
from lotusar.fleet import default_fleet_text, load_fleet, parse_fleet


def test_default_fleet_contents():
    f = load_fleet()
    assert [s.name for s in f.satellites] == ["LOTUSat-1", "MicroDragon", "NanoDragon", "PicoDragon"]
    assert {g.name for g in f.stations} >= {"Hoa Lac", "Ho Chi Minh City", "Svalbard SvalSat"}
    assert any(g.lat_deg > 60 for g in f.stations)
    lotus = f.satellite("lotusat-1")
    assert f.satellite(43152) is lotus and f.satellite("43152") is lotus
    modes = lotus.sar_payload().modes
    assert set(modes) == {"spotlight", "stripmap", "scansar"}
    for m in modes.values():
        assert m.look_sides == ["left", "right"] and m.incidence_min_deg < m.incidence_max_deg
        assert 9e9 < m.carrier_hz < 10e9
    # the published resolutions: spotlight < 1 m / 10 km, stripmap < 2 m / 12 km, ScanSAR < 16 m / > 50 km
    assert modes["spotlight"].resolution_m <= 1 and modes["stripmap"].swath_km == 12 and modes["scansar"].swath_km >= 50
    # range resolution c / (2 B sin θ) at the window's low edge meets the published resolution
    import math

    for m in modes.values():
        assert 3e8 / (2 * m.range_bandwidth_hz * math.sin(math.radians(30))) <= m.resolution_m * 1.01
    # elements: real TLEs, NORAD ids verified against ../shared/data
    assert f.satellite("MicroDragon").element_sets()[0].norad_id == 43935
    assert f.satellite("NanoDragon").element_sets()[0].norad_id == 49398
    assert lotus.element_sets()[0].norad_id == 43152
    p = lotus.platform
    assert p.memory_bits > 0 and p.max_roll_deg > 0 and p.power_generation_w > p.idle_power_w


def test_lookup_errors():
    f = load_fleet()
    with pytest.raises(NotFoundError, match="unknown satellite"):
        f.satellite("Sputnik")
    with pytest.raises(NotFoundError, match="unknown station"):
        f.station("Atlantis")
    with pytest.raises(NotFoundError, match="no SAR mode"):
        f.satellite("LOTUSat-1").sar_mode("wave")


def test_schema_violations_name_file_and_field(tmp_path):
    text = default_fleet_text()
    cases = [
        (text.replace("swath_km = 12.0 ", "swath_km = -12.0 "), "swath_km"),
        (text.replace("min_elevation_deg = 5.0         # ASSUMPTION\nbands = [\"S\", \"X\", \"UHF\"]\nsource = \"VNSC ground",
                      "min_elevation_deg = 5.0\nbogus_key = 1\nbands = [\"S\", \"X\", \"UHF\"]\nsource = \"VNSC ground"), "bogus_key"),
        (text.replace('look_sides = ["left", "right"]      # body-steered: both sides', 'look_sides = ["up"]'), "look_sides"),
    ]
    for broken, field in cases:
        assert broken != text
        p = tmp_path / "f.toml"
        p.write_text(broken)
        with pytest.raises(ValidationError) as ei:
            load_fleet(p)
        assert str(p) in str(ei.value) and field in str(ei.value)
    p.write_text("this is = = not toml")
    with pytest.raises(InputFormatError):
        load_fleet(p)


def test_user_fleet_with_element_file(tmp_path, shared_data):
    tle = shared_data("tle-fleet-sar-history") / "iss.tle"
    text = default_fleet_text()
    start = text.index('[satellites.elements]\nstand_in = "ISS')
    end = text.index('"""\n', text.index('tle = """', start) + 10) + 4
    mine = text[:start] + f'[satellites.elements]\nfile = "{tle}"\n' + text[end:]
    p = tmp_path / "fleet.toml"
    p.write_text(mine)
    f = load_fleet(p)
    assert len(f.satellite("PicoDragon").element_sets()) == 48
    bad = mine.replace('file = "', 'tle = "1 2 3"\nfile = "')
    p.write_text(bad)
    with pytest.raises(ValidationError, match="exactly one of"):
        load_fleet(p)


def test_fleet_cli(run_cli, tmp_path):
    proc = run_cli("fleet", "show", "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["satellites"][0]["payloads"][0]["modes"]["stripmap"]["swath_km"] == 12.0
    p = tmp_path / "f.toml"
    p.write_text(default_fleet_text())
    proc = run_cli("fleet", "validate", p)
    assert proc.returncode == 0 and "valid" in proc.stdout
    _ = parse_fleet


def test_sar_modes_come_from_the_fleet_file(tmp_path):
    f = load_fleet()
    lotus = f.satellite("LOTUSat-1")
    # names in the file's order, the default named by the file
    assert lotus.sar_mode_names() == ["spotlight", "stripmap", "scansar"]
    assert f.sar_mode_names() == ["spotlight", "stripmap", "scansar"]
    assert lotus.default_sar_mode_name() == "stripmap"
    assert lotus.sar_mode() is lotus.sar_mode("stripmap")
    assert [s.name for s in f.sar_satellites()] == ["LOTUSat-1"]
    assert f.satellite("MicroDragon").sar_mode_names() == []
    with pytest.raises(NotFoundError, match="no SAR payload"):
        f.satellite("MicroDragon").sar_mode()
    # a new imaging mode is one block in the fleet file: every consumer lists it
    text = default_fleet_text()
    start = text.index("[satellites.payloads.modes.scansar]")
    end = text.index("# ----", start)
    block = text[start:end].replace("modes.scansar]", "modes.wide_scansar]").replace("swath_km = 50.0", "swath_km = 100.0")
    p = tmp_path / "f.toml"
    p.write_text(text[:end] + block + text[end:])
    g = load_fleet(p)
    assert g.sar_mode_names() == ["spotlight", "stripmap", "scansar", "wide_scansar"]
    assert g.satellite("LOTUSat-1").sar_mode("wide_scansar").swath_km == 100.0
    # a default that is not one of the modes is refused, naming the field
    p.write_text(text.replace('default_mode = "stripmap"', 'default_mode = "stripmapp"'))
    with pytest.raises(ValidationError, match="default_mode"):
        load_fleet(p)


def test_broken_fleet_configuration_fails_loudly(tmp_path):
    text = default_fleet_text()
    p = tmp_path / "fleet.toml"
    # a TLE with a wrong checksum is an error at load time, naming the fleet file and the line
    bad = text.replace("2 43152  97.4255 302.4939 0001769  88.8270 356.6907 15.22399995264894",
                       "2 43152  97.4255 302.4939 0001769  88.8270 356.6907 15.22399995264895")
    assert bad != text
    p.write_text(bad)
    with pytest.raises(InputFormatError, match="checksum"):
        load_fleet(p)
    # an element file that does not exist, relative to the fleet file's folder
    start = text.index('[satellites.elements]\nstand_in = "ISS')
    end = text.index('"""\n', text.index('tle = """', start) + 10) + 4
    p.write_text(text[:start] + '[satellites.elements]\nfile = "missing.tle"\n' + text[end:])
    with pytest.raises(ValidationError, match="missing.tle"):
        load_fleet(p)
    # a fleet file that does not exist
    with pytest.raises(InputFormatError, match="does not exist"):
        load_fleet(tmp_path / "nope.toml")


def test_fleet_satellite_orbit_is_the_orbit_stage_satellite():
    from lotusar.orbit.satellite import Satellite, as_satellite

    f = load_fleet()
    pico = f.satellite("PicoDragon")
    sat = pico.orbit()
    assert isinstance(sat, Satellite) and sat is pico.orbit() and as_satellite(pico) is sat
    # a stand-in keeps the fleet's identity and flies the stand-in's elements
    assert (sat.name, sat.norad_id) == ("PicoDragon", 39413)
    assert {e.norad_id for e in sat.element_sets} == {25544}
    assert list(sat.element_sets) == pico.element_sets()


def test_reference_epoch_is_a_utc_time(tmp_path):
    text = default_fleet_text()
    assert load_fleet().reference_epoch == "2022-10-25T12:00:00Z"
    p = tmp_path / "f.toml"
    p.write_text(text.replace('reference_epoch = "2022-10-25T12:00:00Z"', 'reference_epoch = "2022-10-25T19:00:00+07:00"'))
    assert load_fleet(p).reference_epoch == "2022-10-25T12:00:00Z"
    p.write_text(text.replace('reference_epoch = "2022-10-25T12:00:00Z"', 'reference_epoch = "next tuesday"'))
    with pytest.raises(ValidationError, match="reference_epoch"):
        load_fleet(p)
