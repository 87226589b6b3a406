"""Terrain correction: geocoded positions against sarsen on the same GRD/DEM/grid; RTC on
flat terrain reduces to γ⁰ = β⁰ tan θ; outputs are valid COGs."""

from __future__ import annotations

import warnings

import numpy as np

warnings.filterwarnings("ignore")
GRD = "S1B_IW_GRDH_1SDV_20211223T051122_20211223T051147_030148_039993_5371.SAFE"


def test_geocoded_positions_match_sarsen(shared_data):
    from sarsen import Sentinel1SarProduct, geocoding, orbit, scene

    from lotusar.geo.io import read_dem
    from lotusar.geo.readers import open_sentinel1
    from lotusar.geo.terrain import MapGrid, radar_coordinates

    d = shared_data("s1-safe-sarsen")
    safe = d / GRD
    # sarsen, heights taken as ellipsoidal on both sides (no PROJ geoid grid offline)
    sp = Sentinel1SarProduct(str(safe), measurement_group="IW/VV")
    dem = scene.open_dem_raster(str(d / "Rome-30m-DEM.tif")).isel(x=slice(100, 180), y=slice(100, 180))
    dem_ecef = scene.convert_to_dem_ecef(dem, source_crs="EPSG:4326")
    acq = geocoding.backward_geocode(dem_ecef, orbit.OrbitPolyfitInterpolator.from_position(sp.state_vectors()))
    s_t = acq.azimuth_time.values
    s_R = np.sqrt((acq.dem_distance**2).sum("axis")).values

    p = open_sentinel1(safe, polarization="VV")
    ours_dem = read_dem(d / "Rome-30m-DEM.tif", datum="ellipsoid")
    xs, ys = dem.x.values, dem.y.values
    dx, dy = xs[1] - xs[0], abs(ys[1] - ys[0])
    grid = MapGrid("EPSG:4326", xs[0] - dx / 2, ys.max() + dy / 2, dx, dy, xs.size, ys.size)
    T, R, row, col = radar_coordinates(p, ours_dem, grid)
    # sarsen's y axis is ascending, ours north-up
    srow, scol = p.pixel_of(p.orbit.seconds(s_t)[::-1], s_R[::-1])
    assert np.abs(row - srow).max() < 0.1
    assert np.abs(col - scol).max() < 0.1
    assert 0 < row.min() and row.max() < p.shape[0] and 0 < col.min() and col.max() < p.shape[1]


def test_rtc_flat_terrain_equals_ellipsoid_gamma0(shared_data):
    from lotusar.geo.dem import FlatDem
    from lotusar.geo.pipeline import RadarWindowReader
    from lotusar.geo.readers import open_product
    from lotusar.geo.terrain import geocode, make_grid

    p = open_product(shared_data("uavsar-winnipeg-rslc-topo") / "winnipeg.h5")
    dem = FlatDem(0.0)
    grid = make_grid(p, dem, "UTM", 15.0)
    beta = RadarWindowReader(p, "beta0", 2, 2, None, 7, False, 1.0)
    gam = RadarWindowReader(p, "gamma0", 2, 2, None, 7, False, 1.0)
    rtc = geocode(p, beta, dem, grid, rtc=True)
    ell = geocode(p, gam, dem, grid, rtc=False)
    ok = np.isfinite(rtc["value"]) & np.isfinite(ell["value"]) & (ell["value"] > 0)
    # interior only (facet bins at the swath border are partly empty)
    from scipy import ndimage

    ok = ndimage.binary_erosion(ok, iterations=4)
    ratio_db = 10 * np.log10(rtc["value"][ok] / ell["value"][ok])
    assert ok.sum() > 5000
    assert abs(np.median(ratio_db)) < 0.05
    assert np.percentile(np.abs(ratio_db), 90) < 0.25
    assert np.all(rtc["mask"][ok] == 0)  # no layover/shadow on flat ground
    li = rtc["local_incidence_deg"][ok]
    assert 15 < li.min() and li.max() < 35  # airborne, 7.4 km altitude, flat 0 m surface


def test_layover_and_shadow_on_synthetic_ridge():
    """A 60°-sloped ridge: the fore-slope facing the radar is in layover, the back-slope
    in shadow (right-looking LEO, ~35° incidence)."""
    import xarray as xr
    from rasterio.transform import from_origin

    from lotusar.geo.dem import Dem
    from lotusar.geo.model import RadarProduct
    from lotusar.geo.terrain import MapGrid, _Geom
    from lotusar.sar.model import Orbit

    # polar orbit passing over lon 0 going north; right-looking → looks east
    mu, a = 3.986004418e14, 7.07e6
    n = np.sqrt(mu / a**3)
    ts = np.arange(-200.0, 201.0, 10.0)
    ang = n * ts
    lon0 = -5.2
    c, s = np.cos(np.deg2rad(lon0)), np.sin(np.deg2rad(lon0))
    pos = a * np.stack([np.cos(ang) * c, np.cos(ang) * s, np.sin(ang)], -1)
    vel = a * n * np.stack([-np.sin(ang) * c, -np.sin(ang) * s, np.cos(ang)], -1)
    o = Orbit(ts, pos, vel, np.datetime64("2021-01-01T00:00:00"))
    # DEM: a north-south ridge at lon 0 (slopes ±60°), 30 m pixels
    dx_deg = 30 / 111320
    lons = np.arange(-200, 200) * dx_deg
    x_m = lons * 111320
    h = np.clip(3000 - np.abs(x_m) * np.tan(np.deg2rad(60)), 0, None)
    H = np.tile(h, (100, 1))
    dem = Dem(H, from_origin(lons[0] - dx_deg / 2, 0.0015, dx_deg, dx_deg), "EPSG:4326")
    img = xr.DataArray(np.ones((10, 10), np.float32), dims=("azimuth_time", "slant_range"),
                       coords={"azimuth_time": np.datetime64("2021-01-01T00:00:00") + np.arange(10) * np.timedelta64(1, "ms"),
                               "slant_range": 800e3 + np.arange(10.0)})
    p = RadarProduct(img, o, 0.055, "right", "SLC", "VV")
    grid = MapGrid("EPSG:4326", lons[0], 0.0012, dx_deg, dx_deg, 400, 40)
    b = _Geom(p, dem, grid, 0.0).block(0, 40)
    fore = (b["lon"] < -0.003) & (b["lon"] > -0.013)  # west slope faces the radar (west)
    back = (b["lon"] > 0.003) & (b["lon"] < 0.013)
    assert np.all((b["mask"][fore] & 1) == 1)
    assert np.all((b["mask"][back] & 2) == 2)
    flat = (np.abs(b["lon"]) > 0.025) & (np.abs(b["lon"]) < 0.045)
    assert np.all(b["mask"][flat] == 0)


def test_ard_writes_valid_cogs_and_stac(shared_data, tmp_path):
    import json

    import rasterio

    from lotusar.geo import ard
    from lotusar.geo.cog import validate_cog

    d = shared_data("uavsar-winnipeg-rslc-topo")
    r = ard(d / "winnipeg.h5", dem=str(d / "winnipeg_dem.tif"), out=tmp_path / "ard", resolution_m=20.0,
            dem_datum="ellipsoid", speckle_filter="refined_lee")
    for path in (r.backscatter_path, r.mask_path, r.local_incidence_path):
        ok, errors, _ = validate_cog(path)
        assert ok, errors
        with rasterio.open(path) as src:
            assert src.crs.to_epsg() == 32614  # UTM 14N (Winnipeg)
            assert src.nodata is not None or np.isnan(src.nodata)
            assert src.overviews(1) or max(src.width, src.height) <= 512
    with rasterio.open(r.backscatter_path) as src:
        v = src.read(1)
    good = v[np.isfinite(v)]
    assert good.size > 0.3 * v.size and np.all(good >= 0)
    item = json.loads(r.stac_path.read_text())
    exts = " ".join(item["stac_extensions"])
    for e in ("sar", "sat", "view", "projection"):
        assert f"/{e}/" in exts
    assert item["properties"]["sar:polarizations"] == ["HH"]
    assert item["properties"]["sar:observation_direction"] == "left"
    assert set(item["assets"]) == {"gamma0_t", "mask", "local_incidence_angle"}


def test_dask_geocoding_equals_blocked(shared_data):
    """The same per-block geometry on Dask chunks gives the blocked NumPy result."""
    from lotusar.geo.dem import FlatDem
    from lotusar.geo.readers import open_product
    from lotusar.geo.terrain import geocode, geocode_dask, make_grid

    p = open_product(shared_data("uavsar-winnipeg-rslc-topo") / "winnipeg.h5")
    img = (np.abs(p.image.values.astype(np.complex128)) ** 2).astype(np.float64)
    dem = FlatDem(240.0)
    grid = make_grid(p, dem, "UTM", 30.0)
    ref = geocode(p, lambda r, c: img[r, c], dem, grid, rtc=False, block_rows=37)["value"]
    lazy = geocode_dask(p, img, dem, grid, chunks=64).compute()
    ok = np.isfinite(ref)
    assert ok.mean() > 0.3
    np.testing.assert_array_equal(np.isfinite(lazy), ok)
    np.testing.assert_allclose(lazy[ok], ref[ok], rtol=1e-5)
