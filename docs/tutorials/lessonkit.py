"""A small helper for the lotusar tutorials: run the ``lotusar`` CLI, find the shared data.

The tutorials drive lotusar through its command-line interface, the stable surface an operator
uses. ``lotusar(*args)`` runs one command with the current Python's lotusar, prints the command
line as a learner would type it, and raises with the command's own one-line error when it fails.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"


def workdir(lesson: str) -> Path:
    """Folder for a lesson's outputs: $LOTUSAR_TUTORIAL_OUT/<lesson> or out/tutorials/<lesson>."""
    base = Path(os.environ.get("LOTUSAR_TUTORIAL_OUT", ROOT / "out" / "tutorials"))
    d = base / lesson
    d.mkdir(parents=True, exist_ok=True)
    return d


def shared(name: str) -> Path | None:
    """The shared reference data set ``name`` (../shared/data/<name>), or None when absent."""
    p = SHARED_DATA / name
    return p if p.exists() else None


def lotusar(*args, cwd: Path | None = None, quiet: bool = False) -> str:
    """Run ``lotusar ARGS...``; print the command (and its output unless quiet); return stdout."""
    argv = [str(a) for a in args]
    print("$ lotusar " + " ".join(shlex.quote(a) for a in argv))
    # as from a plain terminal-less shell: Jupyter kernels force colour, which would add progress bars to stdout
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE", "PY_COLORS", "TTY_COMPATIBLE")}
    env.update(COLUMNS="120", NO_COLOR="1", TERM="dumb")
    proc = subprocess.run([sys.executable, "-m", "lotusar", *argv], cwd=cwd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"lotusar {argv[0]} failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    if not quiet:
        print(proc.stdout.rstrip())
    return proc.stdout


def lotusar_json(*args, cwd: Path | None = None):
    """Run a ``lotusar ... --json`` command and return its parsed output (not printed)."""
    out = lotusar(*args, "--json", cwd=cwd, quiet=True)
    try:
        return json.loads(out)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"lotusar {args[0]} printed no JSON ({exc}): {out.strip()[:500]!r}") from exc
