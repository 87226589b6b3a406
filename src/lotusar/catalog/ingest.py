"""Ingest STAC JSON files (item, collection, feature collection, catalog, or a directory of them).

Relative asset hrefs are resolved against the JSON file's folder, so a product folder written
by any stage (item JSON beside its COG) can be moved as a whole. Collections are written
before items; items go in batches, each batch one transaction (all of it or none of it).
A product file without STAC JSON (a GeoTIFF, a GeoJSON) can be ingested directly: an item is
built for it with :func:`lotusar.catalog.items.make_item`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import rasterio

from lotusar.catalog.items import PRODUCT_TYPES, make_item
from lotusar.catalog.store import Catalog, IngestResult
from lotusar.errors import InputFormatError, ValidationError


def _resolve_assets(item: dict, base: Path) -> dict:
    it = dict(item)
    assets = {}
    for k, a in (item.get("assets") or {}).items():
        if isinstance(a, dict) and isinstance(a.get("href"), str):
            u = urlparse(a["href"])
            if u.scheme == "" and not os.path.isabs(a["href"]):
                a = {**a, "href": str((base / a["href"]).resolve())}
            elif u.scheme == "file":
                a = {**a, "href": u.path}
        assets[k] = a
    it["assets"] = assets
    if not it.get("collection"):
        # items written by other stages may not name a collection: file them by product type
        props = it.get("properties") or {}
        pt = props.get("lotusar:product_type")
        if pt not in PRODUCT_TYPES:
            hint = " ".join([str(it.get("id", ""))] + list(assets)).lower()
            pt = next((k for k, words in _NAME_HINTS if any(w in hint for w in words)), None)
        if pt:
            it["collection"] = f"lotusar-{pt}"
    return it


def _load(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputFormatError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise InputFormatError(f"{path}: line {e.lineno} column {e.colno}: {e.msg}") from None


_NAME_HINTS = (("flood", ("flood", "water")), ("ard", ("ard", "gamma0", "nrb", "backscatter")),
               ("detections", ("detect", "ships")), ("plan", ("plan",)), ("slc", ("slc",)),
               ("level0", ("level0", "l0")), ("raw", ("raw", "echo")))


def guess_product_type(path: Path) -> str:
    """Product type from a GeoTIFF tag ``LOTUSAR_PRODUCT`` or from the file name."""
    name = path.name.lower()
    if path.suffix.lower() in (".tif", ".tiff"):
        with rasterio.open(path) as ds:
            t = ds.tags().get("LOTUSAR_PRODUCT") or ds.tags().get("product_type")
        if t and t.lower() in PRODUCT_TYPES:
            return t.lower()
    for key, words in _NAME_HINTS:
        if any(w in name for w in words):
            return key
    raise ValidationError(f"{path.name}: cannot tell the product type; pass --product-type ({', '.join(PRODUCT_TYPES)})")


def collect(path: str | os.PathLike, product_type: str | None = None) -> tuple[list[dict], list[dict], list[str]]:
    """(collections, items, skipped files) found at ``path``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    cols: list[dict] = []
    items: list[dict] = []
    skipped: list[str] = []
    seen: set[Path] = set()

    def visit(p: Path, strict: bool) -> None:
        p = p.resolve()
        if p in seen:
            return
        seen.add(p)
        if p.suffix.lower() not in (".json", ".geojson"):
            if strict:
                pt = product_type or guess_product_type(p)
                items.append(make_item(p, pt).to_dict(include_self_link=False, transform_hrefs=False))
            else:
                skipped.append(str(p))
            return
        doc = _load(p)
        kind = doc.get("type") if isinstance(doc, dict) else None
        all_stac = kind == "FeatureCollection" and all(isinstance(f, dict) and "stac_version" in f for f in doc.get("features", []))
        is_stac = isinstance(doc, dict) and ("stac_version" in doc or all_stac)
        if not is_stac:
            if strict and product_type:
                items.append(make_item(p, product_type).to_dict(include_self_link=False, transform_hrefs=False))
            elif strict:
                raise InputFormatError(f"{p}: not a STAC item, collection or catalog (no stac_version)")
            else:
                skipped.append(str(p))
            return
        if kind == "Feature":
            items.append(_resolve_assets(doc, p.parent))
        elif kind == "FeatureCollection":
            items.extend(_resolve_assets(f, p.parent) for f in doc.get("features", []))
        elif kind in ("Collection", "Catalog"):
            if kind == "Collection":
                cols.append(doc)
            for lk in doc.get("links", []):
                if isinstance(lk, dict) and lk.get("rel") in ("item", "child") and isinstance(lk.get("href"), str):
                    u = urlparse(lk["href"])
                    if u.scheme in ("", "file"):
                        child = (p.parent / (u.path if u.scheme == "file" else lk["href"])).resolve()
                        if child.is_file():
                            visit(child, True)
                            if kind == "Collection" and lk.get("rel") == "item" and items and not items[-1].get("collection"):
                                items[-1]["collection"] = doc["id"]
        else:
            raise InputFormatError(f"{p}: STAC type {kind!r} is not an item, collection or catalog")

    if path.is_dir():
        for f in sorted(path.rglob("*")):
            if f.is_file() and f.suffix.lower() in (".json", ".geojson") and not f.name.startswith("."):
                visit(f, False)
    else:
        visit(path, True)
    return cols, items, skipped


def ingest_path(catalog: Catalog, path: str | os.PathLike, product_type: str | None = None, batch_size: int = 500,
                progress: Callable[[int, int], None] | None = None) -> dict:
    """Ingest everything at ``path``; returns counts (inserted/updated/unchanged, skipped files)."""
    cols, items, skipped = collect(path, product_type)
    total = IngestResult()
    for c in cols:
        if catalog.put_collection(c):
            total.collections.append(c["id"])
    for i in range(0, len(items), batch_size):
        r = catalog.put_items(items[i:i + batch_size])
        total.inserted += r.inserted
        total.updated += r.updated
        total.unchanged += r.unchanged
        total.collections += r.collections
        if progress:
            progress(min(i + batch_size, len(items)), len(items))
    out = total.as_dict()
    out["skipped"] = skipped
    return out
