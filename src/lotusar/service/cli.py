"""`lotusar serve` (parse and delegate only)."""

from __future__ import annotations

from typing import Optional

import typer


def register_top_level(root: typer.Typer) -> None:
    """Mount ``lotusar serve`` on the root app."""

    @root.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
        catalog: Optional[str] = typer.Option(None, "--catalog", help="SQLite file (default $LOTUSAR_CATALOG or ./lotusar-catalog.sqlite) or postgresql:// URL."),
        data_root: list[str] = typer.Option([], "--data-root", help="Folder whose files may be downloaded/tiled (repeatable; default $LOTUSAR_DATA_ROOTS or the current folder)."),
        keys: Optional[str] = typer.Option(None, "--keys", help="JSON file {key: {role, name}} of API keys (also $LOTUSAR_API_KEYS)."),
        rate: float = typer.Option(2000.0, "--rate", help="Read requests per second per client (0: unlimited)."),
        write_rate: float = typer.Option(5.0, "--write-rate", help="Write requests per second per client (0: unlimited)."),
        max_body: int = typer.Option(1 << 20, "--max-body", help="Largest request body in bytes."),
        workers: int = typer.Option(1, "--workers", min=1, help="Server processes sharing the port."),
        log_level: str = typer.Option("warning", "--log-level"),
    ) -> None:
        """Serve the STAC API, tasking, tiles and the web map (/map)."""
        from lotusar.service.app import ServiceConfig, serve as run

        cfg = ServiceConfig(catalog_url=catalog, data_roots=list(data_root), keys_file=keys, read_rate_per_s=rate,
                            read_burst=max(2 * rate, 1), write_rate_per_s=write_rate, write_burst=max(4 * write_rate, 1),
                            max_body_bytes=max_body)
        run(host, port, cfg, log_level=log_level, workers=workers,
            announce=lambda url: typer.echo(f"lotusar: serving {url} (map: {url}map, API docs: {url}docs)", err=True))
