"""SPOT5 daily photograph selection: exact CP-SAT solver with decomposition and a warm start.

The problem (Bensana, Lemaître & Verfaillie 1999; Vasquez & Hao 2001): choose a subset of
candidate photographs and, for each, a camera value from its domain, so that no forbidden
binary/ternary tuple is taken (a tuple only binds when all its photographs are selected) and,
on multi-orbit instances, the recorder units of the chosen values sum to at most the
capacity; maximise the summed weights. It is a logic-constrained multiple-choice knapsack.

How it is solved (every step keeps the optimum):

1. *Value dominance.* Value ``a`` of photograph ``i`` is dropped when another value ``b``
   uses no more recorder units and every forbidden tuple containing ``(i, b)`` also exists
   with ``(i, a)``: any solution using ``a`` stays feasible (and as good) with ``b``.
2. *Component decomposition.* The constraint graph (photographs linked by a constraint)
   falls apart into independent components. Without a capacity each component is solved on
   its own. With a capacity, every component except the largest is compressed into its
   exact *profit curve* ``f_c(u)`` = best profit using at most ``u`` units (parametric
   CP-SAT solves, each proven optimal); the master problem keeps the largest component in
   full and picks one breakpoint per compressed component (a multiple-choice knapsack).
   When every component compresses, the master is an exact dynamic programme.
3. *Lexicographic weight levels.* When the weights below some threshold sum to less than the
   gcd of the weights above it (SPOT5 multi-orbit: 1000/2000 vs 1/2/5), maximising the high
   level first is exact. CP-SAT first maximises the high level, then the full objective
   under ``high >= H*``, each warm-started.
4. *Warm start.* A constructive greedy (weight per recorder unit) followed by
   ejection-chain local search gives the hint and the first incumbent; the solve is anytime.
5. *Large-neighbourhood search.* When a global CP-SAT stage stops without proof, exact
   sub-solves around its incumbent (windows, constraint-graph balls, low-weight bands;
   everything else fixed) keep improving it; ``optimal`` is only ever set by a full proof.

The model is the standard one: one Boolean per (photograph, value), at most one per
photograph, one clause per forbidden tuple, capacity as a linear constraint.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model
from scipy import sparse
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from lotusar.planning.spot5_io import Spot5Instance


# --------------------------------------------------------------------------- literals
@dataclass
class _Lits:
    """Flattened (photograph, value) literals of an instance."""

    var: np.ndarray  # photograph of each literal
    val: np.ndarray  # camera value
    units: np.ndarray  # recorder units
    weight: np.ndarray  # weight of the photograph
    first: np.ndarray  # first literal of each photograph (size n + 1)
    pairs: np.ndarray  # [m, 2] forbidden literal pairs
    triples: np.ndarray  # [k, 3] forbidden literal triples
    alive: np.ndarray  # bool, literal not removed by dominance


def _literals(inst: Spot5Instance) -> _Lits:
    sizes = np.array([d.size for d in inst.domains], dtype=np.int64)
    first = np.zeros(inst.n + 1, dtype=np.int64)
    np.cumsum(sizes, out=first[1:])
    var = np.repeat(np.arange(inst.n), sizes)
    val = np.concatenate(inst.domains) if inst.n else np.zeros(0, np.int64)
    units = np.concatenate(inst.consumption_units) if inst.n else np.zeros(0, np.int64)
    weight = inst.weights[var]
    lit_of = {}
    for i, d in enumerate(inst.domains):
        for j, v in enumerate(d.tolist()):
            lit_of[i, v] = first[i] + j
    pairs, triples = [], []
    for vs, tup in inst.constraints:
        vl = vs.tolist()
        for t in tup.tolist():
            ls = [lit_of[a, b] for a, b in zip(vl, t)]
            if len(ls) == 2:
                pairs.append(ls)
            elif len(ls) == 3:
                triples.append(ls)
            else:  # unary nogood: the value is simply forbidden
                pairs.append([ls[0], ls[0]])
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    triples = np.asarray(triples, dtype=np.int64).reshape(-1, 3)
    alive = np.ones(var.size, dtype=bool)
    # unary nogoods (stored as a self-pair) kill the literal outright
    self_pair = pairs[:, 0] == pairs[:, 1]
    alive[pairs[self_pair, 0]] = False
    pairs = pairs[~self_pair]
    return _Lits(var, val, units, weight, first, pairs, triples, alive)


def _dominance(lits: _Lits) -> int:
    """Drop dominated values (see module docstring); returns how many were dropped."""
    n_lits = lits.var.size
    # signature of each literal: set of (other literals) tuples it is forbidden with
    sig: list[set] = [set() for _ in range(n_lits)]
    for a, b in lits.pairs.tolist():
        sig[a].add((b,))
        sig[b].add((a,))
    for a, b, c in lits.triples.tolist():
        sig[a].add(tuple(sorted((b, c))))
        sig[b].add(tuple(sorted((a, c))))
        sig[c].add(tuple(sorted((a, b))))
    dropped = 0
    for i in range(lits.first.size - 1):
        lo, hi = int(lits.first[i]), int(lits.first[i + 1])
        if hi - lo < 2:
            continue
        for a in range(lo, hi):
            if not lits.alive[a]:
                continue
            for b in range(lo, hi):
                if b == a or not lits.alive[b] or lits.units[b] > lits.units[a]:
                    continue
                # b at least as good as a; break ties by index so exactly one survives
                if sig[b] <= sig[a] and (sig[b] != sig[a] or lits.units[b] < lits.units[a] or b < a):
                    lits.alive[a] = False
                    dropped += 1
                    break
    keep_p = lits.alive[lits.pairs].all(axis=1) if lits.pairs.size else np.zeros(0, bool)
    keep_t = lits.alive[lits.triples].all(axis=1) if lits.triples.size else np.zeros(0, bool)
    lits.pairs = lits.pairs[keep_p]
    lits.triples = lits.triples[keep_t]
    return dropped


def components(inst: Spot5Instance) -> tuple[int, np.ndarray]:
    """Connected components of the constraint graph: (count, label per photograph)."""

    rows, cols = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for ar in (2, 3):
        vs = [v for v, _ in inst.constraints if v.size == ar]
        if vs:
            a = np.stack(vs)
            for j in range(1, ar):
                rows.append(a[:, 0])
                cols.append(a[:, j])
    r, c = np.concatenate(rows), np.concatenate(cols)
    g = coo_matrix((np.ones(r.size), (r, c)), shape=(inst.n, inst.n))
    return connected_components(g, directed=False)


# --------------------------------------------------------------------------- checker
def evaluate_assignment(inst: Spot5Instance, values) -> tuple[int, list[str]]:
    """Profit of an assignment (0 = not selected) and the list of violated constraints."""
    x = np.asarray(values, dtype=np.int64)
    problems: list[str] = []
    if x.shape != (inst.n,):
        return 0, [f"assignment has {x.size} values, instance has {inst.n} photographs"]
    for i in np.flatnonzero(x):
        if x[i] not in inst.domains[i]:
            problems.append(f"photograph {i}: value {x[i]} not in its domain")
    for k, (vs, tup) in enumerate(inst.constraints):
        cur = x[vs]
        if (cur != 0).all() and (tup == cur).all(axis=1).any():
            problems.append(f"constraint {k} on {vs.tolist()}: forbidden tuple {cur.tolist()}")
    cap = inst.capacity_units
    if cap is not None:
        used = 0
        for i in np.flatnonzero(x):
            j = np.flatnonzero(inst.domains[i] == x[i])
            if j.size:
                used += int(inst.consumption_units[i][j[0]])
        if used > cap:
            problems.append(f"recorder: {used} units > capacity {cap}")
    return int(inst.weights[x != 0].sum()), problems


# --------------------------------------------------------------------------- heuristic
class _Heuristic:
    """Greedy construction + ejection local search on literals (warm start for CP-SAT)."""

    def __init__(self, lits: _Lits, subset: np.ndarray, cap: int | None, rng: np.random.Generator):
        self.l = lits
        self.cap = cap
        self.rng = rng
        self.lits = np.flatnonzero(lits.alive & np.isin(lits.var, subset))
        in_sub = np.zeros(lits.var.size, bool)
        in_sub[self.lits] = True
        self.nb: dict[int, list[int]] = {int(a): [] for a in self.lits}
        self.tri: dict[int, list[tuple[int, int]]] = {int(a): [] for a in self.lits}
        for a, b in lits.pairs.tolist():
            if in_sub[a] and in_sub[b]:
                self.nb[a].append(b)
                self.nb[b].append(a)
        for a, b, c in lits.triples.tolist():
            if in_sub[a] and in_sub[b] and in_sub[c]:
                self.tri[a].append((b, c))
                self.tri[b].append((a, c))
                self.tri[c].append((a, b))
        self.sel: dict[int, int] = {}  # photograph -> literal

    def _on(self, lit: int) -> bool:
        return self.sel.get(int(self.l.var[lit]), -1) == lit

    def blockers(self, lit: int) -> set[int]:
        """Selected literals to remove so that ``lit`` can be added (ignoring capacity)."""
        out = set()
        for b in self.nb[lit]:
            if self._on(b):
                out.add(b)
        for b, c in self.tri[lit]:
            if self._on(b) and self._on(c) and b not in out and c not in out:
                out.add(b if self.l.weight[b] <= self.l.weight[c] else c)
        return out

    def used(self) -> int:
        return int(sum(self.l.units[x] for x in self.sel.values()))

    def profit(self) -> int:
        return int(sum(self.l.weight[x] for x in self.sel.values()))

    def greedy(self, noise: float = 0.0) -> None:
        lw = self.l.weight[self.lits].astype(float)
        lu = self.l.units[self.lits].astype(float)
        score = lw / np.maximum(lu, 0.5) if self.cap is not None else lw
        score = score * (1.0 + noise * self.rng.random(score.size))
        used = self.used()
        for a in self.lits[np.argsort(-score, kind="stable")].tolist():
            v = int(self.l.var[a])
            if v in self.sel:
                continue
            u = int(self.l.units[a])
            if self.cap is not None and used + u > self.cap:
                continue
            if not self.blockers(a):
                self.sel[v] = a
                used += u

    def improve(self, deadline: float) -> None:
        """First-improvement ejection moves: add a literal, drop its blockers, refill greedily."""
        improved = True
        order = self.lits.copy()
        while improved and time.perf_counter() < deadline:
            improved = False
            self.rng.shuffle(order)
            used = self.used()
            for a in order.tolist():
                if time.perf_counter() >= deadline:
                    break
                v = int(self.l.var[a])
                cur = self.sel.get(v, -1)
                if cur == a:
                    continue
                out = self.blockers(a)
                if cur >= 0:
                    out.add(cur)
                gain = int(self.l.weight[a]) - int(sum(self.l.weight[b] for b in out))
                du = int(self.l.units[a]) - int(sum(self.l.units[b] for b in out))
                if self.cap is not None and used + du > self.cap:
                    continue
                if gain > 0 or (gain == 0 and du < 0):
                    for b in out:
                        del self.sel[int(self.l.var[b])]
                    self.sel[v] = a
                    self.greedy()
                    used = self.used()
                    improved = True

    def run(self, budget_s: float) -> dict[int, int]:
        deadline = time.perf_counter() + budget_s
        self.greedy()
        self.improve(deadline)
        best, best_p = dict(self.sel), self.profit()
        stale = 0
        while time.perf_counter() < deadline and stale < 30:  # iterated local search
            stale += 1
            keep = {v: a for v, a in best.items() if self.rng.random() > 0.15}
            self.sel = keep
            self.greedy(noise=0.3)
            self.improve(deadline)
            p = self.profit()
            if p > best_p:
                best, best_p = dict(self.sel), p
                stale = 0
        self.sel = best
        return best


# --------------------------------------------------------------------------- CP-SAT model
class _Model:
    """CP-SAT model of a subset of photographs (Booleans per alive literal)."""

    def __init__(self, lits: _Lits, subset: np.ndarray):
        self.cp = cp_model
        self.m = cp_model.CpModel()
        self.l = lits
        in_sub = np.zeros(lits.var.size, bool)
        sub_lits = np.flatnonzero(lits.alive & np.isin(lits.var, subset))
        in_sub[sub_lits] = True
        self.lit_ids = sub_lits
        self.x = {int(a): self.m.NewBoolVar(f"x{int(lits.var[a])}_{int(lits.val[a])}") for a in sub_lits}
        for i in np.unique(lits.var[sub_lits]).tolist():
            group = [self.x[a] for a in range(int(lits.first[i]), int(lits.first[i + 1])) if a in self.x]
            if len(group) > 1:
                self.m.AddAtMostOne(group)
        for a, b in lits.pairs[in_sub[lits.pairs].all(axis=1)].tolist() if lits.pairs.size else []:
            self.m.AddBoolOr([self.x[a].Not(), self.x[b].Not()])
        for a, b, c in lits.triples[in_sub[lits.triples].all(axis=1)].tolist() if lits.triples.size else []:
            self.m.AddBoolOr([self.x[a].Not(), self.x[b].Not(), self.x[c].Not()])

    def units_expr(self):
        return sum(int(self.l.units[a]) * v for a, v in self.x.items() if self.l.units[a])

    def weight_expr(self, scale: int = 1, mask=None):
        terms = [(int(self.l.weight[a]) // scale) * v for a, v in self.x.items() if mask is None or mask(a)]
        return sum(terms) if terms else 0

    def hint(self, sel: dict[int, int]) -> None:
        self.m.ClearHints()
        on = set(sel.values())
        for a, v in self.x.items():
            self.m.AddHint(v, a in on)

    def solver(self, time_s: float, workers: int, seed: int = 0):
        s = self.cp.CpSolver()
        s.parameters.max_time_in_seconds = max(0.01, float(time_s))
        s.parameters.num_workers = int(workers)
        s.parameters.random_seed = int(seed)
        return s

    def read(self, s) -> dict[int, int]:
        return {int(self.l.var[a]): a for a, v in self.x.items() if s.BooleanValue(v)}

    def read_values(self, vals: np.ndarray) -> dict[int, int]:
        """Selection from a full solution vector (indexed by CP-SAT variable index)."""
        return {int(self.l.var[a]): a for a, v in self.x.items() if vals[v.Index()]}


# --------------------------------------------------------------------------- solver
@dataclass
class Spot5Result:
    """Outcome of :func:`solve_spot5`."""

    profit: int
    optimal: bool
    values: np.ndarray  # camera value per photograph, 0 = not selected
    time_s: float
    stats: dict = field(default_factory=dict)

    def assignment(self) -> dict[str, int]:
        """``{"<photograph id>": value}`` for the selected photographs only."""
        return {str(i): int(v) for i, v in enumerate(self.values.tolist()) if v}


def weight_levels(weights: np.ndarray) -> int | None:
    """Threshold T such that sum(w < T) < gcd(w >= T) (maximise the high level first), or None."""
    ws = np.unique(weights[weights > 0])
    best = None
    for t in ws[1:].tolist():
        low = int(weights[weights < t].sum())
        g = int(np.gcd.reduce(ws[ws >= t]))
        if low > 0 and low < g:
            best = t if best is None else max(best, t)
            break
    return best


def _values_from(lits: _Lits, n: int, sel: dict[int, int]) -> np.ndarray:
    x = np.zeros(n, dtype=np.int64)
    for v, a in sel.items():
        x[v] = lits.val[a]
    return x


def _profit_curve(lits: _Lits, subset: np.ndarray, cap: int, deadline: float, workers: int):
    """Exact curve of a component: list of (units, profit, selection), or None if out of time.

    Each solve maximises ``profit * (U + 1) - units`` under ``units <= u`` so that a breakpoint
    is the cheapest way to its profit; then ``u`` drops below it.
    """
    mdl = _Model(lits, subset)
    uexpr = mdl.units_expr()
    u_top = int(sum(int(lits.units[lits.first[i]:lits.first[i + 1]].max()) for i in subset))
    u = min(cap, u_top)
    big = u + 1
    has_units = not isinstance(uexpr, int)
    mdl.m.Maximize(mdl.weight_expr() * big - (uexpr if has_units else 0))
    pts = []
    while u >= 0:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        model = mdl.m.clone()
        if has_units:
            model.Add(uexpr <= u)
        s = mdl.solver(left, workers)
        st = s.Solve(model)
        if st != mdl.cp.OPTIMAL:
            return None
        sel = mdl.read(s)
        used = int(sum(int(lits.units[a]) for a in sel.values()))
        prof = int(sum(int(lits.weight[a]) for a in sel.values()))
        pts.append((used, prof, sel))
        if used == 0 or not has_units:
            break
        u = used - 1
    pts.reverse()  # increasing units
    return pts


def solve_spot5(
    inst: Spot5Instance,
    time_limit_s: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    started_at: float | None = None,
) -> Spot5Result:
    """Solve a SPOT5 instance (see module docstring); anytime within ``time_limit_s``.

    ``started_at`` (a ``time.perf_counter()`` value) lets a caller count its own work (reading
    the file) against the limit.
    """
    t0 = time.perf_counter()
    t_begin = t0 if started_at is None else float(started_at)
    # model building and verification after the last solve take time too: keep 10 % back
    deadline = t_begin + 0.9 * float(time_limit_s)
    rng = np.random.default_rng(seed)
    lits = _literals(inst)
    dropped = _dominance(lits)
    cap = inst.capacity_units
    ncomp, label = components(inst)
    comp_vars = [np.flatnonzero(label == c) for c in range(ncomp)]
    def max_units(i):
        sl = slice(lits.first[i], lits.first[i + 1])
        return int(lits.units[sl][lits.alive[sl]].max(initial=0))

    comp_units = np.array([sum(max_units(i) for i in cv) for cv in comp_vars])
    stats = {"photographs": inst.n, "components": int(ncomp), "dominated_values": dropped,
             "largest_component": int(max((cv.size for cv in comp_vars), default=0))}
    best_sel: dict[int, int] = {}
    proven = True
    trace: list = []  # (perf_counter, objective of the coupled part) as solutions arrive

    def remaining():
        return deadline - time.perf_counter()

    # --- heuristic incumbent over the whole instance (first valid answer, hint source)
    heur = _Heuristic(lits, np.arange(inst.n), cap, rng)
    # without a capacity CP-SAT closes each component quickly: one greedy + descent suffices
    h_sel = heur.run(min(2.0, 0.06 * time_limit_s) if cap is not None else min(0.2, 0.02 * time_limit_s))
    stats["heuristic_profit"] = heur.profit()
    stats["heuristic_s"] = round(time.perf_counter() - t0, 3)

    free = [c for c in range(ncomp) if cap is None or comp_units[c] == 0]
    coupled = [c for c in range(ncomp) if c not in set(free)]
    # --- independent components: solve each to optimality, small first
    free.sort(key=lambda c: comp_vars[c].size)
    for k, c in enumerate(free):
        cv = comp_vars[c]
        mdl = _Model(lits, cv)
        mdl.m.Maximize(mdl.weight_expr())
        mdl.hint({v: a for v, a in h_sel.items() if label[v] == c})
        share = remaining() * cv.size / max(1, sum(comp_vars[d].size for d in free[k:]) + sum(comp_vars[d].size for d in coupled))
        s = mdl.solver(max(share, 0.05), workers, seed)
        st = s.Solve(mdl.m)
        if st in (mdl.cp.OPTIMAL, mdl.cp.FEASIBLE):
            sol = mdl.read(s)
            heur_part = {v: a for v, a in h_sel.items() if label[v] == c}
            if sum(lits.weight[a] for a in sol.values()) >= sum(lits.weight[a] for a in heur_part.values()):
                best_sel.update(sol)
            else:
                best_sel.update(heur_part)
            proven &= st == mdl.cp.OPTIMAL
        else:
            best_sel.update({v: a for v, a in h_sel.items() if label[v] == c})
            proven = False
    if coupled:
        master_sel, master_opt = _solve_coupled(lits, inst, comp_vars, coupled, cap, h_sel, label,
                                                deadline, workers, seed, stats, trace)
        best_sel.update(master_sel)
        proven &= master_opt
    values = _values_from(lits, inst.n, best_sel)
    profit, problems = evaluate_assignment(inst, values)
    if problems:  # never hand back an invalid plan: fall back on the heuristic
        values = _values_from(lits, inst.n, h_sel)
        profit, problems = evaluate_assignment(inst, values)
        proven = False
        if problems:
            raise RuntimeError(f"SPOT5 solver produced an infeasible assignment: {problems[0]}")
    free_profit = int(sum(int(lits.weight[a]) for v, a in best_sel.items() if label[v] in set(free)))
    stats["trace_s"] = [(round(t - t0, 3), v + free_profit) for t, v in trace if v is not None]
    stats["trace_s"].append((round(time.perf_counter() - t0, 3), profit))
    return Spot5Result(profit=profit, optimal=bool(proven), values=values,
                       time_s=time.perf_counter() - t0, stats=stats)


def _stage1_high(lits, inst, comp_vars, coupled, cap, best, thr, g, total_s, deadline, workers, seed, stats, trace,
                 stage1_lns_share):
    """Stage 1 of :func:`_solve_coupled`: the high weight level alone. (selection, value / g, optimal)."""
    high_opt = True
    h_star = None
    stage1: dict[int, int] = {}
    if thr is not None:
        # stage 1: the high level alone (low photographs left out: they cannot change it)
        stats["levels"] = {"threshold": int(thr), "gcd_high": g}
        hi_vars = np.concatenate([comp_vars[c] for c in coupled])
        hi_vars = np.sort(hi_vars[inst.weights[hi_vars] >= thr])  # chronological order helps the search
        m1 = _Model(lits, hi_vars)
        ue = m1.units_expr()
        if not isinstance(ue, int):
            m1.m.Add(ue <= cap)
        m1.m.Maximize(m1.weight_expr(g))
        # warm start from the heuristic's high photographs (one run on 1407 reached the high
        # optimum later with it than without: 17 s vs 7 s; on 1401 it helped — CP-SAT's
        # parallel search on a loaded machine varies more than the hint's effect)
        m1.hint({v: a for v, a in best.items() if inst.weights[v] >= thr})
        s1 = m1.solver(0.35 * total_s, workers, seed)
        st = _solve_with_patience(s1, m1.m, patience_s=max(8.0, 0.15 * total_s))
        if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            stage1 = m1.read(s1)
            h_star = int(round(s1.ObjectiveValue()))
            high_opt = st == cp_model.OPTIMAL
            if not high_opt:
                # the global search stalls below the high optimum on the largest instances;
                # exact sub-solves around its incumbent still climb (a few seconds suffice)
                vals = np.array(s1.ResponseProto().solution, dtype=np.int64)
                lns_end = min(deadline, time.perf_counter() + stage1_lns_share * total_s)
                vals, h_new, lstats = _lns(m1, lits, {}, vals, h_star, lns_end, workers, seed, None, trace, scale=g,
                                           patience_s=max(2.0, 0.05 * total_s))
                stats["lns_high"] = lstats
                if h_new > h_star:
                    stage1, h_star = m1.read_values(vals), h_new
            stats["high_level"] = h_star * g
            stats["high_level_optimal"] = high_opt
            trace.append((time.perf_counter(), h_star * g))
        else:
            high_opt = False
    return stage1, h_star, high_opt


def _coupled_curves(lits, comp_vars, coupled, cap, deadline, total_s, workers, stats) -> dict[int, list]:
    """Profit curves (units → best profit) of the smaller coupled components, each within a small budget."""
    curves: dict[int, list] = {}
    t_curve = time.perf_counter()
    curve_end = t_curve + 0.25 * (deadline - t_curve)
    big = coupled[-1]
    for c in coupled:
        if (c == big and len(coupled) > 1 and comp_vars[c].size > 120) or comp_vars[c].size > 250:
            continue
        left = curve_end - time.perf_counter()
        if left <= 0:
            break
        budget = min(left, max(0.2, 0.08 * total_s))
        pts = _profit_curve(lits, comp_vars[c], cap, time.perf_counter() + budget, workers)
        if pts is not None:
            curves[c] = pts
    stats["curves"] = len(curves)
    stats["curve_s"] = round(time.perf_counter() - t_curve, 3)
    return curves


def _solve_coupled(lits, inst, comp_vars, coupled, cap, h_sel, label, deadline, workers, seed, stats, trace,
                   lns_share: float = 0.7, stage1_lns_share: float = 0.12):
    """Capacity-coupled components: profit curves for all but the largest, then the master."""
    coupled = sorted(coupled, key=lambda c: comp_vars[c].size)
    coupled_set = set(coupled)
    best = {v: a for v, a in h_sel.items() if label[v] in coupled_set}

    def value(sel):
        return int(sum(int(lits.weight[a]) for a in sel.values()))

    thr = weight_levels(inst.weights)
    g = int(np.gcd.reduce(np.unique(inst.weights[inst.weights >= thr]))) if thr else 1
    t_start = time.perf_counter()
    total_s = deadline - t_start
    stage1, h_star, high_opt = _stage1_high(lits, inst, comp_vars, coupled, cap, best, thr, g, total_s, deadline,
                                            workers, seed, stats, trace, stage1_lns_share)
    curves = _coupled_curves(lits, comp_vars, coupled, cap, deadline, total_s, workers, stats)
    big = coupled[-1]
    full = [c for c in coupled if c not in curves]
    if not full and high_opt:  # every component compressed: exact multiple-choice knapsack by DP
        sel = _mckp_dp([curves[c] for c in coupled], cap)
        stats["master"] = "dp"
        return sel, True
    if not full:
        full = [big]
        curves.pop(big)
    subset = np.concatenate([comp_vars[c] for c in full])
    mdl = _Model(lits, subset)
    choice = {}
    units_terms = [mdl.units_expr()]
    prof_terms = []
    for c, pts in curves.items():
        bs = [mdl.m.NewBoolVar(f"c{c}_{k}") for k in range(len(pts))]
        mdl.m.AddExactlyOne(bs)
        choice[c] = bs
        units_terms += [pts[k][0] * bs[k] for k in range(len(pts)) if pts[k][0]]
        prof_terms.append((pts, bs))
    mdl.m.Add(sum(units_terms) <= cap)

    def curve_profit(scale_high: bool):
        terms = []
        for pts, bs in prof_terms:
            for (_u, p, _), b in zip(pts, bs):
                val = (p - p % g) // g if scale_high else p
                if val:
                    terms.append(val * b)
        return sum(terms) if terms else 0

    def hint_from(sel_all: dict[int, int]):
        mdl.m.ClearHints()
        on = set(sel_all.values())
        for a, v in mdl.x.items():
            mdl.m.AddHint(v, a in on)
        for c, pts in curves.items():
            part_units = sum(int(lits.units[a]) for v, a in sel_all.items() if label[v] == c)
            ok = [i for i, p in enumerate(pts) if p[0] <= part_units]
            k = max(ok) if ok else 0
            for i, b in enumerate(choice[c]):
                mdl.m.AddHint(b, i == k)

    def extract(s):
        sel = mdl.read(s)
        for c, bs in choice.items():
            for k, b in enumerate(bs):
                if s.BooleanValue(b):
                    sel.update(curves[c][k][2])
        return sel

    if h_star is not None:
        high_mask = lambda a: lits.weight[a] >= thr  # noqa: E731
        mdl.m.Add(mdl.weight_expr(g, high_mask) + curve_profit(True) >= h_star)
        # hint: the stage-1 high selection, completed greedily with compatible low photographs
        hs = _Heuristic(lits, np.concatenate([comp_vars[c] for c in coupled]), cap, np.random.default_rng(seed))
        hs.sel = dict(stage1)
        hs.greedy()
        start_sel = dict(hs.sel)
        if value(start_sel) > value(best):
            best = dict(start_sel)
            trace.append((time.perf_counter(), value(best)))
        hint_from(start_sel)
    else:
        hint_from(best)
    mdl.m.Maximize(mdl.weight_expr() + curve_profit(False))
    # the master runs first on its own; the last part of the budget goes to a large-neighbourhood
    # search around its incumbent (small exact sub-solves find the last low-weight points sooner)
    t_master = time.perf_counter()
    master_s = (deadline - t_master) * (1.0 - lns_share)
    s = mdl.solver(master_s, workers, seed + 1)

    class _CB(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self):
            trace.append((time.perf_counter(), int(round(self.ObjectiveValue()))))

    st = s.Solve(mdl.m, _CB())
    optimal = False
    stats["master"] = "cp-sat"
    if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        sol = extract(s)
        if value(sol) >= value(best):
            best = sol
        optimal = st == cp_model.OPTIMAL and high_opt
        if st == cp_model.FEASIBLE and deadline - time.perf_counter() > 1.0:
            vals = np.array(s.ResponseProto().solution, dtype=np.int64)
            vals, obj, lstats = _lns(mdl, lits, choice, vals, int(round(s.ObjectiveValue())),
                                     deadline, workers, seed, thr, trace)
            stats["lns"] = lstats
            sel = mdl.read_values(vals)
            for c, bs in choice.items():
                for k, b in enumerate(bs):
                    if vals[b.Index()]:
                        sel.update(curves[c][k][2])
            if value(sel) >= value(best):
                best = sel
    return best, optimal


def _photo_graph(lits: _Lits, n: int):
    """Photograph adjacency (CSR) of the forbidden pairs and triples."""
    edges = []
    if lits.pairs.size:
        edges.append(lits.var[lits.pairs])
    if lits.triples.size:
        t = lits.var[lits.triples]
        edges += [t[:, [0, 1]], t[:, [1, 2]], t[:, [0, 2]]]
    e = np.concatenate(edges) if edges else np.zeros((0, 2), np.int64)
    g = sparse.coo_matrix((np.ones(len(e)), (e[:, 0], e[:, 1])), shape=(n, n)).tocsr()
    g = (g + g.T).tocsr()
    return g.indptr, g.indices


def _lns(mdl, lits, choice, vals, obj, deadline, workers, seed, thr, trace, scale: int = 1,
         patience_s: float | None = None):
    """Large-neighbourhood search on the master model (Shaw 1998; Pisinger & Ropke 2010).

    Each step frees a neighbourhood of photographs -- a chronological window (photographs close
    in time share the camera constraints), a constraint-graph ball around a random photograph,
    the low-weight photographs of a wide band plus the high ones at its centre, or two distant
    windows (recorder units traded across the day) -- together with all profit-curve choices, fixes every other literal at the
    incumbent through its domain and re-solves the sub-model exactly with CP-SAT, hinted with
    the incumbent. A step is accepted when it does not lose profit (ties allowed: plateaus).
    The neighbourhood size adapts: it grows when sub-solves are proven fast, shrinks on time-out.
    """
    rng = np.random.default_rng(seed + 17)
    lit_ids = np.array(sorted(mdl.x), dtype=np.int64)
    var_idx = np.array([mdl.x[a].Index() for a in lit_ids], dtype=np.int64)
    photo = lits.var[lit_ids]
    photos = np.unique(photo)
    pos = {int(p): k for k, p in enumerate(photos.tolist())}
    indptr, indices = _photo_graph(lits, int(lits.var.max()) + 1)
    low = photos[lits.weight[lits.first[photos]] < thr] if thr is not None else photos[:0]
    size = float(min(40, photos.size))
    st_stats = {"steps": 0, "improved": 0, "proven": 0, "start": int(obj)}
    base = mdl.m.clone()
    base.ClearHints()
    last_gain = time.perf_counter()
    while True:
        left = deadline - time.perf_counter()
        if left < 0.3 or (patience_s is not None and time.perf_counter() - last_gain > patience_s):
            break
        k = max(8, int(size))
        kind = st_stats["steps"] % 4
        if kind == 0:  # chronological window
            i0 = int(rng.integers(0, max(1, photos.size - k + 1)))
            free = photos[i0:i0 + k]
        elif kind == 1:  # constraint-graph ball (breadth first, random tie order)
            start = int(rng.choice(photos))
            seen, frontier = {start}, [start]
            while frontier and len(seen) < k:
                nxt = []
                for v in frontier:
                    nb = indices[indptr[v]:indptr[v + 1]]
                    for w in rng.permutation(nb).tolist():
                        if w in pos and w not in seen:
                            seen.add(w)
                            nxt.append(w)
                frontier = nxt
            free = np.fromiter(seen, dtype=np.int64)
        elif kind == 3:  # two distant windows: recorder units traded across the day
            h = max(4, k // 2)
            i0, i1 = rng.integers(0, max(1, photos.size - h + 1), size=2).tolist()
            free = np.union1d(photos[i0:i0 + h], photos[i1:i1 + h])
        else:  # the low-weight photographs of a wide band plus the high ones at its centre
            i0 = int(rng.integers(0, max(1, photos.size - k // 3 + 1)))
            lo, hi = photos[max(0, i0 - 2 * k)], photos[min(photos.size - 1, i0 + 2 * k)]
            free = np.union1d(low[(low >= lo) & (low <= hi)], photos[i0:i0 + max(4, k // 3)])
        fixed = ~np.isin(photo, free)
        sub = base.clone()
        proto = sub.Proto()
        for vi in var_idx[fixed].tolist():
            d = proto.variables[vi].domain
            d[0] = d[1] = int(vals[vi])
        for vi in var_idx[~fixed].tolist():
            proto.solution_hint.vars.append(vi)
            proto.solution_hint.values.append(int(vals[vi]))
        for bs in choice.values():
            for b in bs:
                proto.solution_hint.vars.append(b.Index())
                proto.solution_hint.values.append(int(vals[b.Index()]))
        budget = min(left - 0.2, 1.0)
        slv = cp_model.CpSolver()
        slv.parameters.max_time_in_seconds = max(0.05, budget)
        # one worker: sub-models are small, and on 2 shared cores a single thread per step gave
        # the same step rate and reached 1407's reference in 2 of 2 runs (2 workers: 2 of 6)
        slv.parameters.num_workers = 1
        slv.parameters.random_seed = int(seed + st_stats["steps"])
        t = time.perf_counter()
        stat = slv.Solve(sub)
        dt = time.perf_counter() - t
        st_stats["steps"] += 1
        if stat == cp_model.OPTIMAL:
            st_stats["proven"] += 1
            if dt < 0.5 * budget:
                size = min(size * 1.1, float(photos.size))
        else:
            size = max(8.0, size * 0.85)
        if stat in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            new_obj = int(round(slv.ObjectiveValue()))
            if new_obj >= obj:
                if new_obj > obj:
                    st_stats["improved"] += 1
                    last_gain = time.perf_counter()
                    trace.append((time.perf_counter(), new_obj * scale))
                vals = np.array(slv.ResponseProto().solution, dtype=np.int64)
                obj = new_obj
    st_stats["end"] = int(obj)
    st_stats["final_size"] = int(size)
    return vals, obj, st_stats



def _solve_with_patience(solver, model, patience_s: float):
    """Solve, stopping early when the incumbent has not improved for ``patience_s`` seconds.

    Stage 1 cannot prove the high level optimal on the large instances; once it stalls, its
    remaining time is worth more to stage 2. A watchdog thread calls ``StopSearch``
    (thread-safe in CP-SAT).
    """
    last = [time.perf_counter()]
    done = threading.Event()

    class _CB(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self):
            last[0] = time.perf_counter()

    def watch():
        while not done.wait(0.25):
            if time.perf_counter() - last[0] > patience_s:
                solver.StopSearch()
                return

    th = threading.Thread(target=watch, daemon=True)
    th.start()
    try:
        return solver.Solve(model, _CB())
    finally:
        done.set()
        th.join()


def _mckp_dp(curves: list[list], cap: int) -> dict[int, int]:
    """Exact multiple-choice knapsack over profit curves (one breakpoint per component)."""
    neg = -(2**62)
    f = np.full(cap + 1, neg, dtype=np.int64)
    f[0] = 0
    choice = []
    for pts in curves:
        g = np.full(cap + 1, neg, dtype=np.int64)
        arg = np.full(cap + 1, -1, dtype=np.int64)
        for k, (u, p, _) in enumerate(pts):
            if u > cap:
                continue
            cand = np.full(cap + 1, neg, dtype=np.int64)
            cand[u:] = np.where(f[: cap + 1 - u] > neg, f[: cap + 1 - u] + p, neg)
            better = cand > g
            g[better] = cand[better]
            arg[better] = k
        choice.append(arg)
        f = g
    u = int(np.argmax(f))
    sel: dict[int, int] = {}
    for pts, arg in zip(reversed(curves), reversed(choice)):
        k = int(arg[u])
        sel.update(pts[k][2])
        u -= pts[k][0]
    return sel


def solve_spot5_plain(inst: Spot5Instance, time_limit_s: float = 60.0, workers: int = 2, seed: int = 0,
                      on_solution=None) -> Spot5Result:
    """The straightforward CP-SAT model (no preprocessing, no hint): the benchmark's peer."""
    t0 = time.perf_counter()
    lits = _literals(inst)
    mdl = _Model(lits, np.arange(inst.n))
    if inst.capacity_units is not None:
        ue = mdl.units_expr()
        if not isinstance(ue, int):
            mdl.m.Add(ue <= inst.capacity_units)
    mdl.m.Maximize(mdl.weight_expr())
    s = mdl.solver(time_limit_s, workers, seed)
    cb = None
    if on_solution is not None:
        class _CB(mdl.cp.CpSolverSolutionCallback):
            def on_solution_callback(self):
                on_solution(time.perf_counter() - t0, int(round(self.ObjectiveValue())))
        cb = _CB()
    st = s.Solve(mdl.m, cb) if cb else s.Solve(mdl.m)
    sel = mdl.read(s) if st in (mdl.cp.OPTIMAL, mdl.cp.FEASIBLE) else {}
    values = _values_from(lits, inst.n, sel)
    profit, _ = evaluate_assignment(inst, values)
    return Spot5Result(profit, st == mdl.cp.OPTIMAL, values, time.perf_counter() - t0, {})


__all__ = ["Spot5Result", "solve_spot5", "solve_spot5_plain", "evaluate_assignment", "components", "weight_levels"]
