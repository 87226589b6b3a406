"""Service load benchmark: item search and XYZ tiles at 50 concurrent clients on loopback.

For each backend (SQLite file, PostgreSQL/PostGIS started here) the catalog is filled with N
synthetic SAR items (10,000 by default) plus the demo flood/ARD COGs, ``lotusar serve`` runs as
its own process, and an asyncio load generator (httpx, one connection per client) keeps C
clients busy for a fixed time, in two modes — ``saturated`` (each client sends its next request
as soon as the answer arrives: throughput-bound, latency = clients / throughput) and
``interactive`` (each client then waits an exponential think time, mean 250 ms, like a map
user) — on:

- ``search``: POST /search with a random 3°×3° bbox, a one-month datetime window and limit 10;
- ``tiles``: GET /tiles/flood…/data/z/x/y.png for random tiles (z 9–13) inside the flood map,
  served from the server's tile cache after first use; ``tiles-cold``: the same with the cache
  off (``LOTUSAR_TILE_CACHE=0``: every request reads the COG and encodes a PNG);
- ``static``: GET /conformance — the ceiling of the same server stack (HTTP + JSON, no work).

Reported: throughput, p50/p95/p99 latency, errors; each as a ratio to a ceiling measured in the
same run (search vs the catalog's own query in-process, tiles vs rio-tiler rendering the same
tile in-process, both vs the static endpoint). pgstac and TiTiler are not installed here (no
network), so they are not compared; see docs/service.md.

    python bench/service.py            # 10,000 items, 50 clients, 15 s per phase
    python bench/service.py --quick    # 2,000 items, 50 clients, 4 s per phase
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-operator-key"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(catalog: str, data_root: str, workers: int = 1, tile_cache: bool = True) -> tuple[subprocess.Popen, str]:
    import httpx

    port = _port()
    env = dict(os.environ, LOTUSAR_API_KEYS=f"{KEY}=operator:bench", LOTUSAR_TILE_CACHE="1" if tile_cache else "0")
    p = subprocess.Popen([sys.executable, "-m", "lotusar", "serve", "--host", "127.0.0.1", "--port", str(port), "--catalog", catalog,
                          "--data-root", data_root, "--rate", "0", "--write-rate", "0", "--workers", str(workers)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60:
        try:
            if httpx.get(url + "/conformance", timeout=1).status_code == 200:
                return p, url
        except httpx.HTTPError:
            time.sleep(0.1)
    p.kill()
    raise RuntimeError("server did not start")


def search_body(rng: random.Random) -> dict:
    w = rng.uniform(-175, 170)
    s = rng.uniform(-55, 62)
    m = rng.randint(1, 11)
    return {"bbox": [w, s, w + 3, s + 3], "datetime": f"2025-{m:02d}-01T00:00:00Z/2025-{m + 1:02d}-01T00:00:00Z", "limit": 10}


def tile_paths(n: int, seed: int = 0) -> list[str]:
    import morecantile

    from lotusar.service.demo import FLOOD_BOUNDS

    tms = morecantile.tms.get("WebMercatorQuad")
    rng = random.Random(seed)
    w, s, e, nn = FLOOD_BOUNDS
    out = []
    for _ in range(n):
        z = rng.randint(9, 13)
        t = tms.tile(rng.uniform(w + 0.01, e - 0.01), rng.uniform(s + 0.01, nn - 0.01), z)
        out.append(f"/tiles/flood_20251030/data/{t.z}/{t.x}/{t.y}.png")
    return out


async def load(url: str, kind: str, clients: int, duration_s: float, seed: int = 0, think_s: float = 0.0) -> dict:
    import httpx

    lat: list[float] = []
    errors = 0
    tiles = tile_paths(5000, seed)
    import ssl

    ctx = ssl.create_default_context()  # one context for all clients (httpx builds one per client otherwise)
    clients_ = [httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=1), verify=ctx) for _ in range(clients)]
    # warm-up: open every connection before the clock starts (connection set-up is not what we measure)
    await asyncio.gather(*(c.get("/conformance") for c in clients_))
    stop = time.perf_counter() + duration_s

    async def client(i: int, c) -> None:
        nonlocal errors
        rng = random.Random(seed * 1000 + i)
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                if kind == "search":
                    r = await c.post("/search", json=search_body(rng))
                elif kind.startswith("tiles"):
                    r = await c.get(rng.choice(tiles))
                else:
                    r = await c.get("/conformance")
                ok = r.status_code in (200, 204)
            except httpx.HTTPError:
                ok = False
            lat.append(time.perf_counter() - t0)
            if not ok:
                errors += 1
            if think_s > 0:
                await asyncio.sleep(rng.expovariate(1.0 / think_s))

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i, c) for i, c in enumerate(clients_)))
    wall = time.perf_counter() - t0
    for c in clients_:
        await c.aclose()
    a = np.array(lat) * 1000
    return {"kind": kind, "think_ms": think_s * 1000, "clients": clients, "requests": len(lat), "errors": errors, "rps": len(lat) / wall,
            "p50_ms": float(np.percentile(a, 50)), "p95_ms": float(np.percentile(a, 95)), "p99_ms": float(np.percentile(a, 99))}


def inprocess_ceilings(catalog: str, flood_path: Path, n: int = 300) -> dict:
    """Median time of the catalog query and of rio-tiler rendering, in this process, no HTTP."""
    from lotusar.catalog.query import build_query
    from lotusar.catalog.store import open_catalog
    from lotusar.service.tiles import _render_cached, render_tile

    rng = random.Random(5)
    cat = open_catalog(catalog)
    ts = []
    for _ in range(n):
        q = build_query(search_body(rng))
        t0 = time.perf_counter()
        cat.search(q)
        ts.append(time.perf_counter() - t0)
    cat.close()
    tt = []
    for p in tile_paths(n, 3):
        z, x, y = (int(v) for v in p.rsplit("/", 3)[1:3] + [p.rsplit("/", 1)[1][:-4]])
        _render_cached.cache_clear()
        t0 = time.perf_counter()
        render_tile(flood_path, z, x, y, transparent=(0,))
        tt.append(time.perf_counter() - t0)
    return {"search_query_ms": 1000 * float(np.median(ts)), "tile_render_ms": 1000 * float(np.median(tt))}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--items", type=int, default=None)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=None)
    ap.add_argument("--backends", default="sqlite,postgis")
    ap.add_argument("--workers", type=int, default=2, help="server processes (lotusar serve --workers)")
    ap.add_argument("--think-ms", type=float, default=250.0, help="mean think time of an interactive client")
    args = ap.parse_args(argv)
    n_items = args.items or (2000 if args.quick else 10000)
    duration = args.duration or (4.0 if args.quick else 15.0)

    from rich.console import Console
    from rich.table import Table

    from lotusar.catalog.ingest import ingest_path
    from lotusar.catalog.store import open_catalog
    from lotusar.catalog.synthetic import synthetic_items
    from lotusar.service.demo import build_demo

    work = Path(tempfile.mkdtemp(prefix="lotusar-bench-"))
    paths = build_demo(work / "demo", size=2048)
    items = synthetic_items(n_items, seed=42)
    rows = []
    pg = None
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url = str(work / "bench.sqlite")
            else:
                from lotusar.catalog.pgserver import TempPostgres

                try:
                    pg = TempPostgres(dbname="bench")
                except Exception as e:  # not installed
                    print(f"postgis skipped: {e}")
                    continue
                url = pg.url
            cat = open_catalog(url)
            t0 = time.perf_counter()
            for b in range(0, len(items), 1000):
                cat.put_items(items[b:b + 1000])
            ingest_s = time.perf_counter() - t0
            ingest_path(cat, work / "demo" / "products")
            cat.close()
            ceil = inprocess_ceilings(url, paths["flood"])
            res = {}
            for cache in (True, False):
                proc, base = start_server(url, str(work / "demo"), args.workers, tile_cache=cache)
                try:
                    if cache:  # fill the tile caches first: the cached phases measure serving, not rendering
                        asyncio.run(load(base, "tiles", 8, 3.0 if args.quick else 8.0, seed=0))
                    for m in ("saturated", "interactive"):
                        think = args.think_ms / 1000 if m == "interactive" else 0.0
                        for k in (("static", "search", "tiles") if cache else ("tiles-cold",)):
                            res[(k, m)] = asyncio.run(load(base, k, args.clients, duration, think_s=think))
                finally:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(timeout=30)
            for k, m in res:
                if k == "static":
                    continue
                r = res[(k, m)]
                static = res[("static", m)]
                ceiling_ms = ceil["search_query_ms" if k == "search" else "tile_render_ms"]
                target = 100.0 if k == "search" else 200.0
                rows.append({"backend": backend, "mode": m, **r, "items": n_items, "ingest_items_per_s": n_items / ingest_s,
                             "inprocess_ms": ceiling_ms, "p50_over_inprocess": r["p50_ms"] / ceiling_ms,
                             "rps_over_static": r["rps"] / static["rps"], "static_rps": static["rps"],
                             "static_p99_ms": static["p99_ms"],
                             "target_p99_ms": target, "p99_over_target": r["p99_ms"] / target})
    finally:
        if pg is not None:
            pg.stop()
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    table = Table(title=f"lotusar serve — {n_items} items, {args.clients} clients, {duration:.0f} s per phase")
    for c in ("backend", "mode", "kind", "requests", "errors", "rps", "p50_ms", "p99_ms", "p99/target", "p50/in-process", "rps/static"):
        table.add_column(c)
    for r in rows:
        table.add_row(r["backend"], r["mode"], r["kind"], str(r["requests"]), str(r["errors"]), f"{r['rps']:.0f}", f"{r['p50_ms']:.1f}",
                      f"{r['p99_ms']:.1f}", f"{r['p99_over_target']:.2f}", f"{r['p50_over_inprocess']:.1f}", f"{r['rps_over_static']:.2f}")
    Console(width=160).print(table)
    out = {"items": n_items, "clients": args.clients, "duration_s": duration, "workers": args.workers, "think_ms": args.think_ms, "cpu_count": os.cpu_count(), "rows": rows,
           "peers_not_available": ["pgstac (not installable offline)", "TiTiler (not installed)"]}
    res_dir = ROOT / "bench" / "results"
    res_dir.mkdir(parents=True, exist_ok=True)
    (res_dir / "service.json").write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
