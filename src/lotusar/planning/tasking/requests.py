"""Tasking requests: the pydantic model, JSON/GeoJSON I/O, strip splitting and a seeded generator.

A request asks for one SAR image of an area (or a point, which becomes a small square) in a
mode, an incidence window, a look side and a pass direction, between its release
(``earliest_start``) and its ``deadline``. Priority 1 is the highest; ``weight`` ranks requests
of the same priority. ``repeat_every_days`` turns a request into a monitoring series: one
occurrence per period, each its own sub-request (``<id>@<k>``).

Areas larger than one take are cut into tiles (see :func:`split_request`) whose across-track
extent, for the ground-track tilt of the fleet's SAR orbits at the area's latitude (~11° for
i = 97.4° at 17° N), fits in 0.9 × the mode's swath.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError
from shapely.errors import GEOSException
from shapely.geometry import box, mapping

from lotusar.constants import EARTH_ROTATION_RAD_S
from lotusar.errors import InputFormatError, LotusarError, ValidationError
from lotusar.fileio import read_json
from lotusar.fleet import load_fleet
from lotusar.orbit.io import aoi_from_geojson
from lotusar.planning.tasking.candidates import mode_kind
from lotusar.planning.tasking.opportunities import MEAN_EARTH_RADIUS_M
from lotusar.timeutil import iso_utc, parse_utc, parse_window

KM_PER_DEG = 111.195
POINT_SQUARE_KM = 2.0          # a point request becomes a square of this side
STRIP_FILL = 0.9               # strip width = STRIP_FILL × swath (overlap between strips)


@lru_cache(maxsize=1)
def fleet_mode_names() -> tuple[str, ...]:
    """SAR mode names of the default fleet file (the only place they are defined), in file order."""
    names: list[str] = []
    for sat in load_fleet().satellites:
        p = sat.sar_payload()
        for m in (p.modes if p is not None else {}):
            if m not in names:
                names.append(m)
    return tuple(names)


def _utc(v: Any, what: str) -> datetime:
    return parse_utc(v, what)


class TaskingRequest(BaseModel):
    """One imaging request (JSON in/out; ``aoi`` is a GeoJSON Polygon or Point geometry)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    aoi: dict
    # a SAR mode name of the fleet file (``fleet_mode_names``); default: the fleet's strip mode
    mode: str = Field(default_factory=lambda: default_random_modes()[0])
    incidence_min_deg: float = Field(default=20.0, ge=0.0, lt=90.0)
    incidence_max_deg: float = Field(default=50.0, gt=0.0, lt=90.0)
    look_side: Literal["left", "right", "any"] = "any"
    pass_direction: Literal["ascending", "descending", "any"] = "any"
    earliest_start: datetime
    deadline: datetime
    priority: int = Field(default=3, ge=0, le=1000)   # 1 = highest; 0 = emergency
    weight: float = Field(default=1.0, gt=0.0)
    repeat_every_days: float | None = Field(default=None, gt=0.0)
    requester: str = "unknown"
    max_latency_s: float | None = Field(default=None, gt=0.0)
    parent_id: str | None = None     # set on strips / repeats: the request they complete
    # which sensor may image it: "sar" (the mode above), "optical" (a camera: daylight, clouds),
    # "any" (the first image of the area, either sensor)
    sensor: Literal["sar", "optical", "any"] = "sar"
    max_cloud_probability: float = Field(default=0.8, ge=0.0, le=1.0)   # optical takes above it are excluded

    @field_validator("earliest_start", "deadline", mode="before")
    @classmethod
    def _time(cls, v, info):
        return _utc(v, info.field_name)

    @field_validator("mode")
    @classmethod
    def _mode(cls, v):
        known = fleet_mode_names()
        if v not in known:
            raise ValueError(f"unknown mode {v!r} (the fleet's modes: {', '.join(known)})")
        return v

    @field_validator("aoi")
    @classmethod
    def _aoi(cls, v):
        polygon_of(v)  # raises on invalid geometry
        return v

    @model_validator(mode="after")
    def _order(self):
        if self.deadline <= self.earliest_start:
            raise ValueError(f"deadline: {self.deadline.isoformat()} is not after earliest_start "
                             f"{self.earliest_start.isoformat()}")
        if self.incidence_max_deg <= self.incidence_min_deg:
            raise ValueError("incidence_max_deg: must be greater than incidence_min_deg")
        return self

    # -- geometry -------------------------------------------------------------------------
    def polygon(self):
        """The request's area as a validated shapely polygon (lon/lat)."""
        return polygon_of(self.aoi)

    @property
    def root_id(self) -> str:
        return self.parent_id or self.id

    def to_json_dict(self) -> dict:
        d = self.model_dump(mode="json")
        d["earliest_start"] = _iso(self.earliest_start)
        d["deadline"] = _iso(self.deadline)
        return d


def _iso(dt: datetime) -> str:
    return iso_utc(dt)


def polygon_of(geom: dict):
    """GeoJSON Polygon/MultiPolygon/Point (bare geometry or Feature) → validated shapely polygon."""
    if not isinstance(geom, dict) or "type" not in geom:
        raise ValueError("aoi must be a GeoJSON geometry with a 'type'")
    if geom["type"] == "Feature":
        geom = geom.get("geometry") or {}
    if geom.get("type") == "Point":
        c = geom.get("coordinates")
        if not (isinstance(c, (list, tuple)) and len(c) >= 2 and all(isinstance(x, (int, float)) for x in c[:2])):
            raise ValueError("aoi Point needs [lon, lat] coordinates")
        lon, lat = float(c[0]), float(c[1])
        if not (-180 <= lon <= 180 and -85 <= lat <= 85):
            raise ValueError(f"aoi Point ({lon}, {lat}) outside lon [-180, 180] / lat [-85, 85]")
        h = POINT_SQUARE_KM / 2 / KM_PER_DEG
        hl = h / math.cos(math.radians(lat))
        return box(lon - hl, lat - h, lon + hl, lat + h)
    if geom.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"aoi type {geom.get('type')!r} is not Polygon, MultiPolygon or Point")
    try:
        poly = aoi_from_geojson(geom, "aoi")
    except (LotusarError, GEOSException, TypeError, ValueError) as e:
        raise ValueError(str(e)) from None
    minx, miny, maxx, maxy = poly.bounds
    if not (-180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90):
        raise ValueError("aoi coordinates outside lon [-180, 180] / lat [-90, 90]")
    return poly


# -- parsing -----------------------------------------------------------------------------
def _err_field(e) -> str:
    errs = e.errors()
    if not errs:
        return str(e)
    er = errs[0]
    loc = ".".join(str(x) for x in er.get("loc", ()))
    msg = er.get("msg", "invalid").replace("Value error, ", "")
    if not loc:
        head, sep, rest = msg.partition(": ")
        loc, msg = (head, rest) if sep and head.isidentifier() else ("request", msg)
    return f"field '{loc}': {msg}"


def request_from_dict(d: dict, where: str = "request") -> TaskingRequest:
    """Validate one request mapping; errors name the request and the field."""
    if not isinstance(d, dict):
        raise ValidationError(f"{where}: not a JSON object")
    try:
        return TaskingRequest.model_validate(d)
    except PydanticValidationError as e:
        rid = d.get("id", "?")
        raise ValidationError(f"{where} (id {rid!r}): {_err_field(e)}") from None


def parse_requests(obj: Any, source: str = "<requests>") -> list[TaskingRequest]:
    """A JSON list of requests, ``{"requests": [...]}``, or a GeoJSON FeatureCollection."""
    if isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
        items = []
        for i, f in enumerate(obj.get("features", [])):
            if not isinstance(f, dict):
                raise InputFormatError(f"{source}: features[{i}]: not an object")
            d = dict(f.get("properties") or {})
            d.setdefault("aoi", f.get("geometry"))
            if "id" not in d and "id" in f:
                d["id"] = str(f["id"])
            items.append(d)
    elif isinstance(obj, dict) and isinstance(obj.get("requests"), list):
        items = obj["requests"]
    elif isinstance(obj, list):
        items = obj
    else:
        raise InputFormatError(f"{source}: expected a JSON list of requests or a GeoJSON FeatureCollection")
    out = [request_from_dict(d, f"{source}: requests[{i}]") for i, d in enumerate(items)]
    seen: set[str] = set()
    for i, r in enumerate(out):
        if r.id in seen:
            raise ValidationError(f"{source}: requests[{i}]: field 'id': duplicate id {r.id!r}")
        seen.add(r.id)
    return out


def read_requests(path: str | Path) -> list[TaskingRequest]:
    p = Path(path)
    return parse_requests(read_json(p), str(p))


def requests_to_json(requests: list[TaskingRequest]) -> list[dict]:
    return [r.to_json_dict() for r in requests]


def requests_to_geojson(requests: list[TaskingRequest]) -> dict:
    feats = []
    for r in requests:
        d = r.to_json_dict()
        g = d.pop("aoi")
        feats.append({"type": "Feature", "id": r.id, "geometry": g, "properties": d})
    return {"type": "FeatureCollection", "features": feats}


# -- strips and repeats ------------------------------------------------------------------
def track_tilt_deg(inclination_deg: float, period_s: float, lat_deg: float) -> float:
    """Angle (deg) between the ground track and the meridian at ``lat_deg``.

    Inertial heading ψ from sin ψ = cos i / cos φ, ground speed 2πR/T, minus the Earth's
    rotation ω⊕ R cos φ in the east component (same magnitude for both pass directions).
    """
    re = MEAN_EARTH_RADIUS_M / 1000.0
    phi = math.radians(lat_deg)
    v = 2 * math.pi * re / period_s
    sin_psi = max(-1.0, min(1.0, math.cos(math.radians(inclination_deg)) / max(math.cos(phi), 1e-6)))
    v_n = v * math.sqrt(1 - sin_psi ** 2)
    v_e = v * sin_psi - EARTH_ROTATION_RAD_S * re * math.cos(phi)
    return math.degrees(math.atan2(abs(v_e), max(v_n, 1e-9)))


def split_request(req: TaskingRequest, swath_km: float, scene_length_km: float | None = None,
                  tilt_deg: float = 0.0) -> list[TaskingRequest]:
    """Cut ``req`` into tiles that each fit one take.

    A ``w × h`` (east-west × north-south) tile seen from a ground track tilted by ``tilt_deg``
    from the meridian spans ``w cos θ + h sin θ`` across track; it must be ≤ ``STRIP_FILL ×
    swath_km`` (and ``h`` ≤ ``STRIP_FILL × scene_length_km`` for spotlight). The number of rows
    minimising the tile count is chosen (rows = 1 gives plain meridian-parallel strips when the
    tilt allows it). A request that fits is returned unchanged (one element). Tiles get ids
    ``<id>#s<k>`` and ``parent_id = id``.
    """
    poly = req.polygon()
    minx, miny, maxx, maxy = poly.bounds
    latc = 0.5 * (miny + maxy)
    width_km = (maxx - minx) * KM_PER_DEG * math.cos(math.radians(latc))
    height_km = (maxy - miny) * KM_PER_DEG
    S = STRIP_FILL * swath_km
    c, sn = math.cos(math.radians(tilt_deg)), math.sin(math.radians(tilt_deg))
    h_max = STRIP_FILL * scene_length_km if scene_length_km else math.inf
    best = None
    for ny in range(1, 400):
        h = height_km / ny
        if h > h_max:
            continue
        w = (S - h * sn) / c
        if w <= 0.05 * S:
            continue
        nx = max(1, math.ceil(width_km / w - 1e-9))
        if best is None or nx * ny < best[0] * best[1]:
            best = (nx, ny)
        if nx == 1:
            break
    if best is None:
        raise ValidationError(f"request {req.id}: field 'aoi': cannot be tiled for a {swath_km:g} km swath")
    nx, ny = best
    if nx == 1 and ny == 1:
        return [req]
    xs = np.linspace(minx, maxx, nx + 1)
    ys = np.linspace(miny, maxy, ny + 1)
    out = []
    k = 0
    for i in range(nx):
        for j in range(ny):
            piece = poly.intersection(box(xs[i], ys[j], xs[i + 1], ys[j + 1]))
            if piece.is_empty or piece.area <= 1e-6 * poly.area:
                continue
            if piece.geom_type not in ("Polygon", "MultiPolygon"):
                continue
            if piece.geom_type == "MultiPolygon":
                piece = max(piece.geoms, key=lambda g: g.area).convex_hull
            d = req.model_dump()
            d.update(id=f"{req.id}#s{k}", aoi=mapping(piece), parent_id=req.root_id)
            d["aoi"] = json.loads(json.dumps(d["aoi"]))
            out.append(TaskingRequest.model_validate(d))
            k += 1
    return out


def expand_repeats(req: TaskingRequest) -> list[TaskingRequest]:
    """A monitoring request → one occurrence per ``repeat_every_days`` period up to its deadline."""
    if not req.repeat_every_days:
        return [req]
    period = timedelta(days=req.repeat_every_days)
    out = []
    t = req.earliest_start
    k = 0
    while t < req.deadline:
        d = req.model_dump()
        d.update(id=f"{req.id}@{k}", earliest_start=t, deadline=min(t + period, req.deadline),
                 repeat_every_days=None, parent_id=req.id)
        out.append(TaskingRequest.model_validate(d))
        t += period
        k += 1
    return out


# -- generator ---------------------------------------------------------------------------
BBOX_VIETNAM = (102.2, 8.6, 109.4, 23.3)  # lon_min, lat_min, lon_max, lat_max


# random requests: share and largest area side (km) per kind of mode (see candidates.mode_kind)
RANDOM_KIND_SHARE = {"strip": 0.5, "steered": 0.3, "burst": 0.2}
RANDOM_KIND_SIDE_KM = {"strip": 8.0, "steered": 6.0, "burst": 30.0}


def default_random_modes() -> tuple[str, ...]:
    """The default fleet's SAR modes, one per kind, in the order strip, steered, burst."""
    by_kind: dict[str, str] = {}
    for sat in load_fleet().satellites:
        p = sat.sar_payload()
        for name, m in (p.modes.items() if p is not None else ()):
            by_kind.setdefault(mode_kind(m), name)
    return tuple(by_kind[k] for k in RANDOM_KIND_SHARE if k in by_kind)


def _mode_kinds() -> dict[str, str]:
    out: dict[str, str] = {}
    for sat in load_fleet().satellites:
        p = sat.sar_payload()
        for name, m in (p.modes.items() if p is not None else ()):
            out.setdefault(name, mode_kind(m))
    return out


def random_requests(n: int, bbox=BBOX_VIETNAM, start=None, end=None, seed: int = 0,
                    modes=None, point_fraction: float = 0.3,
                    prefix: str = "R") -> list[TaskingRequest]:
    """``n`` reproducible random requests inside ``bbox`` over [start, end] (numpy seed).

    Mixed modes (default: the fleet's strip mode 50 %, steered (spotlight) 30 %, burst (ScanSAR)
    20 %), priorities 1–5 (1 rarer), weights 1–10, small areas (2–6 km steered, 2–8 km strip,
    2–30 km burst) or points, windows of 24 h (or the horizon when shorter) to the whole horizon.
    Land/sea is not modelled: requests fall anywhere in the box.
    """
    modes = default_random_modes() if modes is None else tuple(modes)
    kinds = _mode_kinds()
    if n < 0:
        raise ValidationError(f"n must be >= 0, got {n}")
    t0, t1 = parse_window(start, end)
    horizon_s = (t1 - t0).total_seconds()
    rng = np.random.default_rng(seed)
    lon0, lat0, lon1, lat1 = (float(x) for x in bbox)
    out = []
    pri_p = np.array([0.1, 0.2, 0.3, 0.2, 0.2])
    mode_p = np.array([RANDOM_KIND_SHARE[kinds.get(m, "strip")] for m in modes])
    mode_p = mode_p / mode_p.sum()
    for i in range(n):
        lon = float(rng.uniform(lon0, lon1))
        lat = float(rng.uniform(lat0, lat1))
        mode = str(rng.choice(list(modes), p=mode_p))
        if rng.random() < point_fraction:
            aoi = {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]}
        else:
            side_km = float(rng.uniform(2.0, RANDOM_KIND_SIDE_KM[kinds.get(mode, "strip")]))
            h = side_km / 2 / KM_PER_DEG
            hl = h / math.cos(math.radians(lat))
            aoi = json.loads(json.dumps(mapping(box(lon - hl, lat - h, lon + hl, lat + h))))
        w_s = float(rng.uniform(min(24 * 3600.0, horizon_s), horizon_s)) if rng.random() < 0.8 else horizon_s
        s_s = float(rng.uniform(0.0, horizon_s - w_s))
        inc_lo = float(rng.choice([20.0, 20.0, 25.0, 30.0]))
        inc_hi = float(rng.choice([45.0, 50.0, 50.0]))
        out.append(TaskingRequest(
            id=f"{prefix}{i:04d}", aoi=aoi, mode=mode, incidence_min_deg=inc_lo, incidence_max_deg=inc_hi,
            look_side=str(rng.choice(["any", "any", "left", "right"])),
            pass_direction=str(rng.choice(["any", "any", "ascending", "descending"])),
            earliest_start=t0 + timedelta(seconds=round(s_s)),
            deadline=t0 + timedelta(seconds=round(s_s + w_s)),
            priority=int(rng.choice(5, p=pri_p) + 1), weight=float(rng.integers(1, 11)),
            requester=str(rng.choice(["flood-agency", "agriculture", "defence", "science"])),
            max_latency_s=None))
    return out
