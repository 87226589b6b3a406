"""The code's shape, measured on ``src/`` (issue "one system"): one vocabulary, visible structure.

Each check parses the sources with :mod:`ast`; none imports the package, so a failure names
the file and line to change.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "lotusar"
MAX_FUNCTION_LINES = 150


def _modules() -> dict[str, tuple[Path, ast.Module]]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = (p, ast.parse(p.read_text(), filename=str(p)))
    return out


MODULES = _modules()


def _is_cli(path: Path) -> bool:
    return path.name in {"cli.py", "__main__.py", "cliutil.py"}


def _resolve(mod: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _constant_definitions(pattern: str) -> list[str]:
    rx = re.compile(pattern)
    hits = []
    for p in sorted(PKG.rglob("*.py")):
        for i, line in enumerate(p.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if rx.search(code):
                hits.append(f"{p.relative_to(SRC)}:{i}")
    return hits


def test_speed_of_light_defined_once():
    hits = _constant_definitions(r"299[_ ]?792[_ ]?458")
    assert len(hits) == 1 and hits[0].startswith("lotusar/constants.py:"), hits


def test_wgs84_defined_once():
    hits = _constant_definitions(r"6[_]?378[_]?137|298\.257223563|6[_]?356[_]?752")
    assert all(h.startswith("lotusar/constants.py:") for h in hits) and len(hits) == 2, hits


def test_no_function_over_150_lines():
    long = []
    for path, tree in MODULES.values():
        for n in ast.walk(tree):
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (n.end_lineno or n.lineno) - n.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(SRC)}:{n.lineno} {n.name} ({length} lines)")
    assert not long, long


def test_no_lotusar_import_inside_functions_outside_cli():
    inner = []
    for mod, (path, tree) in MODULES.items():
        if _is_cli(path):
            continue
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if fn.name == "__getattr__" and path.name == "__init__.py":
                continue  # package-level lazy loading is allowed
            for n in ast.walk(fn):
                if isinstance(n, ast.ImportFrom):
                    target = _resolve(mod, path, n)
                elif isinstance(n, ast.Import):
                    target = n.names[0].name
                else:
                    continue
                if target.split(".")[0] == "lotusar":
                    inner.append(f"{path.relative_to(SRC)}:{n.lineno} {target}")
    assert not inner, f"{len(inner)} in-function lotusar imports: {inner[:40]}"


def _module_level_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for mod, (path, tree) in MODULES.items():
        for n in tree.body:
            nodes = [n]
            if isinstance(n, ast.If):  # TYPE_CHECKING blocks do not run
                if isinstance(n.test, ast.Name) and n.test.id == "TYPE_CHECKING":
                    continue
                nodes = list(n.body) + list(n.orelse)
            for m in nodes:
                targets: list[str] = []
                if isinstance(m, ast.ImportFrom):
                    base = _resolve(mod, path, m)
                    targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in m.names]
                elif isinstance(m, ast.Import):
                    targets = [a.name for a in m.names]
                for t in targets:
                    while t and t not in MODULES:
                        t = t.rpartition(".")[0]
                    if t and t != mod:
                        edges[mod].add(t)
    return edges


def test_no_import_cycles():
    edges = _module_level_edges()
    # a module imports its package's __init__ implicitly: parent packages are edges too
    for mod in MODULES:
        parent = mod.rpartition(".")[0]
        while parent:
            if parent in MODULES and parent != mod:
                edges[mod].add(parent)
            parent = parent.rpartition(".")[0]
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(MODULES):
        if v not in index:
            strong(v)
    # package __init__ re-exporting its own submodules is the one benign cycle shape
    real = [c for c in cycles if not all(x == c[0] or x.startswith(c[0] + ".") for x in c)]
    assert not real, real


VOCABULARY = {"lotusar.constants", "lotusar.errors", "lotusar.timeutil", "lotusar.geodesy"}


def test_layers_point_down():
    """The vocabulary imports only itself; the orbit library (not its CLI/demo entry points)
    imports only the vocabulary, the I/O helpers and itself, so the fleet builds on the orbit
    stage and never the other way round."""
    edges = _module_level_edges()
    up = []
    for mod in sorted(MODULES):
        deps = {d for d in edges.get(mod, ()) if d != "lotusar"}
        if mod in VOCABULARY:
            allowed = VOCABULARY
        elif mod.startswith("lotusar.orbit") and mod.rpartition(".")[2] not in {"cli", "demo"}:
            allowed = VOCABULARY | {"lotusar.fileio", "lotusar.cliutil"} | {m for m in MODULES if m.startswith("lotusar.orbit")}
        else:
            continue
        up += [f"{mod} -> {d}" for d in sorted(deps - allowed)]
    assert not up, up


def _sar_mode_names() -> set[str]:
    import tomllib

    fleet = tomllib.loads((PKG / "fleet" / "default_fleet.toml").read_text())
    return {name for s in fleet["satellites"] for p in s.get("payloads", []) if p["kind"] == "sar" for name in p["modes"]}


def test_mode_names_only_in_the_fleet_file():
    """A new imaging mode is one block in the fleet file: no code spells a mode name as a literal."""
    names = _sar_mode_names()
    assert {"spotlight", "stripmap", "scansar"} <= names
    hits = []
    for path, tree in MODULES.values():
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for n in ast.walk(tree):
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings and n.value in names:
                hits.append(f"{path.relative_to(SRC)}:{n.lineno} {n.value!r}")
    assert not hits, hits


GEODESY_FUNCTIONS = {"geodetic_to_ecef", "ecef_to_geodetic", "geodetic_to_itrs", "itrs_to_geodetic", "enu_basis",
                     "ecef_to_enu", "lla_to_ecef", "ecef_to_lla", "llh_to_ecef", "ecef_to_llh", "local_up"}


def test_geodesy_defined_once():
    """One geodetic ↔ ECEF conversion and one ENU frame: lotusar.geodesy's."""
    defs = [f"{path.relative_to(SRC)}:{n.lineno} {n.name}" for path, tree in MODULES.values() for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name in GEODESY_FUNCTIONS
            and path != PKG / "geodesy.py"]
    assert not defs, defs


def test_timeutil_is_the_only_time_parser():
    """No ``fromisoformat``/``strptime`` and no ``np.datetime64(s.replace("Z", ...))`` outside timeutil."""
    hits = []
    for path, tree in MODULES.values():
        if path == PKG / "timeutil.py":
            continue
        for n in ast.walk(tree):
            if not isinstance(n, ast.Call):
                continue
            f = n.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if name in {"fromisoformat", "strptime"}:
                hits.append(f"{path.relative_to(SRC)}:{n.lineno} {name}")
            elif name == "datetime64" and n.args and any(
                    isinstance(m, ast.Call) and isinstance(m.func, ast.Attribute) and m.func.attr == "replace"
                    and m.args and isinstance(m.args[0], ast.Constant) and m.args[0].value in ("Z", "z")
                    for m in ast.walk(n.args[0])):
                hits.append(f"{path.relative_to(SRC)}:{n.lineno} datetime64(... .replace('Z', ...))")
    assert not hits, hits


def test_no_catch_all_that_swallows_errors():
    """``except Exception`` (or bare/BaseException) must re-raise: a catch-all that carries on
    hides broken configuration and bugs; catch the specific errors a step can raise."""
    swallowed = []
    for path, tree in MODULES.values():
        for n in ast.walk(tree):
            if not isinstance(n, ast.ExceptHandler):
                continue
            types = [] if n.type is None else (n.type.elts if isinstance(n.type, ast.Tuple) else [n.type])
            names = {"<bare>"} if n.type is None else {t.id for t in types if isinstance(t, ast.Name)}
            if names & {"Exception", "BaseException", "<bare>"} and not any(
                    isinstance(m, ast.Raise) for b in n.body for m in ast.walk(b)):
                swallowed.append(f"{path.relative_to(SRC)}:{n.lineno}")
    assert not swallowed, swallowed
