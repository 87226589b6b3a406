"""Item-search requests: parsing (STAC API GET/POST parameters) and SQL compilation.

A :class:`SearchQuery` is backend-independent; :class:`Dialect` turns it into a ``WHERE`` /
``ORDER BY`` for SQLite (JSON1 + R-tree + a shapely predicate) or PostgreSQL (jsonb + PostGIS),
so both backends answer the same question with the same semantics:

- ``bbox`` / ``intersects``: exact planar intersection with the item geometry in lon/lat (as
  PostGIS ``ST_Intersects`` on geometry(4326)); a bbox crossing the antimeridian (W > E) is split.
- ``datetime``: an instant or a closed interval ``A/B`` (open ends ``..``); an item matches when
  its [start, end] overlaps it.
- ``query`` (STAC query extension) and ``filter`` (CQL2-JSON: basic CQL2, advanced comparison
  operators, ``s_intersects``). A comparison only matches values of the literal's JSON type
  (a number never compares with a string), so both engines agree.
- ``sortby`` + keyset paging: the ``next`` token carries the sort-key values of the last item,
  so pages stay stable when items are added elsewhere in the order (no OFFSET drift).
"""

from __future__ import annotations

import abc
import base64
import binascii
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from shapely.errors import GEOSException, ShapelyError
from shapely.geometry import shape

from lotusar.errors import ValidationError
from lotusar.timeutil import iso_utc, parse_utc

MAX_LIMIT = 10000
DEFAULT_LIMIT = 10


@dataclass
class SearchQuery:
    """One item search (all criteria AND-ed)."""

    bbox: list[float] | None = None
    intersects: dict | None = None
    datetime_range: tuple[float | None, float | None] | None = None
    ids: list[str] | None = None
    collections: list[str] | None = None
    query: dict | None = None
    filter: dict | None = None
    sortby: list[tuple[str, str]] = field(default_factory=list)
    limit: int = DEFAULT_LIMIT
    token: str | None = None

    def fingerprint(self) -> str:
        """Hash of everything but limit/token: a token only continues the search it came from."""
        d = {k: getattr(self, k) for k in ("bbox", "intersects", "datetime_range", "ids", "collections", "query", "filter", "sortby")}
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------------- parsing
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_instant(s: str) -> float:
    """An RFC 3339 date-time, time zone included (STAC API ``datetime``) → POSIX seconds."""
    s = s.strip()
    if not _RFC3339.match(s):
        raise ValidationError(f"datetime {s!r} is not RFC 3339 (e.g. 2025-10-30T05:55:00Z)")
    return parse_utc(s, "datetime").timestamp()


def parse_datetime(value: str | None) -> tuple[float | None, float | None] | None:
    """STAC ``datetime`` parameter → (start, end) POSIX seconds (None for an open end)."""
    if value is None or value == "":
        return None
    if "/" in value:
        parts = value.split("/")
        if len(parts) != 2:
            raise ValidationError(f"datetime {value!r}: use A/B, ../B or A/..")
        a, b = (None if p in ("..", "") else parse_instant(p) for p in parts)
        if a is None and b is None:
            raise ValidationError(f"datetime {value!r}: both ends open")
        if a is not None and b is not None and b < a:
            raise ValidationError(f"datetime {value!r}: end before start")
        return (a, b)
    t = parse_instant(value)
    return (t, t)


def parse_bbox(value: Any) -> list[float] | None:
    """bbox as a list or 'W,S,E,N' (or 6 numbers with heights) → [W,S,E,N]."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = [float(v) for v in value.split(",")]
        except ValueError:
            raise ValidationError(f"bbox {value!r}: four comma-separated numbers W,S,E,N") from None
    if not isinstance(value, (list, tuple)) or len(value) not in (4, 6):
        raise ValidationError("bbox needs 4 (or 6) numbers")
    try:
        v = [float(x) for x in value]
    except (TypeError, ValueError):
        raise ValidationError("bbox values must be numbers") from None
    if len(v) == 6:
        v = [v[0], v[1], v[3], v[4]]
    w, s, e, n = v
    in_range = -90 <= s <= n <= 90 and -180 <= w <= 180 and -180 <= e <= 180
    if not all(abs(x) < 1e300 for x in v) or not in_range:
        raise ValidationError(f"bbox {v}: need -180≤W,E≤180, -90≤S≤N≤90")
    return v


def _geom_from_bbox(b: list[float]) -> dict:
    w, s, e, n = b
    if w <= e:
        return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
    return {"type": "MultiPolygon", "coordinates": [
        [[[w, s], [180.0, s], [180.0, n], [w, n], [w, s]]],
        [[[-180.0, s], [e, s], [e, n], [-180.0, n], [-180.0, s]]],
    ]}


def check_geojson(g: Any, what: str) -> dict:
    if not isinstance(g, dict) or "type" not in g:
        raise ValidationError(f"{what} must be a GeoJSON geometry object")
    try:
        s = shape(g)
    except (ShapelyError, GEOSException, ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
        raise ValidationError(f"{what} is not a valid GeoJSON geometry ({type(e).__name__})") from None
    if s.is_empty:
        raise ValidationError(f"{what} is empty")
    if not all(math.isfinite(x) for x in s.bounds):
        raise ValidationError(f"{what} has non-finite coordinates")
    return g


def _as_list(v: Any, what: str) -> list[str] | None:
    if v is None or v == "":
        return None
    if isinstance(v, str):
        v = [x for x in v.split(",") if x]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ValidationError(f"{what} must be a list of strings")
    return v


def parse_sortby(v: Any) -> list[tuple[str, str]]:
    """'+datetime,-id' or [{'field':..,'direction':..}] → [(field, 'asc'|'desc')]."""
    if v is None or v == "" or v == []:
        return []
    out = []
    if isinstance(v, str):
        for part in v.split(","):
            part = part.strip()
            if not part:
                continue
            d = "desc" if part.startswith("-") else "asc"
            out.append((part.lstrip("+- "), d))
    elif isinstance(v, list):
        for s in v:
            if not isinstance(s, dict) or not isinstance(s.get("field"), str):
                raise ValidationError("sortby entries need a 'field'")
            d = str(s.get("direction", "asc")).lower()
            if d not in ("asc", "desc"):
                raise ValidationError(f"sortby direction {d!r}: asc or desc")
            out.append((s["field"], d))
    else:
        raise ValidationError("sortby must be a string or a list")
    for f, _ in out:
        if not f or len(f) > 200:
            raise ValidationError("sortby field name empty or too long")
    return out


def _check_post_types(body: dict[str, Any]) -> None:
    """A POST body carries JSON types: bbox an array of numbers (not a CSV string), limit an integer."""
    if "bbox" in body and body["bbox"] is not None and not isinstance(body["bbox"], list):
        raise ValidationError("bbox in a POST body must be an array of numbers [W, S, E, N]")
    if "limit" in body and (isinstance(body["limit"], bool) or not isinstance(body["limit"], int)):
        raise ValidationError("limit in a POST body must be an integer")


def build_query(params: dict[str, Any], strict_types: bool = False) -> SearchQuery:
    """SearchQuery from STAC API parameters (a parsed GET query, or a POST body with ``strict_types``)."""
    if not isinstance(params, dict):
        raise ValidationError("search body must be a JSON object")
    if strict_types:
        _check_post_types(params)
    bbox = parse_bbox(params.get("bbox"))
    inter = params.get("intersects")
    if isinstance(inter, str):
        try:
            inter = json.loads(inter)
        except json.JSONDecodeError:
            raise ValidationError("intersects is not JSON") from None
    if inter is not None:
        inter = check_geojson(inter, "intersects")
    if bbox is not None and inter is not None:
        raise ValidationError("use bbox or intersects, not both")
    dt = params.get("datetime")
    if dt is not None and not isinstance(dt, str):
        raise ValidationError("datetime must be a string")
    lim = params.get("limit", DEFAULT_LIMIT)
    try:
        lim = int(lim)
    except (TypeError, ValueError):
        raise ValidationError("limit must be an integer") from None
    if lim < 1:
        raise ValidationError("limit must be ≥ 1")
    lim = min(lim, MAX_LIMIT)
    flt = params.get("filter")
    if isinstance(flt, str):
        try:
            flt = json.loads(flt)
        except json.JSONDecodeError:
            raise ValidationError("filter: only CQL2-JSON is supported (filter-lang=cql2-json)") from None
    fl = params.get("filter-lang") or params.get("filter_lang")
    if fl not in (None, "cql2-json"):
        raise ValidationError(f"filter-lang {fl!r} not supported; use cql2-json")
    q = params.get("query")
    if isinstance(q, str):
        try:
            q = json.loads(q)
        except json.JSONDecodeError:
            raise ValidationError("query is not JSON") from None
    if q is not None and not isinstance(q, dict):
        raise ValidationError("query must be an object {property: {op: value}}")
    token = params.get("token")
    if token is not None and not isinstance(token, str):
        raise ValidationError("token must be a string")
    sq = SearchQuery(
        bbox=bbox, intersects=inter, datetime_range=parse_datetime(dt),
        ids=_as_list(params.get("ids"), "ids"), collections=_as_list(params.get("collections"), "collections"),
        query=q, filter=flt, sortby=parse_sortby(params.get("sortby")), limit=lim, token=token,
    )
    # compile once now so a bad filter/query/sortby is a 4xx before any database work
    SQLiteDialect().where(sq)
    SQLiteDialect().order(sq)
    return sq


_EPOCH = parse_utc("1970-01-01T00:00:00Z")


def _iso_of(t: float) -> str:
    """POSIX seconds → RFC 3339 UTC (microseconds only when not zero)."""
    dt = _EPOCH + timedelta(seconds=t)
    return iso_utc(dt, 6 if dt.microsecond else 0)


# -------------------------------------------------------------------------------------- tokens
def encode_token(fp: str, values: list[Any]) -> str:
    raw = json.dumps({"f": fp, "v": values}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, fp: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        d = json.loads(raw)
    except (binascii.Error, ValueError):
        raise ValidationError("token is not a valid paging token") from None
    if not (isinstance(d, dict) and isinstance(d.get("v"), list)):
        raise ValidationError("token is not a valid paging token")
    if d.get("f") != fp:
        raise ValidationError("token belongs to a different search")
    return d["v"]


# ------------------------------------------------------------------------------------- dialects
_CMP = {"=": "=", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_QUERY_OPS = {"eq": "=", "neq": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def _number(v: Any) -> float | None:
    if isinstance(v, str):
        try:
            x = float(v)
        except ValueError:
            return None
        return x if math.isfinite(x) else None
    return None


def _either_type(op: str, prop: dict, val: Any) -> dict:
    """A query-extension comparison; a numeric string (``"34"``, as query strings carry values)
    also compares with number properties (each comparison only matches its own JSON type)."""
    num = _number(val)
    cmp = {"op": op, "args": [prop, val]}
    if num is None:
        return cmp
    return {"op": "or", "args": [cmp, {"op": op, "args": [prop, num]}]}


def query_to_cql2(q: dict) -> dict:
    """STAC query extension object → equivalent CQL2-JSON."""
    args = []
    for prop, ops in q.items():
        if not isinstance(ops, dict):
            raise ValidationError(f"query.{prop} must be an object of operators")
        for op, val in ops.items():
            p = {"property": prop}
            if op in _QUERY_OPS:
                args.append(_either_type(_QUERY_OPS[op], p, val))
            elif op == "in":
                if not isinstance(val, list):
                    raise ValidationError(f"query.{prop}.in needs a list")
                if not val:
                    raise ValidationError(f"query.{prop}.in needs a non-empty list")
                # a scalar property equal to one of the values, or an array property holding one of them
                args.append({"op": "or", "args": [_either_type("=", p, v) for v in val] + [{"op": "a_overlaps", "args": [p, val]}]})
            elif op in ("startsWith", "endsWith", "contains"):
                if not isinstance(val, str):
                    raise ValidationError(f"query.{prop}.{op} needs a string")
                esc = val.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                pat = {"startsWith": esc + "%", "endsWith": "%" + esc, "contains": "%" + esc + "%"}[op]
                args.append({"op": "like", "args": [p, pat]})
            else:
                raise ValidationError(f"query operator {op!r} not supported")
    if not args:
        raise ValidationError("query is empty")
    return args[0] if len(args) == 1 else {"op": "and", "args": args}


def _json_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    raise ValidationError(f"CQL2 literal {v!r}: only strings, numbers, booleans and timestamps compare")


class Dialect(abc.ABC):
    """SQL generation shared by both backends; subclasses say how to address JSON and geometry."""

    ph = "?"

    # hooks ----------------------------------------------------------------------------------
    @abc.abstractmethod
    def prop(self, name: str) -> tuple[str, list]:
        """SQL expression of property ``name`` (sortable, in the engine's JSON value type)."""

    @abc.abstractmethod
    def typed_prop_cmp(self, name: str, op: str, value: Any) -> tuple[str, list]:
        """``property op literal``, true only when the property has the literal's JSON type."""

    @abc.abstractmethod
    def prop_is_null(self, name: str) -> tuple[str, list]:
        """Property absent or JSON null."""

    @abc.abstractmethod
    def array_overlaps(self, name: str, values: list) -> tuple[str, list]:
        """Array property holding at least one of ``values`` (strings or numbers, each its own JSON type)."""

    @abc.abstractmethod
    def intersects(self, geojson: dict) -> tuple[str, list]:
        """Item geometry intersects the WGS84 GeoJSON geometry."""

    @abc.abstractmethod
    def like(self, expr: str, params: list, pattern: str) -> tuple[str, list]:
        """Case-sensitive CQL2 LIKE (``%``, ``_``, backslash escape)."""

    text_collate = ""

    # shared ---------------------------------------------------------------------------------
    def _column(self, name: str) -> str | None:
        return {"id": "id", "collection": "collection", "datetime": "t_start", "properties.datetime": "t_start",
                "start_datetime": "t_start", "end_datetime": "t_end"}.get(name)

    @staticmethod
    def _strip(name: str) -> str:
        return name[len("properties."):] if name.startswith("properties.") else name

    def where(self, q: SearchQuery) -> tuple[str, list]:
        parts: list[str] = []
        params: list = []
        ph = self.ph
        if q.ids:
            parts.append(f"id IN ({','.join([ph] * len(q.ids))})")
            params += q.ids
        if q.collections:
            parts.append(f"collection IN ({','.join([ph] * len(q.collections))})")
            params += q.collections
        if q.bbox is not None or q.intersects is not None:
            g = q.intersects if q.intersects is not None else _geom_from_bbox(q.bbox or [])
            s, p = self.intersects(g)
            parts.append(s)
            params += p
        if q.datetime_range is not None:
            a, b = q.datetime_range
            if b is not None:
                parts.append(f"t_start <= {ph}")
                params.append(b)
            if a is not None:
                parts.append(f"t_end >= {ph}")
                params.append(a)
        for tree in ([query_to_cql2(q.query)] if q.query else []) + ([q.filter] if q.filter is not None else []):
            s, p = self.cql2(tree)
            parts.append(s)
            params += p
        return (" AND ".join(f"({x})" for x in parts) or "1=1"), params

    def _literal_time(self, v: Any) -> float | None:
        if isinstance(v, dict) and "timestamp" in v:
            return parse_instant(str(v["timestamp"]))
        if isinstance(v, dict) and "date" in v:
            d = str(v["date"])
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", d):
                raise ValidationError(f"CQL2 date {d!r} is not YYYY-MM-DD")
            return parse_utc(d + "T00:00:00Z", "CQL2 date").timestamp()
        return None

    def cql2(self, e: Any) -> tuple[str, list]:
        """Compile one CQL2-JSON expression to (sql, params)."""
        if isinstance(e, bool):
            return ("1=1" if e else "1=0"), []
        if not isinstance(e, dict) or "op" not in e:
            raise ValidationError(f"CQL2: expected an operation object, got {str(e)[:60]}")
        op = str(e["op"]).lower()
        args = e.get("args")
        if not isinstance(args, list):
            raise ValidationError(f"CQL2 {op}: args must be a list")
        ph = self.ph
        if op in ("and", "or"):
            if len(args) < 2:
                raise ValidationError(f"CQL2 {op}: needs at least two arguments")
            subs = [self.cql2(a) for a in args]
            return (f" {op.upper()} ".join(f"({s})" for s, _ in subs)), [x for _, p in subs for x in p]
        if op == "not":
            if len(args) != 1:
                raise ValidationError("CQL2 not: one argument")
            s, p = self.cql2(args[0])
            return f"NOT ({s})", p
        if op == "isnull":
            if len(args) != 1 or not isinstance(args[0], dict) or "property" not in args[0]:
                raise ValidationError("CQL2 isNull: one property argument")
            name = self._strip(str(args[0]["property"]))
            col = self._column(name)
            if col:
                return "1=0", []
            return self.prop_is_null(name)
        if op == "s_intersects":
            if len(args) != 2:
                raise ValidationError("CQL2 s_intersects: two arguments")
            pa, ga = args
            if isinstance(ga, dict) and "property" in ga:
                pa, ga = ga, pa
            if not (isinstance(pa, dict) and pa.get("property") == "geometry"):
                raise ValidationError("CQL2 s_intersects: first argument must be {'property': 'geometry'}")
            if isinstance(ga, dict) and "bbox" in ga:
                bbox = parse_bbox(ga["bbox"])
                if bbox is None:
                    raise ValidationError("CQL2 s_intersects: empty bbox")
                geom = _geom_from_bbox(bbox)
            else:
                geom = check_geojson(ga, "s_intersects geometry")
            return self.intersects(geom)
        if op == "a_overlaps":
            if (len(args) != 2 or not isinstance(args[0], dict) or "property" not in args[0] or not isinstance(args[1], list)
                    or not args[1] or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in args[1])):
                raise ValidationError("CQL2 a_overlaps: a property and a non-empty list of strings/numbers")
            return self.array_overlaps(self._strip(str(args[0]["property"])), args[1])
        if op in _CMP or op in ("like", "in", "between"):
            if not args or not isinstance(args[0], dict) or "property" not in args[0]:
                raise ValidationError(f"CQL2 {op}: first argument must be a property reference")
            name = self._strip(str(args[0]["property"]))
            if not name:
                raise ValidationError("CQL2: empty property name")
            col = self._column(name)
            if op == "between":
                lo_hi = args[1:]
                if len(args) == 2 and isinstance(args[1], list):  # CQL2-JSON draft form: [property, [low, high]]
                    lo_hi = args[1]
                if len(lo_hi) != 2:
                    raise ValidationError("CQL2 between: property, low, high")
                s1, p1 = self.cql2({"op": ">=", "args": [args[0], lo_hi[0]]})
                s2, p2 = self.cql2({"op": "<=", "args": [args[0], lo_hi[1]]})
                return f"({s1}) AND ({s2})", p1 + p2
            if op == "in":
                if len(args) != 2 or not isinstance(args[1], list) or not args[1]:
                    raise ValidationError("CQL2 in: property and a non-empty list")
                subs = [self.cql2({"op": "=", "args": [args[0], v]}) for v in args[1]]
                return " OR ".join(f"({s})" for s, _ in subs), [x for _, p in subs for x in p]
            if len(args) != 2:
                raise ValidationError(f"CQL2 {op}: two arguments")
            val = args[1]
            if op == "like":
                if not isinstance(val, str):
                    raise ValidationError("CQL2 like: pattern must be a string")
                if col in ("id", "collection"):
                    return self.like(col, [], val)
                if col:
                    raise ValidationError(f"CQL2 like: {name} is not a string property")
                expr, p = self.text_of(name)
                return self.like(expr, p, val)
            sqlop = _CMP[op]
            if col in ("t_start", "t_end"):
                t = self._literal_time(val)
                if t is None and isinstance(val, str):
                    t = parse_instant(val)
                if t is None:
                    raise ValidationError(f"CQL2 {op}: {name} compares with a timestamp")
                if name in ("datetime", "properties.datetime") and sqlop in ("=", "<>"):
                    col = "t_start"
                return f"{col} {sqlop} {ph}", [t]
            if col:
                if not isinstance(val, str):
                    raise ValidationError(f"CQL2 {op}: {name} compares with a string")
                return f"{col}{self.text_collate} {sqlop} {ph}", [val]
            t = self._literal_time(val)
            if t is not None:
                val = _iso_of(t)
            if isinstance(val, dict) and "property" in val:
                raise ValidationError("CQL2: property-to-property comparison not supported")
            return self.typed_prop_cmp(name, sqlop, val)
        raise ValidationError(f"CQL2 operator {e['op']!r} not supported (basic CQL2, like/in/between, s_intersects)")

    @abc.abstractmethod
    def text_of(self, name: str) -> tuple[str, list]:
        """SQL text value of a string property (NULL for other JSON types)."""

    def sort_exprs(self, q: SearchQuery) -> list[tuple[str, list, str, bool]]:
        """[(sql expr, params, direction, nullable)]; always ends with the unique (collection, id)."""
        keys = list(q.sortby) or [("datetime", "desc")]
        out: list[tuple[str, list, str, bool]] = []
        seen = set()
        for f, d in keys:
            name = self._strip(f)
            col = self._column(name)
            if col:
                out.append((col + (self.text_collate if col in ("id", "collection") else ""), [], d, False))
                seen.add(col)
            else:
                expr, p = self.prop(name)
                out.append((expr, p, d, True))
        if "collection" not in seen:
            out.append(("collection" + self.text_collate, [], "asc", False))
        if "id" not in seen:
            out.append(("id" + self.text_collate, [], "asc", False))
        return out

    def order(self, q: SearchQuery) -> tuple[str, list]:
        parts, params = [], []
        for expr, p, d, nullable in self.sort_exprs(q):
            if nullable:
                parts.append(f"({expr}) IS NULL")
                params += p
            parts.append(f"{expr} {d.upper()}")
            params += p
        return ", ".join(parts), params

    def keyset(self, q: SearchQuery, values: list[Any]) -> tuple[str, list]:
        """WHERE clause selecting rows strictly after the row whose sort keys are ``values``."""
        keys = self.sort_exprs(q)
        if len(values) != len(keys):
            raise ValidationError("token does not match this search's sort order")
        ors, params = [], []
        for i, (expr, p, d, nullable) in enumerate(keys):
            conj, cp = [], []
            for j in range(i):
                ej, pj, _, nj = keys[j]
                vj = values[j]
                if vj is None:
                    conj.append(f"({ej}) IS NULL")
                    cp += pj
                else:
                    conj.append(f"{ej} = {self.value_ph(nj)}")
                    cp += pj + [self.value_param(vj, nj)]
            v = values[i]
            if v is None:
                continue  # nothing sorts after NULL on this key (NULLs last)
            op = ">" if d == "asc" else "<"
            after = f"{expr} {op} {self.value_ph(nullable)}"
            ap = p + [self.value_param(v, nullable)]
            if nullable:
                after = f"({after} OR ({expr}) IS NULL)"
                ap = ap + p
            conj.append(after)
            cp += ap
            ors.append("(" + " AND ".join(conj) + ")")
            params += cp
        return ("(" + " OR ".join(ors) + ")") if ors else "1=0", params

    def value_ph(self, is_json: bool) -> str:
        return self.ph

    def value_param(self, v: Any, is_json: bool) -> Any:
        return v


class SQLiteDialect(Dialect):
    ph = "?"

    @staticmethod
    def _path(name: str) -> str:
        return '$.properties."' + name.replace('"', "") + '"'

    def prop(self, name: str) -> tuple[str, list]:
        return "json_extract(content, ?)", [self._path(name)]

    def typed_prop_cmp(self, name: str, op: str, value: Any) -> tuple[str, list]:
        kind = _json_kind(value)
        types = {"boolean": "('true','false')", "number": "('integer','real')", "string": "('text')"}[kind]
        if kind == "boolean":
            value = 1 if value else 0
        path = self._path(name)
        return f"json_type(content, ?) IN {types} AND json_extract(content, ?) {op} ?", [path, path, value]

    def prop_is_null(self, name: str) -> tuple[str, list]:
        return "json_extract(content, ?) IS NULL", [self._path(name)]

    def array_overlaps(self, name: str, values: list) -> tuple[str, list]:
        conds, params = [], [self._path(name), self._path(name)]
        for v in values:
            conds.append("(e.type = 'text' AND e.value = ?)" if isinstance(v, str) else "(e.type IN ('integer','real') AND e.value = ?)")
            params.append(v)
        return (f"json_type(content, ?) = 'array' AND EXISTS (SELECT 1 FROM json_each(content, ?) AS e WHERE {' OR '.join(conds)})",
                params)

    def intersects(self, geojson: dict) -> tuple[str, list]:
        g = shape(geojson)
        w, s, e, n = g.bounds
        return ("pk IN (SELECT pk FROM items_rtree WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?) "
                "AND lotusar_intersects(geom, ?)"), [e, w, n, s, g.wkb]

    def text_of(self, name: str) -> tuple[str, list]:
        path = self._path(name)
        return "(CASE WHEN json_type(content, ?) = 'text' THEN json_extract(content, ?) END)", [path, path]

    def like(self, expr: str, params: list, pattern: str) -> tuple[str, list]:
        # CQL2 like: % and _ wildcards, backslash escapes, case-sensitive
        return f"lotusar_like({expr}, ?)", params + [pattern]


class PostgresDialect(Dialect):
    ph = "%s"
    text_collate = ' COLLATE "C"'

    def prop(self, name: str) -> tuple[str, list]:
        return "(content->'properties'->%s)", [name]

    def typed_prop_cmp(self, name: str, op: str, value: Any) -> tuple[str, list]:
        kind = _json_kind(value)
        return (f"jsonb_typeof(content->'properties'->%s) = '{kind}' AND (content->'properties'->%s) {op} %s::jsonb",
                [name, name, json.dumps(value)])

    def prop_is_null(self, name: str) -> tuple[str, list]:
        return "coalesce(jsonb_typeof(content->'properties'->%s), 'null') = 'null'", [name]

    def array_overlaps(self, name: str, values: list) -> tuple[str, list]:
        return ("jsonb_typeof(content->'properties'->%s) = 'array' AND EXISTS (SELECT 1 FROM jsonb_array_elements("
                "content->'properties'->%s) AS e(v) WHERE e.v IN (" + ",".join(["%s::jsonb"] * len(values)) + "))",
                [name, name] + [json.dumps(v) for v in values])

    def intersects(self, geojson: dict) -> tuple[str, list]:
        return "ST_Intersects(geom, ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326))", [json.dumps(geojson)]

    def text_of(self, name: str) -> tuple[str, list]:
        e = "(content->'properties'->%s)"
        return f"(CASE WHEN jsonb_typeof({e}) = 'string' THEN ({e} #>> '{{}}') END)", [name, name]

    def like(self, expr: str, params: list, pattern: str) -> tuple[str, list]:
        return f"{expr} LIKE %s", params + [pattern]  # case-sensitive; backslash is the escape

    def value_ph(self, is_json: bool) -> str:
        return "%s::jsonb" if is_json else "%s"

    def value_param(self, v: Any, is_json: bool) -> Any:
        return json.dumps(v) if is_json else v
