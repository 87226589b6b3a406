"""Tasking requests (submit, plan, follow) and the plan layers shown on the web map.

A tasking request is an area of interest (GeoJSON polygon, WGS84), a window [start, end], a
priority (1 highest … 10), and optional SAR wishes (mode, polarisations, product type). Its
life cycle::

    received → accepted → planned → acquired → delivered
        ↘ rejected        ↘ unplannable   (any non-final state → cancelled)

On submission the service asks the planning stage when it is installed — the hook is
``lotusar.planning.api.plan_tasking_request(request: dict) -> list[dict]`` returning
acquisitions ``{"satellite", "start", "end", "geometry", ...}`` — and stores the request as
``planned`` with those acquisitions; without a planner the request stays ``received`` for an
operator to plan (``PATCH /tasking/requests/{id}``).

Plan files (assets of items in ``lotusar-plan``) are GeoJSON FeatureCollections whose features
have ``properties.kind`` in ``ground_track``, ``station_mask``, ``acquisition``, ``pass``,
``downlink``, or the planning stage's plan JSON (``acquisitions`` with a ``geometry`` or
``footprint`` when known, ``downlinks``); :func:`plan_layers` merges them for the map and
:func:`plan_downlinks` lists the downlinks.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from lotusar.errors import ValidationError

STATUSES = ("received", "accepted", "planned", "unplannable", "rejected", "acquired", "delivered", "cancelled")
FINAL = {"rejected", "delivered", "cancelled"}
KINDS = ("ground_track", "station_mask", "acquisition", "pass", "downlink")
MODES = ("SM", "SC", "SL", "TOPS", "ANY")


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _geom(g: Any, what: str) -> dict:
    from lotusar.catalog.query import _check_geojson

    g = _check_geojson(g, what)
    from shapely.geometry import shape

    s = shape(g)
    if s.geom_type not in ("Polygon", "MultiPolygon", "Point"):
        raise ValidationError(f"{what} must be a Polygon, MultiPolygon or Point")
    if not s.is_valid:
        raise ValidationError(f"{what} is not a valid geometry (self-intersecting?)")
    w, so, e, n = s.bounds
    if w < -180 or e > 180 or so < -90 or n > 90:
        raise ValidationError(f"{what} outside WGS84 lon/lat range")
    return g


def _time(v: Any, what: str) -> str:
    from lotusar.catalog.query import _parse_instant

    if not isinstance(v, str):
        raise ValidationError(f"{what} must be an RFC 3339 string")
    t = _parse_instant(v)
    return datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")


def new_request(body: dict, owner: str) -> dict:
    """Validate a submitted request; returns the stored task (status ``received``)."""
    if not isinstance(body, dict):
        raise ValidationError("tasking request must be a JSON object")
    unknown = set(body) - {"aoi", "start", "end", "priority", "mode", "polarizations", "product_type", "name", "notes"}
    if unknown:
        raise ValidationError(f"unknown tasking fields: {', '.join(sorted(unknown))}")
    for k in ("aoi", "start", "end"):
        if k not in body:
            raise ValidationError(f"tasking request needs {k!r}")
    aoi = _geom(body["aoi"], "aoi")
    start, end = _time(body["start"], "start"), _time(body["end"], "end")
    if end <= start:
        raise ValidationError("tasking window: end must be after start")
    pr = body.get("priority", 5)
    if isinstance(pr, bool) or not isinstance(pr, int) or not 1 <= pr <= 10:
        raise ValidationError("priority must be an integer 1 (highest) … 10")
    mode = body.get("mode", "ANY")
    if mode not in MODES:
        raise ValidationError(f"mode must be one of {', '.join(MODES)}")
    pols = body.get("polarizations", ["VV"])
    if not isinstance(pols, list) or not pols or not all(p in ("HH", "VV", "HV", "VH") for p in pols):
        raise ValidationError("polarizations must be a list of HH/VV/HV/VH")
    pt = body.get("product_type", "slc")
    if pt not in ("raw", "level0", "slc", "ard", "flood", "detections"):
        raise ValidationError("product_type must be raw, level0, slc, ard, flood or detections")
    name = body.get("name", "")
    notes = body.get("notes", "")
    if not isinstance(name, str) or not isinstance(notes, str) or len(name) > 200 or len(notes) > 2000:
        raise ValidationError("name/notes must be short strings")
    now = _now()
    return {"id": "TR-" + uuid.uuid4().hex[:16], "owner": owner, "status": "received", "created": now, "updated": now,
            "aoi": aoi, "start": start, "end": end, "priority": pr, "mode": mode, "polarizations": pols,
            "product_type": pt, "name": name, "notes": notes, "acquisitions": [], "history": [{"at": now, "status": "received", "by": owner}]}


def _planner() -> Callable[[dict], list[dict]] | None:
    try:
        from lotusar.planning import api  # type: ignore[attr-defined]
    except ImportError:
        return None
    return getattr(api, "plan_tasking_request", None)


def plan(task: dict) -> dict:
    """Ask the planning stage (when installed) for acquisitions; else leave ``received``."""
    fn = _planner()
    if fn is None:
        return task
    req = {k: task[k] for k in ("id", "aoi", "start", "end", "priority", "mode", "polarizations", "product_type")}
    try:
        acqs = list(fn(req))
    except ValidationError as e:
        return update(task, {"status": "unplannable", "note": str(e)}, by="planner")
    checked = [_acquisition(a, i) for i, a in enumerate(acqs)]
    return update(task, {"status": "planned" if checked else "unplannable", "acquisitions": checked}, by="planner")


def _acquisition(a: Any, i: int) -> dict:
    if not isinstance(a, dict):
        raise ValidationError(f"acquisition {i} must be an object")
    out = dict(a)
    for k in ("start", "end"):
        if k in a:
            out[k] = _time(a[k], f"acquisition {i} {k}")
    if "geometry" in a:
        out["geometry"] = _geom(a["geometry"], f"acquisition {i} geometry")
    return out


def update(task: dict, body: dict, by: str) -> dict:
    """Apply an operator update (status, acquisitions, note) with a history entry."""
    if not isinstance(body, dict):
        raise ValidationError("update must be a JSON object")
    unknown = set(body) - {"status", "acquisitions", "note"}
    if unknown:
        raise ValidationError(f"unknown update fields: {', '.join(sorted(unknown))}")
    t = json.loads(json.dumps(task))
    if "status" in body:
        st = body["status"]
        if st not in STATUSES:
            raise ValidationError(f"status must be one of {', '.join(STATUSES)}")
        if t["status"] in FINAL and st != t["status"]:
            raise ValidationError(f"request is {t['status']}; its status can no longer change")
        t["status"] = st
    if "acquisitions" in body:
        if not isinstance(body["acquisitions"], list):
            raise ValidationError("acquisitions must be a list")
        t["acquisitions"] = [_acquisition(a, i) for i, a in enumerate(body["acquisitions"])]
    now = _now()
    t["updated"] = now
    entry = {"at": now, "status": t["status"], "by": by}
    if isinstance(body.get("note"), str):
        entry["note"] = body["note"][:2000]
    t["history"].append(entry)
    return t


@lru_cache(maxsize=128)
def _load_plan_doc(path: str, mtime_ns: int) -> dict:
    """A plan file's JSON object (cached per path and modification time); {} when unreadable."""
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _load_features(path: str, mtime_ns: int) -> list[dict]:
    doc = _load_plan_doc(path, mtime_ns)
    feats = list(doc.get("features", []) or [])
    # the planning stage's plan JSON: acquisitions (with a footprint when known) and downlinks
    for key, kind in (("acquisitions", "acquisition"), ("downlinks", "downlink")):
        for a in doc.get(key, []) or []:
            if isinstance(a, dict):
                g = a.get("geometry") or a.get("footprint")
                props = {k: v for k, v in a.items() if k not in ("geometry", "footprint")}
                feats.append({"type": "Feature", "geometry": g, "properties": {**props, "kind": kind}})
    return [f for f in feats if isinstance(f, dict) and isinstance(f.get("geometry"), dict)]


def _load_downlinks(path: str, mtime_ns: int) -> list[dict]:
    return [d for d in _load_plan_doc(path, mtime_ns).get("downlinks", []) or [] if isinstance(d, dict)]


def plan_downlinks(items: list[dict], resolve_local: Callable[[str], Path]) -> list[dict]:
    """Downlinks (satellite, station, start, end) listed in the plan files of ``items``."""
    out = []
    for it in items:
        for a in it.get("assets", {}).values():
            if not str(a.get("href", "")).endswith(".json") and "json" not in str(a.get("type", "")):
                continue
            try:
                p = resolve_local(a["href"])
            except Exception:
                continue
            out += [{**d, "plan": it["id"]} for d in _load_downlinks(str(p), p.stat().st_mtime_ns)]
    return out


def _kind(props: dict) -> str | None:
    k = props.get("kind") or props.get("layer") or props.get("type")
    if not isinstance(k, str):
        return None
    k = k.lower().replace("-", "_").replace(" ", "_")
    alias = {"groundtrack": "ground_track", "track": "ground_track", "mask": "station_mask", "visibility": "station_mask",
             "acq": "acquisition", "acquisitions": "acquisition", "contact": "pass", "downlinks": "downlink"}
    k = alias.get(k, k)
    return k if k in KINDS else None


def plan_layers(items: list[dict], resolve_local: Callable[[str], Path], kind: str | None = None) -> dict:
    """One FeatureCollection of the plan features of ``items`` (filtered by ``kind``)."""
    if kind is not None and kind not in KINDS:
        raise ValidationError(f"kind must be one of {', '.join(KINDS)}")
    out = []
    for it in items:
        for key, a in it.get("assets", {}).items():
            if "json" not in str(a.get("type", "")) and not str(a.get("href", "")).endswith((".json", ".geojson")):
                continue
            try:
                p = resolve_local(a["href"])
            except Exception:  # outside the data roots or missing: not shown
                continue
            for f in _load_features(str(p), p.stat().st_mtime_ns):
                props = dict(f.get("properties") or {})
                k = _kind(props)
                if k is None or (kind and k != kind):
                    continue
                props["kind"] = k
                props["plan"] = it["id"]
                out.append({"type": "Feature", "geometry": f["geometry"], "properties": props})
    return {"type": "FeatureCollection", "features": out}
