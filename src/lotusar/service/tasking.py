"""Tasking requests through the API, planned by the planning stage; plan layers for the map.

One request model: the planner's :class:`lotusar.planning.tasking.TaskingRequest` (``aoi``,
``mode``, ``earliest_start``, ``deadline``, ``priority`` (0 = emergency, 1 highest …),
``look_side``, ``pass_direction``, ``incidence_min_deg``, ``incidence_max_deg``, ``weight``,
``max_latency_s``). The server assigns ``id`` (``TR-…``) and ``requester`` (the API key's name).

Submitting a request (:meth:`Tasking.submit`):

1. feasibility: the request's imaging opportunities in its window for its mode
   (``request_candidates`` over its strips); none → ``unplannable`` with the planner's reason;
2. planning against the committed plan (one plan, kept in the catalog's state table):
   - an emergency request (priority 0) is inserted by the planner's emergency re-plan
     (:func:`lotusar.planning.tasking.replan`, urgent: it may displace lower-priority takes);
   - any other request is inserted the same way without the emergency priority;
   - a request whose window lies outside the committed plan's window re-solves every open
     request over the union of their windows (:func:`plan_requests`);
   the new plan is committed and every request it touches is updated
   (:meth:`Tasking.sync_requests`): ``planned`` with its acquisitions, or ``unplannable`` with
   the planner's reason (e.g. displaced by an emergency).

Each acquisition carries ``satellite``, ``start``, ``end``, ``mode``, ``look_side``,
``direction``, ``incidence_deg``, ``off_nadir_deg``, ``footprint`` (GeoJSON polygon of the
swath: zero-Doppler ground lines from the orbit, :func:`swath_footprint`), ``downlink``
(station, start, end) and ``on_ground``.

Life cycle (operators advance it as the chain produces products; a delivered request links
its STAC items)::

    received → planned → acquired → downlinked → processed → delivered
        ↘ unplannable                  (any state before delivered → cancelled)

Plan files (assets of items in ``lotusar-plan``) are GeoJSON FeatureCollections whose features
have ``properties.kind`` in ``ground_track``, ``station_mask``, ``acquisition``, ``pass``,
``downlink``, or the planning stage's plan JSON (``acquisitions`` with a ``geometry`` or
``footprint`` when known, ``downlinks``); :func:`plan_layers` merges them for the map and
:func:`plan_downlinks` lists the downlinks.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import Polygon

from lotusar.catalog.store import Catalog
from lotusar.constants import WGS84_A_M, WGS84_B_M
from lotusar.errors import LotusarError, NotFoundError, ValidationError
from lotusar.fleet.schema import Fleet
from lotusar.geodesy import ecef_to_geodetic, geodetic_to_ecef
from lotusar.orbit.propagate import itrs_state
from lotusar.planning.tasking import TaskingRequest, plan_requests, replan
from lotusar.planning.tasking.candidates import request_candidates
from lotusar.planning.tasking.plan import PLAN_FORMAT, expand_requests
from lotusar.planning.tasking.replan import EMERGENCY_PRIORITY
from lotusar.planning.tasking.requests import request_from_dict
from lotusar.timeutil import iso_utc, parse_utc, to_datetime64

STATUSES = ("received", "planned", "unplannable", "acquired", "downlinked", "processed", "delivered", "cancelled")
LIFECYCLE = ("received", "planned", "acquired", "downlinked", "processed", "delivered")
OPEN = {"received", "planned", "unplannable"}       # the planner may still (re)place these
FINAL = {"delivered", "cancelled"}
SERVER_FIELDS = ("id", "requester", "parent_id")      # set by the server, never by the client
PLAN_KEY = "tasking-plan"
KINDS = ("ground_track", "station_mask", "acquisition", "pass", "downlink")
MAX_WINDOW = timedelta(days=14)
MAX_REPEATS = 56


def _now() -> str:
    return iso_utc(datetime.now(UTC), 0)


def request_schema() -> dict:
    """JSON schema of a submitted request: the planner's model, less the server-set fields."""
    s = TaskingRequest.model_json_schema()
    s["properties"] = {k: v for k, v in s["properties"].items() if k not in SERVER_FIELDS}
    s["required"] = [k for k in s.get("required", []) if k not in SERVER_FIELDS]
    s["title"] = "TaskingRequest (lotusar.planning.tasking; id and requester are set by the server)"
    return s


def request_from_body(body: Any, owner: str) -> TaskingRequest:
    """The planner's request from a submitted JSON body (id and requester assigned here)."""
    if not isinstance(body, dict):
        raise ValidationError("tasking request must be a JSON object")
    given = [k for k in SERVER_FIELDS if k in body]
    if given:
        raise ValidationError(f"field {given[0]!r} is set by the server, not by the request")
    req = request_from_dict({**body, "id": "TR-" + uuid.uuid4().hex[:16], "requester": owner}, "tasking request")
    if req.deadline - req.earliest_start > MAX_WINDOW:
        raise ValidationError(f"field 'deadline': window longer than {MAX_WINDOW.days} days")
    window_days = (req.deadline - req.earliest_start).total_seconds() / 86400.0
    if req.repeat_every_days and window_days / req.repeat_every_days > MAX_REPEATS:
        raise ValidationError(f"field 'repeat_every_days': more than {MAX_REPEATS} occurrences in the window")
    return req


def new_task(req: TaskingRequest, owner: str) -> dict:
    now = _now()
    d = req.to_json_dict()
    return {**{k: v for k, v in d.items() if k not in SERVER_FIELDS}, "id": req.id, "owner": owner,
            "status": "received", "created": now, "updated": now, "acquisitions": [], "reason": None, "items": [],
            "history": [{"at": now, "status": "received", "by": owner}]}


def task_request(task: dict) -> TaskingRequest:
    fields = set(TaskingRequest.model_fields)
    return TaskingRequest.model_validate({**{k: v for k, v in task.items() if k in fields}, "requester": task["owner"]})


def set_status(task: dict, status: str, by: str, note: str | None = None) -> dict:
    """A copy of ``task`` with ``status`` and a history entry."""
    if status not in STATUSES:
        raise ValidationError(f"status must be one of {', '.join(STATUSES)}")
    t = json.loads(json.dumps(task))
    if t["status"] in FINAL and status != t["status"]:
        raise ValidationError(f"request is {t['status']}; its status can no longer change")
    t["status"] = status
    t["updated"] = _now()
    entry = {"at": t["updated"], "status": status, "by": by}
    if note:
        entry["note"] = note[:2000]
    t["history"].append(entry)
    return t


# ---------------------------------------------------------------------------------- footprint
def _ellipsoid_hits(r: np.ndarray, d: np.ndarray) -> np.ndarray:
    """First intersection of rays r + s·d (…, 3) with the WGS84 ellipsoid (NaN when missed)."""
    w = np.array([1 / WGS84_A_M, 1 / WGS84_A_M, 1 / WGS84_B_M])
    rs, ds = r * w, d * w
    a = np.einsum("...i,...i->...", ds, ds)
    b = 2 * np.einsum("...i,...i->...", rs, ds)
    c = np.einsum("...i,...i->...", rs, rs) - 1
    disc = b * b - 4 * a * c
    s = (-b - np.sqrt(np.where(disc >= 0, disc, np.nan))) / (2 * a)
    return r + s[..., None] * d


def swath_footprint(sat, start: datetime, end: datetime, look_side: str, aoi: Polygon, swath_km: float,
                    n_lines: int = 9) -> dict:
    """GeoJSON polygon of the ground swath imaged from ``start`` to ``end``.

    At each of ``n_lines`` times the zero-Doppler plane (⊥ the Earth-fixed velocity) is
    swept by off-nadir angle θ towards the look side; the ground line is the ray/WGS84
    intersection. The swath (``swath_km`` of ground arc) is centred across track on the middle
    of the area's cross-track extent, as the planner places the beam; the ring is the near
    edge forwards and the far edge backwards.
    """
    t = to_datetime64(start) + (np.linspace(0.0, 1.0, n_lines) * (end - start).total_seconds() * 1e9).astype("timedelta64[ns]")
    r, v = itrs_state(sat, t)
    x = v / np.linalg.norm(v, axis=1)[:, None]
    n = -r / np.linalg.norm(r, axis=1)[:, None]
    n = n - np.einsum("ij,ij->i", n, x)[:, None] * x
    n /= np.linalg.norm(n, axis=1)[:, None]
    c = np.cross(n, x) if look_side == "right" else np.cross(x, n)
    theta = np.radians(np.arange(0.0, 75.0, 0.02))
    d = np.cos(theta)[None, :, None] * n[:, None, :] + np.sin(theta)[None, :, None] * c[:, None, :]
    g = _ellipsoid_hits(r[:, None, :], d)                                  # (T, Θ, 3)
    ok = np.isfinite(g[..., 0]).all(axis=0)
    theta, g = theta[ok], g[:, ok]
    s_km = np.concatenate([np.zeros((g.shape[0], 1)), np.cumsum(np.linalg.norm(np.diff(g, axis=1), axis=2), axis=1)], axis=1) / 1e3
    # the area's off-nadir extent at mid-take → ground-arc extent → swath centre
    lon, lat = np.asarray(aoi.exterior.coords).T
    p = geodetic_to_ecef(lat_deg=lat, lon_deg=lon, height_m=0.0)
    m = n_lines // 2
    q = p - r[m]
    th_p = np.arctan2(q @ c[m], q @ n[m])
    s_p = np.interp(th_p, theta, s_km[m])
    centre = 0.5 * (s_p.min() + s_p.max())
    ring = []
    for edge in (centre - swath_km / 2, centre + swath_km / 2):
        pts = np.array([[np.interp(max(edge, 0.0), s_km[i], g[i, :, k]) for k in range(3)] for i in range(n_lines)])
        ring.append(pts)
    pts = np.vstack([ring[0], ring[1][::-1], ring[0][:1]])
    la, lo, _ = ecef_to_geodetic(pts)
    return {"type": "Polygon", "coordinates": [[[round(float(a), 6), round(float(b), 6)] for a, b in zip(lo, la)]]}


# ------------------------------------------------------------------------------------ service
class Tasking:
    """Requests, the committed plan and their synchronisation (one per app; thread-safe)."""

    def __init__(self, catalog: Catalog, fleet: Fleet, fleet_path: str | None, time_limit_s: float = 10.0):
        self.catalog = catalog
        self.fleet = fleet
        self.fleet_path = fleet_path
        self.time_limit_s = time_limit_s
        self._lock = threading.Lock()

    # -- feasibility --------------------------------------------------------------------------
    def feasibility(self, req: TaskingRequest) -> tuple[int, str | None]:
        """(number of imaging opportunities over all strips, reason when a strip has none)."""
        subs = expand_requests([req], self.fleet)
        rcs = request_candidates(subs, self.fleet, req.earliest_start, req.deadline)
        missing = [rc for rc in rcs if not rc.candidates]
        reason = None
        if missing:
            reason = missing[0].reason or "no opportunity in its window"
            if len(subs) > 1:
                reason = f"{reason} [strip {missing[0].request_id}; {len(missing)} of {len(subs)} strips without opportunity]"
        return sum(len(rc.candidates) for rc in rcs), reason

    # -- submission ---------------------------------------------------------------------------
    def submit(self, body: Any, owner: str) -> dict:
        req = request_from_body(body, owner)
        task = new_task(req, owner)
        n, reason = self.feasibility(req)
        if reason is not None:
            task = set_status(task, "unplannable", "planner", reason)
            task["reason"] = reason
            self.catalog.put_task(task)
            return task
        self.catalog.put_task(task)
        with self._lock:
            plan = self._insert(req, self.catalog.get_state(PLAN_KEY))
            self.commit_plan(plan, by="planner")
        return self.catalog.get_task(task["id"])

    def _insert(self, req: TaskingRequest, committed: dict | None) -> dict:
        urgent = req.priority == EMERGENCY_PRIORITY
        if committed is not None:
            t0 = parse_utc(committed["window"]["start"])
            t1 = parse_utc(committed["window"]["end"])
            if t0 <= req.earliest_start and req.deadline <= t1:
                return replan(committed, [req], self.fleet, time_limit_s=self.time_limit_s, urgent=urgent).to_json_dict()
        return self.solve(extra=(req,))

    def open_requests(self) -> list[TaskingRequest]:
        return [task_request(t) for t in self.catalog.list_tasks(None, 100_000) if t["status"] in OPEN]

    def solve(self, extra: tuple[TaskingRequest, ...] = ()) -> dict:
        """Plan every open request (and ``extra``) from scratch over the union of their windows."""
        reqs = {r.id: r for r in self.open_requests()}
        reqs.update({r.id: r for r in extra})
        if not reqs:
            raise ValidationError("no open tasking request to plan")
        start = min(r.earliest_start for r in reqs.values())
        end = max(r.deadline for r in reqs.values())
        return plan_requests(list(reqs.values()), self.fleet, start, end, time_limit_s=self.time_limit_s,
                             fleet_path=self.fleet_path).to_json_dict()

    # -- the committed plan -------------------------------------------------------------------
    def commit_plan(self, plan: dict, by: str) -> dict:
        """Make ``plan`` (the planner's plan JSON) the committed plan and update its requests."""
        if not isinstance(plan, dict) or plan.get("format") != PLAN_FORMAT:
            raise ValidationError(f"field 'format': not a lotusar tasking plan (expected {PLAN_FORMAT!r})")
        for k in ("window", "acquisitions", "downlinks", "requests", "unplanned", "replan_state"):
            if k not in plan:
                raise ValidationError(f"plan field {k!r}: missing")
        self.catalog.put_state(PLAN_KEY, plan)
        return self.sync_requests(plan, by)

    def sync_requests(self, plan: dict, by: str) -> dict:
        """Update every request of ``plan``: its acquisitions, or the planner's reason."""
        subs = {s["id"]: s for s in plan.get("replan_state", {}).get("sub_requests", [])}
        by_req: dict[str, list] = {}
        for a in plan.get("acquisitions", []):
            by_req.setdefault(a["request_id"], []).append(self._acquisition(a, plan, subs))
        unplanned = {u["request_id"]: u["reason"] for u in plan.get("unplanned", [])}
        touched = {"planned": 0, "unplannable": 0}
        for r in plan.get("requests", []):
            try:
                t = self.catalog.get_task(r["id"])
            except NotFoundError:
                continue  # a request of an imported plan that was not submitted here
            if t["status"] not in OPEN:
                continue
            acqs = by_req.get(r["id"], [])
            status = "unplannable" if r["id"] in unplanned or not acqs else "planned"
            reason = unplanned.get(r["id"]) if status == "unplannable" else None
            if t["status"] == status and t.get("acquisitions") == acqs:
                continue
            t = set_status(t, status, by, reason)
            t["acquisitions"], t["reason"] = (acqs, None) if status == "planned" else ([], reason or "not selected by the planner")
            if status == "unplannable" and acqs:
                t["partial_acquisitions"] = acqs
            self.catalog.put_task(t)
            touched[status] += 1
        return {"window": plan["window"], "acquisitions": len(plan.get("acquisitions", [])),
                "unplanned": len(unplanned), "updated_requests": touched}

    def _acquisition(self, a: dict, plan: dict, subs: dict) -> dict:
        sub = subs.get(a.get("sub_request_id", a["request_id"]))
        sat = self.fleet.satellite(a["satellite"])
        mode = sat.sar_mode(a["mode"])
        out = {k: a[k] for k in ("satellite", "start", "end", "mode", "look_side", "direction", "incidence_deg",
                                 "off_nadir_deg", "on_ground") if k in a}
        out["sub_request_id"] = a.get("sub_request_id", a["request_id"])
        if sub is not None:
            out["footprint"] = swath_footprint(sat, parse_utc(a["start"]), parse_utc(a["end"]), a["look_side"],
                                               TaskingRequest.model_validate(sub).polygon().convex_hull, float(mode.swath_km))
        dls = [plan["downlinks"][i] for i in a.get("downlink_indices", []) if i < len(plan.get("downlinks", []))]
        out["downlink"] = ({"station": dls[-1]["station"], "start": dls[-1]["start"], "end": dls[-1]["end"]} if dls else None)
        return out

    # -- operator actions ---------------------------------------------------------------------
    def replan_all(self, by: str) -> dict:
        with self._lock:
            return self.commit_plan(self.solve(), by)

    def cancel(self, task: dict, by: str) -> dict:
        t = set_status(task, "cancelled", by)
        self.catalog.put_task(t)
        with self._lock:
            plan = self.catalog.get_state(PLAN_KEY)
            if plan is not None:
                self.catalog.put_state(PLAN_KEY, drop_request(plan, t["id"]))
        return t

    def advance(self, task: dict, body: Any, by: str) -> dict:
        """Operator update: the next life-cycle status (``items`` links a delivered request's products)."""
        if not isinstance(body, dict):
            raise ValidationError("update must be a JSON object")
        unknown = set(body) - {"status", "items", "note"}
        if unknown:
            raise ValidationError(f"unknown update fields: {', '.join(sorted(unknown))}")
        st = body.get("status", task["status"])
        if st == "cancelled":
            return self.cancel(task, by)
        if st not in LIFECYCLE:
            raise ValidationError(f"status must be one of {', '.join(LIFECYCLE)} or cancelled")
        if task["status"] in LIFECYCLE and LIFECYCLE.index(st) < LIFECYCLE.index(task["status"]):
            raise ValidationError(f"status cannot go back from {task['status']} to {st}")
        note = body.get("note") if isinstance(body.get("note"), str) else None
        t = set_status(task, st, by, note)
        if "items" in body:
            t["items"] = self._item_links(body["items"])
        if st == "delivered" and not t.get("items"):
            raise ValidationError("field 'items': a delivered request links its STAC items [{collection, id}]")
        self.catalog.put_task(t)
        return t

    def _item_links(self, items: Any) -> list[dict]:
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ValidationError("field 'items': a list of {collection, id}")
        out = []
        for i in items:
            it = self.catalog.get_item(str(i.get("collection")), str(i.get("id")))
            out.append({"collection": it["collection"], "id": it["id"],
                        "href": f"/collections/{it['collection']}/items/{it['id']}"})
        return out


def drop_request(plan: dict, rid: str) -> dict:
    """``plan`` without request ``rid`` (its acquisitions, sub-requests and candidates)."""
    p = json.loads(json.dumps(plan))
    p["acquisitions"] = [a for a in p.get("acquisitions", []) if a["request_id"] != rid]
    p["requests"] = [r for r in p.get("requests", []) if r["id"] != rid]
    p["unplanned"] = [u for u in p.get("unplanned", []) if u["request_id"] != rid]
    st = p.get("replan_state", {})
    gone = {s["id"] for s in st.get("sub_requests", []) if (s.get("parent_id") or s["id"]) == rid}
    st["sub_requests"] = [s for s in st.get("sub_requests", []) if s["id"] not in gone]
    st["candidates"] = [c for c in st.get("candidates", []) if c["request_id"] not in gone]
    return p


def check_owner(task: dict, who) -> dict:
    """The task when ``who`` may see it (its owner or an operator); NotFoundError otherwise."""
    if not who.has("operator") and task.get("owner") != who.name:
        raise NotFoundError(f"tasking request {task['id']!r} not found")
    return task


# ----------------------------------------------------------------------------- plan layers
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


def _plan_files(items: list[dict], resolve_local: Callable[[str], Path]):
    """(item, local path) of every JSON asset of ``items`` served from the data roots."""
    for it in items:
        for a in it.get("assets", {}).values():
            if "json" not in str(a.get("type", "")) and not str(a.get("href", "")).endswith((".json", ".geojson")):
                continue
            try:
                p = resolve_local(a["href"])
            except LotusarError:  # outside the data roots or missing: not shown
                continue
            yield it, p


def plan_downlinks(items: list[dict], resolve_local: Callable[[str], Path]) -> list[dict]:
    """Downlinks (satellite, station, start, end) listed in the plan files of ``items``."""
    out = []
    for it, p in _plan_files(items, resolve_local):
        doc = _load_plan_doc(str(p), p.stat().st_mtime_ns)
        out += [{**d, "plan": it["id"]} for d in doc.get("downlinks", []) or [] if isinstance(d, dict)]
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
    for it, p in _plan_files(items, resolve_local):
        for f in _load_features(str(p), p.stat().st_mtime_ns):
            props = dict(f.get("properties") or {})
            k = _kind(props)
            if k is None or (kind and k != kind):
                continue
            props["kind"] = k
            props["plan"] = it["id"]
            out.append({"type": "Feature", "geometry": f["geometry"], "properties": props})
    return {"type": "FeatureCollection", "features": out}

