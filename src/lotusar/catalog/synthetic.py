"""Synthetic STAC items for tests and benchmarks (seeded; footprints of SAR-like swaths).

Each item is a tilted quadrilateral (a strip-map frame ~30 km × 50 km) at a random place and
time, with SAR extension properties drawn from small sets, so that searches by area, time,
mode and property have non-trivial answers. Assets point at a remote URL (no local file),
or at ``asset_path`` when given (one shared file, with its checksum).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from lotusar.catalog.items import EXT_FILE, EXT_SAR, EXT_SAT, EXT_VIEW, STAC_VERSION, multihash_sha256


def synthetic_items(n: int, seed: int = 0, collection: str = "lotusar-slc", asset_path: str | Path | None = None,
                    region: tuple[float, float, float, float] = (-180.0, -60.0, 180.0, 70.0)) -> list[dict]:
    """``n`` valid STAC item dicts in ``collection`` (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    w, s, e, nn = region
    lon = rng.uniform(w + 1, e - 1, n)
    lat = rng.uniform(s + 1, nn - 1, n)
    heading = rng.uniform(-20, 20, n) + np.where(rng.random(n) < 0.5, 0.0, 180.0)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    secs = rng.uniform(0, 365 * 86400, n)
    modes = np.array(["SM", "SC", "SL"])
    pol = [["VV"], ["HH"], ["VV", "VH"]]
    asset = None
    if asset_path is not None:
        p = Path(asset_path).resolve()
        asset = {"href": str(p), "type": "image/tiff; application=geotiff; profile=cloud-optimized", "roles": ["data"],
                 "file:size": p.stat().st_size, "file:checksum": multihash_sha256(p)}
    items = []
    for i in range(n):
        half_w_km, half_l_km = 15.0, 25.0
        h = math.radians(heading[i])
        klat = 1 / 111.32
        klon = 1 / (111.32 * max(math.cos(math.radians(lat[i])), 0.05))
        corners = []
        for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            x = a * half_w_km * math.cos(h) + b * half_l_km * math.sin(h)
            y = -a * half_w_km * math.sin(h) + b * half_l_km * math.cos(h)
            corners.append([round(float(lon[i] + x * klon), 6), round(float(lat[i] + y * klat), 6)])
        corners.append(corners[0])
        xs = [c[0] for c in corners]
        ys = [c[1] for c in corners]
        t = t0 + timedelta(seconds=float(secs[i]))
        start = t.replace(microsecond=0)
        end = start + timedelta(seconds=8)
        iso = lambda d: d.isoformat().replace("+00:00", "Z")  # noqa: E731
        items.append({
            "type": "Feature",
            "stac_version": STAC_VERSION,
            "stac_extensions": [EXT_SAR, EXT_SAT, EXT_VIEW, EXT_FILE],
            "id": f"SYN{seed:02d}_{i:06d}",
            "collection": collection,
            "geometry": {"type": "Polygon", "coordinates": [corners]},
            "bbox": [min(xs), min(ys), max(xs), max(ys)],
            "properties": {
                "datetime": iso(start),
                "start_datetime": iso(start),
                "end_datetime": iso(end),
                "platform": f"lotusat-{1 + i % 3}",
                "constellation": "lotusar",
                "sar:instrument_mode": str(modes[i % 3]),
                "sar:frequency_band": "X",
                "sar:polarizations": pol[i % 3],
                "sar:product_type": "SLC",
                "sat:orbit_state": "ascending" if heading[i] < 90 else "descending",
                "sat:relative_orbit": int(1 + i % 175),
                "view:incidence_angle": round(float(20 + 25 * rng.random()), 3),
            },
            "links": [],
            "assets": {"data": dict(asset) if asset else {"href": f"https://data.example.org/lotusar/{i:06d}.tif", "type": "image/tiff",
                                                          "roles": ["data"]}},
        })
    return items
