"""Orchestration: file in → computation → COG/GeoJSON/PNG/STAC out (what the CLI calls).

Each ``run_*`` function reads its inputs, calls the pure functions of the method modules and
writes every output atomically. Output names derive from ``out``: for ``flood.tif`` the
outputs are ``flood.tif`` (classes), ``flood_confidence.tif``, ``flood_likelihood.tif``,
``flood.geojson`` (polygons), ``flood_stats.json``, ``flood.png`` and ``flood_item.json``
(STAC Item).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio import features
from rasterio.warp import transform as warp_transform
from rasterio.warp import transform_geom
from shapely.geometry import shape

from lotusar.apps import ais as ais_mod
from lotusar.apps import change, flood, products, ships
from lotusar.apps import rasterio_io as rio
from lotusar.apps.speckle import db_to_linear, linear_to_db
from lotusar.cliutil import to_json
from lotusar.constants import SPEED_OF_LIGHT_M_S
from lotusar.errors import InputFormatError, NotFoundError, ValidationError
from lotusar.fileio import write_text_atomic
from lotusar.sar.io import read_slc
from lotusar.timeutil import parse_utc

__all__ = ["to_db", "resolve_scale", "scaled_bands", "run_flood", "flood_outputs", "run_ships", "run_change",
           "read_points", "INPUT_SCALES"]

INPUT_SCALES = ("linear", "db", "grey")
_GREY_SUFFIXES = (".png", ".jpg", ".jpeg")


def to_db(data: np.ndarray, is_db: bool, path: Path | str = "input") -> np.ndarray:
    """σ⁰ in dB. Without ``--db`` the input is linear power (values ≤ 0 are no data), unless its
    median is negative (impossible for linear σ⁰): then it is taken as dB and a note is printed."""
    if is_db:
        return np.asarray(data, dtype=np.float64)
    finite = data[np.isfinite(data)]
    if finite.size and np.median(finite) < 0:
        sys.stderr.write(f"lotusar: note: {path} has negative σ⁰ values; reading it as dB\n")
        return np.asarray(data, dtype=np.float64)
    # linear σ⁰ of exactly 0 (or below) is fill outside the swath, not a very dark pixel
    d = np.asarray(data, dtype=np.float64)
    return linear_to_db(np.where(d > 0, d, np.nan))


def resolve_scale(img: rio.Raster, scale: str | None, db: bool = False) -> str:
    """The input scale: ``--scale`` as given (``--db`` is ``--scale db``); else grey for 8-bit
    rasters and PNG/JPEG files (display grey levels), linear otherwise (dB when negative, see
    :func:`to_db`)."""
    if scale is not None:
        s = scale.lower()
        if s not in INPUT_SCALES:
            raise ValidationError(f"--scale must be linear, db or grey, got {scale!r}")
        if db and s != "db":
            raise ValidationError(f"--db contradicts --scale {s}")
        return s
    if db:
        return "db"
    if img.dtype == "uint8" or img.path.suffix.lower() in _GREY_SUFFIXES:
        sys.stderr.write(f"lotusar: note: {img.path} holds 8-bit grey levels; using relative statistics "
                         "(--scale grey)\n")
        return "grey"
    return "linear"


def scaled_bands(img: rio.Raster, scale: str, data: np.ndarray | None = None) -> tuple[dict[str, np.ndarray], str]:
    """Bands in the log domain the flood method works in: dB (linear and dB input) or grey levels."""
    arr = img.data if data is None else data
    if scale == "grey":
        return {n: np.asarray(arr[i], dtype=np.float64) for i, n in enumerate(img.names)}, "grey"
    return {n: to_db(arr[i], scale == "db", img.path) for i, n in enumerate(img.names)}, "db"


def _step(progress, message: str) -> None:
    if progress is not None:
        progress(message)


def flood_outputs(out: str | Path) -> dict[str, Path]:
    o = Path(out)
    stem = o.with_suffix("")
    return {
        "classes": o,
        "confidence": Path(f"{stem}_confidence.tif"),
        "likelihood": Path(f"{stem}_likelihood.tif"),
        "polygons": Path(f"{stem}.geojson"),
        "stats": Path(f"{stem}_stats.json"),
        "png": Path(f"{stem}.png"),
        "stac": Path(f"{stem}_item.json"),
    }


def _aux_mask(path, img: rio.Raster) -> np.ndarray | None:
    if path is None:
        return None
    return np.nan_to_num(rio.reproject_to(rio.read_raster(path), img, "nearest")[0]) > 0


def _flood_inputs(input_path, bands, scale, db, pre, dem, hand, pixel_spacing_m):
    img = rio.read_raster(input_path, bands)
    sc = resolve_scale(img, scale, db)
    if pixel_spacing_m is not None and pixel_spacing_m <= 0:
        raise ValidationError(f"--pixel-spacing-m must be positive, got {pixel_spacing_m}")
    spacing = pixel_spacing_m or rio.pixel_spacing_m(img, default=10.0)
    bands_log, method_scale = scaled_bands(img, sc)
    pre_log = None
    if pre is not None:
        pre_r = rio.read_raster(pre, bands)
        if sorted(pre_r.names) != sorted(img.names) and len(pre_r.names) == len(img.names):
            pre_r.names = list(img.names)  # unnamed bands pair by position
        pre_log, _ = scaled_bands(pre_r, sc, rio.reproject_to(pre_r, img))
    dem_m = rio.reproject_to(rio.read_raster(dem), img)[0] if dem is not None else None
    hand_m = rio.reproject_to(rio.read_raster(hand), img)[0] if hand is not None else None
    return img, sc, spacing, bands_log, method_scale, pre_log, dem_m, hand_m


def _flood_assets(paths: dict[str, Path], png: bool) -> dict:
    cog = "image/tiff; application=geotiff; profile=cloud-optimized"
    assets = {
        "classes": {"href": paths["classes"], "type": cog, "roles": ["data"],
                    "title": "flood classes (0 dry, 1 open flood, 2 permanent water, 3 flooded vegetation, 255 no data)"},
        "confidence": {"href": paths["confidence"], "type": cog, "roles": ["data", "quality"]},
        "likelihood": {"href": paths["likelihood"], "type": cog, "roles": ["data", "quality"],
                       "title": "water likelihood (mean of the classifiers' posteriors)"},
        "polygons": {"href": paths["polygons"], "type": "application/geo+json", "roles": ["data"]},
        "statistics": {"href": paths["stats"], "type": "application/json", "roles": ["metadata"]},
    }
    if png:
        assets["thumbnail"] = {"href": paths["png"], "type": "image/png", "roles": ["overview"]}
    return assets


def run_flood(input_path, out, *, db: bool = False, scale: str | None = None, bands: str | None = None, pre=None,
              dem=None, hand=None, permanent_water=None, layover_shadow=None, regions=None,
              pixel_spacing_m: float | None = None, params=None, png: bool = True, progress=None) -> dict:
    """Flood map of ``input_path`` written to ``out`` (+ side products); returns a summary dict.

    ``scale``: ``linear`` | ``db`` | ``grey`` (``db=True`` is ``scale="db"``); see :func:`resolve_scale`.
    """
    img, sc, spacing, bands_log, method_scale, pre_log, dem_m, hand_m = _flood_inputs(
        input_path, bands, scale, db, pre, dem, hand, pixel_spacing_m)
    pw = _aux_mask(permanent_water, img)
    ls = _aux_mask(layover_shadow, img)
    region_fc = rio.read_geojson(regions) if regions is not None else None
    _step(progress, "flood: bimodal tiles, three classifiers, vote")
    res = flood.map_floods(bands_log, spacing, pre_bands_db=pre_log, dem_m=dem_m, hand_m=hand_m, permanent_water=pw,
                           layover_shadow=ls, params=params, scale=method_scale)
    paths = flood_outputs(out)
    _step(progress, "flood: writing COG, polygons, statistics, PNG, STAC")
    rio.write_cog(paths["classes"], res.classes, img, nodata=255, description="flood_class",
                  colormap=dict(products.FLOOD_COLOURS), tags={f"CLASS_{k}": v for k, v in flood.CLASS_NAMES.items()})
    rio.write_cog(paths["confidence"], res.confidence, img, nodata=float("nan"), description="confidence")
    rio.write_cog(paths["likelihood"], res.water_probability, img, nodata=float("nan"),
                  description="water_likelihood")
    polys = products.class_polygons(res.classes, img, flood.CLASS_NAMES, (1, 2, 3), res.confidence)
    rio.write_geojson(paths["polygons"], polys, name=Path(out).stem)
    stats = products.region_statistics(res.classes, img, flood.CLASS_NAMES, region_fc, spacing)
    area = rio.pixel_area_m2(img) if img.georeferenced else spacing**2
    summary = {
        "input": str(input_path),
        "scale": sc,
        "pixel_spacing_m": spacing,
        "georeferenced": img.georeferenced,
        "bands": img.names,
        "outputs": {k: str(v) for k, v in paths.items() if png or k != "png"},
        "regions": stats,
        "polygons": len(polys),
        **res.summary(area),
    }
    write_text_atomic(paths["stats"], to_json(summary) + "\n")
    if png:
        bg = bands_log.get("VH", next(iter(bands_log.values())))
        products.save_class_png(paths["png"], res.classes, bg, f"Flood map — {Path(input_path).name}",
                                names={k: v for k, v in flood.CLASS_NAMES.items() if k != 255})
    flooded = summary["classes"]["open flood water"].get("area_km2")
    products.write_stac_item(paths["stac"], f"flood-{Path(out).stem}", img, _flood_assets(paths, png), {
        "lotusar:product": "flood-map",
        "lotusar:source": str(input_path),
        "lotusar:scale": sc,
        "lotusar:open_flood_km2": flooded,
        "lotusar:thresholds": {k: v.threshold_db for k, v in res.models.items()},
    })
    return summary


def _rowcol_to_lonlat(img, rows, cols):
    t = img.transform
    xs = [t.c + t.a * (c + 0.5) + t.b * (r + 0.5) for r, c in zip(rows, cols)]
    ys = [t.f + t.d * (c + 0.5) + t.e * (r + 0.5) for r, c in zip(rows, cols)]
    if img.crs.to_epsg() == 4326:
        return xs, ys
    lon, lat = warp_transform(img.crs, "EPSG:4326", xs, ys)
    return list(lon), list(lat)


def _lonlat_to_rowcol(img, lons, lats):
    if img.crs.to_epsg() != 4326:
        xs, ys = warp_transform("EPSG:4326", img.crs, list(lons), list(lats))
    else:
        xs, ys = list(lons), list(lats)
    inv = ~img.transform
    cr = [inv * (x, y) for x, y in zip(xs, ys)]
    return np.array([[r - 0.5, c - 0.5] for c, r in cr])


def read_points(path, img) -> np.ndarray:
    """(row, col) of fixed structures from GeoJSON points (lon/lat) or CSV ``row,col`` / ``lon,lat``."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    if p.suffix.lower() in (".geojson", ".json"):
        fc = rio.read_geojson(p)
        pts = [f["geometry"]["coordinates"][:2] for f in fc["features"] if f.get("geometry", {}).get("type") == "Point"]
        if not img.georeferenced:
            raise ValidationError(f"{p}: lon/lat points need a georeferenced image")
        return _lonlat_to_rowcol(img, [q[0] for q in pts], [q[1] for q in pts]) if pts else np.zeros((0, 2))
    lines = [ln.strip() for ln in p.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    if not lines:
        return np.zeros((0, 2))
    header = [h.strip().lower() for h in lines[0].split(",")]
    if header[:2] not in (["row", "col"], ["lon", "lat"]):
        raise InputFormatError(f"{p}: line 1: header must be 'row,col' or 'lon,lat', got {lines[0]!r}")
    vals = []
    for i, ln in enumerate(lines[1:], 2):
        try:
            a, b = (float(v) for v in ln.split(",")[:2])
        except ValueError:
            raise InputFormatError(f"{p}: line {i}: expected two numbers, got {ln!r}") from None
        vals.append((a, b))
    arr = np.array(vals, dtype=np.float64).reshape(-1, 2)
    if header[:2] == ["lon", "lat"]:
        if not img.georeferenced:
            raise ValidationError(f"{p}: lon/lat points need a georeferenced image")
        return _lonlat_to_rowcol(img, arr[:, 0], arr[:, 1])
    return arr


_SCALE_TO_KIND = {"linear": "intensity", "db": "db", "grey": "amplitude"}


def _ship_image(input_path, pixel_spacing_m, kind, scale, params):
    """(raster, band, kind, pixel spacing, params, SLC geometry or None) for ship detection."""
    slc_info = None
    if scale is not None:
        if scale.lower() not in INPUT_SCALES:
            raise ValidationError(f"--scale must be linear, db or grey, got {scale!r}")
        if kind != "auto":
            raise ValidationError("give either --scale or --kind, not both")
        kind = _SCALE_TO_KIND[scale.lower()]
    if Path(input_path).suffix.lower() in (".h5", ".hdf5", ".nc"):
        img, slc_info = _read_sar_slc(input_path)
        if pixel_spacing_m is None:
            pixel_spacing_m = slc_info["pixel_spacing_m"]
        if kind == "auto":
            kind = "intensity"
        if params is None or params.ambiguity_offset_m is None:
            base = params or ships.ShipParameters()
            params = dataclasses.replace(base, ambiguity_offset_m=slc_info["ambiguity_offset_m"])
    else:
        img = rio.read_raster(input_path)
    if img.data.shape[0] != 1:
        raise ValidationError(f"{input_path}: ship detection needs one band, got {img.data.shape[0]}")
    if pixel_spacing_m is None:
        if not img.georeferenced:
            pixel_spacing_m = 1.0
            sys.stderr.write(f"lotusar: note: {input_path} is not georeferenced; assuming 1 m pixels "
                             "(give --pixel-spacing-m)\n")
        else:
            pixel_spacing_m = rio.pixel_spacing_m(img)
    if not pixel_spacing_m > 0:
        raise ValidationError(f"--pixel-spacing-m must be positive, got {pixel_spacing_m}")
    band = img.data[0]
    if kind == "auto" and img.dtype.startswith(("uint", "int")) and np.all(np.isfinite(band)) and band.min() >= 0:
        kind = "amplitude"  # integer rasters (PNG/JPEG chips, DN GeoTIFFs) are display or DN amplitudes
    return img, band, kind, float(pixel_spacing_m), params, slc_info


def _land_mask_from(land_mask, img: rio.Raster) -> np.ndarray | None:
    if land_mask is None:
        return None
    lp = Path(land_mask)
    if lp.suffix.lower() in (".geojson", ".json"):
        fc = rio.read_geojson(lp)
        if not img.georeferenced:
            geoms = [f["geometry"] for f in fc["features"] if f.get("geometry")]  # pixel coordinates
            transform = Affine.identity()
        else:
            geoms = [f["geometry"] if img.crs.to_epsg() == 4326 else transform_geom("EPSG:4326", img.crs, f["geometry"])
                     for f in fc["features"] if f.get("geometry")]
            transform = img.transform
        if not geoms:
            return np.zeros(img.shape, bool)
        return features.rasterize([(g, 1) for g in geoms], out_shape=img.shape, transform=transform,
                                  dtype=np.uint8).astype(bool)
    return np.nan_to_num(rio.reproject_to(rio.read_raster(lp), img, "nearest")[0]) > 0


def _detection_features(img: rio.Raster, dets) -> list[dict]:
    feats = []
    lons = lats = None
    if img.georeferenced and dets:
        lons, lats = _rowcol_to_lonlat(img, [d.row for d in dets], [d.col for d in dets])
    for i, d in enumerate(dets):
        props = {"id": i, **d.as_dict()}
        geom = None
        if lons is not None and lats is not None:
            props["lon"], props["lat"] = float(lons[i]), float(lats[i])
            geom = {"type": "Point", "coordinates": [float(lons[i]), float(lats[i])]}
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return feats


def _match_ais(feats: list[dict], img: rio.Raster, input_path, ais, image_time) -> dict:
    """Mark detections dark / matched and append AIS vessels not detected (in place)."""
    if image_time is None:
        raise ValidationError("--ais needs --time (the image acquisition time, UTC)")
    if not img.georeferenced:
        raise ValidationError(f"{input_path}: AIS matching needs a georeferenced image")
    t = parse_utc(image_time) if isinstance(image_time, str) else image_time
    reports, static = ais_mod.read_nmea(ais, t)
    vessels = ais_mod.vessel_states_at(reports, t, static)
    _, fp = rio.footprint_lonlat(img)
    det_ll = np.array([[f["properties"]["lon"], f["properties"]["lat"]] for f in feats]).reshape(-1, 2)
    res = ais_mod.match_detections(det_ll, vessels, shape(fp))
    by_det = {m["detection"]: m for m in res.matches}
    vmap = {v.mmsi: v for v in vessels}
    for i, f in enumerate(feats):
        m = by_det.get(i)
        f["properties"]["dark"] = m is None
        if m:
            f["properties"].update(mmsi=m["mmsi"], ais_distance_m=m["distance_m"], ais_name=vmap[m["mmsi"]].name)
    for mmsi in res.undetected:
        v = vmap[mmsi]
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [v.lon_deg, v.lat_deg]},
                      "properties": {"kind": "ais-not-detected", "mmsi": mmsi, "sog_kn": v.sog_kn,
                                     "cog_deg": v.cog_deg, "extrapolated_s": v.dt_s, "name": v.name}})
    return {"vessels": len(vessels), "matched": len(res.matches), "dark": len(res.dark),
            "ais_not_detected": res.undetected, "ais_outside": res.outside}


def run_ships(input_path, out, *, pixel_spacing_m: float | None = None, kind: str = "auto", scale: str | None = None,
              land_mask=None, fixed=None, ais=None, image_time=None, params=None, png: bool = True,
              progress=None) -> dict:
    """Ship detections of ``input_path`` as GeoJSON ``out`` (+ PNG, STAC item); optional AIS match.

    ``scale`` (``linear`` | ``db`` | ``grey``) is the input scale as for the flood map and
    replaces ``kind`` (grey = display amplitude, linear = intensity).
    """
    img, band, kind, pixel_spacing_m, params, slc_info = _ship_image(input_path, pixel_spacing_m, kind, scale, params)
    lm = _land_mask_from(land_mask, img)
    fixed_rc = read_points(fixed, img) if fixed is not None else None
    _step(progress, "ships: land mask, CFAR, clustering, discrimination")
    dets = ships.detect_ships(band, pixel_spacing_m, kind=kind, land_mask=lm, fixed_points_rc=fixed_rc, params=params)
    feats = _detection_features(img, dets)
    match_summary = _match_ais(feats, img, input_path, ais, image_time) if ais is not None else None
    _step(progress, "ships: writing GeoJSON, PNG, STAC")
    rio.write_geojson(out, feats, name=Path(out).stem)
    o = Path(out)
    stem = o.with_suffix("")
    outputs = {"detections": str(o), "stac": f"{stem}_item.json"}
    assets = {"detections": {"href": o, "type": "application/geo+json", "roles": ["data"]}}
    if png:
        outputs["png"] = f"{stem}.png"
        products.save_detections_png(outputs["png"], band, [d.row for d in dets], [d.col for d in dets],
                                     [d.confidence for d in dets],
                                     f"{len(dets)} ship detections — {Path(input_path).name}")
        assets["thumbnail"] = {"href": outputs["png"], "type": "image/png", "roles": ["overview"]}
    p = params or ships.ShipParameters()
    products.write_stac_item(outputs["stac"], f"ships-{o.stem}", img if img.georeferenced else None, assets,
                             {"lotusar:product": "ship-detections", "lotusar:source": str(input_path),
                              "lotusar:detections": len(dets), "lotusar:cfar": p.method, "lotusar:pfa": p.pfa,
                              "lotusar:pixel_spacing_m": pixel_spacing_m}, product_type="detections")
    keys = ("id", "row", "col", "confidence", "length_m", "heading_deg", "lon", "lat", "dark", "mmsi")
    summary = {"input": str(input_path), "pixel_spacing_m": pixel_spacing_m, "kind": kind, "detections": len(dets),
               "outputs": outputs, "cfar": p.method, "pfa": p.pfa,
               "ships": [{k: v for k, v in f["properties"].items() if k in keys}
                         for f in feats if "row" in f["properties"]]}
    if match_summary:
        summary["ais"] = match_summary
    if slc_info:
        summary["slc"] = dict(slc_info)
    return summary


def _read_sar_slc(path):
    """A SAR-core SLC (HDF5, ``lotusar.sar.io``) as a one-band intensity Raster in radar
    geometry, plus the geometry the detector needs: ground pixel spacing (slant spacing over
    sin(incidence), incidence from the orbit radius and slant range on a spherical Earth) and
    the first azimuth-ambiguity displacement λ R PRF / (2 V)."""
    ds = read_slc(path)
    slc = np.asarray(ds["slc"].values)
    n_full = int(np.atleast_1d(ds.attrs.get("fully_illuminated_range_samples", slc.shape[1]))[0]) or slc.shape[1]
    slc = slc[:, : min(n_full, slc.shape[1])]
    r = np.asarray(ds["slant_range"].values, float)[: slc.shape[1]]
    r_mid = float(r[len(r) // 2])
    pos = np.asarray(ds["orbit_position"].values, float)
    rs = float(np.mean(np.linalg.norm(pos, axis=1)))
    re = 6371008.8  # mean Earth radius (IUGG): the spherical-Earth incidence is all that is needed here
    cos_look = (rs**2 + r_mid**2 - re**2) / (2 * rs * r_mid)
    look = float(np.arccos(np.clip(cos_look, -1, 1)))
    inc = float(np.arcsin(np.clip(rs / re * np.sin(look), -1, 1)))
    a = {k: float(np.atleast_1d(v)[0]) for k, v in ds.attrs.items() if isinstance(v, (np.ndarray, float, int))}
    rg_ground = a["range_pixel_spacing_m"] / max(np.sin(inc), 1e-3)
    az = a.get("azimuth_pixel_spacing_m", rg_ground)
    wavelength = SPEED_OF_LIGHT_M_S / a["carrier_hz"]
    v = a.get("effective_velocity_m_s") or float(np.mean(np.linalg.norm(np.asarray(ds["orbit_velocity"].values), axis=1)))
    amb = wavelength * r_mid * a["prf_hz"] / (2 * v)
    raster = rio.Raster(Path(path), (np.abs(slc) ** 2)[None].astype(np.float64), ["HH"], None, None, {})
    return raster, {"incidence_deg": float(np.degrees(inc)), "ground_range_spacing_m": float(rg_ground),
                    "azimuth_spacing_m": float(az), "pixel_spacing_m": float(np.sqrt(rg_ground * az)),
                    "ambiguity_offset_m": float(amb), "range_samples_used": int(slc.shape[1])}


def _read_complex_or_real(path):
    """(Raster, data) keeping complex samples when the file holds them."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    with rasterio.open(p) as ds:
        if ds.dtypes[0].startswith("complex"):
            data = ds.read(1)
            r = rio.Raster(p, np.abs(data)[None].astype(np.float64), ["SLC"], ds.transform, ds.crs, ds.tags())
            return r, data
    return rio.read_raster(p), None


def run_change(before, after, out, *, db: bool = False, method: str = "ki", coherence: bool = False,
               window_m: float = 50.0, pixel_spacing_m: float | None = None, band: str | None = None,
               png: bool = True, progress=None) -> dict:
    """Change map between two co-registered images (log-ratio, or coherence for SLC pairs)."""
    rb, cb = _read_complex_or_real(before)
    ra, ca = _read_complex_or_real(after)
    spacing = pixel_spacing_m or rio.pixel_spacing_m(ra, default=10.0)
    win = max(3, int(round(window_m / spacing)) | 1)
    if coherence:
        if cb is None or ca is None:
            raise ValidationError("--coherence needs two complex (SLC) rasters")
        if cb.shape != ca.shape:
            raise ValidationError(f"SLC shapes differ: {cb.shape} vs {ca.shape}")
        res = change.detect_change_coherence(cb, ca, win, method if method != "ki" else "otsu")
    else:
        def pick(r):
            if band is None:
                return 0
            if band.upper() not in r.names:
                raise NotFoundError(f"band {band!r} not in {r.path} (bands: {', '.join(r.names)})")
            return r.names.index(band.upper())

        b_data = rio.reproject_to(rb, ra)[pick(rb)]
        a_data = ra.data[pick(ra)]
        b_db, a_db = to_db(b_data, db, before), to_db(a_data, db, after)
        res = change.detect_change_log_ratio(db_to_linear(b_db), db_to_linear(a_db), win, method)
    _step(progress, "change: writing COG, polygons, PNG, STAC")
    o = Path(out)
    stem = o.with_suffix("")
    outputs = {"classes": str(o), "statistic": f"{stem}_statistic.tif", "polygons": f"{stem}.geojson",
               "stats": f"{stem}_stats.json", "stac": f"{stem}_item.json"}
    colours = {0: (230, 230, 230, 255), 1: (40, 90, 220, 255), 2: (220, 60, 40, 255), 255: (0, 0, 0, 0)}
    rio.write_cog(o, res.classes, ra, nodata=255, description="change_class", colormap=colours,
                  tags={f"CLASS_{k}": v for k, v in change.CHANGE_NAMES.items()})
    rio.write_cog(outputs["statistic"], res.statistic, ra, nodata=float("nan"),
                  description="coherence" if coherence else "log_ratio_db")
    polys = products.class_polygons(res.classes, ra, change.CHANGE_NAMES, (1, 2), res.confidence)
    rio.write_geojson(outputs["polygons"], polys, name=o.stem)
    stats = products.region_statistics(res.classes, ra, change.CHANGE_NAMES) if ra.georeferenced else []
    summary = {"before": str(before), "after": str(after), "window_px": win, "outputs": outputs, "regions": stats,
               **res.summary()}
    write_text_atomic(outputs["stats"], to_json(summary) + "\n")
    if png:
        outputs["png"] = f"{stem}.png"
        products.save_class_png(outputs["png"], res.classes, ra.data[0] if not coherence else res.statistic,
                                f"Change ({res.method}) — {Path(after).name}", colours=colours,
                                names={k: v for k, v in change.CHANGE_NAMES.items() if k != 255})
    assets: dict[str, dict] = {"classes": {"href": o, "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                          "roles": ["data"]},
              "statistic": {"href": outputs["statistic"], "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                            "roles": ["data"]},
              "polygons": {"href": outputs["polygons"], "type": "application/geo+json", "roles": ["data"]},
              "statistics": {"href": outputs["stats"], "type": "application/json", "roles": ["metadata"]}}
    if png:
        assets["thumbnail"] = {"href": outputs["png"], "type": "image/png", "roles": ["overview"]}
    products.write_stac_item(outputs["stac"], f"change-{o.stem}", ra if ra.georeferenced else None, assets,
                             {"lotusar:product": "change-map", "lotusar:method": res.method,
                              "lotusar:threshold": res.threshold}, product_type="change")
    return summary
