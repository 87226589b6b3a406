"""TLE / OMM ingest: real files parse, malformed ones fail with file, line and field."""

from __future__ import annotations

import csv
import json
import warnings

import numpy as np
import pytest
from sgp4.api import Satrec
from sgp4.exporter import export_omm

from lotusar.errors import InputFormatError, NotFoundError
from lotusar.orbit.elements import (
    StaleElementsWarning,
    check_element_age,
    group_by_satellite,
    nearest_epoch_index,
    parse_elements_text,
    parse_omm_json,
    parse_omm_kvn,
    parse_omm_xml,
    parse_tle,
    read_elements,
    select_satellite,
    sniff_format,
    tle_checksum,
)

ISS_L1 = "1 25544U 98067A   22298.37257345  .00094794  00000+0  16849-2 0  9991"
ISS_L2 = "2 25544  51.6415  51.6332 0005510   4.8705  98.9120 15.49377037365378"


def test_shared_files_parse_and_agree_with_provenance(shared_data):
    d = shared_data("tle-fleet-sar-history")
    total = 0
    counts = {}
    for f in ("vn_fleet_and_asnaro2.tle", "sar_constellations.tle", "iss.tle", "sar_iss_2026-05.tle"):
        sets = read_elements(d / f)
        counts[f] = len(sets)
        total += len(sets)
        for e in sets:
            assert tle_checksum(e.line1) == int(e.line1[68]) and tle_checksum(e.line2) == int(e.line2[68])
    assert counts == {"vn_fleet_and_asnaro2.tle": 19, "sar_constellations.tle": 387, "iss.tle": 48, "sar_iss_2026-05.tle": 243}
    with open(d / "provenance.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == total == 697
    # epochs (year/day) agree with the provenance rows of the small file
    sets = read_elements(d / "vn_fleet_and_asnaro2.tle")
    prov = [(int(r["norad"]), float(r["epoch_day"])) for r in rows if r["file"] == "vn_fleet_and_asnaro2.tle"]
    mine = sorted((e.norad_id, float(e.line1[20:32])) for e in sets)
    assert sorted(prov) == mine


def test_three_and_two_line_and_multi_epoch():
    text = f"ISS (ZARYA)\n{ISS_L1}\n{ISS_L2}\n\n0 ISS again\n{ISS_L1}\n{ISS_L2}\n{ISS_L1}\n{ISS_L2}\n"
    sets = parse_tle(text)
    assert [e.name for e in sets] == ["ISS (ZARYA)", "ISS again", None]
    assert sets[0].norad_id == 25544
    assert str(sets[0].epoch)[:19] == "2022-10-25T08:56:30"
    assert abs(sets[0].mean_motion_rev_day - 15.49377037) < 1e-8


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda l1, l2: (l1[:68] + str((int(l1[68]) + 1) % 10), l2), "checksum"),
        (lambda l1, l2: (l1, l2[:8] + "190.0000" + l2[16:]), "inclination"),
        (lambda l1, l2: (l1[:18] + "2x" + l1[20:], l2), "epoch year"),
        (lambda l1, l2: (l1[:60], l2), "columns"),
        (lambda l1, l2: (l1, l2[:52] + " 0.00000000" + l2[63:]), "mean motion"),
    ],
)
def test_malformed_tle_names_file_line_field(mutate, field):
    l1, l2 = mutate(ISS_L1, ISS_L2)
    with pytest.raises(InputFormatError) as ei:
        parse_tle(f"ISS\n{l1}\n{l2}\n", source="bad.tle")
    msg = str(ei.value)
    assert msg.startswith("bad.tle: line ")
    assert field in msg
    assert "\n" not in msg


def test_checksum_error_reports_line_2():
    l2 = ISS_L2[:68] + str((int(ISS_L2[68]) + 3) % 10)
    with pytest.raises(InputFormatError, match=r"x.tle: line 3: field 'checksum'"):
        parse_tle(f"ISS\n{ISS_L1}\n{l2}\n", source="x.tle")


def _omm_fields():
    sat = Satrec.twoline2rv(ISS_L1, ISS_L2)
    return export_omm(sat, "ISS (ZARYA)")


def test_omm_kvn_xml_json_equal_the_tle():
    ref = parse_tle(f"{ISS_L1}\n{ISS_L2}\n")[0]
    f = _omm_fields()
    kvn = "CCSDS_OMM_VERS = 2.0\nCREATION_DATE = 2022-10-25T09:00:00\nORIGINATOR = TEST\n" + "\n".join(
        f"{k} = {v}" for k, v in f.items()) + "\n"
    xml = ("<?xml version='1.0'?><ndm><omm id='CCSDS_OMM_VERS' version='2.0'><body><segment><metadata>"
           + f"<OBJECT_NAME>{f['OBJECT_NAME']}</OBJECT_NAME><OBJECT_ID>{f['OBJECT_ID']}</OBJECT_ID>"
           + "<CENTER_NAME>EARTH</CENTER_NAME><REF_FRAME>TEME</REF_FRAME><TIME_SYSTEM>UTC</TIME_SYSTEM>"
           + "<MEAN_ELEMENT_THEORY>SGP4</MEAN_ELEMENT_THEORY></metadata><data><meanElements>"
           + "".join(f"<{k}>{f[k]}</{k}>" for k in ("EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION",
                                                      "RA_OF_ASC_NODE", "ARG_OF_PERICENTER", "MEAN_ANOMALY"))
           + "</meanElements><tleParameters>"
           + "".join(f"<{k}>{f[k]}</{k}>" for k in ("EPHEMERIS_TYPE", "CLASSIFICATION_TYPE", "NORAD_CAT_ID",
                                                      "ELEMENT_SET_NO", "REV_AT_EPOCH", "BSTAR", "MEAN_MOTION_DOT",
                                                      "MEAN_MOTION_DDOT"))
           + "</tleParameters></data></segment></body></omm></ndm>")
    js = json.dumps([f])
    t = np.datetime64("2022-10-26T00:00:00")
    jd, fr = 2459878.5, 0.0
    e0, r0, v0 = ref.satrec.sgp4(jd, fr)
    for text, fmt in ((kvn, "omm-kvn"), (xml, "omm-xml"), (js, "omm-json")):
        assert sniff_format(text) == fmt
        (es,) = parse_elements_text(text, "m")
        assert es.norad_id == 25544 and es.name == "ISS (ZARYA)"
        assert abs((es.epoch - ref.epoch).astype(np.int64)) < 1000  # < 1 µs
        e, r, v = es.satrec.sgp4(jd, fr)
        # export_omm prints fewer digits than the TLE holds internally: ~mm differences a day later
        assert np.abs(np.subtract(r, r0)).max() < 1e-5  # km
    _ = t


def test_omm_errors_name_the_field():
    f = _omm_fields()
    f["ECCENTRICITY"] = "1.5"
    with pytest.raises(InputFormatError, match="ECCENTRICITY"):
        parse_omm_json(json.dumps(f), "o.json")
    bad = dict(_omm_fields())
    del bad["MEAN_MOTION"]
    with pytest.raises(InputFormatError, match="o.kvn: .*'MEAN_MOTION' is missing"):
        parse_omm_kvn("\n".join(f"{k} = {v}" for k, v in bad.items()), "o.kvn")
    with pytest.raises(InputFormatError, match=r"o.xml: line 1: XML"):
        parse_omm_xml("<ndm><omm>", "o.xml")


def test_nearest_epoch_selection_and_stale_warning(shared_data):
    sets = read_elements(shared_data("tle-fleet-sar-history") / "vn_fleet_and_asnaro2.tle")
    grp = select_satellite(sets, 43152)
    ep = [e.epoch for e in grp]
    t = np.array([ep[0] - np.timedelta64(5, "D"), ep[0] + np.timedelta64(19, "D"),
                  ep[0] + np.timedelta64(21, "D"), ep[2] + np.timedelta64(1, "D")])
    assert nearest_epoch_index(ep, t).tolist() == [0, 0, 1, 2]
    with pytest.raises(NotFoundError):
        select_satellite(sets, 99999)
    assert len(group_by_satellite(sets)) == 4
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        msgs = check_element_age(grp, "2023-06-01T00:00:00Z", "2023-06-02T00:00:00Z")
    assert msgs and any(issubclass(x.category, StaleElementsWarning) for x in w)
    assert check_element_age(grp, "2022-10-25T12:00:00Z", "2022-10-26T12:00:00Z") == []
