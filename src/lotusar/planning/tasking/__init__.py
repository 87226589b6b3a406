"""lotusar.planning.tasking — tasking requests to a conflict-free acquisition and downlink plan.

``TaskingRequest`` (pydantic), ``random_requests`` (seeded generator), ``plan_requests``
(greedy + local search + lexicographic CP-SAT), ``replan`` (emergency insertion with plan
stability), ``plan_single_request`` (one request: feasibility and its takes). See docs/planning_tasking.md.
"""

from lotusar.planning.tasking.plan import Plan, plan_requests
from lotusar.planning.tasking.replan import read_plan, replan
from lotusar.planning.tasking.requests import (
    BBOX_VIETNAM,
    TaskingRequest,
    parse_requests,
    random_requests,
    read_requests,
)
from lotusar.planning.tasking.single import plan_single_request

__all__ = ["BBOX_VIETNAM", "Plan", "TaskingRequest", "parse_requests", "plan_requests", "plan_single_request",
           "random_requests", "read_plan", "read_requests", "replan"]
