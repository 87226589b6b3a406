"""The SAR product model: raw and SLC products, one orbit, one Doppler model, one geometry.

Every source of SAR data is an adapter producing these xarray Datasets (the simulator
:mod:`lotusar.sar.simulate`; RADARSAT-1, ALOS/NISAR L0B and Sentinel-1 ISP through
:mod:`lotusar.sar.readers`; UAVSAR/NISAR RSLC and Sentinel-1 SAFE through
:mod:`lotusar.geo.readers`); every consumer (the focusing processor, ``geo`` calibration,
geocoding and ARD, the catalog's footprints) reads them through the functions here. The seam
follows sarsen's ``datamodel.py``: an orbit interpolator and a product with named dimensions.

Raw product (``product_type = "lotusar-raw"``; file format in :mod:`lotusar.sar.io`)
    ``echoes`` complex64 (``azimuth_time``, ``fast_time``): ``azimuth_time`` are the pulse
    transmit times (s since attribute ``reference_epoch_utc``, UTC), ``fast_time`` the two-way
    time of each sample with the pulse centre on 2R/c (s). ``orbit_position``/``orbit_velocity``
    (``orbit_time``, ``xyz``): ITRS state vectors (m, m/s). Attributes: ``carrier_hz``,
    ``range_sampling_rate_hz``, ``prf_hz``, ``chirp_rate_hz_s`` (negative for a down-chirp),
    ``pulse_length_s``, ``range_bandwidth_hz``, ``look_side`` (``"right"``/``"left"``),
    ``squint_deg``, ``look_angle_deg``, ``antenna_length_m``, ``antenna_height_m``,
    ``quantisation_bits``, ``quantisation``, ``window``; optionally the Doppler model
    ``doppler_centroid_poly_hz`` + ``doppler_centroid_ref_range_m`` (see below),
    ``doppler_ambiguity``, a measured ``chirp_replica`` (``replica_sample``) and the output
    grid ``slc_first_azimuth_time_s``, ``slc_azimuth_lines``, ``slc_first_slant_range_m``,
    ``slc_range_samples``.

SLC product (``product_type = "lotusar-slc"``)
    ``slc`` complex64 (``azimuth_time``, ``slant_range``): zero-Doppler azimuth time of each
    line (s since ``reference_epoch_utc``) and zero-Doppler slant range of each column (m);
    the same orbit variables. Attributes: the raw ones that still apply, plus
    ``range_pixel_spacing_m``, ``azimuth_pixel_spacing_m``, ``processed_range_bandwidth_hz``,
    ``processed_azimuth_bandwidth_hz``, ``doppler_centroid_hz`` (at the reference range),
    the Doppler model, ``range_window``, ``azimuth_window``, ``algorithm``. Phase convention:
    a point target at zero-Doppler range R0 has phase arg(σ) − 4πR0/λ (ISCE3).

Doppler model
    f_dc(η, R) = polyval(``doppler_centroid_poly_hz``, R − ``doppler_centroid_ref_range_m``)
    (absolute, ambiguity included; constant in azimuth over a product) and the azimuth FM rate
    K_a(η, R) = 2 V_r(η, R)² / (λ R) with V_r fitted to the orbit's range history
    (Cumming & Wong 2005, eqs. 4.38 and 5.13).

Orbit
    :class:`Orbit`: osculating Hermite interpolation of ECEF state vectors on the 4 samples
    around the query time using positions and velocities (degree 7, as ISCE's
    ``orbitHermite``), or Lagrange on 8 positions; < 1 mm and 1e-6 m/s at the 10 s spacing of
    Sentinel-1 (truncation ≈ (ωh)^8 r / 8!). Each sample interval is converted once into a
    local degree-7 polynomial, so evaluation is one gather plus a Horner loop. Times are float
    seconds since ``epoch_utc`` (float64: sub-ns over a day, 0.15 mm of range).

Geometry (Curlander & McDonough 1991, §4; ISCE3): a target x seen from p(t), v(t) satisfies
|x − p(t)| = R, 2/λ v·(x − p)/R = f_dc(t, R) and h(x) = h_DEM. :func:`geo2rdr` solves the
Doppler equation g(t) = v·(x − p) − (λ/2) f_dc R = 0 by Newton (3–5 steps to < 1 ns);
:func:`rdr2geo` parametrises x on the range/Doppler circle by the angle β from nadir and
solves h(x(β)) = h_DEM by Newton. Zero-Doppler geometry is f_dc = 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from lotusar.constants import SPEED_OF_LIGHT_M_S
from lotusar.errors import ValidationError
from lotusar.geodesy import ecef_to_geodetic, enu_basis
from lotusar.timeutil import parse_datetime64

FloatArray = NDArray[np.float64]
DopplerFn = Callable[[FloatArray, FloatArray], FloatArray]  # (azimuth time s, slant range m) -> Hz


class HeightModel(Protocol):
    """A terrain model for :func:`rdr2geo` (``lotusar.geo.dem.Dem``: ellipsoidal heights)."""

    mean_height_m: float

    def height_at(self, lon_deg: FloatArray, lat_deg: FloatArray, order: int | str = ...) -> FloatArray: ...


def _datetime64_ns(t: Any) -> np.datetime64:
    return np.datetime64(np.asarray(t, dtype="datetime64[ns]").reshape(()).item(), "ns")


def _hermite_basis(t: FloatArray, tk: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Hermite basis values (H_i, K_i) at times ``t`` for nodes ``tk`` (n,)."""
    n = tk.size
    tt = np.asarray(t, dtype=np.float64)[..., None]
    lag = np.ones(tt.shape[:-1] + (n,))
    c = np.zeros(n)
    for i in range(n):
        for j in range(n):
            if j != i:
                lag[..., i] *= (tt[..., 0] - tk[j]) / (tk[i] - tk[j])
                c[i] += 1.0 / (tk[i] - tk[j])
    dt = tt - tk
    return (1.0 - 2.0 * c * dt) * lag * lag, dt * lag * lag


def _lagrange_basis(t: FloatArray, tk: FloatArray) -> FloatArray:
    n = tk.size
    tt = np.asarray(t, dtype=np.float64)[..., None]
    lag = np.ones(tt.shape[:-1] + (n,))
    for i in range(n):
        for j in range(n):
            if j != i:
                lag[..., i] *= (tt[..., 0] - tk[j]) / (tk[i] - tk[j])
    return lag


@dataclass
class Orbit:
    """ECEF (ITRS) state vectors and their interpolant.

    ``time_s``: (N,) seconds since ``epoch_utc``; ``position_m``, ``velocity_m_s``: (N, 3).
    """

    time_s: FloatArray
    position_m: FloatArray
    velocity_m_s: FloatArray
    epoch_utc: np.datetime64
    method: str = "hermite"
    _coef: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.time_s = np.asarray(self.time_s, dtype=np.float64)
        self.position_m = np.asarray(self.position_m, dtype=np.float64).reshape(-1, 3)
        self.velocity_m_s = np.asarray(self.velocity_m_s, dtype=np.float64).reshape(-1, 3)
        self.epoch_utc = _datetime64_ns(self.epoch_utc)
        n = self.time_s.size
        if n < 4:
            raise ValidationError(f"orbit needs at least 4 state vectors, got {n}")
        if self.position_m.shape[0] != n or self.velocity_m_s.shape[0] != n:
            raise ValidationError("orbit position/velocity must be (N, 3) with one row per time")
        if np.any(np.diff(self.time_s) <= 0):
            order = np.argsort(self.time_s)
            keep = np.concatenate([[True], np.diff(self.time_s[order]) > 0])
            self.time_s = self.time_s[order][keep]
            self.position_m = self.position_m[order][keep]
            self.velocity_m_s = self.velocity_m_s[order][keep]
        if self.method not in ("hermite", "lagrange"):
            raise ValidationError(f"unknown orbit interpolation {self.method!r}: hermite or lagrange")
        self._coef = self._segment_polynomials()

    @classmethod
    def from_datetimes(cls, times: ArrayLike, position_m: ArrayLike, velocity_m_s: ArrayLike,
                       epoch_utc: np.datetime64 | None = None, method: str = "hermite") -> Orbit:
        """From datetime64 sample times; the epoch defaults to the middle sample time."""
        t = np.asarray(times).astype("datetime64[ns]")
        epoch = _datetime64_ns(t[0] + (t[-1] - t[0]) // 2 if epoch_utc is None else epoch_utc)
        ts = (t - epoch) / np.timedelta64(1, "s")
        return cls(np.asarray(ts, np.float64), np.asarray(position_m, np.float64),
                   np.asarray(velocity_m_s, np.float64), epoch, method)

    def _segment_polynomials(self) -> FloatArray:
        t = self.time_s
        count = t.size
        n = 4 if self.method == "hermite" else min(8, count)
        coef = np.empty((count - 1, 8, 3))
        for s in range(count - 1):
            lo = int(np.clip(s - (n // 2 - 1), 0, count - n))
            idx = np.arange(lo, lo + n)
            tk = t[idx]
            h = t[s + 1] - t[s]
            # the interpolant at 8 Chebyshev nodes of the interval, fitted exactly
            u = 0.5 * h * (1 - np.cos(np.pi * (np.arange(8) + 0.5) / 8))
            if self.method == "hermite":
                hb, kb = _hermite_basis(t[s] + u, tk)
                vals = hb @ self.position_m[idx] + kb @ self.velocity_m_s[idx]
                deg = 7
            else:
                vals = _lagrange_basis(t[s] + u, tk) @ self.position_m[idx]
                deg = n - 1
            vander = np.vander(u / h, 8, increasing=True)[:, : deg + 1]  # scaled variable: conditioning
            c_scaled = np.linalg.lstsq(vander, vals, rcond=None)[0]
            c = np.zeros((8, 3))
            c[: deg + 1] = c_scaled / (h ** np.arange(deg + 1))[:, None]
            coef[s] = c
        return coef

    @property
    def start_s(self) -> float:
        return float(self.time_s[0])

    @property
    def end_s(self) -> float:
        return float(self.time_s[-1])

    def seconds(self, times: ArrayLike) -> FloatArray:
        """datetime64 → float seconds since ``epoch_utc``."""
        return np.asarray((np.asarray(times).astype("datetime64[ns]") - self.epoch_utc) / np.timedelta64(1, "s"),
                          np.float64)

    def position(self, t_s: ArrayLike) -> FloatArray:
        """Position (…, 3) at ``t_s``."""
        return self._evaluate(t_s, 0)[0]

    def interpolate(self, t_s: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Position and velocity (…, 3) at times ``t_s`` (s since ``epoch_utc``).

        Times outside the state-vector span are extrapolated from the end intervals (readers
        check the span: :mod:`lotusar.sar.io`).
        """
        out = self._evaluate(t_s, 1)
        return out[0], out[1]

    def interpolate_with_acceleration(self, t_s: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Position, velocity and acceleration (…, 3) at ``t_s``."""
        out = self._evaluate(t_s, 2)
        return out[0], out[1], out[2]

    def _evaluate(self, t_s: ArrayLike, derivatives: int) -> list[FloatArray]:
        t = np.asarray(t_s, dtype=np.float64)
        seg = np.clip(np.searchsorted(self.time_s, t, side="right") - 1, 0, self.time_s.size - 2)
        s_lo, s_hi = (int(seg.min()), int(seg.max())) if seg.size else (0, 0)
        if seg.size and s_hi - s_lo < 6:
            # few intervals (an image block): scalar coefficients per interval, ~5x faster than a gather
            outs = [np.empty(t.shape + (3,)) for _ in range(derivatives + 1)]
            for sgi in range(s_lo, s_hi + 1):
                m: Any = seg == sgi if s_hi > s_lo else Ellipsis
                u = (t[m] - self.time_s[sgi])[..., None]
                c = self._coef[sgi]
                for o, r in zip(outs, _horner(lambda k: c[k], u, derivatives)):  # noqa: B023
                    o[m] = r
            return outs
        u = (t - self.time_s[seg])[..., None]
        return _horner(lambda k: self._coef[seg, k], u, derivatives)


def _horner(coef: Callable[[int], FloatArray], u: FloatArray, derivatives: int) -> list[FloatArray]:
    """Degree-7 polynomial with coefficients ``coef(k)``, k = 0…7, and its derivatives at ``u``."""
    pos = coef(7) * u + coef(6)
    for k in range(5, -1, -1):
        pos = pos * u + coef(k)
    out = [pos]
    if derivatives >= 1:
        vel = 7.0 * coef(7) * u + 6.0 * coef(6)
        for k in range(5, 0, -1):
            vel = vel * u + k * coef(k)
        out.append(vel)
    if derivatives >= 2:
        acc = 42.0 * coef(7) * u + 30.0 * coef(6)
        for k in range(5, 1, -1):
            acc = acc * u + (k * (k - 1)) * coef(k)
        out.append(acc)
    return out


def orbit_of(ds: xr.Dataset) -> Orbit:
    """The orbit stored in a raw or SLC product."""
    return Orbit(np.asarray(ds["orbit_time"].values, np.float64), np.asarray(ds["orbit_position"].values, np.float64),
                 np.asarray(ds["orbit_velocity"].values, np.float64),
                 parse_datetime64(str(ds.attrs["reference_epoch_utc"])))


def wavelength_m(ds: xr.Dataset) -> float:
    return SPEED_OF_LIGHT_M_S / float(ds.attrs["carrier_hz"])


def doppler_centroid_hz(ds: xr.Dataset, azimuth_time_s: ArrayLike, slant_range_m: ArrayLike) -> FloatArray:
    """Absolute Doppler centroid f_dc(η, R) of a product (Hz), broadcast over the two arguments.

    The polynomial in slant range (``doppler_centroid_poly_hz`` about
    ``doppler_centroid_ref_range_m``), else the constant ``doppler_centroid_hz``, else 0
    (a zero-Doppler product). Constant in azimuth time over one product.
    """
    t, r = np.broadcast_arrays(np.asarray(azimuth_time_s, np.float64), np.asarray(slant_range_m, np.float64))
    a = ds.attrs
    if "doppler_centroid_poly_hz" in a:
        poly = np.atleast_1d(np.asarray(a["doppler_centroid_poly_hz"], np.float64))
        return np.asarray(np.polyval(poly, r - float(a["doppler_centroid_ref_range_m"])), np.float64)
    return np.full(t.shape, float(a.get("doppler_centroid_hz", 0.0)))


def effective_velocity_m_s(orbit: Orbit, azimuth_time_s: ArrayLike, points_m: ArrayLike, slant_range_m: ArrayLike,
                           half_aperture_s: float = 0.5, samples: int = 33) -> FloatArray:
    """V_r fitted to R(t)² − R0² = V_r² (t − t0)² (least squares over ± ``half_aperture_s``)."""
    p = np.atleast_2d(np.asarray(points_m, np.float64))
    t0 = np.atleast_1d(np.asarray(azimuth_time_s, np.float64))
    r0 = np.atleast_1d(np.asarray(slant_range_m, np.float64))
    u = np.linspace(-half_aperture_s, half_aperture_s, samples)
    pos = orbit.position(t0[:, None] + u[None, :])
    y = np.sum((pos - p[:, None, :]) ** 2, axis=-1) - r0[:, None] ** 2
    return np.asarray(np.sqrt(np.sum(y * u**2, -1) / np.sum(u**4)), np.float64)


def azimuth_fm_rate_hz_s(ds: xr.Dataset, azimuth_time_s: ArrayLike, slant_range_m: ArrayLike,
                         height_m: float = 0.0) -> FloatArray:
    """Azimuth FM rate K_a(η, R) = 2 V_r² / (λ R) (Hz/s) with V_r fitted to the product's orbit
    at the zero-Doppler ground point of (η, R) at ``height_m`` (broadcast over the arguments)."""
    t, r = np.broadcast_arrays(np.asarray(azimuth_time_s, np.float64), np.asarray(slant_range_m, np.float64))
    orbit = orbit_of(ds)
    pts = rdr2geo(orbit, t.ravel(), r.ravel(), height_m, look_side=str(ds.attrs["look_side"]))[3]
    vr = effective_velocity_m_s(orbit, t.ravel(), pts, r.ravel())
    return np.asarray((2 * vr**2 / (wavelength_m(ds) * r.ravel())).reshape(t.shape), np.float64)


def _look_sign(look_side: str) -> float:
    if look_side not in ("left", "right"):
        raise ValidationError(f"look side must be 'left' or 'right', got {look_side!r}")
    return 1.0 if look_side == "right" else -1.0


def _unit(v: FloatArray) -> FloatArray:
    return np.asarray(v / np.linalg.norm(v, axis=-1, keepdims=True), np.float64)


def rdr2geo(orbit: Orbit, azimuth_time_s: ArrayLike, slant_range_m: ArrayLike, dem: HeightModel | ArrayLike,
            wavelength_m: float = 0.0, look_side: str = "right", doppler_hz: DopplerFn | None = None,
            height_tol_m: float = 1e-4, max_iter: int = 40,
            dem_order: int | str = "biquintic") -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Ground position of radar samples (azimuth time s since ``orbit.epoch_utc``, slant range m).

    ``dem``: a terrain model with ``height_at(lon, lat)`` (ellipsoidal heights) or fixed
    ellipsoidal heights (number or array broadcast with the samples). Returns
    ``(lon_deg, lat_deg, height_m, target_ecef_m)``; samples that reach no ground point
    (slant range shorter than the altitude) are NaN.
    """
    t, rng = np.broadcast_arrays(np.asarray(azimuth_time_s, np.float64), np.asarray(slant_range_m, np.float64))
    shape = t.shape
    terrain = dem if hasattr(dem, "height_at") else None
    fixed_h = None if terrain is not None else np.broadcast_to(np.asarray(dem, np.float64), shape).ravel()
    t, rng = t.ravel(), rng.ravel()
    sign = _look_sign(look_side)
    p, v = orbit.interpolate(t)
    vmag = np.linalg.norm(v, axis=-1)
    that = v / vmag[:, None]
    fd = np.zeros_like(t) if doppler_hz is None else np.asarray(doppler_hz(t, rng), np.float64).ravel() * np.ones_like(t)
    d_along = rng * wavelength_m * fd / (2.0 * vmag)  # along-track offset of the Doppler cone
    rho = np.sqrt(np.maximum(rng * rng - d_along * d_along, 0.0))
    lat_s, lon_s, h_s = ecef_to_geodetic(p)
    nhat = -enu_basis(lat_deg=lat_s, lon_deg=lon_s)[..., 2, :]  # towards the geodetic nadir
    nhat = _unit(nhat - (nhat * that).sum(-1, keepdims=True) * that)
    chat = sign * np.cross(nhat, that)  # right-looking: n × t; left: t × n
    r_sat = np.linalg.norm(p, axis=-1)
    h_guess = fixed_h.copy() if fixed_h is not None else np.full_like(t, float(terrain.mean_height_m))  # type: ignore[union-attr]
    r_tgt = r_sat - h_s + h_guess  # initial look angle on a sphere of the local radius
    beta = np.arccos(np.clip((r_sat**2 + rho**2 - r_tgt**2) / (2.0 * r_sat * rho), -1.0, 1.0))
    active = np.ones(t.shape, dtype=bool)
    base = p + d_along[:, None] * that
    res = np.zeros_like(t)
    for _ in range(max_iter):
        idx = np.nonzero(active)[0]
        if idx.size == 0:
            break
        b = beta[idx][:, None]
        x = base[idx] + rho[idx, None] * (np.cos(b) * nhat[idx] + np.sin(b) * chat[idx])
        dx = rho[idx, None] * (-np.sin(b) * nhat[idx] + np.cos(b) * chat[idx])
        lat, lon, h = ecef_to_geodetic(x)
        hd = fixed_h[idx] if fixed_h is not None else terrain.height_at(lon, lat, order=dem_order)  # type: ignore[union-attr]
        dh = (enu_basis(lat_deg=lat, lon_deg=lon)[..., 2, :] * dx).sum(-1)
        res[idx] = h - hd
        beta[idx] = beta[idx] - res[idx] / np.where(np.abs(dh) > 1e-3, dh, np.copysign(1e-3, dh))
        active[idx] = np.abs(res[idx]) > height_tol_m
    b = beta[:, None]
    x = base + rho[:, None] * (np.cos(b) * nhat + np.sin(b) * chat)
    x[np.abs(res) > 1.0] = np.nan  # no ground point (range shorter than the altitude)
    lat, lon, h = ecef_to_geodetic(x)
    return lon.reshape(shape), lat.reshape(shape), h.reshape(shape), x.reshape(shape + (3,))


def geo2rdr(orbit: Orbit, target_ecef_m: ArrayLike, wavelength_m: float = 0.0, doppler_hz: DopplerFn | None = None,
            t0_s: ArrayLike | None = None, time_tol_s: float = 1e-9,
            max_iter: int = 20) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Radar coordinates (azimuth time s since ``orbit.epoch_utc``, slant range m) of ECEF targets.

    ``target_ecef_m`` (…, 3); ``t0_s`` the initial guess (default: the state-vector sample
    nearest in the zero-Doppler sense). Zero-Doppler unless ``doppler_hz`` is given.
    Returns ``(azimuth_time_s, slant_range_m, converged)``.
    """
    x = np.asarray(target_ecef_m, np.float64)
    shape = x.shape[:-1]
    x = x.reshape(-1, 3)
    guess = _closest_approach_guess(orbit, x) if t0_s is None else t0_s
    t = np.broadcast_to(np.asarray(guess, np.float64), shape).ravel().copy()
    active = np.ones(t.shape, dtype=bool)
    for _ in range(max_iter):
        idx = np.nonzero(active)[0]
        if idx.size == 0:
            break
        ti = t[idx]
        p, v, a = orbit.interpolate_with_acceleration(ti)
        dr = x[idx] - p
        vdr = (v * dr).sum(-1)
        g = vdr
        gp = (a * dr).sum(-1) - (v * v).sum(-1)
        if doppler_hz is not None:
            r = np.linalg.norm(dr, axis=-1)
            fd = np.asarray(doppler_hz(ti, r), np.float64) * np.ones_like(ti)
            g = vdr - 0.5 * wavelength_m * fd * r
            gp = gp + 0.5 * wavelength_m * fd * vdr / r  # dR/dt = −v·dr/R
        dt = g / gp
        t[idx] = ti - dt
        active[idx] = np.abs(dt) > time_tol_s
    rng = np.linalg.norm(x - orbit.position(t), axis=-1)
    ok = ~active & (t >= orbit.start_s) & (t <= orbit.end_s)
    return t.reshape(shape), rng.reshape(shape), ok.reshape(shape)


def _closest_approach_guess(orbit: Orbit, x: FloatArray) -> float:
    """The state-vector sample nearest the targets' mean in the zero-Doppler sense."""
    ts = orbit.time_s
    sel = np.linspace(0, ts.size - 1, 64).astype(int) if ts.size > 64 else np.arange(ts.size)
    g = (orbit.velocity_m_s[sel] * (x.mean(axis=0) - orbit.position_m[sel])).sum(-1)
    return float(ts[sel[int(np.argmin(np.abs(g)))]])


def zero_doppler_ground_points(orbit: Orbit, azimuth_time_s: float, slant_range_m: ArrayLike, look_side: str,
                               height_m: float = 0.0) -> FloatArray:
    """ECEF points (n, 3) at ``height_m`` above WGS84 seen at zero Doppler from the orbit at
    ``azimuth_time_s`` at the given slant ranges (NaN where the range reaches no ground)."""
    rng = np.atleast_1d(np.asarray(slant_range_m, np.float64))
    return rdr2geo(orbit, np.full(rng.shape, float(azimuth_time_s)), rng, height_m, look_side=look_side)[3]



# --- raw product: the echo-start range convention of real recorders and the zero-Doppler grid ---


def _pulse_centre_s(pulse_length_s: float, range_sampling_rate_hz: float) -> float:
    """Time from the first to the centre sample of a pulse of T·fs samples: (n − 1)/2 / fs."""
    n = int(round(pulse_length_s * range_sampling_rate_hz))
    return (n - 1) / 2.0 / range_sampling_rate_hz


def raw_fast_time0_s(near_range_m: float, pulse_length_s: float, range_sampling_rate_hz: float) -> float:
    """``fast_time`` of sample 0 of a raw product whose echoes start at ``near_range_m``.

    Real recorders count range from the *start* of each echo (a target at R begins at the
    sample of two-way time 2R/c); the raw product centres the pulse on 2R/c. The centre of an
    n-sample pulse starting at sample 0 is sample (n − 1)/2 (where the replica's t = 0 falls),
    so fast_time[0] = 2 R_near / c − (n − 1)/(2 fs) ≈ 2 R_near / c − T/2.
    """
    return 2.0 * near_range_m / SPEED_OF_LIGHT_M_S - _pulse_centre_s(pulse_length_s, range_sampling_rate_hz)


def raw_near_range_m(ds: xr.Dataset) -> float:
    """Echo-start slant range of sample 0 of a raw product (inverse of :func:`raw_fast_time0_s`)."""
    a = ds.attrs
    fs = float(a["range_sampling_rate_hz"])
    ft0 = float(ds["fast_time"].values[0])
    return SPEED_OF_LIGHT_M_S / 2.0 * (ft0 + _pulse_centre_s(float(a["pulse_length_s"]), fs))


def raw_range_spacing_m(ds: xr.Dataset) -> float:
    """Slant-range sample spacing c / (2 fs) of a raw product."""
    return SPEED_OF_LIGHT_M_S / (2.0 * float(ds.attrs["range_sampling_rate_hz"]))


def raw_slant_range_m(ds: xr.Dataset) -> FloatArray:
    """Echo-start slant range of every range sample of a raw product."""
    n = int(ds.sizes["fast_time"])
    return raw_near_range_m(ds) + np.arange(n, dtype=np.float64) * raw_range_spacing_m(ds)


def chirp_replica(ds: xr.Dataset) -> NDArray[np.complex64]:
    """Transmitted pulse sampled at fs, centred: the measured ``chirp_replica`` or the ideal chirp."""
    if "chirp_replica" in ds:
        return np.asarray(ds["chirp_replica"].values, np.complex64)
    a = ds.attrs
    fs = float(a["range_sampling_rate_hz"])
    n = int(round(float(a["pulse_length_s"]) * fs))
    t = (np.arange(n) - (n - 1) / 2.0) / fs
    return np.asarray(np.exp(1j * np.pi * float(a["chirp_rate_hz_s"]) * t * t), np.complex64)


def fitted_effective_velocity_m_s(orbit: Orbit, azimuth_time_s: float, slant_range_m: float, look_side: str,
                                  half_aperture_s: float = 1.5) -> float:
    """V_r at (η, R) from an orbit: fit R(t)² − R0² = V_r² (t − t0)² (hyperbolic model) over
    ± ``half_aperture_s`` (clipped to the orbit's span) at the zero-Doppler ground point."""
    p = zero_doppler_ground_points(orbit, azimuth_time_s, np.array([slant_range_m]), look_side)[0]
    u = np.linspace(-half_aperture_s, half_aperture_s, 31)
    u = u[(azimuth_time_s + u >= orbit.start_s) & (azimuth_time_s + u <= orbit.end_s)]
    rr = np.linalg.norm(orbit.position(azimuth_time_s + u) - p, axis=1)
    return float(np.sqrt(np.sum((rr**2 - slant_range_m**2) * u**2) / np.sum(u**4)))


def raw_effective_velocity_m_s(ds: xr.Dataset) -> float:
    """V_r of a raw product: its ``effective_velocity_m_s`` attribute, else fitted to its orbit at
    the mean pulse time and mid-swath range."""
    v = float(ds.attrs.get("effective_velocity_m_s", 0.0))
    if v:
        return v
    t0 = float(np.mean(ds["azimuth_time"].values))
    r0 = float(raw_slant_range_m(ds)[int(ds.sizes["fast_time"]) // 2])
    return fitted_effective_velocity_m_s(orbit_of(ds), t0, r0, str(ds.attrs.get("look_side", "right")))


def zero_doppler_shift_lines(ds: xr.Dataset, doppler_centroid_hz: float, effective_velocity_m_s: float) -> int:
    """Lines between zero-Doppler and beam-centre time at mid swath: Δη = −f_dc λ R(η_c) / (2 V_r²).

    This fixes the origin of the SLC grid of a raw product (first line = first pulse − Δη): the
    one definition used by ``read-raw`` and the focusing, so every algorithm writes the same grid.
    """
    lam = wavelength_m(ds)
    r0 = float(raw_slant_range_m(ds)[int(ds.sizes["fast_time"]) // 2])
    d = np.sqrt(1 - (lam * doppler_centroid_hz / (2 * effective_velocity_m_s)) ** 2)
    deta = -doppler_centroid_hz * lam * (r0 / d) / (2 * effective_velocity_m_s**2)
    return int(np.round(deta * float(ds.attrs["prf_hz"])))


def output_first_range_m(ds: xr.Dataset, doppler_at_range: Callable[[FloatArray], ArrayLike],
                         effective_velocity_m_s: float) -> float:
    """First zero-Doppler range of the output grid: the raw near range moved in by the bulk
    migration R(1 − D(f_dc)), rounded to whole samples, so that the targets whose beam-centre
    echoes start in the raw window are inside the output (squint moves them by R0(1/D − 1))."""
    near = raw_near_range_m(ds)
    dr = raw_range_spacing_m(ds)
    fdc = float(np.median(np.atleast_1d(np.asarray(doppler_at_range(np.array([near])), np.float64))))
    d = np.sqrt(1 - (wavelength_m(ds) * fdc / (2 * effective_velocity_m_s)) ** 2)
    m = int(np.round(near * (1 - d) / dr))
    return near - m * dr
