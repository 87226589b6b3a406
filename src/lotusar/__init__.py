"""lotusar — an open Earth-observation mission system.

Stages (one sub-package each): ``fleet`` → ``orbit`` → ``planning`` → ``sar`` (simulate, focus)
→ ``groundstation`` (CCSDS chain, Level-0) → ``geo`` (ARD) → ``apps`` (flood, ships, change)
→ ``catalog`` (STAC) → ``service`` (HTTP API, web map) — and ``scenario`` wires them end to end.
"""

__version__ = "0.1.0"
