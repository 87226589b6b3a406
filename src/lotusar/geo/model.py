"""geo's view of the SAR product model (:mod:`lotusar.sar.model`).

A :class:`RadarProduct` is one polarisation channel of a focused product in radar geometry,
as calibration, geocoding and ARD consume it. Every SLC source is first an SLC product of
:mod:`lotusar.sar.model` (lotusar SLC files, NISAR/UAVSAR RSLC through
:func:`lotusar.geo.readers.nisar_slc`, Sentinel-1 SAFE SLC through
:func:`lotusar.geo.readers.sentinel1_slc`) and is viewed here by
:func:`lotusar.geo.readers.from_lotusar_dataset`; only Sentinel-1 GRD (ground range, which the
SLC model does not cover) is built directly. The view holds:

* ``image``: ``xarray.DataArray`` with dims ``("azimuth_time", "slant_range")`` (SLC,
  complex) or ``("azimuth_time", "ground_range")`` (GRD, amplitude); coordinates
  ``azimuth_time`` (datetime64[ns], UTC, zero-Doppler or native-Doppler time) and
  ``slant_range`` / ``ground_range`` in metres; CF ``units``/``long_name`` attributes. The
  array may be lazy (Dask or a lazily indexed backend) — nothing is read until a block is
  asked for.
* ``orbit``: :class:`lotusar.sar.model.Orbit` (ECEF state vectors, Hermite interpolation).
* geometry: wavelength, look side, Doppler (``None`` = zero-Doppler grid), and the mapping
  between radar coordinates (azimuth time s, slant range m) and image pixels
  (:meth:`RadarProduct.pixel_of` / :meth:`RadarProduct.radar_of`).
* radiometry: a :class:`Calibration` (LUTs or constants, thermal noise).

Adapters: :mod:`lotusar.geo.readers` (lotusar/LOTUSat-1 SLC, Sentinel-1 SAFE SLC/GRD through
xarray-sentinel, NISAR/UAVSAR/ALOS RSLC HDF5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from lotusar.constants import SPEED_OF_LIGHT_M_S as SPEED_OF_LIGHT_MPS
from lotusar.sar.model import Orbit


@dataclass
class Calibration:
    """Radiometric calibration of one channel.

    S1 convention (ESA S1-RS-MDA-52-7441 §2.3): σ⁰ = (|DN|² − N) / A_σ², β⁰ = … / A_β²,
    γ⁰ = … / A_γ², with A and the noise power N given on sparse (line, pixel) grids and
    interpolated bilinearly. A constant calibration (LOTUSat-1, NISAR RSLC: |DN|² = β⁰·K)
    uses ``constant_db`` and derives σ⁰ = β⁰ sin θ, γ⁰ = β⁰ tan θ with θ the ellipsoid
    incidence angle.
    """

    luts: dict[str, xr.DataArray] = field(default_factory=dict)  # beta, sigma, gamma, noise over (line, pixel)
    noise_azimuth: xr.DataArray | None = None  # S1 IPF ≥ 2.9 azimuth noise vector over line
    constant_db: float = 0.0  # β⁰ = |DN|² / 10^(constant_db/10) when no LUT
    source: str = "unity"

    def lut_at(self, name: str, lines, pixels) -> np.ndarray | None:
        """LUT ``name`` interpolated bilinearly on the (lines × pixels) grid of 1-D indices."""
        lut = self.luts.get(name)
        if lut is None:
            return None
        return _bilinear_grid(lut.coords["line"].values, lut.coords["pixel"].values, np.asarray(lut.values, dtype=np.float64),
                              np.asarray(lines, dtype=np.float64), np.asarray(pixels, dtype=np.float64))


def _bilinear_grid(y, x, z, yi, xi):
    """Separable linear interpolation of z(y, x) at the outer grid yi × xi (linear
    extrapolation beyond the first/last vector, as scipy ``interpn`` with fill_value=None)."""

    def weights(c, ci):
        j = np.clip(np.searchsorted(c, ci, side="right") - 1, 0, c.size - 2)
        return j, (ci - c[j]) / (c[j + 1] - c[j])
    if z.shape[0] == 1:
        zy = np.repeat(z, yi.size, axis=0)
    else:
        j, w = weights(y, yi)
        zy = z[j] * (1 - w)[:, None] + z[j + 1] * w[:, None]
    if z.shape[1] == 1:
        return np.repeat(zy, xi.size, axis=1)
    i, u = weights(x, xi)
    return zy[:, i] * (1 - u)[None, :] + zy[:, i + 1] * u[None, :]


@dataclass
class RadarProduct:
    image: xr.DataArray
    orbit: Orbit
    wavelength_m: float
    look_side: str
    product_type: str  # "SLC" or "GRD"
    polarization: str
    calibration: Calibration = field(default_factory=Calibration)
    doppler_hz: Any = None  # callable (t_s, slant_range_m) -> Hz, or None for zero-Doppler
    srgr: xr.Dataset | None = None  # GRD: S1 coordinateConversion (sr0, srgrCoefficients)
    attrs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t = self.image.coords["azimuth_time"].values.astype("datetime64[ns]")
        self.azimuth_time_s = self.orbit.seconds(t)
        self.range_dim = "slant_range" if "slant_range" in self.image.dims else "ground_range"
        r = np.asarray(self.image.coords[self.range_dim].values, dtype=np.float64)
        self.range0_m = float(r[0])
        self.range_spacing_m = float(r[1] - r[0]) if r.size > 1 else 1.0
        if self.srgr is not None:
            self._srgr_t = self.orbit.seconds(self.srgr.coords["azimuth_time"].values)
            self._srgr_sr0 = np.asarray(self.srgr["sr0"].values, dtype=np.float64)
            self._srgr_c = np.asarray(self.srgr["srgrCoefficients"].values, dtype=np.float64)
            self._grsr_c = np.asarray(self.srgr["grsrCoefficients"].values, dtype=np.float64)
            self._grsr_gr0 = np.asarray(self.srgr["gr0"].values, dtype=np.float64)

    # ------------------------------------------------------------------ geometry
    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.image.shape)  # type: ignore[return-value]

    @property
    def azimuth_time_interval_s(self) -> float:
        t = self.azimuth_time_s
        return float((t[-1] - t[0]) / max(t.size - 1, 1))

    def _interp_coefs(self, t_s, table_t, table):
        j = np.clip(np.searchsorted(table_t, t_s, side="right") - 1, 0, max(table_t.size - 2, 0))
        if table_t.size == 1:
            return table[np.zeros_like(j)]
        w = np.clip((t_s - table_t[j]) / (table_t[j + 1] - table_t[j]), 0.0, 1.0)
        return table[j] * (1 - w)[..., None] + table[j + 1] * w[..., None] if table.ndim == 2 else table[j] * (1 - w) + table[j + 1] * w

    def ground_range_of(self, t_s, slant_range_m):
        """GRD: ground range (m) of a slant range at azimuth time (S1 srgr polynomials,
        coefficients interpolated linearly in azimuth time as xarray-sentinel does)."""
        c = self._interp_coefs(t_s, self._srgr_t, self._srgr_c)
        sr0 = self._interp_coefs(t_s, self._srgr_t, self._srgr_sr0)
        x = np.asarray(slant_range_m) - sr0
        g = c[..., -1]
        for k in range(c.shape[-1] - 2, -1, -1):
            g = g * x + c[..., k]
        return g

    def slant_range_of(self, t_s, ground_range_m):
        c = self._interp_coefs(t_s, self._srgr_t, self._grsr_c)
        gr0 = self._interp_coefs(t_s, self._srgr_t, self._grsr_gr0)
        x = np.asarray(ground_range_m) - gr0
        s = c[..., -1]
        for k in range(c.shape[-1] - 2, -1, -1):
            s = s * x + c[..., k]
        return s

    def pixel_of(self, t_s, slant_range_m):
        """Fractional (row, col) of radar coordinates (s since orbit epoch, slant range m)."""
        t = np.asarray(t_s, dtype=np.float64)
        ta = self.azimuth_time_s
        if ta.size > 1 and np.all(np.diff(ta) > 0):
            dt = self.azimuth_time_interval_s
            row = (t - ta[0]) / dt
            # irregular grids (IW mosaics): correct with the true coordinate
            if np.max(np.abs(ta - (ta[0] + dt * np.arange(ta.size)))) > 1e-3 * dt:
                row = np.interp(t, ta, np.arange(ta.size), left=np.nan, right=np.nan)
        else:
            row = np.zeros_like(t)
        if self.range_dim == "slant_range":
            col = (np.asarray(slant_range_m) - self.range0_m) / self.range_spacing_m
        else:
            col = (self.ground_range_of(t, slant_range_m) - self.range0_m) / self.range_spacing_m
        return row, col

    def radar_of(self, row, col):
        """(azimuth time s since orbit epoch, slant range m) of fractional pixels."""
        row = np.asarray(row, dtype=np.float64)
        ta = self.azimuth_time_s
        t = np.interp(row, np.arange(ta.size), ta) if ta.size > 1 else np.full_like(row, ta[0])
        # linear extrapolation outside
        if ta.size > 1:
            dt = self.azimuth_time_interval_s
            t = np.where(row < 0, ta[0] + row * dt, np.where(row > ta.size - 1, ta[-1] + (row - ta.size + 1) * dt, t))
        r = self.range0_m + np.asarray(col, dtype=np.float64) * self.range_spacing_m
        if self.range_dim == "ground_range":
            r = self.slant_range_of(t, r)
        return t, r

    def slant_range_time_s(self, slant_range_m):
        return 2.0 * np.asarray(slant_range_m) / SPEED_OF_LIGHT_MPS

    def datetime_of(self, t_s):
        return self.orbit.epoch_utc + (np.asarray(t_s) * 1e9).astype("timedelta64[ns]")
