"""AIS: decode NMEA, extrapolate to the image time, match to SAR detections, flag dark vessels.

- Decoding uses pyais (ITU-R M.1371 messages 1/2/3 and 18/19/27 position reports, 5 and 24
  static data), with multi-sentence messages reassembled here so each line's receive time
  is kept. A receive time comes from an NMEA 4.0 tag block (``\\c:<unix seconds>*hh\\``),
  from a leading ISO-8601 or Unix-seconds field (``2024-01-01T00:00:00Z,!AIVDM,...``), or
  else the message's UTC-second field relative to ``reference_time``.
- Dead reckoning: from the report nearest to the image time, the vessel moves along its
  course over ground at its speed over ground (rhumb line on the WGS84 ellipsoid — exact
  enough for minutes at sea). The position uncertainty grows with the extrapolation time:
  gate = ``base_gate_m`` + ``speed_sigma_kn`` × |Δt| (kn → m/s).
- Matching: the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``, Kuhn 1955)
  on the distance matrix, pairs beyond their gate forbidden. Unmatched detections are *dark*
  (no AIS); AIS vessels inside the image footprint with no detection are *not detected*.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from lotusar.errors import InputFormatError, ValidationError
from lotusar.geodesy import r_east_m, r_north_m
from lotusar.timeutil import parse_utc

__all__ = ["AisReport", "VesselState", "decode_nmea_lines", "read_nmea", "vessel_states_at",
           "dead_reckon", "match_detections", "MatchResult", "encode_position_report"]

KNOT_M_S = 1852.0 / 3600.0
POSITION_TYPES = {1, 2, 3, 18, 19, 27}


@dataclass
class AisReport:
    mmsi: int
    time: datetime
    lat_deg: float
    lon_deg: float
    sog_kn: float | None
    cog_deg: float | None
    msg_type: int


@dataclass
class VesselState:
    mmsi: int
    lat_deg: float
    lon_deg: float
    sog_kn: float
    cog_deg: float
    report_time: datetime
    dt_s: float  # image time − report time
    gate_m: float
    name: str | None = None
    length_m: float | None = None


def _radii(lat_deg: float) -> tuple[float, float]:
    """(meridional, prime-vertical) radii of curvature in metres."""
    return float(r_north_m(lat_deg=lat_deg)), float(r_east_m(lat_deg=lat_deg))


def dead_reckon(lat_deg: float, lon_deg: float, sog_kn: float, cog_deg: float, dt_s: float) -> tuple[float, float]:
    """Position after ``dt_s`` seconds at constant speed over ground and course (rhumb line)."""
    d = sog_kn * KNOT_M_S * dt_s
    m, n = _radii(lat_deg)
    dn = d * math.cos(math.radians(cog_deg))
    de = d * math.sin(math.radians(cog_deg))
    lat = lat_deg + math.degrees(dn / m)
    m2, n2 = _radii(0.5 * (lat + lat_deg))
    lon = lon_deg + math.degrees(de / (n2 * math.cos(math.radians(0.5 * (lat + lat_deg)))))
    return lat, lon


_TAG_C = re.compile(r"(?:^|[,\\])c:(\d+(?:\.\d+)?)")


def _line_time(prefix: str, tag: str | None) -> datetime | None:
    if tag:
        m = _TAG_C.search(tag)
        if m:
            v = float(m.group(1))
            if v > 1e11:  # milliseconds
                v /= 1000.0
            return datetime.fromtimestamp(v, UTC)
    p = prefix.strip().strip(",; \t")
    if not p:
        return None
    try:
        v = float(p)
        return datetime.fromtimestamp(v, UTC)
    except ValueError:
        pass
    return parse_utc(p)


def decode_nmea_lines(lines, reference_time: datetime | None = None, source: str = "<nmea>") -> tuple[list[AisReport], dict]:
    """Decode NMEA lines into position reports; returns ``(reports, static)`` where ``static``
    maps MMSI → {"name", "length_m"}. Bad sentences raise :class:`InputFormatError` naming the line."""
    from pyais.exceptions import InvalidNMEAMessageException
    from pyais.messages import NMEAMessage

    reports: list[AisReport] = []
    static: dict[int, dict] = {}
    pending: dict[tuple, list] = {}
    for lineno, raw in enumerate(lines, 1):
        line = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        tag = None
        if line.startswith("\\"):
            end = line.find("\\", 1)
            if end < 0:
                raise InputFormatError(f"{source}: line {lineno}: unterminated tag block")
            tag, line = line[1:end], line[end + 1:]
        i = max(line.find("!AIVDM"), line.find("!AIVDO"), line.find("!BSVDM"), line.find("!ABVDM"))
        if i < 0:
            i = line.find("!")
        if i < 0:
            raise InputFormatError(f"{source}: line {lineno}: no NMEA sentence (expected '!AIVDM,...')")
        prefix, sentence = line[:i], line[i:]
        try:
            t = _line_time(prefix, tag)
        except Exception:
            raise InputFormatError(f"{source}: line {lineno}: field 'time': cannot read {prefix.strip()!r}") from None
        try:
            msg = NMEAMessage(sentence.encode("ascii"))
        except (InvalidNMEAMessageException, ValueError, UnicodeEncodeError) as exc:
            raise InputFormatError(f"{source}: line {lineno}: {str(exc).splitlines()[0] if str(exc) else 'bad sentence'}") from None
        if msg.is_multi:
            key = (msg.seq_id, msg.channel)
            pending.setdefault(key, []).append((msg, t))
            frags = pending[key]
            if len(frags) < msg.frag_cnt:
                continue
            del pending[key]
            t = frags[0][1] or t
            try:
                msg = NMEAMessage.assemble_from_iterable([m for m, _ in frags])
            except Exception:
                raise InputFormatError(f"{source}: line {lineno}: cannot assemble multi-part message") from None
        try:
            d: dict[str, Any] = msg.decode().asdict()
        except Exception as exc:
            raise InputFormatError(f"{source}: line {lineno}: cannot decode payload ({type(exc).__name__})") from None
        mt = int(d.get("msg_type", 0))
        mmsi = int(d.get("mmsi", 0))
        if mt in (5, 24, 19):
            entry = static.setdefault(mmsi, {})
            name = d.get("shipname")
            if name:
                entry["name"] = str(name).strip()
            bow, stern = d.get("to_bow"), d.get("to_stern")
            if bow is not None and stern is not None and (bow or stern):
                entry["length_m"] = float(bow) + float(stern)
        if mt not in POSITION_TYPES:
            continue
        lat, lon = d.get("lat"), d.get("lon")
        if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
            continue  # 91/181 = position not available
        if t is None:
            if reference_time is None:
                raise InputFormatError(f"{source}: line {lineno}: no receive time (tag block c: or leading time) "
                                       "and no reference time given")
            sec = d.get("second")
            if sec is None or sec >= 60:
                continue
            t = reference_time.replace(second=int(sec), microsecond=0)
            # the report precedes or follows the reference by under 30 s
            delta = (t - reference_time).total_seconds()
            if delta > 30:
                t = datetime.fromtimestamp(t.timestamp() - 60, UTC)
            elif delta < -30:
                t = datetime.fromtimestamp(t.timestamp() + 60, UTC)
        sog = d.get("speed")
        cog = d.get("course")
        reports.append(AisReport(mmsi, t, float(lat), float(lon),
                                 None if sog is None or sog >= 102.3 else float(sog),
                                 None if cog is None or cog >= 360 else float(cog), mt))
    return reports, static


def read_nmea(path: str | Path, reference_time: datetime | None = None):
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    return decode_nmea_lines(p.read_bytes().splitlines(), reference_time, str(p))


def vessel_states_at(reports: list[AisReport], image_time: datetime, static: dict | None = None,
                     max_age_s: float = 1800.0, base_gate_m: float = 200.0, speed_sigma_kn: float = 1.0) -> list[VesselState]:
    """Each vessel's position at ``image_time`` from its report nearest in time (dead reckoning)."""
    best: dict[int, AisReport] = {}
    for r in reports:
        dt = abs((image_time - r.time).total_seconds())
        if dt > max_age_s:
            continue
        cur = best.get(r.mmsi)
        if cur is None or dt < abs((image_time - cur.time).total_seconds()):
            best[r.mmsi] = r
    out = []
    static = static or {}
    for mmsi, r in sorted(best.items()):
        dt = (image_time - r.time).total_seconds()
        sog = r.sog_kn or 0.0
        cog = r.cog_deg if r.cog_deg is not None else 0.0
        lat, lon = dead_reckon(r.lat_deg, r.lon_deg, sog, cog, dt) if sog > 0 else (r.lat_deg, r.lon_deg)
        gate = base_gate_m + speed_sigma_kn * KNOT_M_S * abs(dt) + (0.1 * sog * KNOT_M_S * abs(dt) if r.cog_deg is None else 0)
        s = static.get(mmsi, {})
        out.append(VesselState(mmsi, lat, lon, sog, cog, r.time, dt, gate, s.get("name"), s.get("length_m")))
    return out


@dataclass
class MatchResult:
    matches: list[dict] = field(default_factory=list)  # {"detection": i, "mmsi": m, "distance_m": d}
    dark: list[int] = field(default_factory=list)  # detection indices without AIS
    undetected: list[int] = field(default_factory=list)  # MMSIs inside the footprint without detection
    outside: list[int] = field(default_factory=list)  # MMSIs outside the footprint

    def as_dict(self) -> dict:
        return asdict(self)


def _enu(lat, lon, lat0, lon0):
    m, n = _radii(lat0)
    return (np.radians(np.asarray(lon) - lon0) * n * math.cos(math.radians(lat0)),
            np.radians(np.asarray(lat) - lat0) * m)


def match_detections(det_lonlat: np.ndarray, vessels: list[VesselState], footprint=None) -> MatchResult:
    """Hungarian assignment of AIS vessels to detections within each vessel's gate.

    ``det_lonlat``: (N, 2) lon/lat of detections. ``footprint``: a shapely geometry (lon/lat)
    of the image; AIS vessels outside it are reported as ``outside``, not as missed.
    """
    from scipy.optimize import linear_sum_assignment

    det = np.asarray(det_lonlat, dtype=np.float64).reshape(-1, 2)
    res = MatchResult()
    inside = []
    for v in vessels:
        if footprint is not None:
            from shapely.geometry import Point

            if not footprint.contains(Point(v.lon_deg, v.lat_deg)):
                res.outside.append(v.mmsi)
                continue
        inside.append(v)
    if not inside or det.shape[0] == 0:
        res.dark = list(range(det.shape[0]))
        res.undetected = [v.mmsi for v in inside]
        return res
    lat0 = float(np.mean([v.lat_deg for v in inside] + list(det[:, 1])))
    lon0 = float(np.mean([v.lon_deg for v in inside] + list(det[:, 0])))
    dx, dy = _enu(det[:, 1], det[:, 0], lat0, lon0)
    vx, vy = _enu([v.lat_deg for v in inside], [v.lon_deg for v in inside], lat0, lon0)
    dist = np.hypot(vx[:, None] - dx[None, :], vy[:, None] - dy[None, :])
    gates = np.array([v.gate_m for v in inside])[:, None]
    big = 1e12
    cost = np.where(dist <= gates, dist / gates, big)
    rows, cols = linear_sum_assignment(cost)
    used_d, used_v = set(), set()
    for r, c in zip(rows, cols):
        if cost[r, c] < big:
            res.matches.append({"detection": int(c), "mmsi": inside[r].mmsi, "distance_m": float(dist[r, c]),
                                "gate_m": float(inside[r].gate_m)})
            used_d.add(int(c))
            used_v.add(r)
    res.dark = [i for i in range(det.shape[0]) if i not in used_d]
    res.undetected = [inside[r].mmsi for r in range(len(inside)) if r not in used_v]
    return res


def encode_position_report(mmsi: int, lat_deg: float, lon_deg: float, sog_kn: float, cog_deg: float,
                           time: datetime, channel: str = "A") -> list[str]:
    """NMEA sentence(s) of a class-A position report (type 1) with a tag-block receive time.

    Used to build synthetic AIS scenarios with known truth (tests, demos)."""
    from pyais.encode import encode_dict

    if not (0 < mmsi < 1_000_000_000):
        raise ValidationError(f"MMSI must be 9 digits, got {mmsi}")
    data: dict[str, Any] = {"type": 1, "mmsi": mmsi, "lat": lat_deg, "lon": lon_deg, "speed": sog_kn, "course": cog_deg,
            "second": time.second, "heading": int(round(cog_deg)) % 360, "status": 0}
    sentences = encode_dict(data, radio_channel=channel, talker_id="AI", sentence_type="VDM")
    ts = int(time.timestamp())
    out = []
    for s in sentences:
        body = f"c:{ts}"
        cs = 0
        for ch in body:
            cs ^= ord(ch)
        out.append(f"\\{body}*{cs:02X}\\{s}")
    return out
