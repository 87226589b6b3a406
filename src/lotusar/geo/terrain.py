"""Terrain correction (backward geocoding) and radiometric terrain flattening.

For every cell of an output map grid (UTM or EPSG:4326, chosen resolution):

1. map (x, y) → (lon, lat) → DEM height (bilinear, ellipsoidal) → ECEF X;
2. geo2rdr: zero-/native-Doppler Newton solve for (azimuth time, slant range) → image
   (row, col) through the product's pixel mapping (slant range, or the S1 GRD
   slant-to-ground-range polynomials);
3. the radar value is sampled bilinearly (after a sliding multilook matching the output
   resolution, so the output is an area average and not a point sample of speckle);
4. facet geometry from the four cell corners: area vector A = ½ d₁ × d₂, unit normal n̂,
   LOS l̂ = (p(t) − X)/|p(t) − X|; local incidence acos(n̂·l̂);
   active shadow where n̂·l̂ ≤ 0, active layover where the slant range decreases along the
   surface away from the sensor (∂R/∂ground-range < 0);
5. RTC (Small 2011, "Flattening gamma", IEEE TGRS 49(8)): a first pass splats each facet's
   area projected on the plane perpendicular to the LOS, |A| n̂·l̂, bilinearly into an
   (azimuth time, slant range) grid; the second pass reads A_γ back bilinearly and
   γ⁰_T = β⁰ · A_β / A_γ with A_β = Δt · v_g · ΔR (v_g: platform speed scaled to the
   target radius). On flat terrain this is exactly γ⁰ = β⁰ tan θ.

Everything is vectorised per block of output rows (bounded memory: a block of rows and the
radar window it maps to); :func:`geocode_dask` runs the same block function on Dask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import dask.array as da
import numpy as np
from pyproj import CRS, Transformer
from rasterio.transform import Affine, array_bounds
from rasterio.warp import transform_bounds
from scipy import ndimage
from scipy.interpolate import RegularGridInterpolator
from shapely.geometry import Polygon, box

from lotusar.errors import ValidationError
from lotusar.geo.dem import Dem, FlatDem
from lotusar.geo.model import RadarProduct
from lotusar.geodesy import geodetic_to_ecef
from lotusar.sar.model import geo2rdr, rdr2geo

MASK_LAYOVER = 1
MASK_SHADOW = 2
MASK_NODATA = 255


@dataclass
class MapGrid:
    """A north-up output grid: ``crs`` (WKT/EPSG string), upper-left corner, pixel size."""

    crs: str
    x0: float
    y0: float
    dx: float
    dy: float  # positive; rows go south
    width: int
    height: int

    @property
    def transform(self):
        return Affine(self.dx, 0.0, self.x0, 0.0, -self.dy, self.y0)

    def centres(self, r0: int, r1: int, c0: int = 0, c1: int | None = None, corners: bool = False):
        c1 = self.width if c1 is None else c1
        off = 0.0 if corners else 0.5
        n_r = r1 - r0 + (1 if corners else 0)
        n_c = c1 - c0 + (1 if corners else 0)
        xs = self.x0 + (np.arange(n_c) + c0 + off) * self.dx
        ys = self.y0 - (np.arange(n_r) + r0 + off) * self.dy
        return np.meshgrid(xs, ys)


def utm_epsg(lon_deg: float, lat_deg: float) -> str:
    zone = int(np.floor((lon_deg + 180.0) / 6.0)) % 60 + 1
    return f"EPSG:{(32600 if lat_deg >= 0 else 32700) + zone}"


def footprint_lonlat(product: RadarProduct, dem, n: int = 16):
    """(lon, lat) of points along the four image edges at the DEM's mean height."""
    H, W = product.shape
    rr = np.linspace(0, H - 1, n)
    cc = np.linspace(0, W - 1, n)
    rows = np.concatenate([rr, np.full(n, H - 1.0), rr[::-1], np.zeros(n)])
    cols = np.concatenate([np.zeros(n), cc, np.full(n, W - 1.0), cc[::-1]])
    t, R = product.radar_of(rows, cols)
    h = dem.mean_height_m if dem is not None else 0.0
    lon, lat, _, _ = rdr2geo(product.orbit, t, R, float(h), product.wavelength_m, product.look_side, product.doppler_hz)
    return lon, lat


def make_grid(product: RadarProduct, dem, crs: str | None = "UTM", resolution_m: float = 20.0,
              bounds: tuple[float, float, float, float] | None = None, max_cells: int = 400_000_000) -> MapGrid:
    """Output grid covering the product footprint (or ``bounds`` in the output CRS)."""
    if resolution_m <= 0:
        raise ValidationError(f"resolution must be > 0, got {resolution_m}")
    lon, lat = footprint_lonlat(product, dem)
    if crs is None or str(crs).upper() in ("UTM", "AUTO"):
        crs = utm_epsg(float(np.mean(lon)), float(np.mean(lat)))
    try:
        c = CRS.from_user_input(crs)
    except Exception as e:  # pyproj.exceptions.CRSError
        raise ValidationError(f"unknown CRS {crs!r}") from e
    if c.is_geographic:
        dx = resolution_m / 111_320.0
        dy = dx
    else:
        dx = dy = float(resolution_m)
    if bounds is None:
        clip = dem_bounds_lonlat(dem)
        if clip is not None:  # output only where the DEM is: intersect footprint and DEM

            inter = Polygon(list(zip(lon, lat))).convex_hull.intersection(box(*clip))
            if inter.is_empty:
                raise ValidationError("the DEM does not overlap the product footprint")
            lon, lat = np.asarray(inter.exterior.coords.xy[0]), np.asarray(inter.exterior.coords.xy[1])
        x, y = Transformer.from_crs("EPSG:4326", c, always_xy=True).transform(lon, lat)
        xmin, xmax, ymin, ymax = np.min(x), np.max(x), np.min(y), np.max(y)
        xmin, ymin = np.floor(xmin / dx) * dx, np.floor(ymin / dy) * dy
        xmax, ymax = np.ceil(xmax / dx) * dx, np.ceil(ymax / dy) * dy
    else:
        xmin, ymin, xmax, ymax = bounds
    W = int(round((xmax - xmin) / dx))
    H = int(round((ymax - ymin) / dy))
    if W <= 0 or H <= 0:
        raise ValidationError("empty output grid")
    if W * H > max_cells:
        raise ValidationError(f"output grid {H}×{W} too large for resolution {resolution_m} m; choose a coarser --resolution-m")
    return MapGrid(c.to_string() if c.to_epsg() is None else f"EPSG:{c.to_epsg()}", float(xmin), float(ymax), dx, dy, W, H)


def dem_bounds_lonlat(dem):
    """(lon_min, lat_min, lon_max, lat_max) of a gridded DEM, None for FlatDem/None."""
    if dem is None or isinstance(dem, FlatDem) or getattr(dem, "transform", None) is None:
        return None

    h, w = dem.height_m.shape
    b = array_bounds(h, w, dem.transform)  # (west, south, east, north)
    if dem._geographic:
        return b

    c = CRS.from_user_input(dem.crs)
    horiz = c.sub_crs_list[0] if c.is_compound else c
    return transform_bounds(horiz.to_wkt(), "EPSG:4326", *b)


class _Geom:
    """Per-block geometry of the map grid: radar coordinates, facet areas, LOS."""

    def __init__(self, product: RadarProduct, dem, grid: MapGrid, t_guess: float):
        self.p = product
        self.dem = dem if dem is not None else FlatDem(0.0)
        self.grid = grid
        self.to_ll = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
        self.t_guess = t_guess

    def _seed(self, X, step: int = 16):
        """Initial azimuth times: exact geo2rdr on every ``step``-th cell, bilinear in
        between (zero-Doppler time is smooth on the map), so the full-resolution Newton
        needs 1–2 steps instead of 4–6."""
        H, W = X.shape[:2]
        if H < 2 * step and W < 2 * step:
            return self.t_guess
        ri = np.unique(np.r_[np.arange(0, H, step), H - 1])
        ci = np.unique(np.r_[np.arange(0, W, step), W - 1])
        ts, _, _ = geo2rdr(self.p.orbit, X[np.ix_(ri, ci)], self.p.wavelength_m, self.p.doppler_hz, t0_s=self.t_guess)
        if ri.size == 1 or ci.size == 1:
            return np.full((H, W), float(np.mean(ts)))

        f = RegularGridInterpolator((ri.astype(float), ci.astype(float)), ts)
        rr, cc = np.meshgrid(np.arange(H, dtype=float), np.arange(W, dtype=float), indexing="ij")
        return f(np.stack([rr, cc], -1))

    def block(self, r0: int, r1: int, c0: int = 0, c1: int | None = None, facets: bool = True):
        g = self.grid
        xs, ys = g.centres(r0, r1, c0, c1)
        lon, lat = self.to_ll.transform(xs, ys)
        h = self.dem.height_at(lon, lat, order=1)
        X = geodetic_to_ecef(lat_deg=lat, lon_deg=lon, height_m=h)
        t, R, ok = geo2rdr(self.p.orbit, X, self.p.wavelength_m, self.p.doppler_hz, t0_s=self._seed(X))
        out = {"t": t, "R": R, "ok": ok, "X": X, "lon": lon, "lat": lat}
        if facets:
            xc, yc = g.centres(r0, r1, c0, c1, corners=True)
            lonc, latc = self.to_ll.transform(xc, yc)
            C = geodetic_to_ecef(lat_deg=latc, lon_deg=lonc, height_m=self.dem.height_at(lonc, latc, order=1))
            d1 = C[1:, 1:] - C[:-1, :-1]
            d2 = C[:-1, 1:] - C[1:, :-1]
            A = 0.5 * np.cross(d1, d2)
            area = np.linalg.norm(A, axis=-1)
            n = A / area[..., None]
            up = X / np.linalg.norm(X, axis=-1, keepdims=True)
            n = n * np.sign((n * up).sum(-1))[..., None]
            p, v = self.p.orbit.interpolate(t)
            los = p - X
            los /= np.linalg.norm(los, axis=-1, keepdims=True)
            cos_loc = (n * los).sum(-1)
            # layover: slant range decreasing along the surface away from the sensor
            lh = los - (los * up).sum(-1, keepdims=True) * up
            hh = -lh / np.maximum(np.linalg.norm(lh, axis=-1, keepdims=True), 1e-12)  # horizontal, away
            nu = np.maximum((n * up).sum(-1), 1e-6)
            s = -(n * hh).sum(-1) / nu
            tau = hh + s[..., None] * up
            dR = -(los * tau).sum(-1)
            mask = np.zeros(t.shape, dtype=np.uint8)
            mask[dR <= 0] |= MASK_LAYOVER
            mask[cos_loc <= 0] |= MASK_SHADOW
            vg = np.linalg.norm(v, axis=-1) * np.linalg.norm(X, axis=-1) / np.linalg.norm(p, axis=-1)
            out.update(area=area, cos_loc=cos_loc, mask=mask, vg=vg,
                       local_incidence_deg=np.degrees(np.arccos(np.clip(cos_loc, -1, 1))))
        return out


@dataclass
class AreaGrid:
    """Accumulated projected facet area A_γ on a regular (azimuth time, slant range) grid."""

    t0_s: float
    dt_s: float
    R0_m: float
    dR_m: float
    area: np.ndarray

    def coords(self, t, R):
        return (np.asarray(t) - self.t0_s) / self.dt_s, (np.asarray(R) - self.R0_m) / self.dR_m

    def splat(self, t, R, a):
        u, v = self.coords(t, R)
        ok = np.isfinite(u) & np.isfinite(v) & np.isfinite(a)
        u, v, a = u[ok], v[ok], a[ok]
        i0, j0 = np.floor(u).astype(np.int64), np.floor(v).astype(np.int64)
        fu, fv = u - i0, v - j0
        H, W = self.area.shape
        flat = self.area.reshape(-1)
        for di, wi in ((0, 1 - fu), (1, fu)):
            for dj, wj in ((0, 1 - fv), (1, fv)):
                ii, jj = i0 + di, j0 + dj
                inb = (ii >= 0) & (ii < H) & (jj >= 0) & (jj < W)
                flat += np.bincount((ii[inb] * W + jj[inb]), weights=(a * wi * wj)[inb], minlength=H * W)

    def lookup(self, t, R):
        u, v = self.coords(t, R)
        return ndimage.map_coordinates(self.area, [u.ravel(), v.ravel()], order=1, mode="constant", cval=np.nan).reshape(np.shape(u))


def _area_grid_for(product: RadarProduct, grid: MapGrid, incidence_deg: float) -> AreaGrid:
    H, W = product.shape
    t_all, R_all = product.radar_of(np.array([0.0, 0.0, H - 1.0, H - 1.0]), np.array([0.0, W - 1.0, 0.0, W - 1.0]))
    res = grid.dx if not grid.crs.endswith("4326") else grid.dx * 111_320.0
    p, v = product.orbit.interpolate(np.array([np.mean(t_all)]))
    vg = float(np.linalg.norm(v) * 0.88)
    dt = 2.0 * res / vg
    dR = 2.0 * res * np.sin(np.deg2rad(max(incidence_deg, 5.0)))
    nt = int(np.ceil((t_all.max() - t_all.min()) / dt)) + 3
    nR = int(np.ceil((R_all.max() - R_all.min()) / dR)) + 3
    while nt * nR > 60_000_000:
        dt, dR = dt * 1.5, dR * 1.5
        nt = int(np.ceil((t_all.max() - t_all.min()) / dt)) + 3
        nR = int(np.ceil((R_all.max() - R_all.min()) / dR)) + 3
    return AreaGrid(float(t_all.min() - dt), dt, float(R_all.min() - dR), dR, np.zeros((nt, nR)))


def geocode(product: RadarProduct, radar_window: Callable[[slice, slice], np.ndarray], dem: Dem | None, grid: MapGrid,
            rtc: bool = True, block_rows: int | None = None, progress: Callable[[int], None] | None = None,
            layers: bool = True):
    """Terrain-correct a radar-geometry quantity onto ``grid``.

    ``radar_window(rows, cols)`` returns the (multilooked) radar values (β⁰ when ``rtc``)
    on that image window — only the window each block maps to is ever read.
    Returns dict of arrays: ``value`` (γ⁰_T when rtc, else the sampled quantity),
    ``mask`` (uint8: 1 layover, 2 shadow, 255 nodata), ``local_incidence_deg``,
    ``row``/``col`` only when ``layers`` asks for radar coordinates (tests).
    """
    H, W = grid.height, grid.width
    if block_rows is None:  # ~128 k cells per block: temporaries stay in cache-friendly sizes
        block_rows = max(1, 131_072 // max(W, 1))
    Hr, Wr = product.shape
    t_mid = float(np.mean(product.azimuth_time_s[[0, -1]]))
    geom = _Geom(product, dem, grid, t_mid)
    value = np.full((H, W), np.nan, dtype=np.float32)
    mask = np.full((H, W), MASK_NODATA, dtype=np.uint8)
    loc = np.full((H, W), np.nan, dtype=np.float32) if layers else None
    ag = None
    if rtc:
        inc_mid = float(product.attrs.get("incidence_angle_mid_swath_deg") or 35.0)
        ag = _area_grid_for(product, grid, inc_mid)
        for r0 in range(0, H, block_rows):
            r1 = min(H, r0 + block_rows)
            b = geom.block(r0, r1)
            a = np.where(b["ok"] & (b["cos_loc"] > 0), b["area"] * b["cos_loc"], 0.0)
            ag.splat(b["t"], b["R"], a)
            if progress:
                progress(r1 - r0)
    for r0 in range(0, H, block_rows):
        r1 = min(H, r0 + block_rows)
        b = geom.block(r0, r1, facets=True)
        row, col = product.pixel_of(b["t"], b["R"])
        inside = b["ok"] & (row >= -0.5) & (row <= Hr - 0.5) & (col >= -0.5) & (col <= Wr - 0.5)
        if inside.any():
            ra = int(max(0, np.floor(row[inside].min()) - 1))
            rb = int(min(Hr, np.ceil(row[inside].max()) + 2))
            ca = int(max(0, np.floor(col[inside].min()) - 1))
            cb = int(min(Wr, np.ceil(col[inside].max()) + 2))
            win = np.asarray(radar_window(slice(ra, rb), slice(ca, cb)), dtype=np.float64)
            samp = ndimage.map_coordinates(win, [np.clip(row - ra, 0, rb - ra - 1).ravel(), np.clip(col - ca, 0, cb - ca - 1).ravel()],
                                           order=1, mode="nearest").reshape(row.shape)
            if rtc:
                a_gamma = ag.lookup(b["t"], b["R"])
                a_beta = ag.dt_s * b["vg"] * ag.dR_m
                with np.errstate(divide="ignore", invalid="ignore"):
                    samp = samp * a_beta / a_gamma
            samp = np.where(inside & np.isfinite(samp), samp, np.nan)
            value[r0:r1] = samp
            m = b["mask"].copy()
            m[~inside] = MASK_NODATA
            mask[r0:r1] = m
            if rtc:
                value[r0:r1][(m & MASK_SHADOW) > 0] = np.nan
        if layers:
            loc[r0:r1] = np.where(inside, b["local_incidence_deg"], np.nan)
        if progress:
            progress(r1 - r0)
    out = {"value": value, "mask": mask}
    if layers:
        out["local_incidence_deg"] = loc
    return out


def radar_coordinates(product: RadarProduct, dem, grid: MapGrid, block_rows: int = 512):
    """(azimuth time s, slant range m, row, col) of every output cell — for checks."""
    geom = _Geom(product, dem, grid, float(np.mean(product.azimuth_time_s[[0, -1]])))
    T = np.empty((grid.height, grid.width))
    R = np.empty_like(T)
    for r0 in range(0, grid.height, block_rows):
        r1 = min(grid.height, r0 + block_rows)
        b = geom.block(r0, r1, facets=False)
        T[r0:r1], R[r0:r1] = b["t"], b["R"]
    row, col = product.pixel_of(T, R)
    return T, R, row, col


def geocode_dask(product: RadarProduct, radar_values, dem, grid: MapGrid, chunks: int = 1024):
    """Geometric terrain correction of an in-memory/Dask radar array on a Dask map grid:
    the same per-block geometry (:class:`_Geom`) runs in each output chunk."""
    t_mid = float(np.mean(product.azimuth_time_s[[0, -1]]))
    Hr, Wr = product.shape

    def fn(block, block_info=None):
        (r0, r1), (c0, c1) = block_info[None]["array-location"]
        geom = _Geom(product, dem, grid, t_mid)
        b = geom.block(r0, r1, c0, c1, facets=False)
        row, col = product.pixel_of(b["t"], b["R"])
        inside = b["ok"] & (row >= -0.5) & (row <= Hr - 0.5) & (col >= -0.5) & (col <= Wr - 0.5)
        if not inside.any():
            return np.full(block.shape, np.nan, dtype=np.float32)
        ra = int(max(0, np.floor(row[inside].min()) - 1))
        rb = int(min(Hr, np.ceil(row[inside].max()) + 2))
        ca = int(max(0, np.floor(col[inside].min()) - 1))
        cb = int(min(Wr, np.ceil(col[inside].max()) + 2))
        win = np.asarray(radar_values[ra:rb, ca:cb], dtype=np.float64)
        s = ndimage.map_coordinates(win, [np.clip(row - ra, 0, rb - ra - 1).ravel(), np.clip(col - ca, 0, cb - ca - 1).ravel()],
                                    order=1, mode="nearest").reshape(row.shape)
        return np.where(inside, s, np.nan).astype(np.float32)

    template = da.zeros((grid.height, grid.width), chunks=chunks, dtype=np.float32)
    return template.map_blocks(fn, dtype=np.float32)
