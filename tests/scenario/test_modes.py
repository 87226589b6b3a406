"""The scenario asks for the fleet file's default SAR mode: no mode is spelled in its code."""

from __future__ import annotations

from datetime import UTC, datetime

from lotusar.fleet import default_fleet_text, parse_fleet
from lotusar.scenario.run import warning_geojson_path
from lotusar.scenario.tasking import make_requests


def test_urgent_request_uses_the_fleet_default_mode():
    t_warn = datetime(2022, 10, 25, 12, tzinfo=UTC)
    text = default_fleet_text()
    for default in ("stripmap", "spotlight"):
        fleet = parse_fleet(text.replace('default_mode = "stripmap"', f'default_mode = "{default}"'))
        urgent, background = make_requests(warning_geojson_path(), fleet, t_warn, 48.0, 3, seed=1)
        mode = fleet.satellite("LOTUSat-1").sar_mode(default)
        assert urgent.mode == default
        assert (urgent.incidence_min_deg, urgent.incidence_max_deg) == (mode.incidence_min_deg, mode.incidence_max_deg)
        assert urgent.earliest_start == t_warn and len(background) == 3
