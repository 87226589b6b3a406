"""Faults: a writer killed (SIGKILL) in the middle of an ingest loses nothing already
committed and leaves nothing half-written, on both backends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

from lotusar.catalog.store import open_catalog

BATCH = 25

CHILD = textwrap.dedent("""
    import sys
    from lotusar.catalog.store import open_catalog
    from lotusar.catalog.synthetic import synthetic_items
    cat = open_catalog(sys.argv[1])
    items = synthetic_items(4000, seed=7)
    for b in range(0, len(items), {batch}):
        cat.put_items(items[b:b + {batch}])
        print(b // {batch}, flush=True)
""").format(batch=BATCH)


def test_killed_ingest_keeps_committed_batches_whole(catalog_url, tmp_path):
    open_catalog(catalog_url).close()  # schema exists before the child starts
    p = subprocess.Popen([sys.executable, "-c", CHILD, catalog_url], stdout=subprocess.PIPE, text=True)
    committed = []
    for line in p.stdout:
        committed.append(int(line))
        if len(committed) == 4:
            os.kill(p.pid, signal.SIGKILL)  # the child is inside batch 5 now
            break
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL
    cat = open_catalog(catalog_url)  # "restart"
    n = cat.count_items()
    assert n % BATCH == 0, f"{n} items: a batch was half-written"
    assert n >= len(committed) * BATCH  # nothing committed was lost
    from lotusar.catalog.query import build_query
    from lotusar.catalog.synthetic import synthetic_items

    want = synthetic_items(4000, seed=7)[:n]
    got = cat.search_all(build_query({"sortby": "+id", "limit": 1000}))
    assert [i["id"] for i in got] == [i["id"] for i in want]
    for g, w in zip(got, want):  # every stored item is complete and intact
        assert g["geometry"] == w["geometry"] and g["properties"] == w["properties"] and g["assets"] == w["assets"]
    if hasattr(cat, "integrity_check"):
        assert cat.integrity_check() == "ok"
    cat.close()


def test_server_crash_and_restart_postgres(pg_server):
    """PostgreSQL stopped in 'immediate' mode (no checkpoint) keeps every committed item."""
    url = pg_server.new_database()
    cat = open_catalog(url)
    from lotusar.catalog.synthetic import synthetic_items

    items = synthetic_items(300, seed=2)
    cat.put_items(items)
    cat.close()
    pg_server.restart()
    cat = open_catalog(url)
    assert cat.count_items() == 300
    assert json.dumps(cat.get_item("lotusar-slc", items[17]["id"])["geometry"]) == json.dumps(items[17]["geometry"])
    cat.close()
