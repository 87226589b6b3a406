"""Minimal XTCE (CCSDS 660.0-B / OMG XTCE 1.2) telemetry import into :class:`PacketDef`.

Supported: ``IntegerParameterType`` (``IntegerDataEncoding`` sizeInBits, encoding unsigned /
twosComplement, byteOrder), ``FloatParameterType`` (``FloatDataEncoding`` IEEE754_1985 32/64),
``PolynomialCalibrator`` terms (→ a coefficient-list formula), ``SequenceContainer`` entry
lists of ``ParameterRefEntry`` placed sequentially or by ``LocationInContainerInBits``
(``containerStart`` / ``previousEntry``), ``BaseContainer`` inheritance, and the APID taken
from a ``RestrictionCriteria`` comparison on a parameter whose name ends in ``APID``. Containers
that carry no APID restriction (abstract headers) are not returned.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from lotusar.errors import InputFormatError
from lotusar.groundstation.tmdefs import FieldDef, PacketDef


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(el, name):
    for c in el.iter():
        if _local(c.tag) == name:
            return c
    return None


def _children(el, name):
    return [c for c in el if _local(c.tag) == name]


def load_xtce(path: str | Path) -> dict[int, PacketDef]:
    """Packet definitions keyed by APID from an XTCE file."""
    p = Path(path)
    try:
        root = ET.parse(p).getroot()
    except (ET.ParseError, OSError) as e:
        raise InputFormatError(f"{p}: not readable XTCE: {e}") from None
    types: dict[str, dict] = {}
    for el in root.iter():
        tag = _local(el.tag)
        if tag not in ("IntegerParameterType", "FloatParameterType", "EnumeratedParameterType", "BooleanParameterType"):
            continue
        name = el.get("name")
        enc = _find(el, "IntegerDataEncoding")
        if enc is None:
            enc = _find(el, "FloatDataEncoding")
        if name is None or enc is None:
            continue
        bits = int(enc.get("sizeInBits", "32" if _local(enc.tag) == "FloatDataEncoding" else "8"))
        if _local(enc.tag) == "FloatDataEncoding":
            kind = "F"
        else:
            kind = "I" if enc.get("encoding", "unsigned") in ("twosComplement", "signed") else "U"
        little = enc.get("byteOrder", "mostSignificantByteFirst") == "leastSignificantByteFirst"
        formula = ""
        cal = _find(el, "PolynomialCalibrator")
        if cal is not None:
            terms = {int(float(t.get("exponent", 0))): float(t.get("coefficient", 0)) for t in _children(cal, "Term")}
            if terms:
                formula = " ".join(repr(terms.get(i, 0.0)) for i in range(max(terms) + 1))
        units = ""
        u = _find(el, "Unit")
        if u is not None and u.text:
            units = u.text.strip()
        types[name] = {"bits": bits, "kind": kind, "little": little, "formula": formula, "units": units}
    params: dict[str, str] = {}
    for el in root.iter():
        pname, pref = el.get("name"), el.get("parameterTypeRef")
        if _local(el.tag) == "Parameter" and pname and pref:
            params[pname] = pref.rsplit("/", 1)[-1]
    containers: dict[str, tuple] = {}
    for el in root.iter():
        if _local(el.tag) != "SequenceContainer":
            continue
        entries = []
        el_list = _find(el, "EntryList")
        for ent in (el_list if el_list is not None else []):
            if _local(ent.tag) != "ParameterRefEntry":
                continue
            loc = _find(ent, "LocationInContainerInBits")
            loc_spec = None
            if loc is not None:
                fv = _find(loc, "FixedValue")
                loc_spec = (loc.get("referenceLocation", "previousEntry"), int(fv.text) if fv is not None and fv.text else 0)
            entries.append((ent.get("parameterRef"), loc_spec))
        base = _find(el, "BaseContainer")
        apid = None
        if base is not None:
            for c in base.iter():
                if _local(c.tag) == "Comparison" and (c.get("parameterRef") or "").upper().endswith("APID"):
                    apid = int(c.get("value"), 0)
        cref = base.get("containerRef") if base is not None else None
        containers[el.get("name") or ""] = (cref.rsplit("/", 1)[-1] if cref else None, entries, apid)

    def layout(name: str, depth: int = 0) -> tuple[list[FieldDef], int]:
        if depth > 16 or name not in containers:
            raise InputFormatError(f"{p}: container {name!r} unknown or circular")
        base, entries, _ = containers[name]
        fields, pos = layout(base, depth + 1) if base else ([], 0)
        start = 0
        for pref, loc in entries:
            t = types.get(params.get(pref, ""))
            if t is None:
                raise InputFormatError(f"{p}: parameter {pref!r} has no supported type")
            if loc is not None:
                pos = (start + loc[1]) if loc[0] == "containerStart" else pos + loc[1]
            fields.append(FieldDef(pref, pos // 8, pos % 8, t["bits"], t["kind"], t["little"], t["units"], t["formula"]))
            pos += t["bits"]
        return fields, pos

    out: dict[int, PacketDef] = {}
    for name, (_, _, apid) in containers.items():
        if apid is None:
            continue
        fields, _ = layout(name)
        out[apid] = PacketDef(name, apid, fields)
    return out
