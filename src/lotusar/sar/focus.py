"""SAR focusing: range compression, range-Doppler, chirp scaling, omega-k and back-projection.

All four algorithms take the same raw block and :class:`FocusParams` and write the same
zero-Doppler output grid (azimuth time ``slc_time0_s + k/PRF``, slant range
``slc_range0_m + j c/(2 fs)``), so their SLCs can be compared pixel for pixel.

Signal model (Cumming & Wong 2005, ch. 4-8): after range compression a point target at
zero-Doppler time eta0 and range R0 is p_r(tau - 2R(eta)/c) w_a exp(-j 4 pi f0 R(eta)/c),
R(eta)^2 = R0^2 + Vr(R0)^2 (eta - eta0)^2; in the range-Doppler domain it lies at R0/D(f_eta),
D = sqrt(1 - c^2 f_eta^2 / (4 Vr^2 f0^2)), with azimuth phase -4 pi R0 f0 D / c. Its exact 2-D
spectrum is exp(-j pi f_tau^2/K) exp(-j 4 pi R0/c sqrt((f0+f_tau)^2 - c^2 f_eta^2/(4 Vr^2))).
Vr(R0) is fitted to the real orbit (:func:`lotusar.sar.geometry.effective_velocity`), the
Doppler centroid f_dc(R0) comes from geometry or from the data (:mod:`lotusar.sar.doppler`);
absolute Doppler frequencies are unwrapped around f_dc, so any ambiguity number works.

- ``rda``: range compression (window), azimuth FFT, secondary range compression by the exact
  higher-order range phase at R_ref (Cumming eq. 6.22 generalised), RCMC by 8-tap
  Kaiser-windowed sinc interpolation onto the output range grid, azimuth matched filter.
- ``csa``: chirp scaling (Cumming ch. 7; Raney et al. 1994) with reference Doppler 0 so the
  output is in zero-Doppler geometry; the scaling factor is the numerical slope dM/dR0 of the
  migration M = R0/D(f_eta, Vr(R0)), so range-varying Vr is handled to first order; residual
  phase (eq. 7.33) removed.
- ``wk``: omega-k (Cumming ch. 8; Cafforio et al. 1991): reference function multiply at R_ref,
  Stolt mapping by 8-tap sinc interpolation, then a range-Doppler residual azimuth phase for
  Vr(R0) != Vr(R_ref) (the "differential" correction).
- ``bp``: time-domain back-projection with the exact orbit: every pixel's ground point in
  zero-Doppler geometry, ranges to the interpolated antenna positions (bistatic mid-point),
  range-compressed echoes up-sampled x8 and linearly interpolated, Doppler-band weighting.

Bistatic timing: a pulse sent at t_n is received at t_n + tau, so the effective (monostatic)
antenna position is r(t_n + tau/2); the frequency-domain algorithms apply the resulting
azimuth shift tau(R0)/2 as a linear phase in the range-Doppler domain.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from scipy.fft import next_fast_len
from scipy.interpolate import RegularGridInterpolator

from lotusar.constants import SPEED_OF_LIGHT_M_S as C
from lotusar.errors import ValidationError
from lotusar.sar import geometry as geo
from lotusar.sar.model import Orbit, effective_velocity_m_s, zero_doppler_ground_points
from lotusar.sar.windows import window as window_weights
from lotusar.xp import array_namespace, fft_module, fft_workers, to_numpy

ALGORITHMS = ("rda", "csa", "wk", "bp")


@dataclass
class FocusParams:
    """Everything a focusing algorithm needs besides the echoes (SI units)."""

    carrier_hz: float
    range_sampling_rate_hz: float
    prf_hz: float
    chirp_rate_hz_s: float
    pulse_length_s: float
    range_bandwidth_hz: float
    fast_time0_s: float            # two-way time of raw sample 0
    azimuth_time0_s: float         # time of raw line 0 (s since the state vectors' epoch)
    sv: Orbit | None               # the product's orbit (None: range compression only)
    look_side: str = "right"
    scene_height_m: float = 0.0
    doppler_poly_hz: np.ndarray = field(default_factory=lambda: np.zeros(1))  # f_dc(R) = polyval(poly, R - doppler_ref_range_m)
    doppler_ref_range_m: float = 0.0
    azimuth_bandwidth_hz: float | None = None
    range_window: str = "none"
    azimuth_window: str = "none"
    window_coefficient: float | None = None
    bistatic: bool = True
    slc_time0_s: float | None = None
    slc_lines: int | None = None
    slc_range0_m: float | None = None
    slc_samples: int | None = None
    replica: np.ndarray | None = None  # transmitted pulse samples at fs (else ideal up-chirp)
    antenna_length_m: float | None = None

    @property
    def wavelength_m(self) -> float:
        return C / self.carrier_hz

    @property
    def range_spacing_m(self) -> float:
        return C / (2 * self.range_sampling_rate_hz)

    def doppler_centroid_hz(self, slant_range_m):
        return np.polyval(np.asarray(self.doppler_poly_hz, float), np.asarray(slant_range_m, float) - self.doppler_ref_range_m)

    def with_default_grid(self, lines: int, samples: int) -> FocusParams:
        """Fill an unset output grid with the raw grid (same size, zero-Doppler of the raw times)."""
        p = self
        if p.slc_time0_s is None:
            p = replace(p, slc_time0_s=p.azimuth_time0_s, slc_lines=lines)
        if p.slc_range0_m is None:
            p = replace(p, slc_range0_m=C / 2 * p.fast_time0_s, slc_samples=samples)
        return p


# --------------------------------------------------------------------------------------------
# geometry of the processing


@dataclass
class HyperbolicModel:
    """Hyperbolic range model per output range column, fitted to the real orbit.

    For the zero-Doppler point of each column, R(t)^2 from the orbit over the actual aperture
    (centred on the beam-centre time t0 - f_dc/Ka, length B_a/Ka) is fitted by
    R'^2 + Vr^2 (t - t0 - dt)^2; the apex (t0 + dt, R0 + dR) is where a frequency-domain
    focuser puts the target, so the focusers shift by -dt, -dR to land on the true zero-Doppler
    position (dt reaches ~1 px at 3 deg squint, ~12 px at 8 deg on LOTUSat-1).
    """

    slant_range_m: np.ndarray
    vr_m_s: np.ndarray
    fdc_hz: np.ndarray
    apex_shift_s: np.ndarray
    apex_range_m: np.ndarray
    ref_range_m: float
    vr_ref_m_s: float
    fdc_ref_hz: float
    apex_dr_ref_m: float
    ground_velocity_m_s: float
    mid_time_s: float
    residual_ranges_m: np.ndarray | None = None     # (k,) ranges where the residual is fitted
    residual_coeffs: np.ndarray | None = None       # (k, deg+1) polyfit of dR(f - fdc) [m vs kHz]

    def residual_range_m(self, f_eta, xp=np):
        """True minus hyperbolic range (m) at Doppler f_eta (rows x columns), by POSP."""
        if self.residual_coeffs is None:
            return 0.0
        cols = [np.interp(self.slant_range_m, self.residual_ranges_m, self.residual_coeffs[:, i])
                for i in range(self.residual_coeffs.shape[1])]
        x = (f_eta - xp.asarray(self.fdc_hz)[None, :]) * 1e-3
        acc = xp.zeros_like(x)
        for c in cols:
            acc = acc * x + xp.asarray(c)[None, :]
        return acc

    def azimuth_fm_rate_hz_s(self, wavelength_m: float) -> np.ndarray:
        """Ka = 2 Vr^2 / (lambda R0) per column (azimuth FM rate from geometry)."""
        return 2 * self.vr_m_s**2 / (wavelength_m * self.slant_range_m)


def hyperbolic_model(p: FocusParams, samples: int = 9) -> HyperbolicModel:
    """Fit the hyperbolic model to the true orbit range history at the grid's mid time."""
    rng_out = p.slc_range0_m + np.arange(p.slc_samples) * p.range_spacing_m
    t_mid = p.slc_time0_s + 0.5 * (p.slc_lines - 1) / p.prf_hz
    rr = np.linspace(rng_out[0], rng_out[-1], samples)
    pts = zero_doppler_ground_points(p.sv, t_mid, rr, p.look_side, p.scene_height_m)
    lam = p.wavelength_m
    fdc = p.doppler_centroid_hz(rr)
    bw = p.azimuth_bandwidth_hz or 0.8 * p.prf_hz
    vr0 = effective_velocity_m_s(p.sv, np.full(rr.size, t_mid), pts, rr, 0.2)
    ka = 2 * vr0**2 / (lam * rr)
    u = np.linspace(-0.5, 0.5, 41)[None, :] * (bw / ka)[:, None] - (fdc / ka)[:, None]  # t - t0 over the aperture
    pos, _ = p.sv.interpolate(t_mid + u)
    r2 = np.sum((pos - pts[:, None, :]) ** 2, axis=-1)
    vr = np.empty(samples)
    dt = np.empty(samples)
    dr = np.empty(samples)
    coeffs = np.empty((samples, 6))
    for i in range(samples):
        c2, c1, c0 = np.polyfit(u[i], r2[i], 2)
        vr[i] = np.sqrt(c2)
        dt[i] = -c1 / (2 * c2)
        dr[i] = np.sqrt(c0 - c1 * c1 / (4 * c2)) - rr[i]
        # higher-order orbit terms: true minus fitted hyperbola, mapped to Doppler (POSP)
        r_hyp = np.sqrt(c0 + c1 * u[i] + c2 * u[i] ** 2)
        resid = np.sqrt(r2[i]) - r_hyp
        f_u = -2.0 / lam * (c1 + 2 * c2 * u[i]) / (2 * r_hyp)
        coeffs[i] = np.polyfit((f_u - fdc[i]) * 1e-3, resid, 5)
    x = rr - rr.mean()
    deg = min(2, samples - 1)
    fit = lambda y, q: np.polyval(np.polyfit(x, y, deg), q - rr.mean())  # noqa: E731
    ref = float(rng_out[len(rng_out) // 2])
    vg = float(geo.ground_velocity(p.sv, np.array([t_mid]), pts[samples // 2: samples // 2 + 1])[0])
    dr_out = fit(dr, rng_out)
    return HyperbolicModel(rng_out, fit(vr, rng_out), p.doppler_centroid_hz(rng_out), fit(dt, rng_out), rng_out + dr_out,
                           ref, float(fit(vr, ref)), float(p.doppler_centroid_hz(ref)), float(fit(dr, ref)), vg, t_mid,
                           rr, coeffs)


def azimuth_frequencies(n: int, prf: float, fdc, xp=np, rows: slice | None = None):
    """Absolute Doppler of each FFT bin, unwrapped into [fdc - PRF/2, fdc + PRF/2) (broadcasts over fdc)."""
    f = xp.fft.fftfreq(n, 1.0 / prf)
    if rows is not None:
        f = f[rows]
        n = f.shape[0]
    fdc = xp.asarray(fdc)
    f = f.reshape((n,) + (1,) * fdc.ndim)
    return fdc + xp.mod(f - fdc + prf / 2, prf) - prf / 2


def range_filter(p: FocusParams, n: int, xp=np):
    """Range matched filter spectrum: phase-only conj(replica) within |f| <= B/2, times the window."""
    fs = p.range_sampling_rate_hz
    f = xp.fft.fftfreq(n, 1.0 / fs)
    if p.replica is not None:
        rep = np.zeros(n, np.complex128)
        m = len(p.replica)
        rep[:m] = p.replica
        rep = np.roll(rep, -(m // 2))
        spec = np.fft.fft(rep)
        h = np.conj(spec) / np.maximum(np.abs(spec), 1e-12 * np.abs(spec).max())
        h = xp.asarray(h)
    else:  # ideal up-chirp exp(j pi K t^2): spectrum exp(-j pi f^2 / K) (POSP)
        h = xp.exp(1j * np.pi * f * f / p.chirp_rate_hz_s)
    w = window_weights(p.range_window, f / p.range_bandwidth_hz, p.window_coefficient)
    return (h * w).astype(np.complex64)


def range_fft_length(p: FocusParams, samples: int, vr_m_s: float) -> int:
    """Range FFT length: the raw samples plus one pulse plus the largest range migration.

    Every frequency-domain step is a circular convolution in range. Without padding the
    compressed echo of a target whose pulse is cut by the window end (the last T·fs samples,
    the partially illuminated far range) wraps round to the near range, and the algorithms
    disagree there: the RDA's RCMC reads zeros beyond the window while the CSA and omega-k
    phase ramps rotate the wrapped energy into the far columns. With N >= samples + pulse +
    migration all three see the same linear convolution.
    """
    pulse = len(p.replica) if p.replica is not None else int(np.ceil(p.pulse_length_s * p.range_sampling_rate_hz))
    r_far = C / 2 * (p.fast_time0_s + samples / p.range_sampling_rate_hz)
    f_max = float(np.max(np.abs(p.doppler_centroid_hz(np.array([C / 2 * p.fast_time0_s, r_far]))))) + p.prf_hz
    d_min = np.sqrt(max(1 - (p.wavelength_m * f_max / (2 * vr_m_s)) ** 2, 0.25))
    migration = int(np.ceil(r_far * (1 / d_min - 1) / p.range_spacing_m))
    return int(next_fast_len(samples + pulse + migration + 16))


def range_compress(raw, p: FocusParams, xp=None, vr_m_s: float | None = None):
    """Range-compressed echoes, zero-padded (:func:`range_fft_length` columns): a target's peak at fast time 2R/c.

    ``vr_m_s`` (effective velocity) sizes the padding; by default 0.9 times the platform speed
    (a lower bound for a LEO, where V_r^2 ~ V_s V_g, so the padding errs on the long side).
    """
    xp = xp or array_namespace(raw)
    fft = fft_module(xp)
    kw = fft_workers(xp)
    if vr_m_s is None:
        vr_m_s = 0.9 * float(np.linalg.norm(p.sv.interpolate(np.array(p.azimuth_time0_s))[1]))
    n = range_fft_length(p, raw.shape[1], vr_m_s)
    spec = fft.fft(raw, n=n, axis=1, **kw)
    spec *= range_filter(p, n, xp)[None, :]
    return fft.ifft(spec, axis=1, overwrite_x=True, **kw).astype(np.complex64, copy=False)


_KERNEL_CACHE: dict = {}


def sinc_table(taps: int = 8, resolution: int = 2048, beta: float = 4.0) -> np.ndarray:
    """Kaiser-windowed sinc interpolation weights for ``resolution + 1`` fractional offsets (normalised)."""
    key = (taps, resolution, beta)
    if key not in _KERNEL_CACHE:
        frac = np.arange(resolution + 1) / resolution
        k = np.arange(taps) - (taps // 2 - 1)
        x = k[None, :] - frac[:, None]
        w = np.sinc(x) * np.i0(beta * np.sqrt(np.clip(1 - (x / (taps / 2)) ** 2, 0, 1))) / np.i0(beta)
        _KERNEL_CACHE[key] = (w / w.sum(-1, keepdims=True)).astype(np.float32)
    return _KERNEL_CACHE[key]


def interp_rows(data, src_index, taps: int = 8, xp=np):
    """out[i, j] = data[i] sampled at fractional index src_index[i, j] (8-tap windowed sinc, 0 outside)."""
    n = data.shape[1]
    res = 2048
    table = xp.asarray(sinc_table(taps, res))
    i0 = xp.floor(src_index)
    fi = xp.rint((src_index - i0) * res).astype(np.int32)
    i0 = i0.astype(np.int64)
    out = xp.zeros(src_index.shape, np.complex64)
    rows = xp.arange(data.shape[0])[:, None]
    for t in range(taps):
        idx = i0 + (t - (taps // 2 - 1))
        valid = (idx >= 0) & (idx < n)
        vals = data[rows, xp.clip(idx, 0, n - 1)]
        out += vals * xp.where(valid, table[fi, t], 0).astype(np.float32)
    return out


def _azimuth_filter(p: FocusParams, model: HyperbolicModel, rows: slice, n_az: int, xp, d_sub=None, extra_phase=None):
    """Azimuth matched filter (Doppler rows x output columns): focus, shifts, window, band limit.

    Removes the apex-range azimuth phase -4 pi R' f0 (D - d_sub)/c, restores the convention
    -4 pi R0 / lambda, moves the output time origin to ``slc_time0_s``, undoes the apex shift
    and the bistatic delay, and weights the processed band f_dc(R0) +- B_a/2.
    """
    f = azimuth_frequencies(n_az, p.prf_hz, xp.asarray(model.fdc_hz), xp, rows)  # (rows, cols)
    vr = xp.asarray(model.vr_m_s)[None, :]
    r0 = xp.asarray(model.slant_range_m)[None, :]
    r_ap = xp.asarray(model.apex_range_m)[None, :]
    f0 = p.carrier_hz
    d = xp.sqrt(xp.maximum(1 - (C * f / (2 * vr * f0)) ** 2, 1e-6))
    if d_sub is None:
        phase = 4 * np.pi * r_ap * f0 * d / C - 4 * np.pi * r0 * f0 / C
    else:
        phase = 4 * np.pi * r_ap * f0 * (d - d_sub) / C + 4 * np.pi * (r_ap - r0) * f0 / C
    shift = p.slc_time0_s - p.azimuth_time0_s + xp.asarray(model.apex_shift_s)[None, :]
    if p.bistatic:
        shift = shift - r0 / (C * d)  # received at t + tau: effective position r(t + R(f)/c), R(f) = R0/D
    phase = phase + 2 * np.pi * f * shift + 4 * np.pi / p.wavelength_m * model.residual_range_m(f, xp)
    if extra_phase is not None:
        phase = phase + extra_phase
    bw = p.azimuth_bandwidth_hz or 0.8 * p.prf_hz
    w = window_weights(p.azimuth_window, (f - xp.asarray(model.fdc_hz)[None, :]) / bw, p.window_coefficient)
    return _cis(phase, xp) * xp.asarray(w, dtype=np.float32)


def _cis(phase, xp=np):
    """exp(j phase) as complex64: reduce mod 2 pi in float64, then evaluate in single precision."""
    ph = xp.remainder(phase, 2 * np.pi).astype(np.float32)
    out = xp.empty(ph.shape, np.complex64)
    out.real = xp.cos(ph)
    out.imag = xp.sin(ph)
    return out


def _block_rows(n: int, cols: int, budget: int = 2_000_000):
    step = max(1, budget // max(cols, 1))
    for a in range(0, n, step):
        yield slice(a, min(a + step, n))


def _progress(cb, frac):
    if cb is not None:
        cb(frac)


# --------------------------------------------------------------------------------------------
# algorithms


def focus_rda(raw, p: FocusParams, xp=np, progress=None):
    fft, kw = fft_module(xp), fft_workers(xp)
    na, nr = raw.shape
    model = hyperbolic_model(p)
    nr = range_fft_length(p, nr, float(np.min(model.vr_m_s)))
    data = fft.fft(raw, n=nr, axis=1, **kw)
    data *= range_filter(p, nr, xp)[None, :]
    data = fft.fft(data, axis=0, overwrite_x=True, **kw)
    _progress(progress, 0.3)
    # generalised SRC at R_ref: remove the range-frequency terms beyond linear of the exact spectrum
    f_tau = xp.fft.fftfreq(nr, 1.0 / p.range_sampling_rate_hz)[None, :]
    f0, rref, vref = p.carrier_hz, model.ref_range_m, model.vr_ref_m_s
    for rows in _block_rows(na, nr):
        fe = azimuth_frequencies(na, p.prf_hz, model.fdc_ref_hz, xp, rows)[:, None]
        b = (C * fe / (2 * vref)) ** 2
        dd = xp.sqrt(xp.maximum(f0 * f0 - b, 1.0)) / f0
        g = xp.sqrt(xp.maximum((f0 + f_tau) ** 2 - b, 1.0))
        resid = g - f0 * dd - f_tau / dd
        data[rows] *= _cis(4 * np.pi * rref / C * resid, xp)
    data = fft.ifft(data, axis=1, overwrite_x=True, **kw)
    _progress(progress, 0.5)
    # RCMC: output column R0 reads the range-Doppler line at R0 / D(f_eta, Vr(R0))
    ns = p.slc_samples
    out = xp.empty((na, ns), np.complex64)
    r0 = xp.asarray(model.apex_range_m)[None, :]
    vr = xp.asarray(model.vr_m_s)[None, :]
    for rows in _block_rows(na, ns * 8):
        fe = azimuth_frequencies(na, p.prf_hz, xp.asarray(model.fdc_hz), xp, rows)
        src = (2 * r0 / _dx(xp)(fe, vr, f0) / C - p.fast_time0_s) * p.range_sampling_rate_hz
        out[rows] = interp_rows(data[rows], src, taps=16, xp=xp)
        out[rows] *= _azimuth_filter(p, model, rows, na, xp)
    del data
    _progress(progress, 0.8)
    out = fft.ifft(out, axis=0, overwrite_x=True, **kw)
    return out[: p.slc_lines], model


def _dx(xp):
    def d(f_eta, vr, f0):
        return xp.sqrt(xp.maximum(1 - (C * f_eta / (2 * vr * f0)) ** 2, 1e-6))

    return d


def _migration(model: HyperbolicModel, f0: float, fe, xp):
    """M(R, f) = R/D(f, Vr(R)) at R_ref and its slope dM/dR (finite difference over the grid)."""
    d = _dx(xp)
    r = model.slant_range_m
    i0, i1 = 0, len(r) - 1
    rr = model.ref_range_m
    vr_ref = model.vr_ref_m_s
    m_ref = rr / d(fe, vr_ref, f0)
    if i1 > i0:
        m0 = r[i0] / d(fe, float(model.vr_m_s[i0]), f0)
        m1 = r[i1] / d(fe, float(model.vr_m_s[i1]), f0)
        s = (m1 - m0) / (r[i1] - r[i0])
    else:
        s = 1 / d(fe, vr_ref, f0)
    return m_ref, s


def focus_csa(raw, p: FocusParams, xp=np, progress=None):
    fft, kw = fft_module(xp), fft_workers(xp)
    na, nr = raw.shape
    model = hyperbolic_model(p)
    f0, kr, rref, vref = p.carrier_hz, p.chirp_rate_hz_s, model.ref_range_m, model.vr_ref_m_s
    nr = range_fft_length(p, nr, float(np.min(model.vr_m_s)))
    data = xp.zeros((na, nr), np.complex64)
    data[:, : raw.shape[1]] = raw
    data = fft.fft(data, axis=0, overwrite_x=True, **kw)
    _progress(progress, 0.2)
    tau = xp.asarray(p.fast_time0_s + np.arange(nr) / p.range_sampling_rate_hz)[None, :]
    fe_all = azimuth_frequencies(na, p.prf_hz, model.fdc_ref_hz, xp)  # (na,)
    d_ref = _dx(xp)(fe_all, vref, f0)
    m_ref, s = _migration(model, f0, fe_all, xp)
    alpha = s - 1.0
    km = 1.0 / (1.0 / kr - 2 * rref * (1 - d_ref**2) / (C * f0 * d_ref**3))
    tau_ref = 2 * m_ref / C
    for rows in _block_rows(na, nr):
        ph = np.pi * (km * alpha)[rows, None] * (tau - tau_ref[rows, None]) ** 2
        data[rows] *= _cis(ph, xp)
    data = fft.fft(data, axis=1, overwrite_x=True, **kw)
    _progress(progress, 0.4)
    f_tau = xp.fft.fftfreq(nr, 1.0 / p.range_sampling_rate_hz)[None, :]
    w_r = window_weights(p.range_window, f_tau / p.range_bandwidth_hz, p.window_coefficient)
    tau_out0 = 2 * p.slc_range0_m / C
    for rows in _block_rows(na, nr):
        kk = (km * (1 + alpha))[rows, None]
        shift = (2 * rref / C - tau_ref[rows, None]) - (tau_out0 - p.fast_time0_s) - 2 * model.apex_dr_ref_m / C
        ph = np.pi * f_tau**2 / kk - 2 * np.pi * f_tau * shift
        # range-frequency terms of the exact spectrum beyond quadratic (cubic, ...) at R_ref
        dd = d_ref[rows, None]
        b = (f0 * f0) * (1 - dd * dd)
        g = xp.sqrt(xp.maximum((f0 + f_tau) ** 2 - b, 1.0))
        ph = ph + 4 * np.pi * rref / C * (g - f0 * dd - f_tau / dd + (1 - dd * dd) / (2 * f0 * dd**3) * f_tau**2)
        data[rows] *= _cis(ph, xp) * xp.asarray(w_r, dtype=np.float32)
    data = fft.ifft(data, axis=1, overwrite_x=True, **kw)
    _progress(progress, 0.6)
    ns = p.slc_samples
    out = data[:, :ns]
    r0 = xp.asarray(model.slant_range_m)[None, :]
    for rows in _block_rows(na, ns):
        a = alpha[rows, None]
        resid = np.pi * km[rows, None] * a / (1 + a) * (2 * s[rows, None] * (r0 - rref) / C) ** 2
        out[rows] *= _azimuth_filter(p, model, rows, na, xp, extra_phase=-resid)
    out = fft.ifft(out, axis=0, **kw)
    del data
    return out[: p.slc_lines], model


def focus_wk(raw, p: FocusParams, xp=np, progress=None):
    fft, kw = fft_module(xp), fft_workers(xp)
    na, nr = raw.shape
    model = hyperbolic_model(p)
    f0, kr, rref, vref = p.carrier_hz, p.chirp_rate_hz_s, model.ref_range_m, model.vr_ref_m_s
    fs = p.range_sampling_rate_hz
    nr = range_fft_length(p, nr, float(np.min(model.vr_m_s)))
    data = fft.fft(raw, n=nr, axis=1, **kw)
    data = fft.fft(data, axis=0, overwrite_x=True, **kw)
    _progress(progress, 0.3)
    f_tau = xp.fft.fftfreq(nr, 1.0 / fs)[None, :]
    w_r = window_weights(p.range_window, f_tau / p.range_bandwidth_hz, p.window_coefficient)
    fe_all = azimuth_frequencies(na, p.prf_hz, model.fdc_ref_hz, xp)
    tau_out0 = 2 * p.slc_range0_m / C
    # Stolt: output bin f' reads input f = sqrt((f0 + f')^2 + b) - f0; index in the FFT order
    for rows in _block_rows(na, nr * 4):
        b = (C * fe_all[rows, None] / (2 * vref)) ** 2
        g = xp.sqrt(xp.maximum((f0 + f_tau) ** 2 - b, 1.0))
        ph = 4 * np.pi * rref / C * g + np.pi * f_tau**2 / kr - 2 * np.pi * f_tau * p.fast_time0_s
        blk = data[rows] * (_cis(ph, xp) * xp.asarray(w_r, dtype=np.float32))
        blk = xp.fft.fftshift(blk, axes=1)
        # modified Stolt: output f'' = sqrt((f0+f)^2 - b) - f0 D(f_eta) keeps each row's band centred
        d_row = xp.sqrt(xp.maximum(1 - b / (f0 * f0), 1e-6))
        f_src = xp.sqrt((f0 * d_row + f_tau) ** 2 + b) - f0  # (rows, nr) in FFT order of the output
        idx = f_src / fs * nr + nr // 2
        idx = xp.where(xp.abs(f_src) < fs / 2, idx, -10.0)
        st = interp_rows(blk, idx, xp=xp)
        # place the output range grid: content at 2(R0 - Rref)/c -> sample (2R0/c - tau_out0) fs
        st *= _cis(-(2 * np.pi * f_tau * (2 * (rref - model.apex_dr_ref_m) / C - tau_out0) + 4 * np.pi * rref * f0 / C), xp)
        data[rows] = st
    _progress(progress, 0.6)
    data = fft.ifft(data, axis=1, overwrite_x=True, **kw)
    ns = p.slc_samples
    out = data[:, :ns]
    for rows in _block_rows(na, ns):
        fe = azimuth_frequencies(na, p.prf_hz, xp.asarray(model.fdc_hz), xp, rows)
        d_ref = _dx(xp)(fe, vref, f0)
        # wk removed -4 pi R' f0 D(Vref)/c exactly; the residual for Vr(R0) != Vref goes here,
        # and the modified Stolt left -4 pi (R' - Rref) f0 (D(Vref) - 1)/c per column
        r_ap = xp.asarray(model.apex_range_m)[None, :]
        extra = 4 * np.pi * (r_ap - rref) * f0 * (d_ref - 1) / C
        out[rows] *= _azimuth_filter(p, model, rows, na, xp, d_sub=d_ref, extra_phase=extra)
    out = fft.ifft(out, axis=0, **kw)
    del data
    return out[: p.slc_lines], model


def backproject_pulse(out, line, antenna_m, pixels_m, *, range_origin_m: float, range_spacing_m: float,
                      wavenumber_rad_m: float, reference_m, velocity_m_s=None, weight=None, xp=np) -> None:
    """The one time-domain back-projection kernel (exact geometry, one pulse): add to ``out``
    (pixels) the range profile ``line`` (sampled at ``range_origin_m + i·range_spacing_m``,
    linear interpolation of an upsampled profile) at each pixel's exact range R = |x − a| to the
    pulse's antenna position ``antenna_m`` (3 floats; airborne or orbital), times
    exp(j k (R − ``reference_m``)) and the optional ``weight((dx, dy, dz), R)`` (d = x − a; pixels
    of weight 0 are skipped). ``pixels_m``: the pixels' (x, y, z) as three arrays shaped like
    ``out`` (components apart: a third faster than (…, 3) arrays). ``velocity_m_s``: bistatic
    correction, the effective position a + v R/c. Used by :func:`focus_bp` (zero-Doppler grid)
    and the Gotcha ground-plane image (:mod:`lotusar.sar.readers.gotcha`).
    """
    a = [float(c) for c in to_numpy(antenna_m)]
    d = [pixels_m[k] - a[k] for k in range(3)]
    rng = xp.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
    if velocity_m_s is not None:  # effective position r(t_n + R/c): second pass with the pixel's own range
        v = [float(c) for c in to_numpy(velocity_m_s)]
        tau = rng / C
        d = [d[k] - v[k] * tau for k in range(3)]
        rng = xp.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2])
    w = None if weight is None else weight(d, rng)
    pos = (rng - range_origin_m) * (1.0 / range_spacing_m)
    i0 = xp.floor(pos)
    fr = (pos - i0).astype(np.float32)
    i0 = i0.astype(np.int64)
    ok = (i0 >= 0) & (i0 < line.shape[0] - 1)
    if w is not None:
        ok &= w > 0
    i0 = xp.clip(i0, 0, line.shape[0] - 2)
    val = line[i0] * (1 - fr) + line[i0 + 1] * fr
    term = val * xp.exp(1j * (wavenumber_rad_m * (rng - reference_m)).astype(np.float32))
    if w is not None:
        term = term * w.astype(np.float32)
    out += xp.where(ok, term, 0)


def focus_bp(raw, p: FocusParams, xp=np, progress=None, upsample: int = 8):
    """Time-domain back-projection onto the zero-Doppler output grid with the exact orbit."""
    fft, kw = fft_module(xp), fft_workers(xp)
    na, nr = raw.shape
    model = hyperbolic_model(p)
    rc = range_compress(raw, p, xp, float(np.min(model.vr_m_s)))
    nr = rc.shape[1]
    lam, prf, fs = p.wavelength_m, p.prf_hz, p.range_sampling_rate_hz
    nl, ns = p.slc_lines, p.slc_samples
    t_out = p.slc_time0_s + np.arange(nl) / prf
    r_out = model.slant_range_m
    # ground points of the output grid (exact on a coarse grid, bilinear in between: < 0.1 mm)
    step = 16
    tk = np.unique(np.r_[np.arange(0, nl, step), nl - 1])
    jk = np.unique(np.r_[np.arange(0, ns, step), ns - 1])
    coarse = np.stack([zero_doppler_ground_points(p.sv, t_out[k], r_out[jk], p.look_side, p.scene_height_m) for k in tk])
    gi = RegularGridInterpolator((tk.astype(float), jk.astype(float)), coarse, method="linear")
    kk, jj = np.meshgrid(np.arange(nl, dtype=float), np.arange(ns, dtype=float), indexing="ij")
    pix = gi(np.stack([kk.ravel(), jj.ravel()], -1)).reshape(nl, ns, 3)
    del kk, jj
    # aperture of each output line: Doppler within f_dc +- B/2 (computed per pulse below)
    bw = p.azimuth_bandwidth_hz or 0.8 * prf
    ka = 2 * model.vr_ref_m_s**2 / (lam * model.ref_range_m)
    fdc = model.fdc_ref_hz
    t_pulse = p.azimuth_time0_s + np.arange(na) / prf
    nup = nr * upsample
    out = xp.zeros((nl, ns), np.complex64)
    pix_x = [xp.asarray(np.ascontiguousarray(pix[..., k])) for k in range(3)]
    r_out_x = xp.asarray(r_out)[None, :]
    fdc_cols = xp.asarray(model.fdc_hz)[None, :]
    half_ap = 0.5 * bw / ka * 1.1 + 0.03 * abs(fdc) / ka + 2.0 / prf  # generous: the Doppler weight selects exactly
    t_centre = t_out - fdc / ka  # beam-centre time of each output line (approx)
    first = np.searchsorted(t_pulse, t_centre - half_ap)
    last = np.searchsorted(t_pulse, t_centre + half_ap)
    pulse_lo = int(max(first.min() - 1, 0))
    pulse_hi = int(min(last.max() + 1, na))
    chunk = 32
    dt_up = 1.0 / (fs * upsample)
    for c0 in range(pulse_lo, pulse_hi, chunk):
        c1 = min(c0 + chunk, pulse_hi)
        spec = fft.fft(rc[c0:c1], axis=1, **kw)
        up = xp.zeros((c1 - c0, nup), np.complex64)
        h = nr // 2
        up[:, :h] = spec[:, :h]
        up[:, nup - (nr - h):] = spec[:, h:]
        up = fft.ifft(up, axis=1, overwrite_x=True, **kw) * upsample
        for n in range(c0, c1):
            rows_lo = int(np.searchsorted(t_centre + half_ap, t_pulse[n]))
            rows_hi = int(np.searchsorted(t_centre - half_ap, t_pulse[n], side="right"))
            if rows_hi <= rows_lo:
                continue
            rows = slice(rows_lo, rows_hi)
            r_n, v_n = p.sv.interpolate(np.array(t_pulse[n]))

            def doppler_weight(d, rng, v_n=v_n):
                fd = 2.0 / lam * (d[0] * v_n[0] + d[1] * v_n[1] + d[2] * v_n[2]) / rng
                return window_weights(p.azimuth_window, (fd - fdc_cols) / bw, p.window_coefficient)

            backproject_pulse(out[rows], up[n - c0], r_n, [c[rows] for c in pix_x], range_origin_m=C * p.fast_time0_s / 2,
                              range_spacing_m=C * dt_up / 2, wavenumber_rad_m=4 * np.pi / lam, reference_m=r_out_x,
                              velocity_m_s=v_n if p.bistatic else None, weight=doppler_weight, xp=xp)
        _progress(progress, (c1 - pulse_lo) / max(pulse_hi - pulse_lo, 1))
    # same gain as the frequency-domain algorithms (phase-only azimuth filter): sqrt(Ka)/PRF
    out *= xp.asarray((np.sqrt(model.azimuth_fm_rate_hz_s(lam)) / prf).astype(np.float32))[None, :]
    return out, model


def focus(raw, p: FocusParams, algorithm: str = "rda", xp=np, progress=None):
    """Focus ``raw`` (lines x samples complex64) with ``algorithm``; returns (slc, model)."""
    if algorithm not in ALGORITHMS:
        raise ValidationError(f"unknown algorithm {algorithm!r} (rda, csa, wk, bp)")
    p = p.with_default_grid(*raw.shape)
    if p.slc_samples > raw.shape[1] and algorithm != "bp":
        raise ValidationError("output range grid larger than the raw window")
    raw = xp.asarray(raw, dtype=np.complex64)
    fn = {"rda": focus_rda, "csa": focus_csa, "wk": focus_wk, "bp": focus_bp}[algorithm]
    return fn(raw, p, xp=xp, progress=progress)
