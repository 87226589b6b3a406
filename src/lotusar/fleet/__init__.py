"""lotusar.fleet — satellites, payloads, platforms and ground stations.

``load_fleet()`` returns the embedded default fleet; ``load_fleet(path)`` a user's TOML file.
"""

from lotusar.fleet.loader import default_fleet_text, load_fleet, parse_fleet
from lotusar.fleet.schema import (
    Antenna,
    Fleet,
    GroundStation,
    Platform,
    Radio,
    SarMode,
    SarPayload,
    Satellite,
)

__all__ = [
    "Antenna", "Fleet", "GroundStation", "Platform", "Radio", "SarMode", "SarPayload", "Satellite",
    "default_fleet_text", "load_fleet", "parse_fleet",
]
