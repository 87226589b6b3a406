"""Fixtures for the tasking tests: a CLI runner that works whether or not `lotusar plan` has
mounted the tasking commands yet (it registers them on the fly, then runs lotusar's main)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

_SCRIPT = (
    "import sys\n"
    "from lotusar.planning.cli import app\n"
    "if not any(c.name == 'solve' for c in app.registered_commands):\n"
    "    from lotusar.planning.tasking.cli import register\n"
    "    register(app)\n"
    "from lotusar.cli import main\n"
    "main(sys.argv[1:])\n"
)


@pytest.fixture(scope="session")
def plan_cli():
    def run(*args, timeout: float = 300):
        return subprocess.run([sys.executable, "-c", _SCRIPT, *map(str, args)], capture_output=True, text=True,
                              timeout=timeout)

    return run


@pytest.fixture(scope="session")
def fleet():
    from lotusar.fleet import load_fleet

    return load_fleet()


START = "2022-10-25T12:00:00Z"
END_1D = "2022-10-26T12:00:00Z"
END_2D = "2022-10-27T12:00:00Z"
