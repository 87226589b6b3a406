"""Digital elevation models and the geoid: heights above the WGS84 ellipsoid.

A :class:`Dem` holds heights *above the ellipsoid* on a regular grid in any CRS (pixel
centres at ``transform * (col + 0.5, row + 0.5)``) and interpolates them at geodetic
(lon, lat). Orthometric DEMs (SRTM, Copernicus GLO-30: heights above EGM96/EGM2008) are
converted with h = H + N, N the EGM96 geoid undulation (bilinear in the 15′ grid, as PROJ
does with ``egm96_15.gtx``). When no DEM is given a constant-height surface is used (height 0
= the bare ellipsoid) and the product metadata says so.

File reading lives in :mod:`lotusar.geo.io`; this module only computes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from lotusar.geodesy import r_east_m, r_north_m


@dataclass
class Geoid:
    """A global geoid-undulation grid (metres), values at pixel centres.

    ``lon0_deg``/``lat0_deg``: centre of the first (north-west) cell; ``dlon_deg`` > 0,
    ``dlat_deg`` < 0 (north-up).
    """

    undulation_m: np.ndarray
    lon0_deg: float
    lat0_deg: float
    dlon_deg: float
    dlat_deg: float
    name: str = "EGM96"

    def undulation_at(self, lon_deg, lat_deg):
        """Bilinear geoid undulation N at (lon, lat) in degrees; longitude wraps."""
        lon = np.asarray(lon_deg, dtype=np.float64)
        lat = np.asarray(lat_deg, dtype=np.float64)
        nrow, ncol = self.undulation_m.shape
        col = np.mod((lon - self.lon0_deg) / self.dlon_deg, 360.0 / self.dlon_deg)
        row = np.clip((lat - self.lat0_deg) / self.dlat_deg, 0, nrow - 1)
        grid = np.concatenate([self.undulation_m, self.undulation_m[:, :1]], axis=1)
        return ndimage.map_coordinates(grid, [row.ravel(), col.ravel()], order=1, mode="nearest").reshape(lon.shape)


@dataclass
class Dem:
    """Heights above the WGS84 ellipsoid on a regular grid.

    ``height_m``: (rows, cols) float; ``transform``: affine (rasterio ``Affine``) of the
    pixel corners; ``crs``: anything ``pyproj.CRS.from_user_input`` accepts; ``source``:
    what the heights are (recorded in product metadata).
    """

    height_m: np.ndarray
    transform: object
    crs: object
    source: str = "DEM"
    fill_height_m: float | None = None

    def __post_init__(self) -> None:
        self.height_m = np.asarray(self.height_m, dtype=np.float64)
        if self.fill_height_m is None:
            finite = np.isfinite(self.height_m)
            self.fill_height_m = float(np.mean(self.height_m[finite])) if finite.any() else 0.0
        self._geographic = _is_geographic(self.crs)
        self._to_dem = None if self._geographic else _transformer_from_lonlat(self.crs)

    @property
    def pixel_size(self) -> tuple[float, float]:
        """(dx, dy) in CRS units; dy is negative for north-up grids."""
        return float(self.transform.a), float(self.transform.e)

    @property
    def mean_height_m(self) -> float:
        return float(self.fill_height_m)

    def lonlat_to_xy(self, lon_deg, lat_deg):
        if self._geographic:
            return np.asarray(lon_deg, dtype=np.float64), np.asarray(lat_deg, dtype=np.float64)
        x, y = self._to_dem.transform(np.asarray(lon_deg), np.asarray(lat_deg))
        return np.asarray(x), np.asarray(y)

    def xy_to_rowcol(self, x, y):
        a, b, c, d, e, f = (self.transform.a, self.transform.b, self.transform.c,
                            self.transform.d, self.transform.e, self.transform.f)
        det = a * e - b * d
        xs, ys = np.asarray(x) - c, np.asarray(y) - f
        col = (e * xs - b * ys) / det - 0.5
        row = (-d * xs + a * ys) / det - 0.5
        return row, col

    def height_at_xy(self, x, y, order: int | str = 1):
        """Interpolated ellipsoidal height at DEM-CRS coordinates (outside: fill height).

        ``order``: 0 nearest, 1 bilinear, 3 cubic B-spline, or ``"biquintic"`` — ISCE's
        6 × 6 local natural-spline interpolator (the one ISCE2/ISCE3 topo use by default;
        reproduces their heights to < 1 mm on the Winnipeg DEM).
        """
        row, col = self.xy_to_rowcol(x, y)
        shape = np.shape(row)
        if order == "biquintic":
            h = spline6_interp(self.height_m, np.asarray(row, dtype=np.float64), np.asarray(col, dtype=np.float64))
            nrow, ncol = self.height_m.shape
            inside = (row >= -0.5) & (row <= nrow - 0.5) & (col >= -0.5) & (col <= ncol - 0.5)
            return np.where(inside & np.isfinite(h), h, self.fill_height_m)
        h = ndimage.map_coordinates(self.height_m, [np.ravel(row), np.ravel(col)], order=order,
                                    mode="constant", cval=np.nan, prefilter=order > 1).reshape(shape)
        nrow, ncol = self.height_m.shape
        inside = (row >= -0.5) & (row <= nrow - 0.5) & (col >= -0.5) & (col <= ncol - 0.5)
        edge = inside & ~np.isfinite(h)
        if np.any(edge):  # half-pixel border: clamp to nearest row/col
            rr = np.clip(row[edge], 0, nrow - 1)
            cc = np.clip(col[edge], 0, ncol - 1)
            h[edge] = ndimage.map_coordinates(self.height_m, [rr, cc], order=1, mode="nearest")
        return np.where(np.isfinite(h), h, self.fill_height_m)

    def height_at(self, lon_deg, lat_deg, order: int | str = 1):
        """Interpolated ellipsoidal height at geodetic (lon, lat) in degrees."""
        x, y = self.lonlat_to_xy(lon_deg, lat_deg)
        return self.height_at_xy(x, y, order=order)

    def slopes_at(self, lon_deg, lat_deg, order: int | str = "biquintic"):
        """Terrain slopes (dh/d_east, dh/d_north), dimensionless, by central differences
        of the interpolated DEM one DEM pixel either side (as ISCE's topo)."""

        lon = np.asarray(lon_deg, dtype=np.float64)
        lat = np.asarray(lat_deg, dtype=np.float64)
        if self._geographic:
            dx, dy = abs(self.pixel_size[0]), abs(self.pixel_size[1])
            he = self.height_at(lon + dx, lat, order) - self.height_at(lon - dx, lat, order)
            hn = self.height_at(lon, lat + dy, order) - self.height_at(lon, lat - dy, order)
            de = 2.0 * np.deg2rad(dx) * r_east_m(lat_deg=lat) * np.cos(np.deg2rad(lat))
            dn = 2.0 * np.deg2rad(dy) * r_north_m(lat_deg=lat)
            return he / de, hn / dn
        # projected DEM: step one pixel in metres along local east/north (grid convergence
        # ignored below 1e-3 rad, adequate for UTM tiles)
        x, y = self.lonlat_to_xy(lon, lat)
        dx, dy = abs(self.pixel_size[0]), abs(self.pixel_size[1])
        ge = (self.height_at_xy(x + dx, y, order) - self.height_at_xy(x - dx, y, order)) / (2 * dx)
        gn = (self.height_at_xy(x, y + dy, order) - self.height_at_xy(x, y - dy, order)) / (2 * dy)
        return ge, gn


def _spline6_matrix() -> np.ndarray:
    n = 6
    A = np.zeros((n, n))
    B = np.zeros((n, n))
    A[0, 0] = A[-1, -1] = 1.0
    for i in range(1, n - 1):
        A[i, i - 1 : i + 2] = (1.0, 4.0, 1.0)
        B[i, i - 1 : i + 2] = (6.0, -12.0, 6.0)
    return np.linalg.solve(A, B)  # samples -> second derivatives (natural spline)


_SPLINE6_M = _spline6_matrix()


def _spline6_weights(f):
    """Weights (…, 6) on nodes floor−1 … floor+4 of a natural cubic spline through 6
    unit-spaced samples, evaluated at fraction ``f`` past ``floor`` (ISCE ``spline``)."""
    e = np.eye(6)
    f = f[..., None]
    g = 1.0 - f
    return g * e[1] + f * e[2] + ((g**3 - g) / 6.0) * _SPLINE6_M[1] + ((f**3 - f) / 6.0) * _SPLINE6_M[2]


def spline6_interp(z, row, col):
    """ISCE-compatible biquintic (6 × 6 natural-spline) interpolation of z at (row, col)."""
    r0 = np.floor(row).astype(np.int64)
    c0 = np.floor(col).astype(np.int64)
    wr = _spline6_weights(row - r0)
    wc = _spline6_weights(col - c0)
    nr, nc = z.shape
    out = np.zeros(np.shape(row))
    for i in range(6):
        ri = np.clip(r0 + i - 1, 0, nr - 1)
        acc = np.zeros(np.shape(row))
        for j in range(6):
            acc += wc[..., j] * z[ri, np.clip(c0 + j - 1, 0, nc - 1)]
        out += wr[..., i] * acc
    return out


class FlatDem(Dem):
    """Constant height above the ellipsoid (0 m = the bare WGS84 ellipsoid)."""

    def __init__(self, height_m: float = 0.0):
        self.height_m = np.full((1, 1), float(height_m))
        self.transform = None
        self.crs = "EPSG:4326"
        self.source = f"constant height {float(height_m):g} m above the WGS84 ellipsoid (no DEM)"
        self.fill_height_m = float(height_m)
        self._geographic = True
        self._to_dem = None

    @property
    def pixel_size(self):
        return (1.0 / 3600.0, -1.0 / 3600.0)

    def height_at(self, lon_deg, lat_deg, order=1):
        return np.full(np.broadcast(np.asarray(lon_deg), np.asarray(lat_deg)).shape, self.fill_height_m)

    def height_at_xy(self, x, y, order=1):
        return self.height_at(x, y)

    def slopes_at(self, lon_deg, lat_deg, order=1):
        z = np.zeros(np.broadcast(np.asarray(lon_deg), np.asarray(lat_deg)).shape)
        return z, z.copy()


def _is_geographic(crs) -> bool:
    from pyproj import CRS

    return CRS.from_user_input(crs).is_geographic


def _transformer_from_lonlat(crs):
    from pyproj import CRS, Transformer

    c = CRS.from_user_input(crs)
    horiz = c.sub_crs_list[0] if c.is_compound else c
    return Transformer.from_crs("EPSG:4326", horiz, always_xy=True)
