"""Derived products of the applications: polygons, per-region statistics, PNG maps, STAC items.

I/O-facing helpers (they format results for files); the classification itself lives in
:mod:`lotusar.apps.flood`, :mod:`lotusar.apps.ships` and :mod:`lotusar.apps.change`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from affine import Affine
from rasterio import features
from rasterio.warp import transform_geom
from scipy import ndimage as ndi

from lotusar.apps.rasterio_io import Raster, footprint_lonlat, pixel_area_m2
from lotusar.catalog.items import build_item
from lotusar.cliutil import to_json
from lotusar.errors import ValidationError
from lotusar.fileio import atomic_path, write_text_atomic
from lotusar.timeutil import parse_utc

__all__ = ["class_polygons", "region_statistics", "save_class_png", "save_detections_png", "write_stac_item",
           "FLOOD_COLOURS"]

FLOOD_COLOURS = {
    0: (235, 225, 200, 255),
    1: (30, 100, 230, 255),
    2: (10, 30, 110, 255),
    3: (40, 180, 120, 255),
    255: (0, 0, 0, 0),
}


def class_polygons(classes: np.ndarray, raster: Raster, class_names: dict[int, str],
                   values: tuple[int, ...], confidence: np.ndarray | None = None) -> list[dict]:
    """One GeoJSON polygon per 4-connected object of the given classes.

    Coordinates are lon/lat (RFC 7946) when the raster is georeferenced, else pixel
    (col, row). Properties: ``class``, ``class_name``, ``pixels``, ``area_m2`` (when
    georeferenced) and ``mean_confidence`` (when a confidence layer is given).
    """
    cls = np.asarray(classes)
    four = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]])
    gid = np.zeros(cls.shape, np.int32)
    cls_of: list[int] = [0]
    for v in values:
        lab, n = ndi.label(cls == v, four)
        if n:
            gid[lab > 0] = lab[lab > 0] + (len(cls_of) - 1)
            cls_of.extend([int(v)] * n)
    n = len(cls_of) - 1
    if n == 0:
        return []
    idx = np.arange(1, n + 1)
    pixels = ndi.sum(np.ones(cls.shape), gid, idx)
    area = pixel_area_m2(raster) if raster.georeferenced else None
    areas = ndi.sum(np.broadcast_to(np.asarray(area, dtype=np.float64), cls.shape), gid, idx) if area is not None else None
    confs = ndi.mean(np.nan_to_num(confidence), gid, idx) if confidence is not None else None
    transform = raster.transform if raster.georeferenced else Affine.identity()
    reproject = raster.georeferenced and raster.crs.to_epsg() != 4326
    out = []
    for geom, value in features.shapes(gid, mask=gid > 0, transform=transform, connectivity=4):
        k = int(value)
        v = cls_of[k]
        props = {"class": v, "class_name": class_names.get(v, str(v)), "pixels": int(pixels[k - 1])}
        if areas is not None:
            props["area_m2"] = float(areas[k - 1])
        if confs is not None:
            props["mean_confidence"] = float(confs[k - 1])
        if reproject:
            geom = transform_geom(raster.crs, "EPSG:4326", geom)
        out.append({"type": "Feature", "geometry": geom, "properties": props})
    return out


def region_statistics(classes: np.ndarray, raster: Raster, class_names: dict[int, str],
                      regions: dict | None = None, pixel_spacing_m: float | None = None) -> list[dict]:
    """Area (km²) and share of each class in each region (whole scene when no regions given).

    ``regions`` is a GeoJSON FeatureCollection in lon/lat for a georeferenced raster, in pixel
    coordinates (x = column, y = row) otherwise; a feature's ``name`` (or ``id``) property labels
    its row. Without georeferencing, areas use ``pixel_spacing_m`` (NaN when not given).
    """
    if raster.georeferenced:
        area = pixel_area_m2(raster)
    else:
        area = pixel_spacing_m**2 if pixel_spacing_m else np.nan
    area = np.broadcast_to(np.asarray(area, dtype=np.float64), classes.shape)
    zones: list[tuple[str, np.ndarray]] = []
    if regions:
        transform = raster.transform if raster.georeferenced else Affine.identity()
        for i, feat in enumerate(regions.get("features", [])):
            props = feat.get("properties") or {}
            name = str(props.get("name", props.get("id", feat.get("id", f"region-{i + 1}"))))
            geom = feat.get("geometry")
            if not geom:
                raise ValidationError(f"region {name!r} has no geometry")
            if raster.georeferenced and raster.crs.to_epsg() != 4326:
                geom = transform_geom("EPSG:4326", raster.crs, geom)
            m = features.rasterize([(geom, 1)], out_shape=classes.shape, transform=transform,
                                   dtype=np.uint8).astype(bool)
            zones.append((name, m))
    else:
        zones.append(("scene", np.ones(classes.shape, bool)))
    rows = []
    for name, zm in zones:
        valid = zm & (classes != 255)
        row = {"region": name, "valid_km2": float(area[valid].sum() / 1e6), "pixels_valid": int(valid.sum())}
        for k, cname in class_names.items():
            if k == 255:
                continue
            m = zm & (classes == k)
            key = cname.replace(" ", "_")
            row[f"{key}_pixels"] = int(m.sum())
            row[f"{key}_km2"] = float(area[m].sum() / 1e6)
            row[f"{key}_fraction"] = float(m.sum() / valid.sum()) if valid.sum() else 0.0
        rows.append(row)
    return rows


def _rgba(c: tuple) -> tuple[float, float, float, float]:
    """8-bit RGBA → matplotlib's 0–1 floats."""
    r, g, b, a = (float(v) / 255 for v in (tuple(c) + (255,))[:4])
    return r, g, b, a


def _finish_png(fig, ax, title: str, path: str | Path) -> Path:
    """Title, no axes, tight layout; write the quicklook PNG atomically and free the figure."""
    import matplotlib.pyplot as plt  # pyplot only where a quicklook is drawn (import cost)

    ax.set_title(title)
    ax.axis("off")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return Path(path)


def save_class_png(path: str | Path, classes: np.ndarray, background: np.ndarray | None, title: str,
                   colours: dict[int, tuple] = FLOOD_COLOURS, names: dict[int, str] | None = None) -> Path:
    """PNG map: grey backscatter under the coloured classes, with a legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    h, w = classes.shape
    fig, ax = plt.subplots(figsize=(8, 8 * h / max(w, 1) + 0.6), dpi=100)
    if background is not None:
        lo, hi = np.nanpercentile(background, [2, 98])
        ax.imshow(background, cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
    rgba = np.zeros((h, w, 4), np.float32)
    for k, c in colours.items():
        if k in (0, 255) and background is not None:
            continue
        rgba[classes == k] = np.array(c, np.float32) / 255.0
    ax.imshow(rgba, interpolation="nearest")
    if names:
        ax.legend(handles=[Patch(color=_rgba(colours[k]), label=n) for k, n in names.items()
                           if k != 255 and k in colours], loc="lower right", fontsize=8)
    return _finish_png(fig, ax, title, path)


def write_stac_item(path: str | Path, item_id: str, raster: Raster | None, assets: dict[str, dict],
                    properties: dict, when: datetime | None = None, product_type: str = "flood") -> Path:
    """Write the STAC Item describing the outputs (built by the catalog's
    :func:`lotusar.catalog.items.build_item`, collection ``lotusar-<product_type>``); asset hrefs
    are relative to the item."""
    geom = footprint_lonlat(raster)[1] if raster is not None and raster.georeferenced else None
    if when is None:
        tag = (raster.tags.get("TIFFTAG_DATETIME") or raster.tags.get("acquisition_time")) if raster else None
        when = _parse_when(tag) or datetime.now(UTC)
    item_dir = Path(path).resolve().parent
    relative = {}
    for key, a in assets.items():
        href = Path(a["href"]).resolve()
        try:
            rel = href.relative_to(item_dir).as_posix()
        except ValueError:
            rel = str(href)
        relative[key] = {**a, "href": rel}
    item = build_item(item_id, geometry=geom, datetime_utc=when, properties=properties, assets=relative,
                      collection_id=f"lotusar-{product_type}")
    d = item.to_dict(include_self_link=False, transform_hrefs=False)
    write_text_atomic(path, to_json(d) + "\n")
    return Path(path)


def _parse_when(tag: str | None) -> datetime | None:
    """Acquisition time from a TIFF ``DateTime`` tag (``YYYY:MM:DD HH:MM:SS``) or ISO 8601; None
    when the tag is absent or not a time (the item then carries the processing time)."""
    if not tag:
        return None
    text = tag.strip()
    if re.fullmatch(r"\d{4}:\d{2}:\d{2} \d{2}:\d{2}:\d{2}", text):
        text = text[:10].replace(":", "-") + "T" + text[11:]
    try:
        return parse_utc(text)
    except ValidationError:
        return None


def save_detections_png(path: str | Path, band: np.ndarray, rows, cols, confidence, title: str) -> Path:
    """PNG of an image with its detections circled (colour = confidence)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 8 * band.shape[0] / max(band.shape[1], 1)), dpi=100)
    lo, hi = np.nanpercentile(band, [1, 99])
    ax.imshow(band, cmap="gray", vmin=lo, vmax=hi)
    if len(rows):
        ax.scatter(cols, rows, s=120, facecolors="none", edgecolors=plt.cm.autumn(np.asarray(confidence)),
                   linewidths=1.5)
    return _finish_png(fig, ax, title, path)
