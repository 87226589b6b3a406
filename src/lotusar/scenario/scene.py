"""A synthetic flood scene with known truth, for the end-to-end typhoon scenario.

No real land-cover or DEM of the area is shipped with lotusar, so the scene is SYNTHETIC and
says so in its metadata: a coastal river plain like the Kien Giang / Nhat Le plain of Le Thuy
(Quang Binh) — foothills on the west, a meandering river, a low plain, a dune belt and the sea
on the east — on a UTM grid centred on the flood-warning polygon.

Classes (uint8): 0 dry land, 1 flooded land (truth), 2 permanent water (river, sea), 3 urban.
Flooding is by a "bathtub" model: plain cells whose height is below the flood level and that
are connected to the river through such cells are flooded.

X-band σ⁰ per class (VV, incidence ~30–40°, typical published values, an assumption):
calm/flood water −22 dB, rough sea −15 dB, dry cropland/grass −9 dB, urban −2 dB. Heights are
above the EGM96 geoid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import Transformer
from scipy import ndimage

from lotusar.fileio import atomic_path

DRY, FLOODED, PERMANENT_WATER, URBAN = 0, 1, 2, 3

SIGMA0_DB = {
    "dry": -9.0,
    "flooded": -22.0,
    "river": -22.0,
    "sea": -15.0,
    "urban": -2.0,
}


@dataclass
class FloodScene:
    """Synthetic scene on a north-up UTM grid (row 0 = north)."""

    crs_epsg: int
    x0_m: float  # easting of the upper-left corner
    y0_m: float  # northing of the upper-left corner
    pixel_m: float
    height_m: np.ndarray  # (rows, cols) float32 above geoid
    classes: np.ndarray  # (rows, cols) uint8: DRY, FLOODED, PERMANENT_WATER, URBAN
    sigma0_db: np.ndarray  # (rows, cols) float32, VV
    flood_level_m: float
    attrs: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.classes.shape

    @property
    def transform(self) -> Affine:
        return Affine(self.pixel_m, 0.0, self.x0_m, 0.0, -self.pixel_m, self.y0_m)

    def lonlat_bounds(self) -> tuple[float, float, float, float]:
        t = Transformer.from_crs(self.crs_epsg, 4326, always_xy=True)
        rows, cols = self.shape
        xs = [self.x0_m, self.x0_m + cols * self.pixel_m]
        ys = [self.y0_m, self.y0_m - rows * self.pixel_m]
        lon, lat = t.transform([xs[0], xs[1], xs[0], xs[1]], [ys[0], ys[0], ys[1], ys[1]])
        return min(lon), min(lat), max(lon), max(lat)


def utm_epsg(lon_deg: float, lat_deg: float) -> int:
    """EPSG code of the WGS84 UTM zone containing (lon, lat)."""
    zone = int((lon_deg + 180.0) // 6.0) + 1
    return (32600 if lat_deg >= 0 else 32700) + zone


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], sigma_px: float) -> np.ndarray:
    n = ndimage.gaussian_filter(rng.standard_normal(shape), sigma_px, mode="reflect")
    return n / (n.std() + 1e-12)


def build_flood_scene(
    centre_lon_deg: float,
    centre_lat_deg: float,
    size_m: float = 6000.0,
    pixel_m: float = 10.0,
    flood_level_m: float = 2.5,
    seed: int = 2020,
) -> FloodScene:
    """Build the synthetic coastal-plain scene centred on (lon, lat).

    West → east: foothills (20–120 m), the plain (0.5–4 m) crossed by a meandering river, a dune
    belt (6–9 m) and the sea. A village sits on a raised terrace of the plain. Returns a
    :class:`FloodScene` whose ``classes`` hold the flood truth for ``flood_level_m``.
    """
    rng = np.random.default_rng(seed)
    n = int(round(size_m / pixel_m))
    epsg = utm_epsg(centre_lon_deg, centre_lat_deg)
    cx, cy = Transformer.from_crs(4326, epsg, always_xy=True).transform(centre_lon_deg, centre_lat_deg)
    x0, y0 = cx - n * pixel_m / 2.0, cy + n * pixel_m / 2.0
    u = (np.arange(n) + 0.5) / n  # 0 (west) .. 1 (east)
    v = (np.arange(n) + 0.5) / n  # 0 (north) .. 1 (south)
    U, V = np.meshgrid(u, v)

    # Base profile across the plain (west → east).
    hills = np.clip((0.18 - U) / 0.18, 0, None) ** 1.5 * 110.0 + 18.0 * (U < 0.18)
    plain = 0.6 + 3.2 * np.abs(np.sin(3.0 * np.pi * V + 2.0 * U)) * (0.5 + 0.5 * U)
    dunes = 7.5 * np.exp(-(((U - 0.86) / 0.035) ** 2))
    height = np.where(U < 0.18, hills + plain, plain) + dunes
    height += 0.35 * _smooth_noise(rng, (n, n), sigma_px=max(2.0, 60.0 / pixel_m))
    height[U < 0.18] += 6.0 * _smooth_noise(rng, (n, n), 120.0 / pixel_m)[U < 0.18]

    # Meandering river from the hills to the sea; the sea east of the dunes.
    river_v = 0.5 + 0.12 * np.sin(2.2 * np.pi * U) + 0.04 * np.sin(7.0 * np.pi * U)
    river_half_width = (35.0 + 40.0 * U) / size_m
    river = np.abs(V - river_v) < river_half_width
    sea = U > 0.93
    height[river] = -1.5
    height[sea] = 0.0

    # A village on a raised terrace (stays dry): urban class.
    village = ((U - 0.55) ** 2 / 0.05**2 + (V - 0.3) ** 2 / 0.035**2) < 1.0
    height[village] = np.maximum(height[village], flood_level_m + 1.5)

    permanent = river | sea
    low = (height < flood_level_m) & ~permanent & (U >= 0.18)
    # Bathtub flooding: low cells connected to the river through low cells.
    labels, _ = ndimage.label(low | river)
    river_labels = np.unique(labels[river])
    flooded = np.isin(labels, river_labels[river_labels > 0]) & low

    classes = np.full((n, n), DRY, np.uint8)
    classes[flooded] = FLOODED
    classes[permanent] = PERMANENT_WATER
    classes[village] = URBAN

    sigma0 = np.full((n, n), SIGMA0_DB["dry"], np.float32)
    sigma0 += 1.5 * _smooth_noise(rng, (n, n), 30.0 / pixel_m).astype(np.float32)  # field texture
    sigma0[flooded] = SIGMA0_DB["flooded"]
    sigma0[river] = SIGMA0_DB["river"]
    sigma0[sea] = SIGMA0_DB["sea"]
    sigma0[village] = SIGMA0_DB["urban"]

    attrs = {
        "synthetic": "yes: terrain, land/water map and flood extent are synthetic (no real data shipped)",
        "model": "coastal river plain after Le Thuy (Quang Binh); bathtub flooding connected to the river",
        "sigma0_reference": "X-band VV class values from the literature, an assumption",
        "height_reference": "EGM96 geoid",
        "seed": seed,
        "flood_level_m": flood_level_m,
        "centre_lon_deg": centre_lon_deg,
        "centre_lat_deg": centre_lat_deg,
    }
    return FloodScene(epsg, float(x0), float(y0), float(pixel_m), height.astype(np.float32), classes, sigma0, flood_level_m, attrs)


def write_scene(scene: FloodScene, out_dir) -> dict[str, str]:
    """Write the DEM, the truth classes and the σ⁰ map as GeoTIFFs (atomic); return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows, cols = scene.shape
    paths = {}
    layers = {
        "dem": (scene.height_m, "float32", -32768.0, "height above EGM96 geoid (m), synthetic"),
        "truth": (scene.classes, "uint8", 255, "0 dry, 1 flooded (truth), 2 permanent water, 3 urban"),
        "sigma0_vv_db": (scene.sigma0_db, "float32", np.nan, "sigma0 VV (dB), synthetic"),
        "permanent_water": ((scene.classes == PERMANENT_WATER).astype(np.uint8), "uint8", 255,
                            "permanent water (1) from the land/water map"),
    }
    for name, (arr, dtype, nodata, desc) in layers.items():
        path = out / f"scene_{name}.tif"
        with atomic_path(path) as tmp:
            with rasterio.open(
                tmp, "w", driver="GTiff", width=cols, height=rows, count=1, dtype=dtype,
                crs=f"EPSG:{scene.crs_epsg}", transform=scene.transform, nodata=nodata,
                tiled=True, blockxsize=256, blockysize=256, compress="deflate",
            ) as ds:
                ds.write(arr.astype(dtype), 1)
                ds.set_band_description(1, desc)
                ds.update_tags(**{k: str(v) for k, v in scene.attrs.items()})
        paths[name] = str(path)
    return paths
