"""Mean-element ingest: TLE (2-/3-line) and CCSDS OMM (KVN, XML, JSON) → :class:`ElementSet`.

A file may hold many satellites and several element sets per satellite; for any time the set
nearest in epoch is used (:func:`nearest_epoch_index`). Every format error names the file,
the line and the field (``InputFormatError``), after the rule that a bad catalogue line must
never be silently skipped.

TLE format: NORAD/CelesTrak two-line element set (Hoots & Roehrich, Spacetrack Report #3;
Kelso, "FAQs: Two-Line Element Set Format", CelesTrak). Columns are fixed; column 69 is the
modulo-10 checksum of columns 1–68 (digits count their value, ``-`` counts 1).
OMM: CCSDS 502.0-B-3 (Orbit Data Messages), mean elements with ``MEAN_ELEMENT_THEORY = SGP4``.
"""

from __future__ import annotations

import json
import math
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sgp4 import omm
from sgp4.api import Satrec
from sgp4.exporter import export_tle

from lotusar.errors import InputFormatError, NotFoundError, ValidationError
from lotusar.timeutil import iso_utc, parse_datetime64

_NS_PER_DAY = 86_400_000_000_000
_JD_UNIX = 2440587.5


class StaleElementsWarning(UserWarning):
    """Mean elements are too old (or too far in the future) for the requested window."""


@dataclass(frozen=True, eq=False)
class ElementSet:
    """One SGP4 mean-element set of one satellite.

    ``epoch`` is UTC ``datetime64[ns]``; ``satrec`` is the initialised ``sgp4`` record
    (WGS-72 constants, opsmode 'i', as in Vallado et al. 2006).
    """

    norad_id: int
    name: str | None
    epoch: np.datetime64
    satrec: Satrec = field(repr=False)
    line1: str | None = field(default=None, repr=False)
    line2: str | None = field(default=None, repr=False)
    source: str = "<string>"

    @property
    def mean_motion_rev_day(self) -> float:
        return float(self.satrec.no_kozai) * 1440.0 / (2.0 * math.pi)

    @property
    def period_s(self) -> float:
        return 86400.0 / self.mean_motion_rev_day

    @property
    def inclination_deg(self) -> float:
        return math.degrees(self.satrec.inclo)

    @property
    def eccentricity(self) -> float:
        return float(self.satrec.ecco)

    @property
    def raan_deg(self) -> float:
        return math.degrees(self.satrec.nodeo)

    def tle_lines(self) -> tuple[str, str]:
        """The two TLE lines (exported from the record when the source was an OMM)."""
        if self.line1 and self.line2:
            return self.line1, self.line2
        return export_tle(self.satrec)


def epoch_datetime64(satrec: Satrec) -> np.datetime64:
    """Epoch of an sgp4 record as UTC datetime64[ns] (rounded to the microsecond, the TLE's precision)."""
    days = (satrec.jdsatepoch - _JD_UNIX) + satrec.jdsatepochF
    us = int(round(days * 86_400_000_000.0))
    return np.datetime64(us, "us").astype("datetime64[ns]")


# ----------------------------------------------------------------------------------- TLE ---

def tle_checksum(line: str) -> int:
    """Modulo-10 checksum of columns 1–68 (digits by value, ``-`` as 1, everything else 0)."""
    total = 0
    for ch in line[:68]:
        if ch.isdigit():
            total += ord(ch) - 48
        elif ch == "-":
            total += 1
    return total % 10


_ALPHA5 = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # Alpha-5: I and O are not used


def _catalog_number(text: str) -> int:
    text = text.strip()
    if text and text[0].isalpha():
        c = text[0].upper()
        if c not in _ALPHA5 or not text[1:].isdigit():
            raise ValueError(text)
        return (10 + _ALPHA5.index(c)) * 10000 + int(text[1:])
    return int(text)


def _implied_decimal(text: str) -> float:
    """TLE 'assumed decimal point' exponent field, e.g. ' 12345-3' → 0.12345e-3."""
    t = text.strip()
    if not t:
        return 0.0
    m = re.fullmatch(r"([+-]?)(\d{1,5})([+-]\d)", t)
    if not m:
        raise ValueError(text)
    sign = -1.0 if m.group(1) == "-" else 1.0
    return sign * float("0." + m.group(2)) * 10.0 ** int(m.group(3))


# (field name, first column, last column) 1-based inclusive; parser(text) raising ValueError
_L1_FIELDS = [
    ("line number", 1, 1, lambda s: s == "1" or _bad()),
    ("catalog number", 3, 7, _catalog_number),
    ("classification", 8, 8, lambda s: s in "UCS " or _bad()),
    ("epoch year", 19, 20, lambda s: int(s)),
    ("epoch day", 21, 32, lambda s: (1.0 <= float(s) < 367.0) or _bad()),
    ("first derivative of mean motion", 34, 43, lambda s: float(s)),
    ("second derivative of mean motion", 45, 52, _implied_decimal),
    ("BSTAR drag term", 54, 61, _implied_decimal),
    ("ephemeris type", 63, 63, lambda s: s in "0 1234" or _bad()),
    ("element set number", 65, 68, lambda s: s.strip() == "" or int(s) >= 0 or _bad()),
]
_L2_FIELDS = [
    ("line number", 1, 1, lambda s: s == "2" or _bad()),
    ("catalog number", 3, 7, _catalog_number),
    ("inclination", 9, 16, lambda s: (0.0 <= float(s) <= 180.0) or _bad()),
    ("right ascension of the ascending node", 18, 25, lambda s: (0.0 <= float(s) <= 360.0) or _bad()),
    ("eccentricity", 27, 33, lambda s: (s.strip().isdigit() and 0.0 <= float("0." + s.strip()) < 1.0) or _bad()),
    ("argument of perigee", 35, 42, lambda s: (0.0 <= float(s) <= 360.0) or _bad()),
    ("mean anomaly", 44, 51, lambda s: (0.0 <= float(s) <= 360.0) or _bad()),
    ("mean motion", 53, 63, lambda s: (0.0 < float(s) < 20.0) or _bad()),
    ("revolution number", 64, 68, lambda s: s.strip() == "" or int(s) >= 0 or _bad()),
]


def _bad():
    raise ValueError("out of range")


def _check_tle_line(line: str, number: int, source: str, lineno: int) -> None:
    spec = _L1_FIELDS if number == 1 else _L2_FIELDS
    if len(line) < 69:
        raise InputFormatError(f"{source}: line {lineno}: TLE line {number} has {len(line)} columns, expected 69")
    if len(line) > 69 and line[69:].strip():
        raise InputFormatError(f"{source}: line {lineno}: TLE line {number} has text after column 69")
    for name, a, b, parse in spec:
        text = line[a - 1 : b]
        try:
            ok = parse(text)
        except (ValueError, IndexError):
            ok = None
        if ok is None or ok is False:
            raise InputFormatError(
                f"{source}: line {lineno}: field '{name}' (columns {a}-{b}) is invalid: {text!r}")
    c = line[68]
    if not c.isdigit():
        raise InputFormatError(f"{source}: line {lineno}: field 'checksum' (column 69) is not a digit: {c!r}")
    want = tle_checksum(line)
    if int(c) != want:
        raise InputFormatError(f"{source}: line {lineno}: field 'checksum' (column 69) is {c}, computed {want}")


def parse_tle(text: str, source: str = "<string>", strict: bool = True) -> list[ElementSet]:
    """Parse TLE text: 2-line or 3-line sets (name lines optional, ``0 NAME`` allowed), any number.

    Blank lines and ``#`` comments are skipped. Raises ``InputFormatError`` naming ``source``,
    the line number and the field for any malformed line. ``strict=False`` skips the column,
    field and checksum checks (for test decks such as Vallado's that break them on purpose).
    """
    lines = [ln.rstrip("\r\n").rstrip() for ln in text.splitlines()]
    out: list[ElementSet] = []
    name: str | None = None
    name_lineno = 0
    i = 0
    n = len(lines)
    while i < n:
        ln = lines[i]
        lineno = i + 1
        if not ln.strip() or ln.lstrip().startswith("#"):
            i += 1
            continue
        if ln.startswith("1 ") and len(ln) >= 2:
            if i + 1 >= n or not lines[i + 1].startswith("2 "):
                raise InputFormatError(f"{source}: line {lineno}: TLE line 1 is not followed by line 2")
            l1, l2 = ln, lines[i + 1]
            if strict:
                _check_tle_line(l1, 1, source, lineno)
                _check_tle_line(l2, 2, source, lineno + 1)
            l1, l2 = l1[:69], l2[:69]
            if strict and l1[2:7] != l2[2:7]:
                raise InputFormatError(
                    f"{source}: line {lineno + 1}: field 'catalog number' {l2[2:7].strip()!r} differs from line 1's {l1[2:7].strip()!r}")
            sat = Satrec.twoline2rv(l1, l2)
            if sat.error and strict:
                raise InputFormatError(f"{source}: line {lineno}: SGP4 cannot initialise this element set (error {sat.error})")
            out.append(ElementSet(
                norad_id=_catalog_number(l1[2:7]), name=name, epoch=epoch_datetime64(sat), satrec=sat,
                line1=l1, line2=l2, source=source))
            name = None
            i += 2
            continue
        if ln.startswith("2 ") and len(ln) >= 60 and ln[2:7].strip().isalnum():
            raise InputFormatError(f"{source}: line {lineno}: TLE line 2 without a line 1 before it")
        # a name line (3LE); "0 NAME" form
        if name is not None:
            raise InputFormatError(f"{source}: line {name_lineno}: field 'line number': expected TLE line 1 after the name line {name!r}")
        name = ln[2:].strip() if ln.startswith("0 ") else ln.strip()
        name_lineno = lineno
        if len(name) > 80:
            raise InputFormatError(f"{source}: line {lineno}: not a TLE line (neither a name nor line 1/2)")
        i += 1
    if name is not None:
        raise InputFormatError(f"{source}: line {name_lineno}: name line {name!r} without TLE lines after it")
    return out


# ----------------------------------------------------------------------------------- OMM ---

_OMM_REQUIRED = ("EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
                 "ARG_OF_PERICENTER", "MEAN_ANOMALY", "NORAD_CAT_ID")
_OMM_FLOAT = ("MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE", "ARG_OF_PERICENTER",
              "MEAN_ANOMALY", "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT")


def _omm_to_set(fields: dict, source: str, where: str) -> ElementSet:
    f = {k.upper(): (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    for k in _OMM_REQUIRED:
        if f.get(k) in (None, ""):
            raise InputFormatError(f"{source}: {where}: field '{k}' is missing")
    for k in _OMM_FLOAT:
        if k in f:
            try:
                f[k] = float(f[k])
            except (TypeError, ValueError):
                raise InputFormatError(f"{source}: {where}: field '{k}' is not a number: {f[k]!r}") from None
        elif k in ("BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT"):
            f[k] = 0.0
    theory = str(f.get("MEAN_ELEMENT_THEORY", "SGP4")).upper()
    if theory not in ("SGP4", "SGP/SGP4", "SDP4", "SGP4-XP") or theory == "SGP4-XP":
        raise InputFormatError(f"{source}: {where}: field 'MEAN_ELEMENT_THEORY' is {theory!r}, only SGP4 is supported")
    ecc, inc, n = float(f["ECCENTRICITY"]), float(f["INCLINATION"]), float(f["MEAN_MOTION"])
    checks = [("ECCENTRICITY", 0.0 <= ecc < 1.0), ("INCLINATION", 0.0 <= inc <= 180.0), ("MEAN_MOTION", 0.0 < n < 20.0)]
    for k, ok in checks:
        if not ok:
            raise InputFormatError(f"{source}: {where}: field '{k}' out of range: {f[k]!r}")
    try:
        norad = int(str(f["NORAD_CAT_ID"]))
    except ValueError:
        raise InputFormatError(f"{source}: {where}: field 'NORAD_CAT_ID' is not an integer: {f['NORAD_CAT_ID']!r}") from None
    try:
        epoch = parse_datetime64(str(f["EPOCH"]), "EPOCH")
    except ValidationError:
        raise InputFormatError(f"{source}: {where}: field 'EPOCH' is not an ISO time: {f['EPOCH']!r}") from None
    f["EPOCH"] = iso_utc(epoch, 6)[:-1]  # UTC, the form sgp4.omm reads (%Y-%m-%dT%H:%M:%S.%f)
    f.setdefault("CLASSIFICATION_TYPE", "U")
    f.setdefault("EPHEMERIS_TYPE", "0")
    f.setdefault("ELEMENT_SET_NO", "999")
    f.setdefault("REV_AT_EPOCH", "0")
    f.setdefault("OBJECT_ID", "")
    f["NORAD_CAT_ID"] = str(norad)
    for k in ("EPHEMERIS_TYPE", "ELEMENT_SET_NO", "REV_AT_EPOCH"):
        f[k] = str(f[k])
    sat = Satrec()
    try:
        omm.initialize(sat, f)
    except (KeyError, ValueError, TypeError) as e:
        raise InputFormatError(f"{source}: {where}: OMM cannot be initialised: {e}") from None
    if sat.error:
        raise InputFormatError(f"{source}: {where}: SGP4 cannot initialise this element set (error {sat.error})")
    return ElementSet(norad_id=norad, name=f.get("OBJECT_NAME") or None, epoch=epoch_datetime64(sat),
                      satrec=sat, source=source)


def parse_omm_kvn(text: str, source: str = "<string>") -> list[ElementSet]:
    """CCSDS OMM in Keyword = Value Notation; several messages may follow each other."""
    out: list[ElementSet] = []
    cur: dict = {}
    start_line = 1

    def flush():
        nonlocal cur
        if any(k in cur for k in _OMM_REQUIRED):
            out.append(_omm_to_set(cur, source, f"message at line {start_line}"))
        cur = {}

    for i, raw in enumerate(text.splitlines(), 1):
        ln = raw.strip()
        if not ln or ln.startswith("COMMENT"):
            continue
        if "=" not in ln:
            if ln.upper() in ("META_START", "META_STOP", "DATA_START", "DATA_STOP"):
                continue
            raise InputFormatError(f"{source}: line {i}: not a KVN 'KEY = value' line: {ln[:40]!r}")
        k, v = (s.strip() for s in ln.split("=", 1))
        k = k.upper()
        v = re.sub(r"\s*\[[^\]]*\]\s*$", "", v)  # units in brackets
        if k == "CCSDS_OMM_VERS":
            flush()
            start_line = i
        if k in cur and k != "COMMENT":
            flush()
            start_line = i
        cur[k] = v
    flush()
    return out


def parse_omm_xml(text: str, source: str = "<string>") -> list[ElementSet]:
    """CCSDS OMM in XML (NDM/XML schema or CelesTrak's ``<ndm><omm>`` wrapper)."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        line, col = getattr(e, "position", (0, 0))
        raise InputFormatError(f"{source}: line {line}: XML is not well-formed (column {col})") from None
    out = []
    omms = [el for el in root.iter() if el.tag.split("}")[-1].lower() == "omm"]
    if not omms:
        raise InputFormatError(f"{source}: line 1: no <omm> element found")
    for n, om in enumerate(omms, 1):
        fields = {}
        for el in om.iter():
            tag = el.tag.split("}")[-1]
            if len(el) == 0 and el.text is not None and el.text.strip():
                fields[tag.upper()] = el.text.strip()
        out.append(_omm_to_set(fields, source, f"<omm> #{n}"))
    return out


def parse_omm_json(text: str, source: str = "<string>") -> list[ElementSet]:
    """OMM as JSON (CelesTrak/Space-Track GP format): an object or a list of objects."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputFormatError(f"{source}: line {e.lineno}: JSON is not well-formed ({e.msg})") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise InputFormatError(f"{source}: line 1: JSON OMM must be an object or a list of objects")
    out = []
    for n, rec in enumerate(data):
        if not isinstance(rec, dict):
            raise InputFormatError(f"{source}: record {n}: not a JSON object")
        out.append(_omm_to_set(rec, source, f"record {n}"))
    return out


def sniff_format(text: str) -> str:
    """'tle', 'omm-kvn', 'omm-xml' or 'omm-json' from the content."""
    s = text.lstrip("\ufeff \t\r\n")
    if s.startswith("<"):
        return "omm-xml"
    if s.startswith("{") or s.startswith("["):
        return "omm-json"
    if re.search(r"^\s*CCSDS_OMM_VERS\s*=", s, re.M) or re.search(r"^\s*MEAN_MOTION\s*=", s, re.M):
        return "omm-kvn"
    return "tle"


def parse_elements_text(text: str, source: str = "<string>", fmt: str | None = None) -> list[ElementSet]:
    """Parse TLE or OMM text (format sniffed unless given)."""
    fmt = fmt or sniff_format(text)
    parser = {"tle": parse_tle, "omm-kvn": parse_omm_kvn, "omm-xml": parse_omm_xml, "omm-json": parse_omm_json}.get(fmt)
    if parser is None:
        raise ValidationError(f"unknown element format {fmt!r}")
    sets = parser(text, source)
    if not sets:
        raise InputFormatError(f"{source}: line 1: no element sets found")
    return sets


def read_elements(path: str | Path, fmt: str | None = None) -> list[ElementSet]:
    """Read a TLE/OMM file (any of the formats; sniffed from the content)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputFormatError(f"{p}: byte {e.start}: not UTF-8/ASCII text") from None
    return parse_elements_text(text, source=str(p), fmt=fmt)


# ------------------------------------------------------------------------- selection/age ---

def group_by_satellite(sets: list[ElementSet]) -> dict[int, list[ElementSet]]:
    """{norad_id: [sets sorted by epoch]} keeping first-appearance order of satellites."""
    groups: dict[int, list[ElementSet]] = {}
    for e in sets:
        groups.setdefault(e.norad_id, []).append(e)
    for k in groups:
        groups[k].sort(key=lambda e: e.epoch)
    return groups


def select_satellite(sets: list[ElementSet], norad_id: int) -> list[ElementSet]:
    """The sets of one satellite; NotFoundError naming the catalogue numbers present."""
    groups = group_by_satellite(sets)
    if int(norad_id) not in groups:
        raise NotFoundError(f"NORAD {norad_id} not in the elements (have: {', '.join(map(str, list(groups)[:20]))})")
    return groups[int(norad_id)]


def nearest_epoch_index(epochs, times) -> np.ndarray:
    """For each time, the index of the nearest epoch (epochs sorted ascending)."""
    ep = np.asarray(epochs, dtype="datetime64[ns]").astype(np.int64)
    t = np.asarray(times, dtype="datetime64[ns]").astype(np.int64)
    if ep.size == 1:
        return np.zeros(t.shape, dtype=np.intp)
    mid = ep[:-1] + (ep[1:] - ep[:-1]) // 2
    return np.searchsorted(mid, t, side="right").astype(np.intp)


def max_useful_age_days(es: ElementSet) -> float:
    """Rule of thumb for SGP4 element age: LEO with drag ~ 7 d (3 d when decaying fast), higher 14-30 d."""
    n = es.mean_motion_rev_day
    if abs(es.satrec.ndot) * 1440.0**2 / (2 * math.pi) * 2 > 1e-3:  # ndot/2 > 1e-3 rev/day² (decay phase)
        return 3.0
    if n > 11.25:
        return 7.0
    if n > 2.0:
        return 14.0
    return 30.0


def check_element_age(sets: list[ElementSet], start, end, max_age_days: float | None = None) -> list[str]:
    """Warn (``StaleElementsWarning``) when the nearest set is older/newer than useful for the window.

    Returns the warning messages (also issued through :mod:`warnings`).
    """
    msgs = []
    groups = group_by_satellite(sets)
    t = np.array([parse_datetime64(start, "start"), parse_datetime64(end, "end")])
    for norad, grp in groups.items():
        idx = nearest_epoch_index([e.epoch for e in grp], t)
        for j, ti in zip(idx, t):
            es = grp[j]
            age_d = abs((ti - es.epoch).astype(np.int64)) / _NS_PER_DAY
            limit = max_age_days if max_age_days is not None else max_useful_age_days(es)
            if age_d > limit:
                msgs.append(f"elements of NORAD {norad} ({es.name or '?'}) epoch {iso_utc(es.epoch, 0)} are "
                            f"{age_d:.1f} days from the window (useful ~{limit:g} d); expect km-level errors")
                break
    for m in msgs:
        warnings.warn(m, StaleElementsWarning, stacklevel=2)
    return msgs
