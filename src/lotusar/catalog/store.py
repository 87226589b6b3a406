"""The catalog store: one interface, two backends (embedded SQLite, PostgreSQL/PostGIS).

``open_catalog(url)`` picks the backend: a ``postgresql://`` (or ``postgres://``) URL selects
:class:`PostgresCatalog`; anything else is a file path (or ``sqlite:///path``) for
:class:`SQLiteCatalog`. The default path is ``$LOTUSAR_CATALOG`` or ``./lotusar-catalog.sqlite``.

Ingest is transactional: every item is validated, every local asset must exist and match its
``file:checksum`` *before* the transaction opens, and a batch of items is written in one
transaction — a reader (or a restart after a crash) sees all of it or none of it. Re-ingesting
an item with the same content is a no-op (content hash); changed content replaces the row.

SQLite: WAL journal, ``synchronous=FULL`` (a committed ingest survives power loss), an R-tree
on item bboxes and an exact shapely intersection test registered as an SQL function.
PostgreSQL: own schema ``lotusar`` (items as jsonb + geometry(4326) with a GiST index); why
not pgstac is written in docs/service.md.
"""

from __future__ import annotations

import abc
import hashlib
import json
import os
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
import shapely
from shapely.geometry import shape

from lotusar.catalog.items import (
    PRODUCT_TYPES,
    item_time_range,
    make_collection,
    validate_collection,
    validate_item,
    verify_checksum,
)
from lotusar.catalog.query import PostgresDialect, SearchQuery, SQLiteDialect, decode_token, encode_token
from lotusar.errors import NotFoundError, ValidationError
from lotusar.timeutil import iso_utc

DEFAULT_CATALOG = "lotusar-catalog.sqlite"


def default_catalog_url() -> str:
    """``$LOTUSAR_CATALOG`` or ``./lotusar-catalog.sqlite``."""
    return os.environ.get("LOTUSAR_CATALOG") or DEFAULT_CATALOG


@dataclass
class IngestResult:
    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"inserted": len(self.inserted), "updated": len(self.updated), "unchanged": len(self.unchanged),
                "collections": self.collections, "ids": self.inserted + self.updated + self.unchanged}


@dataclass
class SearchPage:
    items: list[dict]
    next_token: str | None


def _iso_seconds(t: float) -> str:
    """POSIX seconds → RFC 3339 UTC (fractional seconds only when present)."""
    dt = datetime.fromtimestamp(t, UTC)
    return iso_utc(dt, 6 if dt.microsecond else 0)


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_STRIP_RELS = {"self", "root", "parent", "collection"}


def _local_path(href: str) -> Path | None:
    u = urlparse(href)
    if u.scheme in ("", "file"):
        return Path(u.path if u.scheme == "file" else href)
    return None


def prepare_item(item: dict, verify_assets: bool = True) -> tuple[dict, str]:
    """Validate, check assets, drop navigation links; return (item, content hash)."""
    validate_item(item)
    iid = item["id"]
    if verify_assets:
        for key, a in item["assets"].items():
            p = _local_path(a["href"])
            if p is None:
                continue
            if not p.is_absolute():
                raise ValidationError(f"item {iid!r}: asset {key!r} href {a['href']!r} must be absolute (resolve it before ingest)")
            if not p.is_file():
                raise ValidationError(f"item {iid!r}: asset {key!r} file {p} does not exist (not written yet?)")
            cs = a.get("file:checksum")
            if cs and not verify_checksum(p, cs):
                raise ValidationError(f"item {iid!r}: asset {key!r} file {p} does not match its file:checksum")
            size = a.get("file:size")
            if size is not None and p.stat().st_size != size:
                raise ValidationError(f"item {iid!r}: asset {key!r} file {p} size differs from file:size")
    it = dict(item)
    it["links"] = [lk for lk in item.get("links", []) if isinstance(lk, dict) and lk.get("rel") not in _STRIP_RELS]
    return it, hashlib.sha256(canonical_json(it).encode()).hexdigest()


class Catalog(abc.ABC):
    """A STAC catalog store (collections, items, tasking requests)."""

    url: str

    # --- backend hooks -----------------------------------------------------------------------
    @abc.abstractmethod
    def _write_items(self, rows: list[tuple], result: IngestResult) -> None:
        """In ONE transaction upsert rows (collection, id, t_start, t_end, content_json, hash, geojson)."""

    @abc.abstractmethod
    def put_collection(self, collection: dict) -> bool:
        """Insert or replace a collection; True when it changed."""

    @abc.abstractmethod
    def _get_collection_row(self, cid: str) -> dict | None:
        """Backend hook."""

    @abc.abstractmethod
    def _collection_rows(self) -> list[dict]:
        """Backend hook."""

    @abc.abstractmethod
    def _collection_extent(self, cid: str) -> tuple[list[float], list[float | None]] | None:
        """Backend hook."""

    @abc.abstractmethod
    def _query(self, where: str, params: list, order: str, oparams: list, limit: int, key_exprs: list) -> list[tuple[dict, list]]:
        """Rows (item, [sort-key values]) matching ``where`` in ``order``."""

    @abc.abstractmethod
    def count_items(self, collection: str | None = None) -> int:
        """Backend hook."""

    @abc.abstractmethod
    def delete_item(self, cid: str, iid: str) -> bool:
        """Backend hook."""

    @abc.abstractmethod
    def put_task(self, task: dict) -> None:
        """Backend hook."""

    @abc.abstractmethod
    def get_task(self, tid: str) -> dict:
        """Backend hook."""

    @abc.abstractmethod
    def list_tasks(self, owner: str | None = None, limit: int = 100) -> list[dict]:
        """Backend hook."""

    @abc.abstractmethod
    def put_state(self, key: str, doc: dict) -> None:
        """Backend hook: store a named JSON document (e.g. the committed tasking plan)."""

    @abc.abstractmethod
    def get_state(self, key: str) -> dict | None:
        """Backend hook: the named JSON document, None when never stored."""

    @abc.abstractmethod
    def close(self) -> None:
        """Backend hook."""

    dialect: Any

    # --- shared logic --------------------------------------------------------------------------
    def get_collection(self, cid: str) -> dict:
        """A collection with its extent widened to the items it holds."""
        c = self._get_collection_row(cid)
        if c is None:
            raise NotFoundError(f"collection {cid!r} not found")
        return self._with_extent(c)

    def _with_extent(self, c: dict) -> dict:
        ext = self._collection_extent(c["id"])
        if ext:
            bb, (t0, t1) = ext
            c = json.loads(json.dumps(c))
            c["extent"]["spatial"]["bbox"] = [bb] + c["extent"]["spatial"]["bbox"][1:]
            span = [None if t0 is None else _iso_seconds(t0), None if t1 is None else _iso_seconds(t1)]
            c["extent"]["temporal"]["interval"] = [span] + c["extent"]["temporal"]["interval"][1:]
        return c

    def list_collections(self) -> list[dict]:
        return [self._with_extent(c) for c in self._collection_rows()]

    def ensure_collection(self, cid: str) -> bool:
        """Create ``lotusar-<type>`` collections on first use; other ids must exist."""
        if self._get_collection_row(cid) is not None:
            return False
        m = re.fullmatch(r"lotusar-(\w+)", cid)
        if m:
            if m.group(1) in PRODUCT_TYPES:
                self.put_collection(make_collection(m.group(1)).to_dict(include_self_link=False))
                return True
        raise ValidationError(f"collection {cid!r} does not exist; ingest the collection first")

    def put_items(self, items: list[dict], verify_assets: bool = True) -> IngestResult:
        """Validate all, check all assets, then write all in one transaction (all or nothing)."""
        prepared = []
        seen = set()
        for it in items:
            it2, h = prepare_item(it, verify_assets=verify_assets)
            key = (it2["collection"], it2["id"])
            if key in seen:
                raise ValidationError(f"item {it2['id']!r} appears twice in one ingest")
            seen.add(key)
            prepared.append((it2, h))
        result = IngestResult()
        for cid in sorted({it["collection"] for it, _ in prepared}):
            if self.ensure_collection(cid):
                result.collections.append(cid)
        rows = []
        for it, h in prepared:
            t0, t1 = item_time_range(it)
            rows.append((it["collection"], it["id"], t0, t1, canonical_json(it), h, it["geometry"]))
        if rows:
            self._write_items(rows, result)
        return result

    def put_item(self, item: dict, verify_assets: bool = True) -> IngestResult:
        return self.put_items([item], verify_assets=verify_assets)

    def get_item(self, cid: str, iid: str) -> dict:
        where, params = self.dialect.where(SearchQuery(ids=[iid], collections=[cid]))
        rows = self._query(where, params, "id", [], 1, [])
        if not rows:
            raise NotFoundError(f"item {iid!r} not found in collection {cid!r}")
        return rows[0][0]

    def find_item(self, iid: str, collection: str | None = None) -> dict:
        q = SearchQuery(ids=[iid], collections=[collection] if collection else None, limit=2)
        where, params = self.dialect.where(q)
        order, oparams = self.dialect.order(q)
        rows = self._query(where, params, order, oparams, 2, [])
        if not rows:
            raise NotFoundError(f"item {iid!r} not found")
        return rows[0][0]

    def search(self, q: SearchQuery) -> SearchPage:
        """One page of results and the token of the next page (None on the last page)."""
        d = self.dialect
        where, params = d.where(q)
        fp = q.fingerprint()
        if q.token:
            values = decode_token(q.token, fp)
            ks, kp = d.keyset(q, values)
            where, params = f"({where}) AND {ks}", params + kp
        order, oparams = d.order(q)
        key_exprs = [(e, p) for e, p, _, _ in d.sort_exprs(q)]
        rows = self._query(where, params, order, oparams, q.limit + 1, key_exprs)
        nxt = None
        if len(rows) > q.limit:
            rows = rows[: q.limit]
            nxt = encode_token(fp, rows[-1][1])
        return SearchPage([r[0] for r in rows], nxt)

    def search_all(self, q: SearchQuery, max_items: int = 1_000_000) -> list[dict]:
        out: list[dict] = []
        while True:
            page = self.search(q)
            out += page.items
            if not page.next_token or len(out) >= max_items:
                return out[:max_items]
            q = SearchQuery(**{**q.__dict__, "token": page.next_token})

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ========================================================================================= SQLite
@lru_cache(maxsize=256)
def _prepared(wkb: bytes):
    g = shapely.from_wkb(wkb)
    shapely.prepare(g)
    return g


def _sql_intersects(geom_wkb: bytes, query_wkb: bytes) -> int:
    return int(_prepared(query_wkb).intersects(shapely.from_wkb(geom_wkb)))


@lru_cache(maxsize=256)
def _like_regex(pattern: str):
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _sql_like(value: Any, pattern: str) -> int | None:
    if value is None:
        return None
    return int(_like_regex(pattern).fullmatch(str(value)) is not None)


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS collections(id TEXT PRIMARY KEY, content TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items(
  pk INTEGER PRIMARY KEY,
  collection TEXT NOT NULL REFERENCES collections(id),
  id TEXT NOT NULL,
  t_start REAL NOT NULL,
  t_end REAL NOT NULL,
  content TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  geom BLOB NOT NULL,
  UNIQUE(collection, id)
);
CREATE INDEX IF NOT EXISTS items_t_start ON items(t_start);
CREATE INDEX IF NOT EXISTS items_id ON items(id);
CREATE VIRTUAL TABLE IF NOT EXISTS items_rtree USING rtree(pk, minx, maxx, miny, maxy);
CREATE TABLE IF NOT EXISTS tasks(id TEXT PRIMARY KEY, owner TEXT, created REAL NOT NULL, content TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, content TEXT NOT NULL);
"""


class SQLiteCatalog(Catalog):
    """Embedded catalog: one SQLite file (WAL), no server; safe for many reader threads."""

    dialect = SQLiteDialect()

    def __init__(self, path: str | os.PathLike):
        p = str(path)
        if p.startswith("sqlite:///"):
            p = p[len("sqlite:///"):]
        self.path = Path(p)
        self.url = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._all: list = []
        c = self._conn()
        with self._write_lock:
            c.executescript(_SQLITE_SCHEMA)

    def _conn(self):
        c = getattr(self._local, "conn", None)
        if c is None:
            c = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            c.execute("PRAGMA journal_mode=WAL")
            c.execute("PRAGMA synchronous=FULL")
            c.execute("PRAGMA foreign_keys=ON")
            c.execute("PRAGMA busy_timeout=30000")
            c.create_function("lotusar_intersects", 2, _sql_intersects, deterministic=True)
            c.create_function("lotusar_like", 2, _sql_like, deterministic=True)
            self._local.conn = c
            self._all.append(c)
        return c

    def _write_items(self, rows, result):
        c = self._conn()
        with self._write_lock:
            c.execute("BEGIN IMMEDIATE")
            try:
                for coll, iid, t0, t1, content, h, geom in rows:
                    g = shape(geom)
                    old = c.execute("SELECT pk, content_hash FROM items WHERE collection=? AND id=?", (coll, iid)).fetchone()
                    if old and old[1] == h:
                        result.unchanged.append(iid)
                        continue
                    w, s, e, n = g.bounds
                    if old:
                        c.execute("UPDATE items SET t_start=?, t_end=?, content=?, content_hash=?, geom=? WHERE pk=?",
                                  (t0, t1, content, h, shapely.to_wkb(g), old[0]))
                        c.execute("UPDATE items_rtree SET minx=?, maxx=?, miny=?, maxy=? WHERE pk=?", (w, e, s, n, old[0]))
                        result.updated.append(iid)
                    else:
                        cur = c.execute("INSERT INTO items(collection, id, t_start, t_end, content, content_hash, geom) "
                                        "VALUES (?,?,?,?,?,?,?)",
                                        (coll, iid, t0, t1, content, h, shapely.to_wkb(g)))
                        c.execute("INSERT INTO items_rtree VALUES (?,?,?,?,?)", (cur.lastrowid, w, e, s, n))
                        result.inserted.append(iid)
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise

    def put_collection(self, collection: dict) -> bool:
        validate_collection(collection)
        col = dict(collection)
        col["links"] = [lk for lk in col.get("links", []) if isinstance(lk, dict) and lk.get("rel") not in _STRIP_RELS | {"item", "child"}]
        content = canonical_json(col)
        c = self._conn()
        with self._write_lock:
            old = c.execute("SELECT content FROM collections WHERE id=?", (col["id"],)).fetchone()
            if old and old[0] == content:
                return False
            c.execute("INSERT INTO collections(id, content) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET content=excluded.content",
                      (col["id"], content))
            return True

    def _get_collection_row(self, cid):
        r = self._conn().execute("SELECT content FROM collections WHERE id=?", (cid,)).fetchone()
        return json.loads(r[0]) if r else None

    def _collection_rows(self):
        return [json.loads(r[0]) for r in self._conn().execute("SELECT content FROM collections ORDER BY id")]

    def _collection_extent(self, cid):
        r = self._conn().execute(
            "SELECT min(r.minx), min(r.miny), max(r.maxx), max(r.maxy), min(i.t_start), max(i.t_end) "
            "FROM items i JOIN items_rtree r ON r.pk = i.pk WHERE i.collection=?", (cid,)).fetchone()
        if r is None or r[0] is None:
            return None
        return [r[0], r[1], r[2], r[3]], [r[4], r[5]]

    def _query(self, where, params, order, oparams, limit, key_exprs):
        keys = "".join(f", {e}" for e, _ in key_exprs)
        kparams = [x for _, p in key_exprs for x in p]
        sql = f"SELECT content{keys} FROM items WHERE {where} ORDER BY {order} LIMIT {int(limit)}"
        rows = self._conn().execute(sql, kparams + params + oparams).fetchall()
        return [(json.loads(r[0]), list(r[1:])) for r in rows]

    def count_items(self, collection=None):
        if collection:
            return self._conn().execute("SELECT count(*) FROM items WHERE collection=?", (collection,)).fetchone()[0]
        return self._conn().execute("SELECT count(*) FROM items").fetchone()[0]

    def delete_item(self, cid, iid):
        c = self._conn()
        with self._write_lock:
            c.execute("BEGIN IMMEDIATE")
            try:
                r = c.execute("SELECT pk FROM items WHERE collection=? AND id=?", (cid, iid)).fetchone()
                if r:
                    c.execute("DELETE FROM items_rtree WHERE pk=?", (r[0],))
                    c.execute("DELETE FROM items WHERE pk=?", (r[0],))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
        return r is not None

    def put_task(self, task):
        c = self._conn()
        with self._write_lock:
            c.execute("INSERT INTO tasks(id, owner, created, content) VALUES (?,?,?,?) "
                      "ON CONFLICT(id) DO UPDATE SET content=excluded.content",
                      (task["id"], task.get("owner"), time.time(), canonical_json(task)))

    def get_task(self, tid):
        r = self._conn().execute("SELECT content FROM tasks WHERE id=?", (tid,)).fetchone()
        if not r:
            raise NotFoundError(f"tasking request {tid!r} not found")
        return json.loads(r[0])

    def list_tasks(self, owner=None, limit=100):
        if owner:
            rows = self._conn().execute("SELECT content FROM tasks WHERE owner=? ORDER BY created, id LIMIT ?", (owner, limit))
        else:
            rows = self._conn().execute("SELECT content FROM tasks ORDER BY created, id LIMIT ?", (limit,))
        return [json.loads(r[0]) for r in rows]

    def put_state(self, key, doc):
        c = self._conn()
        with self._write_lock:
            c.execute("INSERT INTO state(key, content) VALUES (?,?) ON CONFLICT(key) DO UPDATE SET content=excluded.content",
                      (key, canonical_json(doc)))

    def get_state(self, key):
        r = self._conn().execute("SELECT content FROM state WHERE key=?", (key,)).fetchone()
        return json.loads(r[0]) if r else None

    def integrity_check(self) -> str:
        return self._conn().execute("PRAGMA integrity_check").fetchone()[0]

    def close(self):
        for c in self._all:
            try:
                c.close()
            except sqlite3.Error:  # already closed or owned by a finished thread
                pass
        self._all.clear()
        self._local = threading.local()


# ====================================================================================== PostgreSQL
_PG_SCHEMA = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE SCHEMA IF NOT EXISTS lotusar;
CREATE TABLE IF NOT EXISTS lotusar.collections(id text PRIMARY KEY, content jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS lotusar.items(
  collection text NOT NULL REFERENCES lotusar.collections(id),
  id text NOT NULL,
  t_start double precision NOT NULL,
  t_end double precision NOT NULL,
  content jsonb NOT NULL,
  content_hash text NOT NULL,
  geom geometry(Geometry, 4326) NOT NULL,
  PRIMARY KEY (collection, id)
);
CREATE INDEX IF NOT EXISTS items_geom_gist ON lotusar.items USING gist(geom);
CREATE INDEX IF NOT EXISTS items_t_start ON lotusar.items(t_start);
CREATE INDEX IF NOT EXISTS items_id ON lotusar.items(id);
CREATE INDEX IF NOT EXISTS items_props_gin ON lotusar.items USING gin((content->'properties') jsonb_path_ops);
CREATE TABLE IF NOT EXISTS lotusar.tasks(id text PRIMARY KEY, owner text, created double precision NOT NULL, content jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS lotusar.state(key text PRIMARY KEY, content jsonb NOT NULL);
"""


class PostgresCatalog(Catalog):
    """Catalog in PostgreSQL/PostGIS (schema ``lotusar``); one connection per thread."""

    dialect = PostgresDialect()

    def __init__(self, url: str):
        self.url = url
        self._local = threading.local()
        self._all: list = []
        c = self._conn()
        try:
            with c.transaction():
                c.execute("SELECT pg_advisory_xact_lock(72657)")  # serialise concurrent schema creation
                c.execute(_PG_SCHEMA)
        except psycopg.Error as e:
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ValidationError(f"cannot set up the lotusar schema in {url.split('@')[-1]}: {msg} "
                                  "(PostGIS must be installed; CREATE EXTENSION postgis needs a privileged role once)") from None

    def _conn(self):
        c = getattr(self._local, "conn", None)
        if c is None or c.closed:
            try:
                c = psycopg.connect(self.url, autocommit=True, options="-c search_path=lotusar,public")
            except psycopg.OperationalError as e:
                raise ValidationError(f"cannot connect to {self.url.split('@')[-1]}: {str(e).strip().splitlines()[0]}") from None
            self._local.conn = c
            self._all.append(c)
        return c

    def _write_items(self, rows, result):
        c = self._conn()
        with c.transaction():
            for coll, iid, t0, t1, content, h, geom in rows:
                old = c.execute("SELECT content_hash FROM lotusar.items WHERE collection=%s AND id=%s FOR UPDATE", (coll, iid)).fetchone()
                if old and old[0] == h:
                    result.unchanged.append(iid)
                    continue
                c.execute(
                    "INSERT INTO lotusar.items(collection, id, t_start, t_end, content, content_hash, geom) "
                    "VALUES (%s,%s,%s,%s,%s::jsonb,%s,ST_SetSRID(ST_GeomFromGeoJSON(%s),4326)) "
                    "ON CONFLICT (collection, id) DO UPDATE SET t_start=excluded.t_start, t_end=excluded.t_end, "
                    "content=excluded.content, content_hash=excluded.content_hash, geom=excluded.geom",
                    (coll, iid, t0, t1, content, h, json.dumps(geom)))
                (result.updated if old else result.inserted).append(iid)

    def put_collection(self, collection):
        validate_collection(collection)
        col = dict(collection)
        col["links"] = [lk for lk in col.get("links", []) if isinstance(lk, dict) and lk.get("rel") not in _STRIP_RELS | {"item", "child"}]
        c = self._conn()
        with c.transaction():
            old = c.execute("SELECT content FROM lotusar.collections WHERE id=%s", (col["id"],)).fetchone()
            if old and canonical_json(old[0]) == canonical_json(col):
                return False
            c.execute("INSERT INTO lotusar.collections(id, content) VALUES (%s, %s::jsonb) "
                      "ON CONFLICT (id) DO UPDATE SET content=excluded.content",
                      (col["id"], canonical_json(col)))
        return True

    def _get_collection_row(self, cid):
        r = self._conn().execute("SELECT content FROM lotusar.collections WHERE id=%s", (cid,)).fetchone()
        return r[0] if r else None

    def _collection_rows(self):
        return [r[0] for r in self._conn().execute('SELECT content FROM lotusar.collections ORDER BY id COLLATE "C"')]

    def _collection_extent(self, cid):
        r = self._conn().execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1 FROM "
            "(SELECT ST_Extent(geom)::geometry AS e, min(t_start) AS t0, max(t_end) AS t1 FROM lotusar.items WHERE collection=%s) s",
            (cid,)).fetchone()
        if r is None or r[0] is None:
            return None
        return [r[0], r[1], r[2], r[3]], [r[4], r[5]]

    def _query(self, where, params, order, oparams, limit, key_exprs):
        keys = "".join(f", {e}" for e, _ in key_exprs)
        kparams = [x for _, p in key_exprs for x in p]
        sql = f"SELECT content{keys} FROM lotusar.items WHERE {where} ORDER BY {order} LIMIT {int(limit)}"
        rows = self._conn().execute(sql, kparams + params + oparams).fetchall()
        return [(r[0], list(r[1:])) for r in rows]

    def count_items(self, collection=None):
        if collection:
            return self._conn().execute("SELECT count(*) FROM lotusar.items WHERE collection=%s", (collection,)).fetchone()[0]
        return self._conn().execute("SELECT count(*) FROM lotusar.items").fetchone()[0]

    def delete_item(self, cid, iid):
        r = self._conn().execute("DELETE FROM lotusar.items WHERE collection=%s AND id=%s", (cid, iid))
        return r.rowcount > 0

    def put_task(self, task):
        self._conn().execute(
            "INSERT INTO lotusar.tasks(id, owner, created, content) VALUES (%s,%s,%s,%s::jsonb) "
            "ON CONFLICT (id) DO UPDATE SET content=excluded.content",
            (task["id"], task.get("owner"), time.time(), canonical_json(task)))

    def get_task(self, tid):
        r = self._conn().execute("SELECT content FROM lotusar.tasks WHERE id=%s", (tid,)).fetchone()
        if not r:
            raise NotFoundError(f"tasking request {tid!r} not found")
        return r[0]

    def list_tasks(self, owner=None, limit=100):
        if owner:
            rows = self._conn().execute("SELECT content FROM lotusar.tasks WHERE owner=%s ORDER BY created, id LIMIT %s", (owner, limit))
        else:
            rows = self._conn().execute("SELECT content FROM lotusar.tasks ORDER BY created, id LIMIT %s", (limit,))
        return [r[0] for r in rows]

    def put_state(self, key, doc):
        self._conn().execute("INSERT INTO lotusar.state(key, content) VALUES (%s,%s::jsonb) "
                             "ON CONFLICT (key) DO UPDATE SET content=excluded.content", (key, canonical_json(doc)))

    def get_state(self, key):
        r = self._conn().execute("SELECT content FROM lotusar.state WHERE key=%s", (key,)).fetchone()
        return r[0] if r else None

    def close(self):
        for c in self._all:
            try:
                c.close()
            except psycopg.Error:  # already closed or broken: nothing to release
                pass
        self._all.clear()
        self._local = threading.local()


def open_catalog(url: str | os.PathLike | None = None) -> Catalog:
    """Open (creating if needed) the catalog at ``url``: ``postgresql://...`` or a SQLite path."""
    u = str(url) if url is not None else default_catalog_url()
    if u.startswith(("postgresql://", "postgres://")):
        return PostgresCatalog(u)
    if "://" in u and not u.startswith("sqlite:///"):
        raise ValidationError(f"catalog URL {u!r}: use a file path, sqlite:///path or postgresql://")
    return SQLiteCatalog(u)
