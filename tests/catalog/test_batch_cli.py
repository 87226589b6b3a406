"""Dask batch equals the single-process path byte for byte; the catalog CLI end to end."""

from __future__ import annotations

import json

import numpy as np


def _scenes(folder, n=3):
    import rasterio
    from rasterio.transform import from_origin

    folder.mkdir()
    rng = np.random.default_rng(0)
    paths = []
    for k in range(n):
        # gamma0-like linear backscatter with a dark (water) patch
        g0 = rng.gamma(4.0, 0.1 / 4.0, (300, 280)).astype(np.float32)
        g0[80:200, 60 + 20 * k:180 + 20 * k] *= 0.05
        p = folder / f"ard_{k}.tif"
        with rasterio.open(p, "w", driver="GTiff", height=300, width=280, count=1, dtype="float32", crs="EPSG:32631",
                           transform=from_origin(400000 + 10000 * k, 5000000, 20, 20)) as ds:
            ds.write(g0, 1)
            ds.update_tags(ACQUISITION_START=f"2025-04-0{k + 1}T05:00:00Z", ACQUISITION_STOP=f"2025-04-0{k + 1}T05:00:10Z",
                           acquisition_time=f"2025-04-0{k + 1}T05:00:00Z")
        paths.append(str(p))
    return paths


def test_dask_batch_equals_single_process(tmp_path):
    from lotusar.catalog.batch import run_batch

    scenes = _scenes(tmp_path / "in")
    single = run_batch("cog", scenes, tmp_path / "single", single_process=True)
    dist = run_batch("cog", scenes, tmp_path / "dask", n_workers=2, threads_per_worker=1)
    assert dist["executor"].startswith("LocalCluster")
    for a, b in zip(single["results"], dist["results"]):
        assert open(a["output"], "rb").read() == open(b["output"], "rb").read()
        assert a["sha256"] == b["sha256"]
    # the outputs are valid COGs whose pixels equal the inputs
    import rasterio
    from rio_cogeo.cogeo import cog_validate

    for src, r in zip(scenes, single["results"]):
        assert cog_validate(r["output"], quiet=True)[0]
        with rasterio.open(src) as a, rasterio.open(r["output"]) as b:
            assert np.array_equal(a.read(1), b.read(1))
    items1 = run_batch("item", [r["output"] for r in single["results"]], tmp_path / "items1", single_process=True, product_type="ard")
    items2 = run_batch("item", [r["output"] for r in single["results"]], tmp_path / "items2", n_workers=2, product_type="ard")
    for a, b in zip(items1["results"], items2["results"]):
        assert open(a["output"], "rb").read() == open(b["output"], "rb").read()


def test_catalog_cli_ingest_and_search(tmp_path, run_cli):
    from lotusar.catalog.batch import run_batch

    scenes = _scenes(tmp_path / "in", n=2)
    cogs = run_batch("cog", scenes, tmp_path / "cog", single_process=True)
    run_batch("item", [r["output"] for r in cogs["results"]], tmp_path / "cog", single_process=True, product_type="ard")
    cat = tmp_path / "cat.sqlite"
    r = run_cli("catalog", "ingest", tmp_path / "cog", "--catalog", cat, "--json", check=True)
    assert json.loads(r.stdout)["inserted"] == 2
    r = run_cli("catalog", "ingest", tmp_path / "cog", "--catalog", cat, "--json", check=True)
    assert json.loads(r.stdout)["unchanged"] == 2  # idempotent
    item = json.loads((tmp_path / "cog" / "ard_0.json").read_text())
    w, s, e, n = item["bbox"]
    r = run_cli("catalog", "search", "--bbox", f"{w},{s},{w + 0.01},{s + 0.01}", "--datetime", "2025-04-01T00:00:00Z/2025-04-01T23:59:59Z",
                "--json", "--catalog", cat, check=True)
    fc = json.loads(r.stdout)
    assert [f["id"] for f in fc["features"]] == ["ard_0"]
    r = run_cli("catalog", "search", "--bbox", "1,2,3", "--catalog", cat)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**item, "bbox": [0, 0, 0.1, 0.1]}))
    r = run_cli("catalog", "ingest", bad, "--catalog", cat)
    assert r.returncode == 2 and "does not contain" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run_cli("catalog", "ingest", tmp_path / "nope.json", "--catalog", cat)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def test_batch_cli_on_a_running_scheduler(tmp_path, run_cli):
    """`lotusar batch --scheduler ADDRESS` uses an existing dask cluster (here one started by the test)."""
    from dask.distributed import LocalCluster

    scenes = _scenes(tmp_path / "in", n=2)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40) as cluster:
        r = run_cli("batch", "cog", *scenes, "--out", tmp_path / "o", "--scheduler", cluster.scheduler_address, "--json",
                    check=True, timeout=120)
    res = json.loads(r.stdout)
    assert res["executor"] == f"scheduler {cluster.scheduler_address}"
    single = run_cli("batch", "cog", *scenes, "--out", tmp_path / "s", "--single", "--json", check=True)
    assert [x["sha256"] for x in res["results"]] == [x["sha256"] for x in json.loads(single.stdout)["results"]]
    r = run_cli("batch", "nonsense", *scenes, "--out", tmp_path / "o")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def test_dask_flood_batch_equals_single_process(tmp_path):
    """ARD → flood map for several scenes (lotusar.apps) on 2 worker processes."""
    from lotusar.catalog.batch import run_batch

    scenes = _scenes(tmp_path / "in")
    single = run_batch("flood", scenes, tmp_path / "single", single_process=True)
    dist = run_batch("flood", scenes, tmp_path / "dask", n_workers=2)
    for a, b in zip(single["results"], dist["results"]):
        assert a["sha256"] == b["sha256"]
        for fa, fb in zip(a["files"], b["files"]):
            da, db = open(fa, "rb").read(), open(fb, "rb").read()
            if fa.endswith(".json"):  # these name their own folder
                da = da.replace(str(tmp_path / "single").encode(), b"OUT")
                db = db.replace(str(tmp_path / "dask").encode(), b"OUT")
            assert da == db, fa
    # the apps stage's STAC items (no collection, relative hrefs) are catalogued as flood maps
    from lotusar.catalog.ingest import ingest_path
    from lotusar.catalog.store import open_catalog

    cat = open_catalog(tmp_path / "cat.sqlite")
    res = ingest_path(cat, tmp_path / "single")
    assert res["inserted"] == 3 and cat.count_items("lotusar-flood") == 3
    from lotusar.catalog.query import build_query

    it = cat.search_all(build_query({"limit": 10}))[0]
    assert all(a["href"].startswith(str(tmp_path / "single")) for a in it["assets"].values())
    cat.close()
