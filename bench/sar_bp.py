"""Back-projection speed: the one kernel (lotusar.sar.focus.backproject_pulse) in the core's
zero-Doppler ``bp`` (simulated squinted stripmap) and in the Gotcha ground-plane image.

    .venv/bin/python bench/sar_bp.py [--repeat 2]

Prints JSON: best-of-N seconds for each (the Gotcha part skips without the shared data set).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
SCENE = {
    "azimuth_lines": 256, "range_samples": 256, "squint_deg": 2.0, "antenna_pattern": False, "noise": False,
    "quantisation": "none", "window": "none",
    "targets": [{"along_track_m": -110, "cross_track_m": -90, "height_m": 0, "rcs_m2": 1},
                {"along_track_m": 0, "cross_track_m": 0, "height_m": 30, "rcs_m2": 1},
                {"along_track_m": 100, "cross_track_m": 90, "height_m": 0, "rcs_m2": 2}],
}


def _best(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def bench_core_bp(repeat):
    from typer.testing import CliRunner

    from lotusar.cli import app
    from lotusar.sar.focus import focus
    from lotusar.sar.io import read_raw
    from lotusar.sar.processor import params_from_raw

    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "s.json").write_text(json.dumps(SCENE))
        r = CliRunner().invoke(app, ["sar", "simulate", "--targets", str(Path(d) / "s.json"), "--out", str(Path(d) / "raw.h5")])
        if r.exit_code:
            raise RuntimeError(r.output)
        ds = read_raw(Path(d) / "raw.h5").load()
    p = params_from_raw(ds)
    raw = ds["echoes"].values
    return {"shape": list(raw.shape), "bp_s": _best(lambda: focus(raw, p, "bp"), repeat)}


def bench_gotcha(repeat):
    from lotusar.sar.readers import gotcha

    folder = DATA / "gotcha-xband-phase-history"
    if not folder.exists():
        return {"skipped": "no gotcha-xband-phase-history data"}
    ph = gotcha.read_pass(folder, max_files=4)
    grid = gotcha.ground_grid(30.0, 0.1, (-15.95, 21.05))
    return {"pulses": ph.pulses, "pixels": 300 * 300, "backproject_s": _best(lambda: gotcha.backproject(ph, grid), repeat)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    print(json.dumps({"core_bp": bench_core_bp(a.repeat), "gotcha": bench_gotcha(a.repeat)}, indent=1))


if __name__ == "__main__":
    main()
