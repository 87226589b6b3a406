"""A throw-away local PostgreSQL/PostGIS server for tests and benchmarks.

``TempPostgres()`` runs ``initdb`` into a temporary directory, starts ``postgres`` on a free
loopback port (socket in the same directory), creates a database with the PostGIS extension
and yields its ``postgresql://`` URL; ``stop()`` shuts it down and removes the directory.
When running as root the server runs as the ``postgres`` system user (PostgreSQL refuses
root). Binaries are looked up on PATH and in /usr/lib/postgresql/*/bin.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from lotusar.errors import NotFoundError


def find_pg_bin() -> Path | None:
    """Folder holding initdb/pg_ctl/postgres, or None when PostgreSQL is not installed."""
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if cands:
        return Path(cands[-1]).parent
    w = shutil.which("initdb")
    return Path(os.path.realpath(w)).parent if w else None


def postgis_available(pg_bin: Path) -> bool:
    ver = pg_bin.parent.name
    return bool(glob.glob(f"/usr/share/postgresql/{ver}/extension/postgis*.control")
                or glob.glob("/usr/share/postgresql/*/extension/postgis*.control"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempPostgres:
    """Start a private PostgreSQL server; ``url`` is ready to use with PostGIS created.

    ``durable=False`` (tests, benchmarks) turns fsync off: a killed *server process* still
    loses nothing committed (the OS keeps the written pages); only a power loss would.
    """

    def __init__(self, dbname: str = "lotusar", port: int | None = None, durable: bool = False):
        pg = find_pg_bin()
        if pg is None or not postgis_available(pg):
            raise NotFoundError("PostgreSQL with PostGIS is not installed (initdb/postgis.control not found)")
        self.bin = pg
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="lotusar-pg-"))
        self.data = self.dir / "data"
        self.dbname = dbname
        self._as_root = os.geteuid() == 0
        if self._as_root:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            os.chmod(self.dir, 0o700)
        self._run([str(pg / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"])
        conf = (f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.dir}'\n"
                f"fsync = {'on' if durable else 'off'}\nfull_page_writes = {'on' if durable else 'off'}\n"
                "max_connections = 200\nshared_buffers = 64MB\nlog_min_messages = warning\n")
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(conf)
        self._run([str(pg / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log.txt"), "-w", "-t", "60", "start"])
        self._run([str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", dbname])
        self._run([str(pg / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", dbname, "-q",
                   "-c", "CREATE EXTENSION IF NOT EXISTS postgis"])
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        """URL of a fresh database cloned from this server's (PostGIS already created)."""
        self._n = getattr(self, "_n", 0) + 1
        name = f"{self.dbname}_{self._n}"
        base = self.url.rsplit("/", 1)[0]
        with psycopg.connect(base + "/postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.dbname}"')
        return f"{base}/{name}"

    def _run(self, cmd: list[str]) -> None:
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=str(self.dir) if not self._as_root else "/")
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:6])} failed: {p.stderr.strip()[-500:]}")

    def restart(self) -> None:
        """Immediate stop (like a crash: no checkpoint) then start again."""
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log.txt"), "-w", "-t", "60", "start"])

    def stop(self) -> None:
        try:
            # the directory is deleted next: no need for a shutdown checkpoint
            self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        except RuntimeError:  # the server is already down: nothing to stop
            pass
        time.sleep(0.1)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
