"""SPOT5: reader, solver to the reference profits, independent feasibility checker, CLI contract.

The checker below reads the ``.spot`` text itself (plain Python, none of lotusar's code) and
re-verifies every assignment: domains, every forbidden tuple, and the 200-unit recorder
capacity of multi-orbit files (units = round(consumption / 451.15), as the README states).
"""

from __future__ import annotations

import csv
import itertools
import json
import math

import numpy as np
import pytest

from lotusar.errors import InputFormatError
from lotusar.planning.spot5 import solve_spot5, weight_levels
from lotusar.planning.spot5_io import parse_spot5, read_spot5, read_spot5_solution

FAST = ["8", "54", "404", "503", "1502"]  # solve to optimality in well under a second each


# --------------------------------------------------------------------------- independent checker
def independent_check(text: str, assignment: dict[int, int]) -> int:
    """Profit of ``assignment`` (photo -> value, selected only); AssertionError if infeasible."""
    rows = [ln.split() for ln in text.splitlines() if ln.split()]
    n = int(rows[0][0])
    weight, dom = {}, {}
    for r in rows[1 : 1 + n]:
        i, w, d = int(r[0]), int(r[1]), int(r[2])
        weight[i] = w
        dom[i] = {int(r[3 + 2 * k]): round(float(r[4 + 2 * k]) / 451.15) for k in range(d)}
    cons = rows[2 + n :]
    capacity = None
    if cons and len(cons[-1]) == 1:
        # README: 90000 means 200 units of 451.15 (rounded up), the literature's convention
        capacity = math.ceil(float(cons[-1][0]) / 451.15 - 1e-9)
        cons = cons[:-1]
    for i, v in assignment.items():
        assert v in dom[i], f"photo {i}: value {v} outside domain {sorted(dom[i])}"
    for r in cons:
        ar = int(r[0])
        vs = [int(x) for x in r[1 : 1 + ar]]
        if not all(v in assignment for v in vs):
            continue
        cur = tuple(assignment[v] for v in vs)
        vals = [int(x) for x in r[1 + ar :]]
        tuples = {tuple(vals[k : k + ar]) for k in range(0, len(vals), ar)}
        assert cur not in tuples, f"forbidden tuple {cur} on photos {vs}"
    if capacity is not None:
        used = sum(dom[i][v] for i, v in assignment.items())
        assert used <= capacity, f"recorder {used} units > {capacity}"
    return sum(weight[i] for i in assignment)


@pytest.fixture(scope="module")
def spot5(shared_data):
    root = shared_data("spot5")
    ref = {r["instance"]: int(r["profit"]) for r in csv.DictReader(open(root / "known_values.csv"))}
    return root, ref


# --------------------------------------------------------------------------- reader
def test_reader_instance_8(spot5):
    root, _ = spot5
    inst = read_spot5(root / "instances" / "8.spot")
    assert inst.n == 8 and len(inst.constraints) == 7
    assert inst.weights.tolist() == [1, 1, 1, 1, 2, 2, 2, 2]
    assert inst.domains[0].tolist() == [1, 2, 3] and inst.domains[4].tolist() == [13]
    vs, tup = inst.constraints[0]
    assert vs.tolist() == [1, 0] and tup.tolist() == [[3, 3], [2, 2], [1, 1]]
    assert inst.capacity_units is None


def test_reader_multi_orbit_crlf_and_extra_tokens(spot5):
    root, _ = spot5
    inst = read_spot5(root / "instances" / "1407.spot")  # CRLF, two extra tokens per variable
    assert inst.n == 1057 and inst.capacity_units == 200
    assert sum(len(t) for _, t in inst.constraints) > 0
    assert len(inst.constraints) == 14854 + 5875
    units = np.concatenate(inst.consumption_units)
    assert set(units.tolist()) <= {0, 1, 2, 4}


@pytest.mark.parametrize(
    "text, where",
    [
        ("2\n0 1 1 2 0\n", "line 3"),  # truncated: variable 1 missing
        ("1\n0 x 1 2 0\n0\n", "weight"),
        ("1\n0 1 1 7 0\n0\n", "value"),
        ("2\n0 1 1 2 0\n1 1 1 2 0\n1\n2 0 5 2 2\n", "constraint variable"),
        ("2\n0 1 1 2 0\n1 1 1 2 0\n1\n2 0 1 2\n", "constraint tuples"),
        ("2\n0 1 1 2 0\n1 1 1 2 0\n1\n2 0 1 3 2\n", "forbidden tuple value"),
    ],
)
def test_reader_bad_files_name_line_and_field(text, where):
    with pytest.raises(InputFormatError) as e:
        parse_spot5(text, "bad.spot")
    assert "bad.spot" in str(e.value) and where in str(e.value)
    assert "\n" not in str(e.value)


# --------------------------------------------------------------------------- checker fixtures
@pytest.mark.parametrize("name, profit", [("8", 10), ("54", 70)])
def test_checker_on_shipped_solutions(spot5, name, profit):
    root, _ = spot5
    text = (root / "instances" / f"{name}.spot").read_text()
    sol = read_spot5_solution(root / "solutions" / f"{name}.sol")
    assign = {i: int(v) for i, v in enumerate(sol) if v}
    assert independent_check(text, assign) == profit
    # the checker rejects a forbidden tuple: in 8.spot photos 0 and 1 may not both take 3
    if name == "8":
        with pytest.raises(AssertionError):
            independent_check(text, {0: 3, 1: 3})


# --------------------------------------------------------------------------- solver
@pytest.mark.parametrize("name", FAST)
def test_solver_reaches_reference(spot5, name):
    root, ref = spot5
    path = root / "instances" / f"{name}.spot"
    res = solve_spot5(read_spot5(path), time_limit_s=20)
    assign = {i: int(v) for i, v in enumerate(res.values) if v}
    assert independent_check(path.read_text(), assign) == res.profit == ref[name]
    assert res.optimal  # these close with proof


def _brute_force(inst) -> int:
    n = inst.n
    choices = [[0] + d.tolist() for d in inst.domains]
    best = 0
    units = inst.consumption_units
    for combo in itertools.product(*choices):
        x = np.asarray(combo)
        ok = True
        for vs, tup in inst.constraints:
            cur = x[vs]
            if (cur != 0).all() and (tup == cur).all(axis=1).any():
                ok = False
                break
        if not ok:
            continue
        if inst.capacity_units is not None:
            u = sum(int(units[i][list(inst.domains[i]).index(x[i])]) for i in range(n) if x[i])
            if u > inst.capacity_units:
                continue
        best = max(best, int(inst.weights[x != 0].sum()))
    return best


def _random_instance(rng, n=6, capacity=True) -> str:
    lines = [str(n)]
    doms = []
    for i in range(n):
        if rng.random() < 0.25:
            d = [13]
        else:
            d = sorted(rng.choice([1, 2, 3], size=int(rng.integers(1, 4)), replace=False).tolist())
        doms.append(d)
        w = int(rng.choice([1, 2, 1000, 2000]))
        pairs = " ".join(f"{v} {451.15 * int(rng.choice([0, 1, 2, 4])):.4f}" for v in d)
        lines.append(f"{i} {w} {len(d)} {pairs}")
    cons = []
    for _ in range(int(rng.integers(3, 9))):
        ar = int(rng.choice([2, 3]))
        vs = rng.choice(n, size=ar, replace=False).tolist()
        tups = {tuple(int(rng.choice(doms[v])) for v in vs) for _ in range(int(rng.integers(1, 4)))}
        cons.append(f"{ar} {' '.join(map(str, vs))} {' '.join(' '.join(map(str, t)) for t in tups)}")
    lines.append(str(len(cons) + (1 if capacity else 0)))
    lines += cons
    if capacity:
        lines.append(str(int(rng.choice([1, 2, 3])) * 451.15))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(12))
def test_solver_matches_brute_force_on_random_instances(seed):
    """Dominance, decomposition, curves and weight levels keep the exact optimum."""
    rng = np.random.default_rng(seed)
    text = _random_instance(rng, n=6, capacity=seed % 3 != 0)
    inst = parse_spot5(text, f"rand{seed}.spot")
    res = solve_spot5(inst, time_limit_s=5)
    assign = {i: int(v) for i, v in enumerate(res.values) if v}
    assert independent_check(text, assign) == res.profit == _brute_force(inst)


def test_weight_levels():
    assert weight_levels(np.array([1, 2, 5, 1000, 2000, 2, 1])) == 1000
    assert weight_levels(np.array([1, 2, 3])) is None
    assert weight_levels(np.array([600, 600, 1000])) is None  # 1200 of low weight can outweigh one 1000


# --------------------------------------------------------------------------- CLI contract
def test_cli_spot5_json(spot5, run_cli):
    root, ref = spot5
    path = root / "instances" / "54.spot"
    p = run_cli("plan", "spot5", path, "--time-limit-s", "10", "--json", check=True)
    out = json.loads(p.stdout)
    assert set(out) == {"profit", "optimal", "assignment"}
    assert out["profit"] == ref["54"] and out["optimal"] is True
    assign = {int(k): v for k, v in out["assignment"].items()}
    assert all(v in (1, 2, 3, 13) for v in assign.values())  # only selected photos, file's values
    assert independent_check(path.read_text(), assign) == out["profit"]


def test_cli_spot5_bad_file_one_line(tmp_path, run_cli):
    bad = tmp_path / "bad.spot"
    bad.write_text("2\n0 1 1 2 0\n1 1 1 2 0\n1\n2 0 9 2 2\n")
    p = run_cli("plan", "spot5", bad, "--json")
    assert p.returncode == 2 and p.stdout == ""
    assert len(p.stderr.strip().splitlines()) == 1 and "line 5" in p.stderr and "constraint variable" in p.stderr
    p = run_cli("plan", "spot5", tmp_path / "missing.spot", "--json")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1


def test_lns_keeps_plans_feasible_and_climbs():
    """The large-neighbourhood search, started from the empty plan, returns a valid plan whose
    objective is its true profit, better than the start and never above the proven optimum."""
    import time

    from lotusar.planning.spot5 import _literals, _lns, _Model

    rng = np.random.default_rng(7)
    text = _random_instance(rng, n=60, capacity=True)
    inst = parse_spot5(text, "lns.spot")
    exact = solve_spot5(inst, time_limit_s=10)
    lits = _literals(inst)
    mdl = _Model(lits, np.arange(inst.n))
    mdl.m.Add(mdl.units_expr() <= inst.capacity_units)
    mdl.m.Maximize(mdl.weight_expr())
    start = np.zeros(len(mdl.m.Proto().variables), dtype=np.int64)
    trace = []
    vals, obj, st = _lns(mdl, lits, {}, start, 0, time.perf_counter() + 1.5, 1, 0, 1000, trace)
    sel = mdl.read_values(vals)
    assign = {i: int(lits.val[a]) for i, a in sel.items()}
    profit = independent_check(text, assign)
    assert profit == obj > 0
    assert obj <= exact.profit
    assert st["steps"] >= 1 and [v for _, v in trace] == sorted(v for _, v in trace)
