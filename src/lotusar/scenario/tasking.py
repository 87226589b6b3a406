"""Stages 1–2 of the scenario: the warning becomes an urgent request, planned by emergency
re-planning into a committed routine plan (``lotusar.planning.tasking``).

The request asks for LOTUSat-1's default SAR mode (``default_mode`` in the fleet file, the
flood-mapping stripmap). The planner's choice is checked against an independent computation:
the earliest opportunity in that mode over the warning area from the orbit stage
(``sar_opportunities``) in the request's window. ``planned_on_earliest`` is true when the
planned acquisition lies on it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from lotusar.cliutil import to_json
from lotusar.errors import LotusarError
from lotusar.fileio import write_text_atomic
from lotusar.fleet import Fleet
from lotusar.orbit.access import sar_opportunities
from lotusar.orbit.io import read_aoi
from lotusar.planning.tasking import TaskingRequest, plan_requests, random_requests, replan
from lotusar.timeutil import iso_utc, parse_utc

URGENT_ID = "typhoon-flood-urgent"
SATELLITE = "LOTUSat-1"
VIETNAM_BBOX = (102.1, 8.4, 109.5, 23.4)


def make_requests(aoi_path: Path, fleet: Fleet, t_warn: datetime, plan_hours: float, n_background: int, seed: int):
    """(urgent request, routine requests) as planner models."""
    geo = json.loads(Path(aoi_path).read_text())
    geom = geo["features"][0]["geometry"] if geo.get("type") == "FeatureCollection" else geo
    sat = fleet.satellite(SATELLITE)
    mode_name = sat.default_sar_mode_name()
    mode = sat.sar_mode(mode_name)
    t_end = t_warn + timedelta(hours=plan_hours)
    urgent = TaskingRequest(
        id=URGENT_ID, aoi=geom, mode=mode_name, incidence_min_deg=mode.incidence_min_deg,
        incidence_max_deg=mode.incidence_max_deg, look_side="any", pass_direction="any",
        earliest_start=t_warn, deadline=t_end, priority=1, weight=100.0,
        requester="national flood agency (typhoon warning)",
    )
    background = random_requests(n_background, VIETNAM_BBOX, iso_utc(t_warn - timedelta(hours=1)), iso_utc(t_end), seed=seed)
    return urgent, background


def earliest_opportunity(fleet: Fleet, aoi_path: Path, start: datetime, end: datetime) -> dict | None:
    """Earliest LOTUSat-1 opportunity in its default SAR mode over the area, from the orbit stage alone."""
    sat = fleet.satellite(SATELLITE)
    opps = sar_opportunities(sat.orbit(), read_aoi(aoi_path), sat.sar_mode(), start, end, look="both")
    opps = sorted(opps, key=lambda o: o.start)
    return opps[0].to_dict() if opps else None


def _dump(plan) -> dict:
    return plan.to_json_dict() if hasattr(plan, "to_json_dict") else json.loads(plan.model_dump_json())


def plan_and_insert(fleet: Fleet, t_warn: datetime, cfg: dict, req: dict, out_dir: Path) -> dict:
    """Plan the routine requests (committed plan), then insert the urgent one (re-plan)."""
    t_end = t_warn + timedelta(hours=cfg["plan_hours"])
    committed = plan_requests(req["background"], fleet, t_warn, t_end, time_limit_s=cfg["time_limit_s"])
    committed_path = write_text_atomic(Path(out_dir) / "plan_committed.json", to_json(_dump(committed)))
    new = replan(committed, [req["urgent"]], fleet=fleet, time_limit_s=max(2.0, cfg["time_limit_s"] / 2))
    plan_json = _dump(new)
    plan_path = write_text_atomic(Path(out_dir) / "plan.json", to_json(plan_json))
    acqs = [a for a in plan_json["acquisitions"] if str(a["request_id"]).startswith(URGENT_ID)]
    if not acqs:
        reason = next((u.get("reason") for u in plan_json.get("unplanned", [])
                       if str(u.get("request_id")).startswith(URGENT_ID)), "unknown")
        raise LotusarError(f"the urgent request could not be planned: {reason}")
    acq = min(acqs, key=lambda a: a["start"])
    dl = _downlink_for(plan_json, acq)
    eo = earliest_opportunity(fleet, req["aoi_path"], t_warn, t_end)
    slack = timedelta(seconds=60)
    on_earliest = eo is not None and parse_utc(eo["start"]) - slack <= parse_utc(acq["start"]) <= parse_utc(eo["end"]) + slack
    return {"committed_path": committed_path, "plan_path": plan_path, "acquisition": acq, "downlink": dl,
            "earliest_opportunity": eo, "planned_on_earliest": on_earliest, "stability": plan_json.get("stability"),
            "plan": plan_json}


def _downlink_for(plan_json: dict, acq: dict) -> dict:
    """The first downlink of the acquisition's satellite after the acquisition ends."""
    t_end = parse_utc(acq["end"])
    cands = [d for d in plan_json.get("downlinks", []) if d["satellite"] == acq["satellite"] and parse_utc(d["start"]) >= t_end]
    tagged = [d for d in cands if acq["request_id"] in (d.get("request_ids") or [])]
    pick = min(tagged or cands, key=lambda d: d["start"], default=None)
    if pick is None:
        raise LotusarError("the plan has no downlink for the urgent acquisition")
    return pick
