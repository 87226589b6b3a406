"""The CLI interfaces the held-out checks call, and one-line exit-2 errors on bad input."""

from __future__ import annotations

import json

import pytest

ASNARO2 = ("ASNARO-2\n1 43152U 18007A   22298.08260215  .00001542  00000+0  69772-4 0  9994\n"
           "2 43152  97.4255 302.4939 0001769  88.8270 356.6907 15.22399995264894\n")
WINDOW = ["--start", "2022-10-25T00:00:00Z", "--end", "2022-10-26T00:00:00Z"]


@pytest.fixture()
def tle(tmp_path):
    p = tmp_path / "a.tle"
    p.write_text(ASNARO2)
    return p


def _one_line_error(proc):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    return lines[0]


def test_passes_json_interface(run_cli, tle):
    proc = run_cli("orbit", "passes", "--tle", tle, "--lat", "21.0", "--lon", "105.5", "--alt-m", "10",
                   "--min-elevation-deg", "10", *WINDOW, "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows
    for r in rows:
        assert {"norad_id", "name", "aos", "tca", "los", "max_elevation_deg", "aos_azimuth_deg", "los_azimuth_deg",
                "sunlit"} <= set(r)
        assert r["norad_id"] == 43152 and r["aos"] < r["tca"] < r["los"] and r["aos"].endswith("Z")
        assert r["max_elevation_deg"] >= 10.0


def test_doppler_and_access_json(run_cli, tle, tmp_path):
    proc = run_cli("orbit", "doppler", "--tle", tle, "--norad-id", "43152", "--lat", "21.0", "--lon", "105.5",
                   "--alt-m", "10", "--carrier-hz", "8.1e9", "--start", "2022-10-25T11:05:00Z",
                   "--end", "2022-10-25T11:15:00Z", "--step-s", "10", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len(rows) == 61
    assert {"time", "range_m", "range_rate_m_s", "doppler_hz", "azimuth_deg", "elevation_deg"} <= set(rows[0])
    aoi = tmp_path / "aoi.geojson"
    aoi.write_text(json.dumps({"type": "Polygon", "coordinates": [[[106.9, 16.8], [107.3, 16.8], [107.3, 17.1],
                                                                    [106.9, 17.1], [106.9, 16.8]]]}))
    proc = run_cli("orbit", "access", "--tle", tle, "--norad-id", "43152", "--aoi", aoi, "--incidence-min-deg", "15",
                   "--incidence-max-deg", "55", "--look", "both", "--start", "2022-10-25T00:00:00Z",
                   "--end", "2022-10-28T00:00:00Z", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows and {"start", "end", "look_side", "direction", "incidence_min_deg", "incidence_max_deg",
                     "incidence_centroid_deg", "coverage"} <= set(rows[0])


def test_bad_inputs_exit_2_one_line(run_cli, tle, tmp_path):
    bad = tmp_path / "bad.tle"
    bad.write_text(ASNARO2.replace("0  9994", "0  9995"))
    msg = _one_line_error(run_cli("orbit", "passes", "--tle", bad, "--lat", "21", "--lon", "105", *WINDOW, "--json"))
    assert "bad.tle" in msg and "line 2" in msg and "checksum" in msg
    msg = _one_line_error(run_cli("orbit", "doppler", "--satellite", "NoSuchSat", "--lat", "21", "--lon", "105",
                                  "--carrier-hz", "8e9", *WINDOW))
    assert "NoSuchSat" in msg
    msg = _one_line_error(run_cli("orbit", "passes", "--tle", tle, "--lat", "21", "--lon", "105",
                                  "--start", "2022-10-26T00:00:00Z", "--end", "2022-10-25T00:00:00Z"))
    assert "before it starts" in msg
    bowtie = tmp_path / "bowtie.geojson"
    bowtie.write_text(json.dumps({"type": "Polygon", "coordinates": [[[106, 16], [107, 17], [107, 16], [106, 17], [106, 16]]]}))
    msg = _one_line_error(run_cli("orbit", "access", "--tle", tle, "--norad-id", "43152", "--aoi", bowtie,
                                  "--incidence-min-deg", "20", "--incidence-max-deg", "45", *WINDOW, "--json"))
    assert "Self-intersection" in msg or "self-intersect" in msg.lower()
    broken = tmp_path / "fleet.toml"
    from lotusar.fleet import default_fleet_text

    broken.write_text(default_fleet_text().replace("max_roll_deg = 45.0", "max_roll_deg = 145.0"))
    msg = _one_line_error(run_cli("fleet", "validate", broken))
    assert "fleet.toml" in msg and "max_roll_deg" in msg and "LOTUSat-1" in msg


def test_fleet_mode_passes_and_quicklook(run_cli, tmp_path):
    proc = run_cli("orbit", "passes", "--satellite", "LOTUSat-1", "--station", "Hoa Lac", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert rows and all(r["station"] == "Hoa Lac" and r["name"] == "LOTUSat-1" for r in rows)
    proc = run_cli("orbit", "quicklook", "--satellite", "NanoDragon", "--station", "Hoa Lac", "--start",
                   "2022-10-25T12:00:00Z", "--end", "2022-10-26T00:00:00Z", "--out", tmp_path, "--json")
    assert proc.returncode == 0, proc.stderr
    files = json.loads(proc.stdout)
    for k in ("ground_track", "pass_polar"):
        assert open(files[k], "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_passes_from_omm_json_equal_tle(run_cli, tle, tmp_path):
    from sgp4.api import Satrec
    from sgp4.exporter import export_omm

    l1, l2 = ASNARO2.splitlines()[1:3]
    omm = tmp_path / "a.json"
    omm.write_text(json.dumps([export_omm(Satrec.twoline2rv(l1, l2), "ASNARO-2")]))
    args = ["--lat", "21.0", "--lon", "105.5", "--min-elevation-deg", "5", *WINDOW, "--json"]
    a = json.loads(run_cli("orbit", "passes", "--tle", tle, *args, check=True).stdout)
    b = json.loads(run_cli("orbit", "passes", "--tle", omm, *args, check=True).stdout)
    assert len(a) == len(b) > 0
    assert [x["aos"][:19] for x in a] == [x["aos"][:19] for x in b]


def test_track_file_for_a_tracking_controller(run_cli, tmp_path):
    import csv

    out = tmp_path / "pico.csv"
    proc = run_cli("orbit", "track", "--satellite", "PicoDragon", "--station", "Hoa Lac", "--out", out, "--json")
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    rows = list(csv.DictReader(open(out)))
    assert len(rows) == s["samples"] > 100 and s["carrier_hz"] == 437e6
    el = [float(r["elevation_deg"]) for r in rows]
    assert min(el) >= 5.0 - 1e-3  # Hoa Lac's mask
    # 1 s steps within a pass; Doppler sign flips from + (approaching) to − (receding)
    dop = [float(r["doppler_hz"]) for r in rows[:50]]
    assert dop[0] > 0
