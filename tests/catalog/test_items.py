"""STAC items for product files: footprints, projection fields, checksums, validation."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from lotusar.catalog.items import PRODUCT_TYPES, make_collection, make_item, validate_item, verify_checksum
from lotusar.errors import ValidationError


def _geotiff(path, crs="EPSG:32630", origin=(500000.0, 4400000.0), px=20.0, shape=(64, 96), tags=None):
    import rasterio
    from rasterio.transform import from_origin

    data = np.arange(shape[0] * shape[1], dtype=np.float32).reshape(shape)
    with rasterio.open(path, "w", driver="GTiff", height=shape[0], width=shape[1], count=1, dtype="float32", crs=crs,
                       transform=from_origin(origin[0], origin[1], px, px), nodata=np.nan) as ds:
        ds.write(data, 1)
        ds.update_tags(**(tags or {"ACQUISITION_START": "2025-03-01T06:00:00Z", "ACQUISITION_STOP": "2025-03-01T06:00:12Z"}))
    return path


def test_geotiff_item_footprint_projection_checksum(tmp_path):
    from pyproj import Transformer

    p = _geotiff(tmp_path / "ard_scene.tif")
    item = make_item(p, "ard", orbit_state="descending", incidence_angle_deg=33.5, relative_orbit=42).to_dict()
    # footprint = the UTM corners transformed independently with pyproj
    tr = Transformer.from_crs("EPSG:32630", "EPSG:4326", always_xy=True)
    xs, ys = tr.transform([500000.0, 500000.0 + 96 * 20, 500000.0 + 96 * 20, 500000.0],
                          [4400000.0, 4400000.0, 4400000.0 - 64 * 20, 4400000.0 - 64 * 20])
    w, s, e, n = item["bbox"]
    assert w == pytest.approx(min(xs), abs=1e-6) and e == pytest.approx(max(xs), abs=1e-6)
    assert s == pytest.approx(min(ys), abs=1e-6) and n == pytest.approx(max(ys), abs=1e-6)
    props = item["properties"]
    assert props["proj:epsg"] == 32630 and props["proj:shape"] == [64, 96]
    assert props["proj:transform"] == [20.0, 0.0, 500000.0, 0.0, -20.0, 4400000.0]
    assert props["start_datetime"] == "2025-03-01T06:00:00Z" and props["end_datetime"] == "2025-03-01T06:00:12Z"
    assert props["sar:product_type"] == "NRB" and props["sat:orbit_state"] == "descending" and props["view:incidence_angle"] == 33.5
    a = item["assets"]["data"]
    assert a["file:checksum"] == "1220" + hashlib.sha256(p.read_bytes()).hexdigest()
    assert a["file:size"] == p.stat().st_size
    assert verify_checksum(p, a["file:checksum"])
    assert a["raster:bands"][0]["data_type"] == "float32"
    for ext in ("sar", "sat", "view", "projection", "file"):
        assert any(f"/{ext}/" in u for u in item["stac_extensions"])


def test_every_product_type_has_an_item_and_collection(tmp_path):
    raw = tmp_path / "scene.raw"
    raw.write_bytes(np.arange(1000, dtype=np.complex64).tobytes())
    fp = {"type": "Polygon", "coordinates": [[[10, 45], [10.3, 45], [10.3, 45.5], [10, 45.5], [10, 45]]]}
    for pt in PRODUCT_TYPES:
        col = make_collection(pt).to_dict()
        assert col["id"] == f"lotusar-{pt}"
        it = make_item(raw, pt, geometry=fp, datetime_utc="2025-05-01T12:00:00Z").to_dict()
        assert it["collection"] == f"lotusar-{pt}" and it["bbox"] == [10.0, 45.0, 10.3, 45.5]
        assert it["properties"]["lotusar:product_type"] == pt


def test_geojson_detections_footprint(tmp_path):
    det = tmp_path / "ships.geojson"
    det.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3.0, 51.0]}, "properties": {"score": 0.9}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3.4, 51.3]}, "properties": {"score": 0.7}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3.1, 51.4]}, "properties": {"score": 0.8}}]}))
    it = make_item(det, "detections", datetime_utc="2025-05-02T10:00:00Z").to_dict()
    assert it["bbox"] == pytest.approx([3.0, 51.0, 3.4, 51.4])
    assert it["properties"]["lotusar:feature_count"] == 3
    assert "detections" in it["assets"]


def test_missing_geolocation_is_a_clear_error(tmp_path):
    raw = tmp_path / "x.bin"
    raw.write_bytes(b"\0" * 16)
    with pytest.raises(ValidationError, match="geometry"):
        make_item(raw, "raw", datetime_utc="2025-01-01T00:00:00Z")
    with pytest.raises(ValidationError, match="product type"):
        make_item(raw, "nonsense")


def _valid():
    return {"type": "Feature", "stac_version": "1.0.0", "id": "a1", "collection": "lotusar-slc",
            "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]},
            "bbox": [0, 0, 1, 1], "properties": {"datetime": "2025-01-01T00:00:00Z"}, "links": [], "assets": {}}


@pytest.mark.parametrize("mutate, message", [
    (lambda i: i.update(bbox=[0, 0, 0.5, 1]), "does not contain"),
    (lambda i: i["properties"].update(datetime=None), "start_datetime"),
    (lambda i: i["properties"].update(datetime="yesterday"), "RFC 3339"),
    (lambda i: i.update(id="../etc/passwd"), "safe identifier"),
    (lambda i: i.update(geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}), "invalid"),
    (lambda i: i.update(geometry={"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [200, 1], [0, 0]]]}, bbox=[0, 0, 200, 1]), "WGS84"),
    (lambda i: i.update(assets={"data": {"type": "image/tiff"}}), "href"),
    (lambda i: i.update(type="Collection"), "Feature"),
])
def test_validate_item_rejects(mutate, message):
    it = _valid()
    validate_item(it)
    mutate(it)
    with pytest.raises(ValidationError, match=message):
        validate_item(it)


def _sar_h5(path, kind="lotusar-slc", look="right"):
    """A small raw/SLC HDF5 in the sar stage's layout: a polar orbit at 7 000 km radius."""
    import h5py

    mu = 3.986004418e14
    a = 7.0e6
    w = np.sqrt(mu / a**3)
    t = np.arange(-20.0, 21.0, 1.0)
    lon0 = np.radians(10.0)
    pos = np.stack([a * np.cos(w * t) * np.cos(lon0), a * np.cos(w * t) * np.sin(lon0), a * np.sin(w * t)], axis=-1)
    vel = np.stack([-a * w * np.sin(w * t) * np.cos(lon0), -a * w * np.sin(w * t) * np.sin(lon0), a * w * np.cos(w * t)], axis=-1)
    with h5py.File(path, "w") as f:
        f.attrs["product_type"] = kind
        f.attrs["reference_epoch_utc"] = "2025-06-01T10:00:00Z"
        f.attrs["carrier_hz"] = 9.65e9
        f.attrs["look_side"] = look
        f["azimuth_time"] = np.linspace(-5.0, 5.0, 200)
        if kind == "lotusar-slc":
            f["slant_range"] = np.linspace(700e3, 730e3, 300)
        else:
            f["fast_time"] = np.linspace(700e3, 730e3, 300) * 2 / 299_792_458.0
        f["orbit_time"] = t
        f["orbit_position"] = pos
        f["orbit_velocity"] = vel
    return path, t, pos, vel


@pytest.mark.parametrize("kind", ["lotusar-slc", "lotusar-raw"])
def test_sar_hdf5_footprint_is_zero_doppler_geolocation(tmp_path, kind):
    from scipy.interpolate import CubicSpline
    from shapely.geometry import shape

    from lotusar.geodesy import geodetic_to_ecef

    p, t, pos, vel = _sar_h5(tmp_path / "scene.h5", kind)
    it = make_item(p, "slc" if kind == "lotusar-slc" else "raw").to_dict()
    props = it["properties"]
    assert props["start_datetime"] == "2025-06-01T09:59:55Z" and props["end_datetime"] == "2025-06-01T10:00:05Z"
    assert props["sar:frequency_band"] == "X" and props["sar:center_frequency"] == pytest.approx(9.65)
    assert props["sar:observation_direction"] == "right"
    ring = np.array(it["geometry"]["coordinates"][0])
    assert shape(it["geometry"]).is_valid and shape(it["geometry"]).area > 0
    # every corner: on the ellipsoid, at its slant range, perpendicular to the velocity (zero Doppler)
    sp, sv = CubicSpline(t, pos), CubicSpline(t, vel)
    corners = [(-5.0, 700e3), (-5.0, 730e3), (5.0, 730e3), (5.0, 700e3)]
    for (ta, r), (lon, lat) in zip(corners, ring[[0, 5, 10, 15]]):
        x = geodetic_to_ecef(lat_deg=lat, lon_deg=lon, height_m=0.0)
        d = x - sp(ta)
        assert np.linalg.norm(d) == pytest.approx(r, abs=5.0)
        assert abs(np.dot(d / np.linalg.norm(d), sv(ta) / np.linalg.norm(sv(ta)))) < 1e-4
    # right-looking on a northbound pass images east of the ground track (lon > 10°)
    assert ring[:, 0].min() > 10.0


def test_item_for_an_slc_written_by_the_sar_stage(tmp_path):
    """The sar stage's own writer (h5netcdf layout, 1-element attribute arrays) is understood."""
    import xarray as xr

    from lotusar.sar import io as sio

    src, t, pos, vel = _sar_h5(tmp_path / "x.h5")
    attrs = dict(reference_epoch_utc="2025-06-01T10:00:00Z", carrier_hz=5.405e9, range_sampling_rate_hz=1.5e8, prf_hz=2000.0,
                 look_side="left", range_pixel_spacing_m=2.0, azimuth_pixel_spacing_m=3.5, processed_range_bandwidth_hz=1e8,
                 processed_azimuth_bandwidth_hz=1500.0, doppler_centroid_hz=0.0, range_window="kaiser", azimuth_window="kaiser",
                 algorithm="rda", azimuth_time_interval_s=1 / 2000.0)
    ds = xr.Dataset({"slc": (("azimuth_time", "slant_range"), np.zeros((200, 300), np.complex64)),
                     "orbit_position": (("orbit_time", "xyz"), pos), "orbit_velocity": (("orbit_time", "xyz"), vel)},
                    coords={"azimuth_time": np.arange(200) / 2000.0 - 0.05, "slant_range": 700e3 + np.arange(300) * 2.0,
                            "orbit_time": t}, attrs=attrs)
    p = sio.write_slc(ds, tmp_path / "slc.h5")
    it = make_item(p, "slc").to_dict()
    assert it["properties"]["sar:frequency_band"] == "C" and it["properties"]["sar:observation_direction"] == "left"
    assert it["bbox"][2] < 10.0  # left-looking on a northbound pass: west of the track
    assert it["properties"]["start_datetime"].startswith("2025-06-01T09:59:59.95")
