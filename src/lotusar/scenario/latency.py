"""Latency budget from warning to map: simulated waits (next pass, on-board storage until the
downlink pass) plus measured processing times, stage by stage."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class LatencyBudget:
    rows: list[dict] = field(default_factory=list)

    def add_simulated(self, stage: str, seconds: float, note: str = "") -> None:
        """A wait that happens in orbit time (e.g. until the imaging pass), not measured here."""
        self.rows.append({"stage": stage, "kind": "simulated", "seconds": float(seconds), "note": note})

    @contextmanager
    def measure(self, stage: str, note: str = "") -> Iterator[dict]:
        """Measure the wall time of a processing stage on this machine."""
        row = {"stage": stage, "kind": "measured", "seconds": 0.0, "note": note}
        t0 = time.perf_counter()
        try:
            yield row
        finally:
            row["seconds"] = time.perf_counter() - t0
            self.rows.append(row)

    @property
    def total_s(self) -> float:
        return sum(r["seconds"] for r in self.rows)

    def table_rows(self) -> list[dict]:
        out, cum = [], 0.0
        for r in self.rows:
            cum += r["seconds"]
            out.append({**r, "cumulative_s": cum, "duration": _hms(r["seconds"]), "cumulative": _hms(cum)})
        return out


def _hms(s: float) -> str:
    if s < 60:
        return f"{s:.1f} s"
    h, rem = divmod(int(round(s)), 3600)
    m, sec = divmod(rem, 60)
    return f"{h:d}:{m:02d}:{sec:02d}"
