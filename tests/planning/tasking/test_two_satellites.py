"""Two SAR satellites sharing the stations: antenna exclusivity and every constraint, checked
independently, for a plan and a re-plan."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from plan_checker import check_plan

from conftest import START


@pytest.mark.slow
def test_two_sar_satellites_share_antennas():
    from lotusar.fleet import Fleet, load_fleet
    from lotusar.planning.tasking import plan_requests, random_requests, replan
    from lotusar.timeutil import parse_utc

    d = load_fleet().model_dump()
    s2 = json.loads(json.dumps(d["satellites"][0]))
    s2.update(name="LOTUSat-2", norad_id=43935, cospar_id="2019-003D",
              elements={"tle": d["satellites"][1]["elements"]["tle"]})   # MicroDragon's orbit
    d["satellites"] = [d["satellites"][0], s2]
    fleet = Fleet.model_validate(d)
    t0 = parse_utc(START)
    t1 = t0 + timedelta(days=1)
    p = plan_requests(random_requests(120, start=t0, end=t1, seed=3), fleet, t0, t1, time_limit_s=3)
    pd = json.loads(json.dumps(p.to_json_dict(), default=float))
    assert {a["satellite"] for a in pd["acquisitions"]} == {"LOTUSat-1", "LOTUSat-2"}
    assert check_plan(pd, fleet) == []
    n = replan(p, random_requests(3, (105.5, 15.5, 108.5, 18.0), t0, t1, seed=9, prefix="U"), fleet)
    assert check_plan(json.loads(json.dumps(n.to_json_dict(), default=float)), fleet) == []
    assert 0.0 <= n.stability <= 1.0
