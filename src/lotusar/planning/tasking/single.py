"""One request: can it be imaged, and when? (the service's ``POST /tasking/requests`` call).

``plan_single_request(request, committed=None)`` plans one :class:`TaskingRequest` alone (or
inserted into a committed plan, which keeps every constraint: overlaps and transitions,
duty cycle, recorder, downlinks, energy; only lower-priority takes may give way, see
:func:`replan.replan`) and answers with its acquisitions — satellite, start, end, mode,
look side, incidence, roll and pitch, the imaged area as a GeoJSON polygon (the request's
area — a point becomes its 2 km square — or the tile of a wide area, that the take covers), the downlink (station, start, end) and when the
data are on the ground — or the reason it cannot be planned.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from shapely.geometry import mapping

from lotusar.errors import ValidationError
from lotusar.planning.tasking.plan import Plan, as_requests, plan_requests
from lotusar.planning.tasking.replan import replan
from lotusar.planning.tasking.requests import TaskingRequest
from lotusar.timeutil import iso_utc

MAX_HORIZON = timedelta(days=7)    # alone, a request is searched at most this far from its release


def plan_single_request(request: TaskingRequest | dict, committed: Plan | dict | str | Path | None = None,
                        fleet=None, start: datetime | None = None, end: datetime | None = None,
                        time_limit_s: float = 5.0, urgent: bool = False) -> dict:
    """Feasibility and plan of one request (JSON-ready dict, see the module docstring).

    Without ``committed`` the request is planned alone in [start, end] (default: its own
    window, at most ``MAX_HORIZON``); with it, it is inserted into that plan (``urgent``: as
    an emergency, priority 0) and the answer also carries the re-plan's stability metrics.
    """
    (req,) = as_requests([request])
    if committed is None:
        t0 = start or req.earliest_start
        t1 = end or min(req.deadline, t0 + MAX_HORIZON)
        if t1 <= t0:
            raise ValidationError(f"request {req.id}: field 'deadline': window ends before it starts")
        plan = plan_requests([req], fleet, t0, t1, time_limit_s=time_limit_s)
    else:
        plan = replan(committed, [req], fleet=fleet, time_limit_s=time_limit_s, urgent=urgent)
    subs = {r.id: r for r in plan.problem.requests.values()} if plan.problem is not None else {}
    acqs = []
    for a in plan.acquisitions:
        if a["request_id"] != req.id:
            continue
        sub = subs.get(a["sub_request_id"])
        dls = [plan.downlinks[j] for j in a["downlink_indices"]]
        acqs.append({
            "satellite": a["satellite"], "sensor": a["sensor"], "start": a["start"], "end": a["end"],
            "mode": a["mode"], "cloud_probability": a["cloud_probability"], "sun_elevation_deg": a["sun_elevation_deg"],
            "look_side": a["look_side"], "direction": a["direction"], "incidence_deg": a["incidence_deg"],
            "off_nadir_deg": a["off_nadir_deg"], "roll_deg": a["roll_deg"], "pitch_deg": a["pitch_deg"],
            "sub_request_id": a["sub_request_id"],
            "footprint": dict(mapping((sub or req).polygon())),
            "downlinks": [{"station": d["station"], "start": d["start"], "end": d["end"]} for d in dls],
            "on_ground": a["on_ground"], "latency_s": a["latency_s"]})
    missing = next((u for u in plan.unplanned if u["request_id"] == req.id), None)
    out = {"request_id": req.id, "feasible": missing is None and bool(acqs), "acquisitions": acqs,
           "reason": None if missing is None else missing["reason"],
           "coverage": plan.coverage.get(req.id, 0.0),
           "window": {"start": iso_utc(plan.window[0]), "end": iso_utc(plan.window[1])}}
    if committed is not None:
        out["metrics"] = {k: plan.metrics.get(k) for k in ("plan_stability", "request_stability", "takes_unchanged", "replan_s")}
    out["plan"] = plan
    return out
