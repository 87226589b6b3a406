"""AIS: decoding, dead reckoning against geodesics, matching on a synthetic scenario."""

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from lotusar.apps import ais
from lotusar.errors import InputFormatError

T0 = datetime(2026, 11, 25, 3, 0, 0, tzinfo=timezone.utc)


def test_decode_known_sentence():
    reports, _ = ais.decode_nmea_lines(["2024-05-01T10:00:05Z,!AIVDM,1,1,,B,15NG6V0P01G?cFhE`R2IU?wn28R>,0*05"])
    (r,) = reports
    assert r.mmsi == 367380120 and r.msg_type == 1
    assert r.lat_deg == pytest.approx(37.806948) and r.lon_deg == pytest.approx(-122.404333)
    assert r.sog_kn == pytest.approx(0.1) and r.cog_deg == pytest.approx(245.2)
    assert r.time == datetime(2024, 5, 1, 10, 0, 5, tzinfo=timezone.utc)


def test_encode_decode_round_trip_and_multipart_static():
    lines = ais.encode_position_report(574123456, 10.25, 107.5, 14.2, 33.0, T0)
    reports, _ = ais.decode_nmea_lines(lines)
    assert reports[0].mmsi == 574123456 and reports[0].time == T0
    assert reports[0].lat_deg == pytest.approx(10.25, abs=1e-5) and reports[0].sog_kn == pytest.approx(14.2)
    from pyais.encode import encode_dict

    static = encode_dict({"type": 5, "mmsi": 574123456, "shipname": "LOTUS STAR", "to_bow": 120, "to_stern": 30},
                         talker_id="AI", sentence_type="VDM")
    assert len(static) == 2  # type 5 spans two sentences
    _, st = ais.decode_nmea_lines(static + lines)
    assert st[574123456] == {"name": "LOTUS STAR", "length_m": 150.0}


def test_bad_sentence_names_the_line():
    with pytest.raises(InputFormatError, match="line 2"):
        ais.decode_nmea_lines([ais.encode_position_report(574123456, 10, 107, 1, 1, T0)[0], "garbage"])


def test_dead_reckoning_matches_geodesic():
    from pyproj import Geod

    lat, lon = ais.dead_reckon(10.5, 106.9, 15.0, 60.0, 900.0)
    lon_g, lat_g, _ = Geod(ellps="WGS84").fwd(106.9, 10.5, 60.0, 15.0 * 1852 / 3600 * 900.0)
    dist = Geod(ellps="WGS84").inv(lon, lat, lon_g, lat_g)[2]
    assert dist < 1.0  # rhumb vs geodesic over 6.9 km


def scenario(seed=0):
    """12 vessels with AIS (reports 1–15 min before the image) and 5 dark ones; detections at
    the true image-time positions with 40 m noise; 2 AIS vessels not detected."""
    rng = np.random.default_rng(seed)
    image_time = T0 + timedelta(minutes=20)
    lines, truth_det, kinds = [], [], []
    for k in range(12):
        mmsi = 574000000 + k
        lat, lon = 10.2 + rng.uniform(0, 0.3), 107.0 + rng.uniform(0, 0.3)
        sog, cog = rng.uniform(0, 18), rng.uniform(0, 360)
        age = rng.uniform(60, 900)
        t_rep = image_time - timedelta(seconds=age)
        lines += ais.encode_position_report(mmsi, round(lat, 5), round(lon, 5), round(sog, 1), round(cog, 1), t_rep)
        lat_i, lon_i = ais.dead_reckon(round(lat, 5), round(lon, 5), round(sog, 1), round(cog, 1), age)
        if k < 10:
            truth_det.append((lon_i, lat_i))
            kinds.append(mmsi)
    for k in range(5):
        truth_det.append((107.0 + rng.uniform(0, 0.3), 10.2 + rng.uniform(0, 0.3)))
        kinds.append(None)
    det = np.array(truth_det)
    det += rng.normal(0, 40 / 111000, det.shape)
    return lines, image_time, det, kinds


def test_synthetic_scenario_every_dark_vessel_flagged():
    lines, t, det, kinds = scenario()
    reports, static = ais.decode_nmea_lines(lines)
    vessels = ais.vessel_states_at(reports, t, static)
    res = ais.match_detections(det, vessels)
    dark_truth = {i for i, k in enumerate(kinds) if k is None}
    assert set(res.dark) == dark_truth
    for m in res.matches:
        assert kinds[m["detection"]] == m["mmsi"]  # no AIS vessel mislabelled
    assert sorted(res.undetected) == [574000010, 574000011]


def test_cli_ais_match(tmp_path, run_cli):
    lines, t, det, kinds = scenario(1)
    nmea = tmp_path / "ais.nmea"
    nmea.write_text("\n".join(lines) + "\n")
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(map(float, p))},
         "properties": {"row": i, "col": i, "confidence": 0.9}} for i, p in enumerate(det)]}
    dets = tmp_path / "det.geojson"
    dets.write_text(json.dumps(fc))
    p = run_cli("apps", "ais", nmea, "--time", t.strftime("%Y-%m-%dT%H:%M:%SZ"), "--detections", dets, "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert set(out["match"]["dark"]) == {i for i, k in enumerate(kinds) if k is None}
    p = run_cli("apps", "ais", tmp_path / "nope.nmea", "--time", "2026-01-01T00:00:00Z")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
