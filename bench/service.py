"""Service benchmark against its peers, in one run, on loopback: item search and XYZ tiles.

Search: one PostgreSQL/PostGIS server (``lotusar.catalog.pgserver.TempPostgres``) holds two
databases filled with the same N synthetic SAR items (10,000 by default) plus the demo items:
one in lotusar's PostGIS schema, one in pgstac's (``pypgstac migrate`` + ``Loader``). Served by
``lotusar serve`` and by stac-fastapi-pgstac (uvicorn), with the same number of worker
processes. Every client sends ``POST /search`` with a random 3°×3° bbox, a one-month datetime
window and limit 10 — the same request sequence to both.

Tiles: the demo flood-map COG (2048², paletted uint8) served by ``lotusar serve`` and by TiTiler
(``titiler.core.factory.TilerFactory``, WebMercatorQuad) for random tiles at z 9–13 inside it.
``tiles-cold`` turns lotusar's tile cache off (``LOTUSAR_TILE_CACHE=0``: every request reads the
COG and encodes a PNG, as TiTiler does); ``tiles`` is lotusar with its cache warmed first.

Load: an asyncio generator (httpx, one keep-alive connection per client) keeps 1, 10 and 50
clients busy for a fixed time in two modes — ``saturated`` (the next request as soon as the
answer arrives: latency = clients / throughput) and ``interactive`` (then an exponential think
time, mean 250 ms, like a map user). Reported per row: throughput, p50/p99, errors; the
machine's load average (1 min) before and after each phase is in the JSON and the table.

    python bench/service.py              # 10,000 items, 1/10/50 clients, 6 s per phase
    python bench/service.py --quick      # 2,000 items, 3 s per phase

Peers: ``pip install --no-deps -r requirements-bench.lock``. Results: bench/results/service.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import morecantile
import numpy as np
from rich.console import Console
from rich.table import Table

from lotusar.catalog.ingest import ingest_path
from lotusar.catalog.pgserver import TempPostgres
from lotusar.catalog.store import open_catalog
from lotusar.catalog.synthetic import synthetic_items
from lotusar.service.demo import FLOOD_BOUNDS, build_demo

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-operator-key"
TITILER_APP = """from fastapi import FastAPI
from titiler.core.factory import TilerFactory

app = FastAPI()
app.include_router(TilerFactory().router)
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(p: subprocess.Popen, url: str, path: str) -> str:
    t0 = time.monotonic()
    while time.monotonic() - t0 < 90:
        if p.poll() is not None:
            err = p.stderr.read().decode(errors="replace")[-2000:] if p.stderr else ""
            raise RuntimeError(f"server for {url} exited with {p.returncode}: {err}")
        try:
            if httpx.get(url + path, timeout=2).status_code == 200:
                return url
        except httpx.HTTPError:
            time.sleep(0.2)
    p.kill()
    raise RuntimeError(f"server for {url} did not start")


def start_lotusar(catalog: str, data_root: str, workers: int, tile_cache: bool) -> tuple[subprocess.Popen, str]:
    port = _port()
    env = dict(os.environ, LOTUSAR_API_KEYS=f"{KEY}=operator:bench", LOTUSAR_TILE_CACHE="1" if tile_cache else "0")
    p = subprocess.Popen([sys.executable, "-m", "lotusar", "serve", "--host", "127.0.0.1", "--port", str(port), "--catalog", catalog,
                          "--data-root", data_root, "--rate", "0", "--write-rate", "0", "--workers", str(workers)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p, _wait_up(p, f"http://127.0.0.1:{port}", "/conformance")


def start_pgstac(pg: TempPostgres, dbname: str, workers: int) -> tuple[subprocess.Popen, str]:
    port = _port()
    env = dict(os.environ, PGUSER="postgres", PGPASSWORD="unused", PGHOST="127.0.0.1", PGPORT=str(pg.port), PGDATABASE=dbname,
               DB_MIN_CONN_SIZE="1", DB_MAX_CONN_SIZE="25")
    p = subprocess.Popen([sys.executable, "-m", "uvicorn", "stac_fastapi.pgstac.app:create_app", "--factory", "--host", "127.0.0.1",
                          "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
                         env=env, cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return p, _wait_up(p, f"http://127.0.0.1:{port}", "/conformance")


def start_titiler(work: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = _port()
    (work / "titiler_bench_app.py").write_text(TITILER_APP)
    p = subprocess.Popen([sys.executable, "-m", "uvicorn", "titiler_bench_app:app", "--app-dir", str(work), "--host", "127.0.0.1",
                          "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ, GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"))
    return p, _wait_up(p, f"http://127.0.0.1:{port}", "/docs")


def stop(p: subprocess.Popen) -> None:
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def fill_pgstac(pg: TempPostgres, items: list[dict], extra: list[dict]) -> str:
    """A pgstac database on ``pg`` holding ``items`` + ``extra`` with their collections; its name."""
    from pypgstac.db import PgstacDB
    from pypgstac.load import Loader, Methods
    from pypgstac.migrate import Migrate

    url = pg.new_database()
    dbname = url.rsplit("/", 1)[1]
    with PgstacDB(dsn=url) as db:
        Migrate(db).run_migration()
        cols = [{"type": "Collection", "stac_version": "1.0.0", "id": c, "description": c, "license": "proprietary", "links": [],
                 "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]]}, "temporal": {"interval": [[None, None]]}}}
                for c in sorted({it["collection"] for it in items + extra})]
        Loader(db).load_collections(iter(cols), insert_mode=Methods.upsert)
        Loader(db).load_items(iter(items + extra), insert_mode=Methods.upsert)
    return dbname


def search_body(rng: random.Random) -> dict:
    w = rng.uniform(-175, 170)
    s = rng.uniform(-55, 62)
    m = rng.randint(1, 11)
    return {"bbox": [w, s, w + 3, s + 3], "datetime": f"2025-{m:02d}-01T00:00:00Z/2025-{m + 1:02d}-01T00:00:00Z", "limit": 10}


def tile_zxy(n: int, seed: int = 0) -> list[tuple[int, int, int]]:
    tms = morecantile.tms.get("WebMercatorQuad")
    rng = random.Random(seed)
    w, s, e, nn = FLOOD_BOUNDS
    out = []
    for _ in range(n):
        t = tms.tile(rng.uniform(w + 0.01, e - 0.01), rng.uniform(s + 0.01, nn - 0.01), rng.randint(9, 13))
        out.append((t.z, t.x, t.y))
    return out


def requester(kind: str, server: str, cog: Path):
    """``fn(client, rng)`` sending one request of ``kind`` to ``server`` (lotusar, pgstac, titiler)."""
    tiles = tile_zxy(5000)
    if kind == "search":
        return lambda c, rng: c.post("/search", json=search_body(rng))
    if server == "titiler":
        q = f"?url={cog}"
        return lambda c, rng: c.get("/tiles/WebMercatorQuad/{}/{}/{}.png".format(*rng.choice(tiles)) + q)
    return lambda c, rng: c.get("/tiles/flood_20251030/data/{}/{}/{}.png".format(*rng.choice(tiles)))


async def load(url: str, send, clients: int, duration_s: float, seed: int = 0, think_s: float = 0.0) -> dict:
    lat: list[float] = []
    errors = 0
    ctx = ssl.create_default_context()  # one context for all clients (httpx builds one per client otherwise)
    cs = [httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=1), verify=ctx) for _ in range(clients)]
    # warm-up: open every connection before the clock starts (connection set-up is not what we measure)
    await asyncio.gather(*(c.get("/conformance") for c in cs), return_exceptions=True)
    stop_t = time.perf_counter() + duration_s

    async def client(i: int, c) -> None:
        nonlocal errors
        rng = random.Random(seed * 1000 + i)
        while time.perf_counter() < stop_t:
            t0 = time.perf_counter()
            try:
                r = await send(c, rng)
                ok = r.status_code in (200, 204)
            except httpx.HTTPError:
                ok = False
            lat.append(time.perf_counter() - t0)
            errors += not ok
            if think_s > 0:
                await asyncio.sleep(rng.expovariate(1.0 / think_s))

    t0 = time.perf_counter()
    await asyncio.gather(*(client(i, c) for i, c in enumerate(cs)))
    wall = time.perf_counter() - t0
    for c in cs:
        await c.aclose()
    a = np.array(lat) * 1000
    return {"clients": clients, "think_ms": think_s * 1000, "requests": len(lat), "errors": errors, "rps": len(lat) / wall,
            "p50_ms": float(np.percentile(a, 50)), "p99_ms": float(np.percentile(a, 99))}


def run_phases(rows: list, server: str, kind: str, url: str, send, args) -> None:
    for mode in ("saturated", "interactive"):
        for clients in args.clients:
            load0 = os.getloadavg()[0]
            r = asyncio.run(load(url, send, clients, args.duration, think_s=args.think_ms / 1000 if mode == "interactive" else 0.0))
            rows.append({"server": server, "kind": kind, "mode": mode, **r, "load1_before": load0, "load1_after": os.getloadavg()[0]})
            print(f"  {server:8s} {kind:10s} {mode:11s} c={clients:2d}  {r['rps']:7.1f} req/s  p50 {r['p50_ms']:7.1f} ms  "
                  f"p99 {r['p99_ms']:7.1f} ms  errors {r['errors']}", flush=True)


def print_table(rows: list, title: str) -> None:
    table = Table(title=title)
    for c in ("kind", "mode", "clients", "server", "req/s", "p50 ms", "p99 ms", "errors", "load1"):
        table.add_column(c)
    for r in sorted(rows, key=lambda r: (r["kind"].replace("-cold", ""), r["kind"], r["mode"], r["clients"], r["server"])):
        table.add_row(r["kind"], r["mode"], str(r["clients"]), r["server"], f"{r['rps']:.0f}", f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}",
                      str(r["errors"]), f"{r['load1_before']:.1f}→{r['load1_after']:.1f}")
    Console(width=140).print(table)


def compare(rows: list[dict]) -> list[dict]:
    """lotusar against its peer in each phase: p99 and throughput ratios, and the targets
    (search p99 < 100 ms, tile p99 < 200 ms at 50 clients)."""
    peer_of = {"search": "pgstac", "tiles-cold": "titiler"}
    by = {(r["server"], r["kind"], r["mode"], r["clients"]): r for r in rows}
    out = []
    for (server, kind, mode, clients), r in sorted(by.items()):
        if server != "lotusar":
            continue
        target = 100.0 if kind == "search" else 200.0
        c = {"kind": kind, "mode": mode, "clients": clients, "lotusar_p99_ms": r["p99_ms"], "lotusar_rps": r["rps"],
             "target_p99_ms": target, "meets_target": r["p99_ms"] < target}
        peer = by.get((peer_of.get(kind, ""), kind, mode, clients))
        if peer is not None:
            c.update({"peer": peer["server"], "peer_p99_ms": peer["p99_ms"], "peer_rps": peer["rps"],
                      "p99_ratio": r["p99_ms"] / peer["p99_ms"], "rps_ratio": r["rps"] / peer["rps"]})
        out.append(c)
    return out


def print_comparison(cmp: list[dict]) -> None:
    table = Table(title="lotusar / peer (p99 ratio < 1 and rps ratio > 1: lotusar better)")
    for c in ("kind", "mode", "clients", "peer", "p99 ratio", "rps ratio", "lotusar p99 ms", "target ms", "meets"):
        table.add_column(c)
    for c in cmp:
        table.add_row(c["kind"], c["mode"], str(c["clients"]), c.get("peer", "—"), f"{c['p99_ratio']:.2f}" if "peer" in c else "—",
                      f"{c['rps_ratio']:.2f}" if "peer" in c else "—", f"{c['lotusar_p99_ms']:.1f}", f"{c['target_p99_ms']:.0f}",
                      "yes" if c["meets_target"] else "no")
    Console(width=140).print(table)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--items", type=int, default=None)
    ap.add_argument("--clients", default="1,10,50", help="comma-separated client counts")
    ap.add_argument("--duration", type=float, default=None, help="seconds per phase")
    ap.add_argument("--workers", type=int, default=2, help="server processes of every server")
    ap.add_argument("--think-ms", type=float, default=250.0, help="mean think time of an interactive client")
    ap.add_argument("--only", default="search,tiles", help="search, tiles or both")
    args = ap.parse_args(argv)
    args.clients = [int(c) for c in args.clients.split(",")]
    n_items = args.items or (2000 if args.quick else 10000)
    args.duration = args.duration or (3.0 if args.quick else 6.0)

    work = Path(tempfile.mkdtemp(prefix="lotusar-bench-"))
    rows: list[dict] = []
    pg = None
    try:
        paths = build_demo(work / "demo", size=2048)
        cog = Path(paths["flood"]).resolve()
        if "search" in args.only:
            pg = TempPostgres(dbname="bench")
            items = synthetic_items(n_items, seed=42)
            cat = open_catalog(pg.url)
            for b in range(0, len(items), 1000):
                cat.put_items(items[b:b + 1000])
            ingest_path(cat, work / "demo" / "products")
            cat.close()
            demo_items = [json.loads(p.read_text()) for p in sorted((work / "demo" / "products").glob("*.item.json"))]
            t0 = time.perf_counter()
            pgstac_db = fill_pgstac(pg, items, demo_items)
            print(f"pgstac: {n_items} items loaded in {time.perf_counter() - t0:.1f} s", flush=True)
            for server, start in (("lotusar", lambda: start_lotusar(pg.url, str(work / "demo"), args.workers, True)),
                                  ("pgstac", lambda: start_pgstac(pg, pgstac_db, args.workers))):
                proc, url = start()
                try:
                    run_phases(rows, server, "search", url, requester("search", server, cog), args)
                finally:
                    stop(proc)
        if "tiles" in args.only:
            url_cat = str(work / "tiles.sqlite")
            cat = open_catalog(url_cat)
            ingest_path(cat, work / "demo" / "products")
            cat.close()
            for server, kind, start in (
                    ("lotusar", "tiles-cold", lambda: start_lotusar(url_cat, str(work / "demo"), args.workers, False)),
                    ("titiler", "tiles-cold", lambda: start_titiler(work, args.workers)),
                    ("lotusar", "tiles", lambda: start_lotusar(url_cat, str(work / "demo"), args.workers, True))):
                proc, url = start()
                try:
                    send = requester("tiles", server, cog)
                    if kind == "tiles":  # fill the tile cache: this phase measures serving, not rendering
                        asyncio.run(load(url, send, 8, 3.0 * args.duration))
                    run_phases(rows, server, kind, url, send, args)
                finally:
                    stop(proc)
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    title = (f"lotusar vs stac-fastapi-pgstac / TiTiler — {n_items} items, {args.workers} workers each, {args.duration:.0f} s per phase, "
             f"{os.cpu_count()} CPUs")
    print_table(rows, title)
    cmp = compare(rows)
    print_comparison(cmp)
    out = {"items": n_items, "clients": args.clients, "duration_s": args.duration, "workers": args.workers, "think_ms": args.think_ms,
           "cpu_count": os.cpu_count(), "peers": {"stac-fastapi-pgstac": "7.2.0", "pypgstac": "0.10.0", "titiler.core": "2.4.0"},
           "rows": rows, "comparison": cmp}
    res_dir = ROOT / "bench" / "results"
    res_dir.mkdir(parents=True, exist_ok=True)
    (res_dir / "service.json").write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
