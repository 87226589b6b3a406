"""The web map's server side without a browser: TopoJSON decoding, the Natural Earth layers, and
flood statistics per province on a projected grid and on a decimated read."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin
from shapely.geometry import Point

from lotusar.errors import NotFoundError
from lotusar.service.web import basemap, floodstats


def test_topojson_decode_quantized_delta_arcs_and_reversed_arcs():
    # a 1°×1° square at (100 E, 10 N) as one quantized, delta-encoded arc (scale 0.5°)
    topo = {"type": "Topology", "transform": {"scale": [0.5, 0.5], "translate": [100.0, 10.0]},
            "arcs": [[[0, 0], [2, 0], [0, 2], [-2, 0], [0, -2]], [[0, 0], [1, 1]]],
            "objects": {"o": {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[0]], "id": "A", "properties": {"name": "sq"}},
                {"type": "Polygon", "arcs": [[~0]], "id": "B"},
                {"type": "LineString", "arcs": [1]},
                {"type": None}]}}}
    fc = basemap.decode(topo, "o")
    assert len(fc["features"]) == 3  # the null geometry is dropped
    a, b, line = fc["features"]
    assert a["geometry"]["coordinates"] == [[[100.0, 10.0], [101.0, 10.0], [101.0, 11.0], [100.0, 11.0], [100.0, 10.0]]]
    assert a["properties"] == {"name": "sq", "id": "A"}
    assert b["geometry"]["coordinates"][0] == a["geometry"]["coordinates"][0][::-1]  # ~0: the arc reversed
    assert line["geometry"] == {"type": "LineString", "coordinates": [[100.0, 10.0], [100.5, 10.5]]}


@pytest.fixture(scope="module")
def layers(real_part):
    real_part(basemap.available(), "web map packages not installed (scripts/install-web-deps.sh)")


def test_natural_earth_layers_place_known_cities(layers):
    provinces = basemap.layer("provinces")["features"]
    assert len(provinces) == 63  # Vietnam's provinces and centrally governed cities (Natural Earth 10m)
    units = basemap.admin_units()
    where = {name: [u.name for u in units if u.geometry.contains(Point(lon, lat))]
             for name, lon, lat in (("Hanoi", 105.85, 21.03), ("Hue", 107.58, 16.46), ("Valencia", -0.38, 39.47),
                                    ("Paris", 2.35, 48.86))}
    assert where["Hue"] == ["Thừa Thiên - Huế"] or where["Hue"] == ["Thừa Thiên Huế"], where
    assert len(where["Hanoi"]) == 1 and where["Hanoi"][0].replace(" ", "").lower() in ("hanoi", "hànội")
    assert where["Valencia"] == ["Spain"] and where["Paris"] == ["France"]
    assert all(u.geometry.is_valid for u in units)
    assert len(basemap.layer("countries")["features"]) == 241 and not any(u.name == "Vietnam" for u in units)
    with pytest.raises(NotFoundError):
        basemap.layer("rivers")


def _utm_flood(path, block_px: int = 100) -> tuple[float, float]:
    """A 10 m UTM 48N flood map over Quảng Bình: a block_px² flooded block, 20 no-data columns."""
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32648", always_xy=True)
    x0, y0 = to_utm.transform(106.30, 17.45)
    x0, y0 = round(x0, -1), round(y0, -1)
    classes = np.zeros((600, 600), np.uint8)
    classes[200:200 + block_px, 200:200 + block_px] = 1
    classes[:, :20] = 255
    with rasterio.open(path, "w", driver="GTiff", width=600, height=600, count=1, dtype="uint8", crs="EPSG:32648",
                       transform=from_origin(x0 - 3000, y0 + 3000, 10, 10), nodata=255) as ds:
        ds.write(classes, 1)
    return block_px ** 2 * 100 / 1e6, (600 * 580) * 100 / 1e6


def test_flood_statistics_on_a_projected_grid(layers, tmp_path):
    flooded_km2, observed_km2 = _utm_flood(tmp_path / "f.tif")
    st = floodstats.flood_statistics(str(tmp_path / "f.tif"))
    assert st["decimation"] == 1
    qb = [u for u in st["units"] if u["name"] == "Quảng Bình"]
    assert len(qb) == 1 and qb[0]["level"] == "province" and qb[0]["country"] == "Vietnam"
    assert qb[0]["flooded_km2"] == pytest.approx(flooded_km2, abs=1e-9) and qb[0]["open_flood_km2"] == qb[0]["flooded_km2"]
    assert sum(u["observed_km2"] for u in st["units"]) + st["observed_outside_units_km2"] == pytest.approx(observed_km2, rel=1e-9)
    assert qb[0]["flooded_fraction"] == pytest.approx(flooded_km2 / qb[0]["observed_km2"], abs=1e-5)


def test_flood_statistics_decimated_read_keeps_areas(layers, tmp_path, monkeypatch):
    flooded_km2, observed_km2 = _utm_flood(tmp_path / "f.tif", block_px=200)
    monkeypatch.setattr(floodstats, "MAX_PIXELS", 22_500)  # 600² → read at 1/4 resolution (150²)
    st = floodstats.flood_statistics(str(tmp_path / "f.tif"))
    assert st["decimation"] == 4
    qb = next(u for u in st["units"] if u["name"] == "Quảng Bình")
    assert qb["flooded_km2"] == pytest.approx(flooded_km2, rel=1e-9)  # the block is aligned to 4-pixel cells
    assert sum(u["observed_km2"] for u in st["units"]) + st["observed_outside_units_km2"] == pytest.approx(observed_km2, rel=1e-9)
