"""XYZ (Web Mercator) PNG tiles of Cloud-Optimized GeoTIFFs with rio-tiler.

``render_tile(path, z, x, y)`` reads the window of tile (z, x, y) from the COG (its internal
overviews make this a few small reads at any zoom), then renders a PNG:

- a paletted band (flood classes) keeps the file's colour table; values listed in
  ``transparent`` (default for flood maps: class 0, dry land) are drawn transparent;
- any other band is linearly stretched between ``rescale=(lo, hi)`` or, by default, the 2nd and
  98th percentiles of the file's lowest-resolution overview (computed once per file version);
- nodata / masked pixels are transparent (PNG alpha).

PNG encoding uses Pillow at zlib level 1 (a few hundred µs for 256²; GDAL's PNG driver through
a MemoryFile took ~5 ms a tile here).

Reference: OGC Two Dimensional Tile Matrix Set (WebMercatorQuad); rio-tiler / TiTiler.
"""

from __future__ import annotations

import io
import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image
from rasterio.errors import RasterioError
from rio_tiler.errors import RioTilerError, TileOutsideBounds
from rio_tiler.io import Reader

from lotusar.errors import NotFoundError, ValidationError

TILE_SIZE = 256

_GDAL_ENV = {"GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR", "GDAL_CACHEMAX": "256", "VSI_CACHE": "TRUE"}
for _k, _v in _GDAL_ENV.items():
    os.environ.setdefault(_k, _v)


def check_tile_index(z: int, x: int, y: int) -> None:
    if not 0 <= z <= 24:
        raise ValidationError(f"zoom {z} outside 0..24")
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise ValidationError(f"tile {z}/{x}/{y} outside the tile matrix (0..{n - 1})")


@lru_cache(maxsize=512)
def _default_range(path: str, mtime_ns: int, band: int) -> tuple[float, float]:
    with Reader(path) as src:
        img = src.preview(indexes=band, max_size=512)
    data = img.array[0]
    valid = data.compressed() if np.ma.isMaskedArray(data) else data.ravel()
    valid = valid[np.isfinite(valid)]
    if valid.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(valid, [2, 98])
    if hi <= lo:
        hi = lo + 1.0
    return float(lo), float(hi)


@lru_cache(maxsize=512)
def raster_info(path: str, mtime_ns: int) -> dict:
    """Bounds (WGS84), zoom range, colormap and dtype of a COG (cached per file version)."""
    with Reader(path) as src:
        return {
            "bounds": [float(v) for v in src.get_geographic_bounds(src.tms.rasterio_geographic_crs)],
            "minzoom": int(src.minzoom),
            "maxzoom": int(src.maxzoom),
            "colormap": src.colormap,
            "dtype": src.dataset.dtypes[0],
            "count": src.dataset.count,
        }


def render_tile(path: str | os.PathLike, z: int, x: int, y: int, *, band: int = 1,
                rescale: tuple[float, float] | None = None, transparent: tuple[int, ...] = ()) -> bytes | None:
    """PNG bytes of tile z/x/y of the COG at ``path``; None when the tile is outside the image.

    The last 4096 tiles rendered are kept in memory (a map view asks for the same tiles again
    while panning and for every user); a rewritten file has a new key and is rendered afresh.
    ``LOTUSAR_TILE_CACHE=0`` turns the cache off (benchmarks of cold rendering).
    """
    check_tile_index(z, x, y)
    p = Path(path)
    info = raster_info_checked(p)
    st = p.stat()
    if not 1 <= band <= info["count"]:
        raise ValidationError(f"band {band} not in 1..{info['count']}")
    fn = _render_cached if os.environ.get("LOTUSAR_TILE_CACHE", "1") != "0" else _render_cached.__wrapped__
    return fn(str(p), st.st_mtime_ns, st.st_size, z, x, y, band, rescale, tuple(transparent))


def raster_info_checked(path: str | os.PathLike) -> dict:
    """:func:`raster_info` of a file; NotFoundError when missing, ValidationError when not a raster."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise NotFoundError(f"asset file {p.name} is missing") from None
    try:
        return raster_info(str(p), st.st_mtime_ns)
    except (RasterioError, RioTilerError) as e:
        raise ValidationError(f"asset file {p.name} is not a readable raster ({type(e).__name__})") from None


# Cold renders run at most ``cpu_count`` at a time per process: dozens of server threads
# warping and encoding at once only thrash the GIL and GDAL's block cache.
_RENDER_SLOTS = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))


@lru_cache(maxsize=4096)
def _render_cached(path: str, mtime_ns: int, size: int, z: int, x: int, y: int, band: int,
                   rescale: tuple[float, float] | None, transparent: tuple[int, ...]) -> bytes | None:
    """Rendered tiles, keyed by the file version (path, mtime, size) and the rendering options."""
    with _RENDER_SLOTS:
        return _render(path, mtime_ns, z, x, y, band, rescale, transparent)


# Each server thread keeps its last few COGs open: opening a file and rio-tiler's per-open set-up
# (bounds and zoom levels in the tile matrix set) cost ~5 ms of a ~20 ms cold tile. A rasterio
# dataset is used by one thread at a time, so the readers are per thread; a rewritten file has a
# new key (mtime) and the oldest reader is closed.
_READERS = threading.local()
_READERS_PER_THREAD = 8


def _reader(path: str, mtime_ns: int) -> Reader:
    cache = getattr(_READERS, "open", None)
    if cache is None:
        cache = _READERS.open = {}
    key = (path, mtime_ns)
    src = cache.pop(key, None)
    if src is None:
        if len(cache) >= _READERS_PER_THREAD:
            cache.pop(next(iter(cache))).close()
        src = Reader(path)
    cache[key] = src  # most recently used last
    return src


@lru_cache(maxsize=512)
def _palette_lut(path: str, mtime_ns: int, transparent: tuple[int, ...]) -> np.ndarray:
    """RGBA lookup table of a paletted file's colour table, ``transparent`` values cleared."""
    lut = np.zeros((256, 4), np.uint8)
    for k, v in raster_info(path, mtime_ns)["colormap"].items():
        if 0 <= int(k) < 256:
            lut[int(k)] = (tuple(v) + (255,))[:4]
    for v in transparent:
        if 0 <= int(v) < 256:
            lut[int(v)] = 0
    lut.flags.writeable = False
    return lut


def _render(path: str, mtime_ns: int, z: int, x: int, y: int, band: int,
            rescale: tuple[float, float] | None, transparent: tuple[int, ...]) -> bytes | None:
    info = raster_info(path, mtime_ns)
    try:
        img = _reader(path, mtime_ns).tile(x, y, z, tilesize=TILE_SIZE, indexes=band)
    except TileOutsideBounds:
        return None
    cmap = info["colormap"]
    valid = np.asarray(img.mask) > 0
    band_data = np.asarray(img.array.data[0])
    if cmap and band_data.dtype == np.uint8:
        rgba = _palette_lut(path, mtime_ns, transparent)[band_data]
        rgba[..., 3] = np.where(valid, rgba[..., 3], 0)
        return encode_png(rgba)
    lo, hi = rescale if rescale is not None else _default_range(path, mtime_ns, band)
    grey = np.clip((band_data.astype(np.float64) - lo) * (255.0 / (hi - lo)), 0, 255)
    finite = np.isfinite(band_data) & valid
    grey = np.where(finite, grey, 0).astype(np.uint8)
    rgba = np.dstack([grey, grey, grey, np.where(finite, 255, 0).astype(np.uint8)])
    return encode_png(rgba)


def encode_png(rgba: np.ndarray) -> bytes:
    """PNG of an (H, W, 4) uint8 array (zlib level 1: tiles are re-encoded on every request)."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba), "RGBA").save(buf, format="PNG", compress_level=1)
    return buf.getvalue()
