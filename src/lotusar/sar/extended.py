"""Extended scenes: raw echoes of a σ0 map by the inverse omega-k kernel (frequency domain).

A complex reflectivity with fully developed speckle, a = sqrt(sigma0 A_pix) (n1 + j n2)/sqrt(2)
(n1, n2 ~ N(0, 1)), is laid on the zero-Doppler SLC grid (rows along track at the ground
speed, columns slant range; σ0 map resampled bilinearly from its ground grid, centred on the
scene centre). Its raw echoes are the exact inverse of the omega-k focusing chain for the
hyperbolic model at the reference range (Cumming & Wong 2005 ch. 8, run backwards; the
"inverse frequency-domain kernel" of Franceschetti et al. 1992, SARAS):
azimuth FFT -> x conj(azimuth filter) x two-way azimuth pattern -> range FFT -> inverse Stolt
-> x transmitted-chirp spectrum x conj(reference) -> 2-D IFFT. A unit point reflector gives the
same raw amplitude (fs/sqrt(K) x PRF/sqrt(Ka) in DFT units) as the time-domain simulator, which
the tests check on single targets. Limits: one Vr for the scene (the residual-Vr and orbit
higher-order terms are applied as in the focuser), no azimuth ambiguities (the pattern is kept
within one PRF band), flat terrain at the scene height.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import map_coordinates

from lotusar.constants import SPEED_OF_LIGHT_M_S as C
from lotusar.sar import geometry as geo
from lotusar.sar.focus import FocusParams, _azimuth_filter, _dx, azimuth_frequencies, hyperbolic_model, interp_rows
from lotusar.sar.geometry import incidence_deg
from lotusar.xp import fft_module, fft_workers


def sigma0_to_reflectivity(acq, sigma0_db: np.ndarray, spacing_m: float, seed: int = 0) -> np.ndarray:
    """Speckled complex reflectivity on the SLC grid from a σ0 (dB) map on a ground grid."""
    mode, sc = acq.mode, acq.scene
    r_c, _ = acq.sv.interpolate(np.array(acq.centre_time_s))
    inc = np.radians(incidence_deg(acq.centre_m, r_c))
    vg = float(geo.ground_velocity(acq.sv, np.array([acq.centre_time_s]), acq.centre_m[None])[0])
    dr = C / (2 * mode.range_sampling_rate_hz)
    az_m = (acq.slc_time0_s + np.arange(sc.azimuth_lines) / mode.prf_hz - acq.centre_time_s) * vg
    gr_m = (acq.slc_range0_m + np.arange(sc.range_samples) * dr - acq.centre_range_m) / np.sin(inc)
    rows = az_m / spacing_m + (sigma0_db.shape[0] - 1) / 2
    cols = gr_m / spacing_m + (sigma0_db.shape[1] - 1) / 2
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    lin = map_coordinates(10 ** (sigma0_db / 10), [rr, cc], order=1, mode="constant", cval=0.0)
    area = (vg / mode.prf_hz) * (dr / np.sin(inc))
    rng = np.random.default_rng(seed)
    speckle = (rng.standard_normal(lin.shape) + 1j * rng.standard_normal(lin.shape)) / np.sqrt(2)
    return (np.sqrt(lin * area) * speckle).astype(np.complex64)


def reflectivity_to_raw(acq, refl: np.ndarray, xp=np) -> np.ndarray:
    """Raw echoes (raw grid) of a complex reflectivity on the SLC grid (inverse omega-k)."""
    mode, sc = acq.mode, acq.scene
    fft, kw = fft_module(xp), fft_workers(xp)
    na, nr = acq.raw_lines, acq.raw_samples
    fs, prf, f0, kr = mode.range_sampling_rate_hz, mode.prf_hz, mode.carrier_hz, mode.chirp_rate_hz_s
    p = FocusParams(carrier_hz=f0, range_sampling_rate_hz=fs, prf_hz=prf, chirp_rate_hz_s=kr, pulse_length_s=mode.pulse_length_s,
                    range_bandwidth_hz=mode.range_bandwidth_hz, fast_time0_s=acq.raw_fast_time0_s, azimuth_time0_s=acq.raw_time0_s,
                    sv=acq.sv, look_side=mode.look_side, doppler_poly_hz=acq.doppler_poly, doppler_ref_range_m=acq.centre_range_m,
                    azimuth_bandwidth_hz=min(acq.azimuth_bandwidth_hz * 1.15, 0.97 * prf), bistatic=sc.bistatic,
                    slc_time0_s=acq.slc_time0_s, slc_lines=sc.azimuth_lines, slc_range0_m=acq.slc_range0_m,
                    slc_samples=sc.range_samples)
    model = hyperbolic_model(p)
    ns = sc.range_samples
    data = xp.zeros((na, nr), np.complex64)
    # reflectivity sigma^(1/2) e^(j phi) appears in the SLC as e^(j phi) e^(-j 4 pi R0 / lambda)
    r_cols = p.slc_range0_m + np.arange(ns) * p.range_spacing_m
    conv = np.exp(-1j * np.remainder(4 * np.pi * r_cols / mode.wavelength_m, 2 * np.pi)).astype(np.complex64)
    data[: sc.azimuth_lines, :ns] = xp.asarray(refl) * xp.asarray(conv)[None, :]
    data = fft.fft(data, axis=0, overwrite_x=True, **kw)
    # azimuth: conj of the focusing filter (unit modulus) with the azimuth illumination instead of a window
    vs = float(np.linalg.norm(acq.sv.interpolate(np.array(acq.centre_time_s))[1]))
    ka = model.azimuth_fm_rate_hz_s(mode.wavelength_m)
    for rows in (slice(a, min(a + 512, na)) for a in range(0, na, 512)):
        f = azimuth_frequencies(na, prf, xp.asarray(model.fdc_hz), xp, rows)
        d_ref = _dx(xp)(f, model.vr_ref_m_s, f0)
        r_ap = xp.asarray(model.apex_range_m)[None, :]
        extra = 4 * np.pi * (r_ap - model.ref_range_m) * f0 * (d_ref - 1) / C
        h = _azimuth_filter(p, model, rows, na, xp, d_sub=d_ref, extra_phase=extra)
        u = (f - xp.asarray(model.fdc_hz)[None, :]) * mode.wavelength_m / (2 * vs)
        if sc.antenna_pattern:
            g = xp.sinc(mode.antenna_length_m * u / mode.wavelength_m) ** 2
        else:
            g = (xp.abs(u) <= acq.u_limit).astype(np.float32)
        amp = g * prf / xp.sqrt(xp.asarray(ka))[None, :]
        data[rows, :ns] *= (xp.conj(h) * xp.asarray(xp.abs(h) > 0) * amp).astype(np.complex64)
        data[rows, ns:] = 0
    # range: inverse Stolt of the wk chain
    data = fft.fft(data, axis=1, overwrite_x=True, **kw)
    f_tau = xp.fft.fftfreq(nr, 1.0 / fs)[None, :]
    rref, vref = model.ref_range_m, model.vr_ref_m_s
    tau_out0 = 2 * p.slc_range0_m / C
    fe_all = azimuth_frequencies(na, prf, model.fdc_ref_hz, xp)
    # the chirp's DFT spectrum (amplitude fs/sqrt(K), phase -pi f^2/K), limited to the band
    chirp_amp = fs / np.sqrt(kr) * (xp.abs(f_tau) <= mode.range_bandwidth_hz / 2)
    for rows in (slice(a, min(a + 256, na)) for a in range(0, na, 256)):
        b = (C * fe_all[rows, None] / (2 * vref)) ** 2
        ph = 2 * np.pi * f_tau * (2 * (rref - model.apex_dr_ref_m) / C - tau_out0) + 4 * np.pi * rref * f0 / C
        blk = data[rows] * xp.exp(1j * ph).astype(np.complex64)
        blk = xp.fft.fftshift(blk, axes=1)
        d_row = xp.sqrt(xp.maximum(1 - b / (f0 * f0), 1e-6))
        f_src = xp.sqrt(xp.maximum((f0 + f_tau) ** 2 - b, 1.0)) - f0 * d_row  # modified-Stolt f'' at each original f
        idx = xp.where(xp.abs(f_src) < fs / 2, f_src / fs * nr + nr // 2, -10.0)
        st = interp_rows(blk, idx, xp=xp)
        g = xp.sqrt(xp.maximum((f0 + f_tau) ** 2 - b, 1.0))
        ph = 4 * np.pi * rref / C * g + np.pi * f_tau**2 / kr - 2 * np.pi * f_tau * p.fast_time0_s
        data[rows] = st * (chirp_amp * xp.exp(-1j * ph)).astype(np.complex64)
    data = fft.ifft(data, axis=1, overwrite_x=True, **kw)
    data = fft.ifft(data, axis=0, overwrite_x=True, **kw)
    return data.astype(np.complex64, copy=False)


def simulate_sigma0(acq, sigma0_db: np.ndarray, spacing_m: float) -> np.ndarray:
    """Raw echoes of a σ0 map (dB) with fully developed speckle (see module docstring)."""
    refl = sigma0_to_reflectivity(acq, np.asarray(sigma0_db, float), spacing_m, acq.scene.seed)
    return reflectivity_to_raw(acq, refl)


def reflectivity(acq, sigma0_db: np.ndarray, spacing_m: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """Speckled reflectivity on the SLC grid; ``rng`` (or the scene seed) draws the speckle."""
    seed = acq.scene.seed if rng is None else int(rng.integers(0, 2**32 - 1))
    return sigma0_to_reflectivity(acq, np.asarray(sigma0_db, float), spacing_m, seed)


def raw_from_reflectivity(acq, refl: np.ndarray, block_columns: int | None = None, xp=np) -> np.ndarray:
    """Raw echoes of a reflectivity on the SLC grid (inverse omega-k; ``block_columns`` unused:
    the kernel is exact per Doppler row, so no range blocking is needed)."""
    return reflectivity_to_raw(acq, refl, xp=xp)
