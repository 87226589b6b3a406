"""`lotusar serve` as a real process on both backends; killing it during HTTP ingests loses
nothing acknowledged and leaves nothing half-written after a restart."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx

from lotusar.catalog.synthetic import synthetic_items

OP = "operator-key-serve1"
BATCH = 20


def _port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(catalog, tmp_path):
    port = _port()
    env = dict(os.environ, LOTUSAR_API_KEYS=f"{OP}=operator:ops")
    p = subprocess.Popen([sys.executable, "-m", "lotusar", "serve", "--host", "127.0.0.1", "--port", str(port), "--catalog", catalog,
                          "--data-root", str(tmp_path), "--write-rate", "0"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        try:
            if httpx.get(url + "/conformance", timeout=1).status_code == 200:
                return p, url
        except httpx.HTTPError:
            time.sleep(0.1)
        if p.poll() is not None:
            raise AssertionError(p.stderr.read().decode())
    raise AssertionError("server did not start")


def test_serve_endpoints_and_kill_during_ingest(catalog_url, tmp_path):
    p, url = _start(catalog_url, tmp_path)
    try:
        land = httpx.get(url + "/").json()
        assert "https://api.stacspec.org/v1.0.0/core" in land["conformsTo"]
        assert httpx.get(url + "/openapi.json").json()["openapi"].startswith("3.")
        assert httpx.get(url + "/map").status_code in (200, 503)
        assert httpx.get(url + "/search").json()["type"] == "FeatureCollection"
        items = synthetic_items(2000, seed=21)
        acked: list[int] = []

        def writer():
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {OP}"}, timeout=10) as c:
                for b in range(0, len(items), BATCH):
                    try:
                        r = c.post("/collections/lotusar-slc/items", json={"type": "FeatureCollection", "features": items[b:b + BATCH]})
                    except httpx.HTTPError:
                        return
                    if r.status_code == 201:
                        acked.append(b // BATCH)
                    else:
                        return

        th = threading.Thread(target=writer)
        th.start()
        while len(acked) < 5 and th.is_alive():
            time.sleep(0.005)
        os.kill(p.pid, signal.SIGKILL)
        th.join(timeout=30)
        p.wait(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert len(acked) >= 5
    p2, url2 = _start(catalog_url, tmp_path)  # restart on the same catalog
    try:
        ids = []
        body = {"collections": ["lotusar-slc"], "limit": 500, "sortby": "+id"}
        while body:
            r = httpx.post(url2 + "/search", json=body).json()
            ids += [f["id"] for f in r["features"]]
            nl = next((lk for lk in r["links"] if lk["rel"] == "next"), None)
            body = nl["body"] if nl else None
    finally:
        p2.send_signal(signal.SIGTERM)
        p2.wait(timeout=20)
    assert len(ids) % BATCH == 0, "a half-written batch is visible"
    assert len(ids) >= len(acked) * BATCH  # every acknowledged batch survived
    assert ids == [i["id"] for i in items[: len(ids)]]


def test_serve_bad_catalog_url_is_one_line(run_cli):
    r = run_cli("serve", "--port", "1", "--catalog", "mysql://x")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def _serve_no_options(cwd, env_extra=None):
    """`lotusar serve --port P` (no catalog, no data root) in ``cwd``; returns (process, url)."""
    port = _port()
    env = {k: v for k, v in os.environ.items() if k not in ("LOTUSAR_CATALOG", "LOTUSAR_DATA_ROOTS")}
    p = subprocess.Popen([sys.executable, "-m", "lotusar", "serve", "--port", str(port)], cwd=cwd, env={**env, **(env_extra or {})},
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30:
        try:
            if httpx.get(url + "/conformance", timeout=1).status_code == 200:
                return p, url
        except httpx.HTTPError:
            time.sleep(0.1)
        if p.poll() is not None:
            raise AssertionError(p.stderr.read())
    raise AssertionError("server did not start")


def test_serve_without_options_serves_the_demo_output_or_says_how_to_fill(tmp_path):
    from lotusar.catalog.ingest import ingest_path
    from lotusar.catalog.store import open_catalog
    from lotusar.service.demo import build_demo

    empty = tmp_path / "empty"
    empty.mkdir()
    p, url = _serve_no_options(empty)
    try:
        assert httpx.get(url + "/search").json()["numberReturned"] == 0
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
    hint = [ln for ln in p.stderr.read().splitlines() if "empty" in ln]
    assert len(hint) == 1 and "make demo" in hint[0] and "lotusar catalog ingest" in hint[0]

    demo = tmp_path / "proj" / "out" / "demo"
    build_demo(demo, size=256)
    cat = open_catalog(demo / "catalog.sqlite")
    ingest_path(cat, demo / "products")
    cat.close()
    p, url = _serve_no_options(tmp_path / "proj")
    try:
        ids = {f["id"] for f in httpx.get(url + "/search", params={"limit": 100}).json()["features"]}
        assert ids == {"flood_20251030", "ard_20251030", "plan_20251031"}
        # the demo folder is the data root: its files download and tile
        assert httpx.get(url + "/collections/lotusar-flood/items/flood_20251030/assets/data").status_code == 200
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
    assert "out/demo/catalog.sqlite" in p.stderr.read()
