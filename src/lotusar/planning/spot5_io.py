"""SPOT5 daily photograph scheduling instances (Bensana, Lemaître & Verfaillie 1999): reader.

File format (``.spot``, ASCII, whitespace separated, LF or CRLF)::

    nvars
    id weight d {value consumption} x d [extra tokens]      (nvars lines)
    ncons
    arity v_1 .. v_arity {t_1 .. t_arity} x k               (forbidden tuples)
    [capacity]                                              (multi-orbit files: one token)

``value`` is the instrument (1 front, 2 middle, 3 rear, 13 stereo = front + rear).
``consumption`` is the recorder use of taking the photograph that way; the literature
(Vasquez & Hao 2001 and every published best-known value) counts it in units of 451.15
(``round(consumption / 451.15)`` in {0, 1, 2, 4}) against a capacity of 200 units, not in raw
numbers against 90000 (that reading allows only 199 units). Both are kept here.

I/O only: :mod:`lotusar.planning.spot5` does the computation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from lotusar.errors import InputFormatError

#: One recorder unit of the multi-orbit instances (raw consumptions are 451.15 x {0, 1, 2, 4}).
SPOT5_UNIT = 451.15
#: Capacity in units that reproduces the published optima (Vasquez & Hao's knapsack form).
SPOT5_CAPACITY_UNITS = 200


@dataclass
class Spot5Instance:
    """A parsed SPOT5 instance.

    Attributes
    ----------
    weights : int64[n]
        Profit of each photograph (variable ids are 0..n-1 in file order).
    domains : list of int arrays
        Allowed camera values of each photograph (1, 2, 3 or 13).
    consumption_raw : list of float arrays
        Recorder consumption per domain value, as printed.
    constraints : list of (vars int array, forbidden int array [k, arity])
        Forbidden tuples ("nogoods"); only active when all their variables are selected.
    capacity_raw : float or None
        The capacity line (90000) of multi-orbit files, None for single-orbit files.
    """

    name: str
    weights: np.ndarray
    domains: list[np.ndarray]
    consumption_raw: list[np.ndarray]
    constraints: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    capacity_raw: float | None = None

    @property
    def n(self) -> int:
        return int(self.weights.size)

    @property
    def consumption_units(self) -> list[np.ndarray]:
        """Consumption per domain value in recorder units (451.15 each), rounded."""
        return [np.rint(c / SPOT5_UNIT).astype(np.int64) for c in self.consumption_raw]

    @property
    def capacity_units(self) -> int | None:
        """200 units for multi-orbit instances (the literature's convention), else None."""
        if self.capacity_raw is None:
            return None
        # 90000 / 451.15 = 199.49: the literature rounds the capacity up to 200 units.
        return int(np.ceil(self.capacity_raw / SPOT5_UNIT - 1e-9))


def _int(tok: str, path: str, lineno: int, what: str) -> int:
    try:
        return int(tok)
    except ValueError:
        raise InputFormatError(f"{path}: line {lineno}: {what}: {tok!r} is not an integer") from None


def _float(tok: str, path: str, lineno: int, what: str) -> float:
    try:
        v = float(tok)
    except ValueError:
        raise InputFormatError(f"{path}: line {lineno}: {what}: {tok!r} is not a number") from None
    if not np.isfinite(v) or v < 0:
        raise InputFormatError(f"{path}: line {lineno}: {what}: {tok!r} must be a finite number >= 0")
    return v


def parse_spot5(text: str, name: str = "<spot5>") -> Spot5Instance:
    """Parse the text of a ``.spot`` file; InputFormatError names the line and field."""
    lines = [(i + 1, ln.split()) for i, ln in enumerate(text.splitlines())]
    lines = [(i, toks) for i, toks in lines if toks]
    if not lines:
        raise InputFormatError(f"{name}: line 1: nvars: file is empty")
    pos = 0

    def nxt(what: str) -> tuple[int, list[str]]:
        nonlocal pos
        if pos >= len(lines):
            last = lines[-1][0] if lines else 0
            raise InputFormatError(f"{name}: line {last + 1}: {what}: unexpected end of file")
        item = lines[pos]
        pos += 1
        return item

    ln, toks = nxt("nvars")
    if len(toks) != 1:
        raise InputFormatError(f"{name}: line {ln}: nvars: expected one integer, got {len(toks)} tokens")
    nvars = _int(toks[0], name, ln, "nvars")
    if nvars < 0:
        raise InputFormatError(f"{name}: line {ln}: nvars: {nvars} is negative")
    weights = np.zeros(nvars, dtype=np.int64)
    domains: list[np.ndarray] = []
    cons_raw: list[np.ndarray] = []
    for k in range(nvars):
        ln, toks = nxt(f"variable {k}")
        if len(toks) < 3:
            raise InputFormatError(f"{name}: line {ln}: variable {k}: expected 'id weight d ...', got {len(toks)} tokens")
        vid = _int(toks[0], name, ln, "variable id")
        if vid != k:
            raise InputFormatError(f"{name}: line {ln}: variable id: expected {k}, got {vid}")
        w = _int(toks[1], name, ln, f"variable {k} weight")
        if w < 0:
            raise InputFormatError(f"{name}: line {ln}: variable {k} weight: {w} is negative")
        d = _int(toks[2], name, ln, f"variable {k} domain size")
        if d < 1 or d > 4:
            raise InputFormatError(f"{name}: line {ln}: variable {k} domain size: {d} not in 1..4")
        if len(toks) < 3 + 2 * d:
            raise InputFormatError(
                f"{name}: line {ln}: variable {k} domain: expected {d} (value consumption) pairs, got {len(toks) - 3} tokens"
            )
        vals = [_int(toks[3 + 2 * j], name, ln, f"variable {k} value {j}") for j in range(d)]
        for v in vals:
            if v not in (1, 2, 3, 13):
                raise InputFormatError(f"{name}: line {ln}: variable {k} value: {v} not in {{1, 2, 3, 13}}")
        if len(set(vals)) != d:
            raise InputFormatError(f"{name}: line {ln}: variable {k} domain: repeated value")
        cons = [_float(toks[4 + 2 * j], name, ln, f"variable {k} consumption {j}") for j in range(d)]
        weights[k] = w
        domains.append(np.asarray(vals, dtype=np.int64))
        cons_raw.append(np.asarray(cons, dtype=np.float64))

    ln, toks = nxt("ncons")
    if len(toks) != 1:
        raise InputFormatError(f"{name}: line {ln}: ncons: expected one integer, got {len(toks)} tokens")
    _int(toks[0], name, ln, "ncons")
    constraints: list[tuple[np.ndarray, np.ndarray]] = []
    capacity: float | None = None
    dom_sets = [set(d.tolist()) for d in domains]
    while pos < len(lines):
        ln, toks = nxt("constraint")
        if len(toks) == 1:
            if pos != len(lines):
                raise InputFormatError(f"{name}: line {ln}: capacity: a one-token line must be the last line")
            capacity = _float(toks[0], name, ln, "capacity")
            break
        ar = _int(toks[0], name, ln, "constraint arity")
        if ar not in (1, 2, 3):
            raise InputFormatError(f"{name}: line {ln}: constraint arity: {ar} not in 1..3")
        if len(toks) < 1 + ar + ar or (len(toks) - 1 - ar) % ar:
            raise InputFormatError(
                f"{name}: line {ln}: constraint tuples: {len(toks) - 1 - ar} values is not a positive multiple of arity {ar}"
            )
        try:
            ints = list(map(int, toks[1:]))
        except ValueError:
            bad = next(t for t in toks[1:] if not t.lstrip("-").isdigit())
            raise InputFormatError(f"{name}: line {ln}: constraint: {bad!r} is not an integer") from None
        vs_l = ints[:ar]
        for v in vs_l:
            if v < 0 or v >= nvars:
                raise InputFormatError(f"{name}: line {ln}: constraint variable: {v} not in 0..{nvars - 1}")
        if len(set(vs_l)) != ar:
            raise InputFormatError(f"{name}: line {ln}: constraint variables: repeated variable")
        flat = ints[ar:]
        for j, v in enumerate(vs_l):
            dom = dom_sets[v]
            for t in flat[j::ar]:
                if t not in dom:
                    raise InputFormatError(
                        f"{name}: line {ln}: forbidden tuple value: {t} not in the domain of variable {v}"
                    )
        vs = np.asarray(vs_l, dtype=np.int64)
        tup = np.asarray(flat, dtype=np.int64).reshape(-1, ar)
        constraints.append((vs, tup))
    return Spot5Instance(name=name, weights=weights, domains=domains, consumption_raw=cons_raw,
                         constraints=constraints, capacity_raw=capacity)


def read_spot5(path: str | os.PathLike) -> Spot5Instance:
    """Read a ``.spot`` file (see module docstring); InputFormatError on a malformed file."""
    p = os.fspath(path)
    with open(p, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as e:
        raise InputFormatError(f"{p}: offset {e.start}: not an ASCII SPOT5 file") from None
    return parse_spot5(text, name=p)


def read_spot5_solution(path: str | os.PathLike) -> np.ndarray:
    """Read a ``.sol`` file: one value per variable (0 = not selected)."""
    p = os.fspath(path)
    vals = []
    with open(p) as f:
        for i, ln in enumerate(f, 1):
            s = ln.strip()
            if s:
                vals.append(_int(s, p, i, "value"))
    return np.asarray(vals, dtype=np.int64)
