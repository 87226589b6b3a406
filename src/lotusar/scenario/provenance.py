"""Provenance: which inputs, code versions and parameters made each product (W3C PROV in spirit).

Every product the scenario writes gets a record ``{id, path, sha256, stage, inputs:[ids],
parameters, software, started, ended}``; the ledger is written as ``provenance.json`` beside
the products so that any product can be traced back to the warning polygon and the fleet's
orbital elements, and re-made from the recorded parameters.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from lotusar.fileio import write_text_atomic

SOFTWARE = ("lotusar", "numpy", "scipy", "sgp4", "skyfield", "xarray", "rasterio", "pyproj", "ortools", "pystac")


def sha256_file(path: str | Path, chunk: int = 1 << 22) -> str:
    """Hex SHA-256 of a file (a directory: of its files' hashes in sorted order)."""
    p = Path(path)
    h = hashlib.sha256()
    if p.is_dir():
        for f in sorted(q for q in p.rglob("*") if q.is_file()):
            h.update(f.relative_to(p).as_posix().encode())
            h.update(bytes.fromhex(sha256_file(f)))
        return h.hexdigest()
    with open(p, "rb") as fh:
        while b := fh.read(chunk):
            h.update(b)
    return h.hexdigest()


def software_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in SOFTWARE:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


@dataclass
class ProvenanceLedger:
    """Records products as they are made; ``write()`` saves the ledger atomically."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(
        self,
        product_id: str,
        path: str | Path | None,
        stage: str,
        inputs: list[str] | tuple[str, ...] = (),
        parameters: dict[str, Any] | None = None,
        started: float | None = None,
    ) -> dict[str, Any]:
        missing = [i for i in inputs if i not in self.records]
        if missing:
            raise KeyError(f"provenance: {product_id} names unknown inputs {missing}")
        now = time.time()
        rec = {
            "id": product_id,
            "stage": stage,
            "path": str(path) if path is not None else None,
            "sha256": sha256_file(path) if path is not None and Path(path).exists() else None,
            "inputs": list(inputs),
            "parameters": parameters or {},
            "software": software_versions(),
            "started": datetime.fromtimestamp(started or now, UTC).isoformat(),
            "ended": datetime.fromtimestamp(now, UTC).isoformat(),
        }
        self.records[product_id] = rec
        return rec

    def write(self, path: str | Path) -> Path:
        return write_text_atomic(path, json.dumps({"products": list(self.records.values())}, indent=2, default=str))
