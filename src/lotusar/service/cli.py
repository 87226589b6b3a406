"""`lotusar serve` (parse and delegate only).

With no ``--catalog`` (and no ``$LOTUSAR_CATALOG``) it serves the newest ``make demo`` output
(``out/demo/catalog.sqlite`` with ``--data-root out/demo``) when there is one; otherwise it
serves the default catalog and says in one line how to fill it.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

DEMO_DIR = Path("out") / "demo"
FILL_HINT = ("lotusar: the catalog {url} is empty; fill it with `make demo` (then `lotusar serve` serves out/demo) "
             "or `lotusar catalog ingest DIR --catalog {url}`")


def demo_defaults(catalog: str | None, data_root: list[str]) -> tuple[str | None, list[str], str | None]:
    """(catalog, data roots, note): the newest ``make demo`` output when neither is given."""
    if catalog is not None or os.environ.get("LOTUSAR_CATALOG"):
        return catalog, data_root, None
    demo = DEMO_DIR / "catalog.sqlite"
    if demo.is_file():
        roots = data_root or [str(DEMO_DIR)]
        return str(demo), roots, f"lotusar: serving the demo catalog {demo} (data root {', '.join(roots)})"
    return None, data_root, None


def register_top_level(root: typer.Typer) -> None:
    """Mount ``lotusar serve`` on the root app."""

    @root.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
        catalog: str | None = typer.Option(
            None, "--catalog",
            help="SQLite file or postgresql:// URL (default $LOTUSAR_CATALOG, else the newest `make demo` "
            "output out/demo/catalog.sqlite, else ./lotusar-catalog.sqlite)."),
        data_root: list[str] = typer.Option(
            [], "--data-root",
            help="Folder whose files may be downloaded/tiled (repeatable; default $LOTUSAR_DATA_ROOTS, "
            "out/demo with the demo catalog, or the current folder)."),
        keys: str | None = typer.Option(
            None, "--keys",
            help="JSON file {key: {role, name}} of API keys, sent as X-API-Key (also $LOTUSAR_API_KEYS)."),
        fleet: str | None = typer.Option(None, "--fleet", help="Fleet file for passes and tasking (default: the built-in fleet)."),
        rate: float = typer.Option(2000.0, "--rate", help="Read requests per second per client (0: unlimited)."),
        write_rate: float = typer.Option(5.0, "--write-rate", help="Write requests per second per client (0: unlimited)."),
        max_body: int = typer.Option(1 << 20, "--max-body", help="Largest request body in bytes."),
        workers: int = typer.Option(1, "--workers", min=1, help="Server processes sharing the port."),
        log_level: str = typer.Option("warning", "--log-level"),
    ) -> None:
        """Serve the STAC API, tasking, tiles and the web map (/map)."""
        from lotusar.service.app import ServiceConfig
        from lotusar.service.app import serve as run

        catalog, roots, note = demo_defaults(catalog, list(data_root))
        if note:
            typer.echo(note, err=True)
        cfg = ServiceConfig(catalog_url=catalog, data_roots=roots, keys_file=keys, fleet_file=fleet, read_rate_per_s=rate,
                            read_burst=max(2 * rate, 1), write_rate_per_s=write_rate, write_burst=max(4 * write_rate, 1),
                            max_body_bytes=max_body)
        run(host, port, cfg, log_level=log_level, workers=workers,
            announce=lambda url: typer.echo(f"lotusar: serving {url} (map: {url}map, API docs: {url}docs)", err=True),
            on_empty=lambda url: typer.echo(FILL_HINT.format(url=url), err=True))
