"""Stage 5 of the scenario: Level-0 → raw → SLC → ARD → flood map, and its score.

``process_to_flood`` is one file-to-file job (raw file rebuilt from Level-0 in, SLC, σ⁰ COG and
flood products out) so it runs in this process or, with ``--dask ADDRESS``, on a Dask cluster
(``client.submit``; the outputs are the same files).

Terrain: the simulator put the scene on the WGS84 ellipsoid (height 0), so the terrain
correction uses the same constant height (stated in the ARD metadata); the synthetic DEM is
used by the flood mapper for its HAND/slope exclusions, and the land/water map's permanent
water layer as its reference water mask.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from distributed import Client

from lotusar.apps.pipeline import flood_outputs, run_flood
from lotusar.geo import ard
from lotusar.geodesy import ecef_to_geodetic
from lotusar.sar import io as sario
from lotusar.sar.model import orbit_of, zero_doppler_ground_points
from lotusar.sar.processor import focus_dataset, quicklook_png
from lotusar.scenario.calibration import corner_reflector_constant_db
from lotusar.scenario.scoring import flood_iou


def process_to_flood(raw_path: str, out_dir: str, dem_path: str, permanent_water_path: str, map_pixel_m: float,
                     algorithm: str = "csa") -> dict:
    """Focus, terrain-correct and flood-map one raw file; returns output paths and timings (s)."""
    out = Path(out_dir)
    t = {}
    t0 = time.perf_counter()
    raw = sario.read_raw(raw_path)
    slc = focus_dataset(raw, algorithm=algorithm)
    cal = corner_reflector_constant_db(slc)
    slc.attrs["calibration_constant_db"] = cal["calibration_constant_db"]
    slc.attrs["calibration_method"] = "external: trihedral corner reflector, integral method"
    slc_path = out / "slc" / "lotusat1_slc.h5"
    slc_path.parent.mkdir(parents=True, exist_ok=True)
    sario.write_slc(slc, slc_path)
    quicklook_png(slc, slc_path.with_suffix(".png"))
    t["focus"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ard_res = ard(str(slc_path), dem=0.0, out=out / "ard", crs="UTM", resolution_m=map_pixel_m, quantity="sigma0",
                  speckle_filter="refined_lee", filter_size=5)
    t["ard"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    flood_path = out / "flood" / "flood_map.tif"
    flood_path.parent.mkdir(parents=True, exist_ok=True)
    summary = run_flood(str(ard_res.backscatter_path), flood_path, db=False,
                        dem=dem_path, permanent_water=permanent_water_path)
    t["flood"] = time.perf_counter() - t0
    fo = flood_outputs(flood_path)
    return {"slc": str(slc_path), "slc_quicklook": str(slc_path.with_suffix(".png")),
            "ard": str(ard_res.backscatter_path),
            "ard_item": str(ard_res.stac_path), "ard_stats": ard_res.stats,
            "flood": str(flood_path), "flood_png": str(fo["png"]), "flood_geojson": str(fo["polygons"]),
            "flood_stats": str(fo["stats"]), "flood_summary": summary, "timings_s": t, "calibration": cal}


def slc_footprint(slc_path: str) -> dict:
    """WGS84 polygon of the SLC's four corners (zero-Doppler geometry on the ellipsoid)."""
    ds = sario.read_slc(slc_path)
    sv = orbit_of(ds)
    t = np.asarray(ds["azimuth_time"].values, float)
    r = np.asarray(ds["slant_range"].values, float)
    side = ds.attrs.get("look_side", "right")
    h = float(ds.attrs.get("scene_height_m", 0.0))
    pts = []
    for tt, rr in ((t[0], r[0]), (t[0], r[-1]), (t[-1], r[-1]), (t[-1], r[0])):
        p = zero_doppler_ground_points(sv, float(tt), np.array([rr]), side, h)
        lat, lon, _ = ecef_to_geodetic(p)
        pts.append([round(float(lon[0]), 6), round(float(lat[0]), 6)])
    pts.append(pts[0])
    return {"type": "Polygon", "coordinates": [pts]}


def make_products(res, sim: dict, l0: dict, cfg: dict, dask_address: str | None) -> None:
    """Stage 5: rebuild the raw file from Level-0, run :func:`process_to_flood` (here or on Dask), score."""
    out = res.out_dir
    raw_l0_path = out / "raw" / "lotusat1_raw_from_level0.h5"
    sario.write_raw(l0["raw"], raw_l0_path)
    res.ledger.add("raw_from_level0", raw_l0_path, "scenario.depacketise", inputs=["level0"])
    args = (str(raw_l0_path), str(out), sim["scene_paths"]["dem"], sim["scene_paths"]["permanent_water"], cfg["map_pixel_m"])
    if dask_address:
        with res.latency.measure("focus + ARD + flood map (Dask)", dask_address):
            with Client(dask_address) as client:
                r = client.submit(process_to_flood, *args, pure=False).result()
    else:
        r = process_to_flood(*args)
        for stage, label in (("focus", "focus: Level-0 raw → SLC (chirp scaling)"), ("ard", "ARD: calibration + terrain correction"),
                             ("flood", "flood map")):
            res.latency.rows.append({"stage": label, "kind": "measured", "seconds": r["timings_s"][stage], "note": ""})
    res.ledger.add("slc", r["slc"], "sar.focus", inputs=["raw_from_level0"], parameters={"algorithm": "csa"})
    res.ledger.add("ard", r["ard"], "geo.ard", inputs=["slc"],
                   parameters={"quantity": "sigma0", "crs": "UTM", "resolution_m": cfg["map_pixel_m"],
                               "dem": "constant height 0 m (as simulated)", "speckle_filter": "refined_lee 5x5"})
    res.ledger.add("flood", r["flood"], "apps.flood", inputs=["ard", "scene_dem", "scene_permanent_water"])
    res.summary["calibration"] = r["calibration"]
    score = flood_iou(r["flood"], sim["scene_paths"]["truth"])
    res.summary["flood"] = score
    res.summary["footprint"] = slc_footprint(r["slc"])
    res.products.update({k: r[k] for k in ("slc", "slc_quicklook", "ard", "flood", "flood_png", "flood_geojson", "flood_stats")})
