"""Tasking: submit a request (the planner's model), follow it, and the operators' plan actions.

Requesters see only their own requests; operators see all, commit or re-plan the plan,
advance a request's life cycle and cancel. See :mod:`lotusar.service.tasking`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi import Path as PathParam

from lotusar.catalog.store import Catalog
from lotusar.errors import NotFoundError
from lotusar.service.common import get_catalog, json_response, operator, principal
from lotusar.service.security import Principal
from lotusar.service.tasking import PLAN_KEY, Tasking, check_owner, request_schema

router = APIRouter(tags=["Tasking"])

# no "mode": it defaults to the fleet file's strip mode (mode names live only in the fleet file)
EXAMPLE = {"aoi": {"type": "Polygon", "coordinates": [[[106.60, 17.10], [106.66, 17.10], [106.66, 17.16],
                                                       [106.60, 17.16], [106.60, 17.10]]]},
           "earliest_start": "2025-11-01T00:00:00Z", "deadline": "2025-11-03T00:00:00Z",
           "priority": 1, "look_side": "any", "incidence_min_deg": 20, "incidence_max_deg": 50}


def get_tasking(request: Request) -> Tasking:
    return request.app.state.tasking


@router.post("/tasking/requests", summary="Submit a tasking request (requester or operator): feasibility, then planning",
             status_code=201,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": request_schema(), "example": EXAMPLE}}}})
def submit(body: Any = Body(...), who: Principal = Depends(principal), tasking: Tasking = Depends(get_tasking)):
    return json_response(tasking.submit(body, owner=who.name), status=201)


@router.get("/tasking/requests", summary="Tasking requests (own ones; all for operators)")
def list_requests(limit: int = Query(100, ge=1, le=1000), who: Principal = Depends(principal),
                  catalog: Catalog = Depends(get_catalog)):
    return json_response({"requests": catalog.list_tasks(None if who.has("operator") else who.name, limit)})


@router.get("/tasking/requests/{request_id}", summary="Status, planned acquisitions or reason, and delivered items of a request")
def get_request(request_id: str = PathParam(..., max_length=100), who: Principal = Depends(principal),
                catalog: Catalog = Depends(get_catalog)):
    return json_response(check_owner(catalog.get_task(request_id), who))


@router.patch("/tasking/requests/{request_id}", summary="Advance a request's life cycle; link delivered items (operator)")
def advance(request_id: str = PathParam(..., max_length=100), body: dict[str, Any] = Body(..., examples=[{"status": "acquired"}]),
            who: Principal = Depends(operator), catalog: Catalog = Depends(get_catalog),
            tasking: Tasking = Depends(get_tasking)):
    return json_response(tasking.advance(catalog.get_task(request_id), body, by=who.name))


@router.delete("/tasking/requests/{request_id}", summary="Cancel a request (owner or operator)")
def cancel(request_id: str = PathParam(..., max_length=100), who: Principal = Depends(principal), catalog: Catalog = Depends(get_catalog),
           tasking: Tasking = Depends(get_tasking)):
    return json_response(tasking.cancel(check_owner(catalog.get_task(request_id), who), by=who.name))


@router.get("/tasking/plan", summary="The committed acquisition/downlink plan (operator)")
def committed_plan(who: Principal = Depends(operator), catalog: Catalog = Depends(get_catalog)):
    plan = catalog.get_state(PLAN_KEY)
    if plan is None:
        raise NotFoundError("no committed plan yet")
    return json_response(plan)


@router.post("/tasking/plan", summary="Commit a plan made by `lotusar plan solve|replan` (operator)")
def commit(body: dict[str, Any] = Body(...), who: Principal = Depends(operator), tasking: Tasking = Depends(get_tasking)):
    return json_response(tasking.commit_plan(body, by=who.name))


@router.post("/tasking/plan/replan", summary="Re-plan every open request and commit the result (operator)")
def replan_all(who: Principal = Depends(operator), tasking: Tasking = Depends(get_tasking)):
    return json_response(tasking.replan_all(by=who.name))
