"""Telemetry dictionary records: a packet layout and its fields (shared by the CSV/YAML
reader in :mod:`telemetry` and the XTCE reader in :mod:`xtce`)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldDef:
    """One telemetry item."""

    name: str
    byte: int
    bit: int
    bits: int
    kind: str  # "U" | "I" | "F"
    little_endian: bool = False
    units: str = ""
    formula: str = ""
    description: str = ""


@dataclass
class PacketDef:
    """A packet layout: its name, APID and fields."""

    name: str
    apid: int | None
    fields: list[FieldDef] = field(default_factory=list)
