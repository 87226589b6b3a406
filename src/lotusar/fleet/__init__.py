"""lotusar.fleet — satellites, payloads, platforms and ground stations.

``load_fleet()`` returns the embedded default fleet; ``load_fleet(path)`` a user's TOML file.
A satellite's record (:class:`FleetSatellite`) gives the orbit stage's satellite
(``.orbit()``) and its SAR modes (``.sar_mode(name)``, ``.sar_mode_names()``,
``.default_sar_mode_name()``); ``Fleet.sar_mode_names()`` lists every mode of the fleet.
Mode names and mode parameters are defined only in the fleet file.
"""

from lotusar.fleet.loader import default_fleet_text, load_fleet, parse_fleet
from lotusar.fleet.schema import (
    Antenna,
    Fleet,
    FleetSatellite,
    GroundStation,
    Platform,
    Radio,
    SarMode,
    SarPayload,
)

__all__ = [
    "Antenna", "Fleet", "FleetSatellite", "GroundStation", "Platform", "Radio", "SarMode", "SarPayload",
    "default_fleet_text", "load_fleet", "parse_fleet",
]
