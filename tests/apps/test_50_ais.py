"""AIS: decoding, dead reckoning against geodesics, matching on a synthetic scenario."""

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from lotusar.apps import ais
from lotusar.errors import InputFormatError

T0 = datetime(2026, 11, 25, 3, 0, 0, tzinfo=UTC)


def test_decode_known_sentence():
    reports, _ = ais.decode_nmea_lines(["2024-05-01T10:00:05Z,!AIVDM,1,1,,B,15NG6V0P01G?cFhE`R2IU?wn28R>,0*05"])
    (r,) = reports
    assert r.mmsi == 367380120 and r.msg_type == 1
    assert r.lat_deg == pytest.approx(37.806948) and r.lon_deg == pytest.approx(-122.404333)
    assert r.sog_kn == pytest.approx(0.1) and r.cog_deg == pytest.approx(245.2)
    assert r.time == datetime(2024, 5, 1, 10, 0, 5, tzinfo=UTC)


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
    for _ in range(5):
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


def test_ships_cli_end_to_end_with_ais(tmp_path, run_cli):
    """SAR image with 6 ships; 4 broadcast AIS (reports 5 min before the image, moving), one
    AIS vessel is inside the footprint but not in the image: 2 dark, 1 not detected."""
    import rasterio
    from pyproj import Transformer
    from rasterio.transform import from_origin

    rng = np.random.default_rng(21)
    n = 300
    img = rng.exponential(0.01, (n, n)).astype("float32")
    ships_rc = [(40, 50), (60, 220), (150, 150), (230, 60), (250, 250), (120, 270)]
    for r, c in ships_rc:
        img[r - 3:r + 4, c - 1:c + 2] = 3.0
    x0, y0 = 700000.0, 1150000.0
    path = tmp_path / "scene.tif"
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32", crs="EPSG:32648",
                       transform=from_origin(x0, y0, 10, 10)) as ds:
        ds.write(img, 1)
    to_ll = Transformer.from_crs(32648, 4326, always_xy=True)
    t_img = T0 + timedelta(minutes=30)
    lines = []
    for k, (r, c) in enumerate(ships_rc[:4]):
        lon, lat = to_ll.transform(x0 + 10 * (c + 0.5), y0 - 10 * (r + 0.5))
        sog, cog = 8.0 + k, 45.0 * k
        lat0, lon0 = ais.dead_reckon(lat, lon, sog, cog, -300.0)  # where it was 5 min before
        lines += ais.encode_position_report(574100000 + k, round(lat0, 6), round(lon0, 6), sog, cog,
                                            t_img - timedelta(seconds=300))
    lon, lat = to_ll.transform(x0 + 10 * 200, y0 - 10 * 100)  # AIS vessel not seen by the radar
    lines += ais.encode_position_report(574199999, round(lat, 6), round(lon, 6), 0.0, 0.0, t_img)
    nmea = tmp_path / "ais.nmea"
    nmea.write_text("\n".join(lines) + "\n")
    out = tmp_path / "det.geojson"
    p = run_cli("apps", "ships", path, "--out", out, "--ais", nmea, "--time", t_img.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "--guard-m", "150", "--background-m", "400", "--target-m", "10", "--json")
    assert p.returncode == 0, p.stderr
    fc = json.loads(out.read_text())
    dets = [f["properties"] for f in fc["features"] if "row" in f["properties"]]
    assert len(dets) == 6
    for d in dets:
        k = min(range(6), key=lambda i: (ships_rc[i][0] - d["row"]) ** 2 + (ships_rc[i][1] - d["col"]) ** 2)
        if k < 4:
            assert d["dark"] is False and d["mmsi"] == 574100000 + k
        else:
            assert d["dark"] is True
    missing = [f["properties"] for f in fc["features"] if f["properties"].get("kind") == "ais-not-detected"]
    assert [m["mmsi"] for m in missing] == [574199999]
