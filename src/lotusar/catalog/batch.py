"""Batch processing of many scenes on dask.distributed, identical to the single-process path.

:func:`run_batch` maps one per-scene task over the inputs — on a ``LocalCluster`` of worker
processes by default, on any running scheduler with ``scheduler="tcp://host:8786"``, or in
this process with ``single_process=True`` (the reference). Each task is a pure function of
(input file, output folder): it writes its outputs atomically under names derived from the
input stem and returns their SHA-256, so a distributed run can be checked against the single
process byte for byte. GDAL runs single-threaded inside tasks (``GDAL_NUM_THREADS=1``) so a
file's bytes never depend on thread scheduling; parallelism comes from scenes.

Tasks (``TASKS``):

- ``cog``: single-band GeoTIFF → Cloud-Optimized GeoTIFF through the one COG writer
  (:func:`lotusar.geo.cog.write_cog`: GDAL's COG driver, DEFLATE, 256² blocks, overviews with
  ``nearest`` for integer/paletted data and ``average`` for float, colour table and tags kept);
- ``item``: the STAC item of a product file (:func:`lotusar.catalog.items.make_item`);
- ``flood``: the flood map of an ARD backscatter scene (``lotusar.apps.pipeline.run_flood``).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import rasterio

from lotusar.apps.pipeline import run_flood
from lotusar.catalog.ingest import guess_product_type
from lotusar.catalog.items import make_item
from lotusar.errors import ValidationError
from lotusar.fileio import write_text_atomic
from lotusar.geo.cog import write_cog


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def cog_task(src: str, out_dir: str, **_: Any) -> dict:
    """Write ``out_dir/<stem>.tif`` as a COG of the single-band GeoTIFF ``src`` (the one COG writer,
    :func:`lotusar.geo.cog.write_cog`: 256² blocks, overviews nearest for integer/paletted data and
    average for float, colour table and tags kept); returns its hash."""
    os.environ["GDAL_NUM_THREADS"] = "1"
    dst = Path(out_dir) / (Path(src).stem + ".tif")
    with rasterio.open(src) as ds:
        if ds.count != 1:
            raise ValidationError(f"{src}: {ds.count} bands; the cog task writes single-band GeoTIFFs")
        data = ds.read(1)
        paletted = ds.colorinterp[0].name == "palette"
        colormap = ds.colormap(1) if paletted else None
        if ds.crs is None:
            raise ValidationError(f"{src}: GeoTIFF has no CRS; a COG for the catalog needs one")
        crs = ds.crs.to_string()
        info = (ds.transform, ds.nodata, ds.tags(), ds.descriptions[0])
    transform, nodata, tags, description = info
    integer = data.dtype.kind in "iu" or paletted
    with rasterio.Env(GDAL_NUM_THREADS="1"):
        write_cog(dst, data, transform, crs, nodata=nodata, description=description, tags=tags,
                  resampling="NEAREST" if integer else "AVERAGE", colormap=colormap, blocksize=256)
    return {"input": str(src), "output": str(dst), "sha256": _sha256(dst), "items": []}


def item_task(src: str, out_dir: str, product_type: str | None = None, **_: Any) -> dict:
    """Write ``out_dir/<stem>.json``: the STAC item of product file ``src``."""
    p = Path(src)
    item = make_item(p, product_type or guess_product_type(p)).to_dict(include_self_link=False, transform_hrefs=False)
    dst = Path(out_dir) / (p.stem + ".json")
    write_text_atomic(dst, json.dumps(item, indent=2, sort_keys=True) + "\n")
    return {"input": str(src), "output": str(dst), "sha256": _sha256(dst), "items": [str(dst)]}


def flood_task(src: str, out_dir: str, **_: Any) -> dict:
    """Flood map of an ARD scene: ``out_dir/<stem>_flood.tif`` (+ side products)."""
    os.environ["GDAL_NUM_THREADS"] = "1"
    dst = Path(out_dir) / (Path(src).stem + "_flood.tif")
    summary = run_flood(src, dst, png=False)
    outs = sorted(Path(v) for v in summary["outputs"].values())
    h = hashlib.sha256()
    for o in outs:
        if o.suffix != ".json":  # the stats/STAC JSON name the output folder; the rasters must match
            h.update(_sha256(o).encode())
    items = [str(o) for o in outs if o.name.endswith("_item.json")]
    return {"input": str(src), "output": str(dst), "sha256": h.hexdigest(), "items": items, "files": [str(o) for o in outs]}


TASKS: dict[str, Callable[..., dict]] = {"cog": cog_task, "item": item_task, "flood": flood_task}


def expand_inputs(paths: Sequence[str | os.PathLike]) -> list[str]:
    """Files as given; a directory contributes its ``*.tif``/``*.tiff`` (sorted)."""
    out: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += [str(f) for f in sorted(p.iterdir()) if f.suffix.lower() in (".tif", ".tiff")]
        elif p.is_file():
            out.append(str(p))
        else:
            raise FileNotFoundError(2, "No such file or directory", str(p))
    if not out:
        raise ValidationError("no input files")
    return out


def run_batch(task: str | Callable[..., dict], inputs: Sequence[str], out_dir: str | os.PathLike, *,
              scheduler: str | None = None, n_workers: int = 2, threads_per_worker: int = 1,
              single_process: bool = False, progress: bool = False, **kwargs: Any) -> dict:
    """Run ``task`` for every input; returns ``{"results": [...in input order...], "elapsed_s", "executor"}``."""
    fn = TASKS.get(task) if isinstance(task, str) else task
    if fn is None:
        raise ValidationError(f"unknown batch task {task!r}; one of {', '.join(TASKS)}")
    inputs = [str(Path(i).resolve()) for i in inputs]
    stems = [Path(i).stem for i in inputs]
    if len(set(stems)) != len(stems):
        raise ValidationError("two inputs share a file stem; their outputs would collide")
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if single_process:
        results = []
        for i in _progress(inputs, progress, "single process"):
            results.append(fn(i, str(out), **kwargs))
        return {"results": results, "elapsed_s": time.perf_counter() - t0, "executor": "single process"}

    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="30s")
        executor = f"scheduler {scheduler}"
    else:
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
        executor = f"LocalCluster {n_workers}×{threads_per_worker}"
    try:
        futures = client.map(fn, inputs, out_dir=str(out), pure=False, **kwargs)
        if progress:
            from rich.progress import Progress

            with Progress() as bar:
                tid = bar.add_task(executor, total=len(futures))
                for _ in as_completed(futures):
                    bar.advance(tid)
        results = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return {"results": list(results), "elapsed_s": time.perf_counter() - t0, "executor": executor}


def _progress(seq, show: bool, label: str):
    if not show:
        yield from seq
        return
    from rich.progress import track

    yield from track(seq, description=label)
