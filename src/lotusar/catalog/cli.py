"""`lotusar catalog` commands and `lotusar batch` (parse and delegate only)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)

_CATALOG_HELP = "SQLite file (default $LOTUSAR_CATALOG or ./lotusar-catalog.sqlite) or postgresql:// URL."


@app.command("ingest")
def ingest(
    path: str = typer.Argument(..., help="STAC item/collection JSON, a directory of them, or a product file (GeoTIFF/GeoJSON)."),
    catalog: str | None = typer.Option(None, "--catalog", help=_CATALOG_HELP),
    product_type: str | None = typer.Option(
        None, "--product-type", help="For product files without STAC JSON: raw, level0, slc, ard, flood, detections, plan."),
    batch_size: int = typer.Option(500, "--batch-size", min=1, help="Items per transaction."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Ingest STAC items/collections (transactional, idempotent); invalid items are rejected."""
    from lotusar.catalog.ingest import ingest_path
    from lotusar.catalog.store import open_catalog
    from lotusar.cliutil import print_json, print_table

    with open_catalog(catalog) as cat:
        res = ingest_path(cat, path, product_type=product_type, batch_size=batch_size)
    if as_json:
        print_json(res)
    else:
        print_table([{k: (len(v) if isinstance(v, list) else v) for k, v in res.items() if k != "ids"}], title=f"ingest {path}")


@app.command("search")
def search(
    bbox: str | None = typer.Option(None, "--bbox", help="W,S,E,N (degrees)."),
    datetime: str | None = typer.Option(None, "--datetime", help="Instant or A/B (.. for an open end)."),
    collections: str | None = typer.Option(None, "--collections", help="Comma-separated collection ids."),
    ids: str | None = typer.Option(None, "--ids", help="Comma-separated item ids."),
    filter: str | None = typer.Option(None, "--filter", help="CQL2-JSON filter."),
    sortby: str | None = typer.Option(None, "--sortby", help="+field,-field"),
    limit: int = typer.Option(100, "--limit", min=1, help="Maximum number of items."),
    catalog: str | None = typer.Option(None, "--catalog", help=_CATALOG_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print a GeoJSON FeatureCollection of the items."),
) -> None:
    """Search the catalog by area, time, collection, id and properties."""
    from lotusar.catalog.query import build_query
    from lotusar.catalog.store import open_catalog
    from lotusar.cliutil import print_json, print_table

    params = {"bbox": bbox, "datetime": datetime, "collections": collections, "ids": ids, "filter": filter, "sortby": sortby,
              "limit": min(limit, 10000)}
    q = build_query({k: v for k, v in params.items() if v is not None})
    with open_catalog(catalog) as cat:
        items = cat.search_all(q, max_items=limit)
    if as_json:
        print_json({"type": "FeatureCollection", "numberReturned": len(items), "features": items})
    else:
        print_table([{"collection": i["collection"], "id": i["id"],
                      "datetime": i["properties"].get("datetime") or i["properties"].get("start_datetime"),
                      "bbox": ",".join(f"{v:.3f}" for v in i["bbox"])} for i in items], title=f"{len(items)} items")


def register_top_level(root: typer.Typer) -> None:
    """Mount top-level commands owned by the catalog stage (``lotusar batch``)."""

    @root.command("batch")
    def batch(
        task: str = typer.Argument(..., help="cog (GeoTIFF → COG), item (STAC item per product), flood (flood map per scene)."),
        inputs: list[str] = typer.Argument(..., help="Input files (or directories: their *.tif)."),
        out: str = typer.Option(..., "--out", "-o", help="Output folder (one output per input, same stem)."),
        scheduler: str | None = typer.Option(None, "--scheduler", help="dask.distributed scheduler address (default: a LocalCluster)."),
        workers: int = typer.Option(2, "--workers", min=1, help="LocalCluster worker processes."),
        threads: int = typer.Option(1, "--threads", min=1, help="Threads per LocalCluster worker."),
        single: bool = typer.Option(False, "--single", help="Run in this process (no Dask) — the reference path."),
        product_type: str | None = typer.Option(None, "--product-type", help="For task 'item'."),
        ingest: str | None = typer.Option(None, "--ingest", help="Catalog to ingest the produced STAC items into."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Run a per-scene processing task over many inputs on dask.distributed."""
        from lotusar.catalog.batch import expand_inputs, run_batch
        from lotusar.cliutil import print_json, print_table

        res = run_batch(task, expand_inputs(inputs), out, scheduler=scheduler, n_workers=workers, threads_per_worker=threads,
                        single_process=single, product_type=product_type, progress=not as_json)
        if ingest:
            from lotusar.catalog.ingest import ingest_path
            from lotusar.catalog.store import open_catalog

            with open_catalog(ingest) as cat:
                for r in res["results"]:
                    for p in r.get("items", []):
                        ingest_path(cat, p)
        if as_json:
            print_json(res)
        else:
            print_table([{"input": r["input"], "output": r["output"], "sha256": r["sha256"][:16]} for r in res["results"]],
                        title=f"{task}: {len(res['results'])} scenes in {res['elapsed_s']:.2f} s on {res['executor']}")
