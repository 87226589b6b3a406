"""lotusar.groundstation — the CCSDS chain (decode and encode), Level-0, beacons, link budgets.

Public entry points (imported lazily so ``lotusar --help`` stays fast):

* ``level0(data, input_format, profile)`` / ``level0_from_soft_symbols(symbols, profile)`` /
  ``write_level0(result, out_dir)`` — :mod:`lotusar.groundstation.level0`
* ``encode_packets_to_soft_symbols(packets, ebn0_db, profile, seed)`` and
  ``encode_packets_to_cadus(packets, profile)`` — :mod:`lotusar.groundstation.encoder`
* ``link_budget_over_pass(satellite, station, start, end, link=...)`` —
  :mod:`lotusar.groundstation.linkbudget`
* ``decode_beacons(data, input_format, profile)`` — :mod:`lotusar.groundstation.beacon`
* ``load_profile(name_or_path)`` — :mod:`lotusar.groundstation.profile`
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "level0": "lotusar.groundstation.level0",
    "level0_from_soft_symbols": "lotusar.groundstation.level0",
    "level0_from_packets": "lotusar.groundstation.level0",
    "level0_from_cadu_bytes": "lotusar.groundstation.level0",
    "write_level0": "lotusar.groundstation.level0",
    "encode_packets_to_soft_symbols": "lotusar.groundstation.encoder",
    "encode_packets_to_cadus": "lotusar.groundstation.encoder",
    "packets_to_frames": "lotusar.groundstation.encoder",
    "frames_to_cadus": "lotusar.groundstation.encoder",
    "cadus_to_soft_symbols": "lotusar.groundstation.encoder",
    "link_budget_over_pass": "lotusar.groundstation.linkbudget",
    "decode_beacons": "lotusar.groundstation.beacon",
    "load_profile": "lotusar.groundstation.profile",
    "make_packet": "lotusar.groundstation.packets",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'lotusar.groundstation' has no attribute {name!r}")
