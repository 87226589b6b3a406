"""The one satellite type of lotusar: a name, a NORAD catalogue number and its SGP4 element sets.

In the manner of skyfield's ``EarthSatellite``: built from two TLE lines
(:meth:`Satellite.from_tle`), TLE or CCSDS OMM text or files (:meth:`Satellite.from_text`,
:meth:`Satellite.from_file`, :func:`read_satellites`), parsed element sets
(:meth:`Satellite.from_element_sets`), an ``sgp4`` record (:meth:`Satellite.from_satrec`) or
the fleet file (``lotusar.fleet.load_fleet().satellite(name).orbit()``). Every orbit function
(``propagate``, ``passes``, ``doppler``, ``access``) takes it; :func:`as_satellite` is the one
place where other inputs (a fleet record, element sets) are turned into it.

A satellite may hold several element sets (a TLE history); for any time the set nearest in
epoch is used (:func:`lotusar.orbit.elements.nearest_epoch_index`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from sgp4.api import Satrec

from lotusar.errors import NotFoundError, ValidationError
from lotusar.orbit.elements import (
    ElementSet,
    epoch_datetime64,
    group_by_satellite,
    parse_elements_text,
    parse_tle,
    read_elements,
)


@dataclass(frozen=True, eq=False)
class Satellite:
    """A satellite to propagate: ``element_sets`` of one catalogue number, sorted by epoch.

    ``norad_id`` is the satellite's own number; it is the elements' one except for a stand-in
    (a planned satellite flying another's elements, as in the fleet file).
    """

    name: str
    norad_id: int
    element_sets: tuple[ElementSet, ...]

    def __post_init__(self) -> None:
        if not self.element_sets:
            raise ValidationError(f"satellite {self.name!r}: no element sets")
        ids = sorted({e.norad_id for e in self.element_sets})
        if len(ids) != 1:
            raise ValidationError(f"satellite {self.name!r}: element sets of several catalogue numbers {ids}")
        object.__setattr__(self, "element_sets", tuple(sorted(self.element_sets, key=lambda e: e.epoch)))

    @classmethod
    def from_element_sets(cls, sets: Iterable[ElementSet], name: str | None = None,
                          norad_id: int | None = None) -> Satellite:
        """From element sets of one satellite; the name defaults to the latest named set's and
        ``norad_id`` to the elements' catalogue number."""
        sets = list(sets)
        if not sets:
            raise ValidationError("no element sets")
        ids = sorted({e.norad_id for e in sets})
        if len(ids) != 1:
            raise ValidationError(f"element sets of several satellites given where one is expected: {ids}")
        ordered = sorted(sets, key=lambda e: e.epoch)
        label = name or next((e.name for e in reversed(ordered) if e.name), None) or str(ids[0])
        return cls(label, ids[0] if norad_id is None else int(norad_id), tuple(ordered))

    @classmethod
    def from_tle(cls, line1: str, line2: str, name: str | None = None) -> Satellite:
        """From the two lines of a TLE (checked: columns, fields, checksums)."""
        return cls.from_element_sets(parse_tle(f"{line1}\n{line2}\n", source="<TLE lines>"), name)

    @classmethod
    def from_text(cls, text: str, source: str = "<string>", norad_id: int | None = None,
                  name: str | None = None) -> Satellite:
        """From TLE or OMM (KVN/XML/JSON) text holding one satellite (or pick ``norad_id``)."""
        return _pick(parse_elements_text(text, source=source), norad_id, source, name)

    @classmethod
    def from_file(cls, path: str | Path, norad_id: int | None = None, name: str | None = None) -> Satellite:
        """From a TLE or OMM file holding one satellite (or pick ``norad_id``)."""
        return _pick(read_elements(path), norad_id, str(path), name)

    @classmethod
    def from_satrec(cls, satrec: Satrec, name: str | None = None) -> Satellite:
        """From an initialised ``sgp4`` record (as skyfield's ``EarthSatellite.from_satrec``)."""
        es = ElementSet(norad_id=int(satrec.satnum), name=name, epoch=epoch_datetime64(satrec), satrec=satrec,
                        source="<satrec>")
        return cls.from_element_sets([es], name)

    @property
    def epochs(self) -> np.ndarray:
        """Epochs of the element sets, UTC ``datetime64[ns]``, ascending."""
        return np.array([e.epoch for e in self.element_sets], dtype="datetime64[ns]")

    @property
    def first(self) -> ElementSet:
        """The earliest element set (its mean motion and inclination describe the orbit)."""
        return self.element_sets[0]

    @property
    def latest(self) -> ElementSet:
        return self.element_sets[-1]

    @property
    def period_s(self) -> float:
        """Nodal period from the first set's Kozai mean motion (s)."""
        return self.first.period_s

    @property
    def is_deep_space(self) -> bool:
        """True for SDP4 (period ≥ 225 min), whose velocity is not the derivative of its position."""
        return bool(self.first.satrec.method == "d")


@runtime_checkable
class HasOrbit(Protocol):
    """Anything that knows its orbit, such as a fleet file's satellite record."""

    def orbit(self) -> Satellite: ...


SatelliteLike = Satellite | HasOrbit | ElementSet | Sequence[ElementSet]
"""What orbit functions accept for one satellite; :func:`as_satellite` turns it into a Satellite."""


def as_satellite(sat: SatelliteLike) -> Satellite:
    """The one conversion into :class:`Satellite`: itself, a fleet record (``.orbit()``), element sets."""
    if isinstance(sat, Satellite):
        return sat
    if isinstance(sat, ElementSet):
        return Satellite.from_element_sets([sat])
    if isinstance(sat, HasOrbit):
        return sat.orbit()
    if isinstance(sat, (list, tuple)) and sat and all(isinstance(x, ElementSet) for x in sat):
        return Satellite.from_element_sets(sat)
    raise TypeError(f"not a satellite: {type(sat).__name__} (use lotusar.orbit.Satellite)")


def as_satellites(sats: SatelliteLike | Sequence[SatelliteLike]) -> list[Satellite]:
    """A list of satellites from one satellite or a sequence of them (a bare list of element
    sets is grouped by NORAD id)."""
    if isinstance(sats, (list, tuple)):
        if sats and all(isinstance(x, ElementSet) for x in sats):
            return satellites_from_sets(sats)
        return [as_satellite(s) for s in sats]
    return [as_satellite(sats)]  # type: ignore[arg-type]  # one satellite-like (not a sequence) here


def satellites_from_sets(sets: Iterable[ElementSet]) -> list[Satellite]:
    """One Satellite per NORAD id, in order of first appearance."""
    return [Satellite.from_element_sets(grp) for grp in group_by_satellite(list(sets)).values()]


def read_satellites(path: str | Path) -> list[Satellite]:
    """Every satellite of a TLE/OMM file (element sets grouped by NORAD id)."""
    return satellites_from_sets(read_elements(path))


def _pick(sets: list[ElementSet], norad_id: int | None, source: str, name: str | None) -> Satellite:
    groups = group_by_satellite(sets)
    if norad_id is not None:
        if int(norad_id) not in groups:
            raise NotFoundError(f"NORAD {norad_id} not in {source} (have: {', '.join(map(str, list(groups)[:20]))})")
        return Satellite.from_element_sets(groups[int(norad_id)], name)
    if len(groups) != 1:
        raise ValidationError(f"{source} holds {len(groups)} satellites; choose one by NORAD id")
    return Satellite.from_element_sets(next(iter(groups.values())), name)
