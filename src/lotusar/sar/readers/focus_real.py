"""Range-Doppler focusing of real stripmap raw blocks (RADARSAT-1, ALOS PALSAR), squint-aware.

The range-Doppler algorithm (RDA) after Cumming & Wong (2005), ch. 6, "option 2" with
secondary range compression (SRC) in the two-dimensional frequency domain:

1. range FFT (zero-padded to avoid wrap-around), multiplication by the conjugate spectrum of
   the transmitted pulse (ideal chirp exp(jπKt²) or a measured replica), optionally an
   equalisation of the receiver's spectral tilt (the range spectrum of real data is not flat);
2. azimuth FFT; each azimuth-frequency bin is assigned its *unwrapped* frequency
   fη ∈ [f_dc(R) − PRF/2, f_dc(R) + PRF/2) around the (range-varying, absolute) Doppler centroid,
   which is why the Doppler ambiguity matters;
3. SRC: multiplication by exp(−jπ fτ²/K_src(fη)), K_src = 2 V_r² f0³ D³ / (c R_ref fη²);
4. range IFFT; range cell migration correction in the range-Doppler domain: the echo of a
   target at zero-Doppler range R0 lies at R0/D(fη), D = √(1 − (λ fη / 2V_r)²); the output at R0
   is interpolated there with an 8-tap Kaiser-windowed sinc (vectorised in azimuth chunks);
5. azimuth matched filter exp(+j4π R0 D(fη) f0 / c), optional azimuth window over the
   processed Doppler band centred on f_dc; azimuth IFFT.

Output: complex64 image on the zero-Doppler grid (rows = zero-Doppler azimuth time at the PRF,
columns = zero-Doppler slant range at c/(2 fs)). The phase of a target at R0 is
arg(σ) − 4πR0/λ (ISCE3 convention, as the SAR-core SLC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from lotusar.sar.readers.model import RawBlock
from lotusar.xp import fft_workers


@dataclass
class FocusedImage:
    """A focused block: complex image (azimuth, slant range) and its grid."""

    slc: np.ndarray
    first_slant_range_m: float
    range_pixel_spacing_m: float
    first_azimuth_time_s: float
    azimuth_time_interval_s: float
    doppler_centroid_hz: np.ndarray  # absolute f_dc per output range sample
    effective_velocity_m_s: float
    algorithm: str = "rda"
    processed_range_bandwidth_hz: float = 0.0
    processed_azimuth_bandwidth_hz: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def slant_range_m(self) -> np.ndarray:
        return self.first_slant_range_m + np.arange(self.slc.shape[1]) * self.range_pixel_spacing_m

    def azimuth_pixel_spacing_m(self, ground_velocity_m_s: float | None = None) -> float:
        v = ground_velocity_m_s or self.effective_velocity_m_s
        return v * self.azimuth_time_interval_s


def _window(name: str, n: int) -> np.ndarray:
    if name in ("none", "rect", "", None):
        return np.ones(n)
    if name == "hamming":
        return np.hamming(n)
    if name.startswith("kaiser"):
        beta = float(name.split(":")[1]) if ":" in name else 2.5
        return np.kaiser(n, beta)
    from lotusar.errors import ValidationError

    raise ValidationError(f"unknown window {name!r}: expected none, hamming or kaiser[:beta]")


def range_matched_filter(block: RawBlock, nfft: int, equalise: bool = False, spectrum_power: np.ndarray | None = None,
                         window: str = "none") -> np.ndarray:
    """Range matched filter H(fτ) on an ``nfft``-point FFT grid (output sample k = target delay k).

    ``equalise``: divide by the smoothed amplitude of the observed mean range spectrum inside
    the chirp band (``spectrum_power``, same grid), which turns the real data's tilted spectrum
    into a flat one so that the compressed IRF is the ideal sinc.
    """
    import scipy.fft as sfft
    rep = block.replica()
    # the replica is centred on its sample (n-1)/2: place t=0 at index 0 after compression
    h = np.conj(sfft.fft(rep, nfft))
    fr = sfft.fftfreq(nfft, 1.0 / block.range_sampling_rate_hz)
    bw = block.range_bandwidth_hz
    band = np.abs(fr) <= bw / 2
    if equalise and spectrum_power is not None:
        # smooth model of the receiver's spectral tilt: quadratic fit of the dB spectrum in band
        fb = fr[band] / (bw / 2)
        db = 10 * np.log10(np.maximum(spectrum_power[band], 1e-30))
        coef = np.polyfit(fb, db, 2)
        amp = 10 ** (np.polyval(coef, fb) / 20)
        h = h.copy()
        h[band] = h[band] / amp * np.median(amp)
        h[~band] = 0
    if window != "none":
        w = np.zeros(nfft)
        idx = np.argsort(fr[band])
        wb = _window(window, int(band.sum()))
        tmp = np.zeros(int(band.sum()))
        tmp[idx] = wb
        w[band] = tmp
        h = h * w
    return h.astype(np.complex64)


def _wrap_frequency(f_bins: np.ndarray, centre_hz: np.ndarray, prf_hz: float) -> np.ndarray:
    """Unwrapped azimuth frequency of each FFT bin around ``centre_hz`` (broadcasting)."""
    return centre_hz + np.mod(f_bins - centre_hz + prf_hz / 2, prf_hz) - prf_hz / 2


_KERNEL_STEPS = 512  # fractional-shift quantisation of the interpolation table (1/512 sample)


def _sinc_table(taps: int, beta: float = 2.5) -> np.ndarray:
    """Kaiser-windowed sinc kernels for fractional shifts 0, 1/S, …, 1 (rows), unit DC gain."""
    frac = np.arange(_KERNEL_STEPS + 1) / _KERNEL_STEPS
    k = np.arange(-taps // 2 + 1, taps // 2 + 1)
    x = frac[:, None] - k
    w = np.i0(beta * np.sqrt(np.clip(1 - (x / (taps / 2)) ** 2, 0, 1))) / np.i0(beta)
    ker = np.sinc(x) * w
    return (ker / ker.sum(-1, keepdims=True)).astype(np.float32)


_TABLES: dict[int, np.ndarray] = {}


def rcmc_interpolate(rd: np.ndarray, shift_idx: np.ndarray, taps: int = 8, chunk: int = 128) -> np.ndarray:
    """out[a, j] = rd[a, j + shift_idx[a, j]] by ``taps``-point Kaiser-windowed sinc; zero outside.

    ``shift_idx`` (float, same shape) gives the position to read relative to j. The kernel comes
    from a table quantised to 1/512 sample; work is vectorised by azimuth chunks of ``chunk``
    rows so memory stays bounded (chunk x nr x taps samples).
    """
    if taps not in _TABLES:
        _TABLES[taps] = _sinc_table(taps)
    table = _TABLES[taps]
    na, nr = rd.shape
    out = np.zeros_like(rd)
    k = np.arange(-taps // 2 + 1, taps // 2 + 1)
    cols = np.arange(nr)
    for a0 in range(0, na, chunk):
        sl = slice(a0, min(a0 + chunk, na))
        pos = cols[None, :] + shift_idx[sl]
        i0 = np.floor(pos)
        ker = table[np.rint((pos - i0) * _KERNEL_STEPS).astype(np.int32)]
        idx = i0.astype(np.int64)[..., None] + k
        valid = (idx >= 0) & (idx < nr)
        idx = np.clip(idx, 0, nr - 1)
        rows = rd[sl]
        g = np.take_along_axis(rows[:, None, :], idx.reshape(rows.shape[0], 1, -1), axis=2).reshape(idx.shape)
        g[~valid] = 0
        out[sl] = np.einsum("ijk,ijk->ij", g, ker)
    return out


def _doppler_per_range(doppler_centroid_hz, r_out: np.ndarray) -> np.ndarray:
    if callable(doppler_centroid_hz):
        return np.asarray(doppler_centroid_hz(r_out), float)
    if np.ndim(doppler_centroid_hz) == 0:
        return np.full(r_out.size, float(doppler_centroid_hz))
    return np.asarray(doppler_centroid_hz, float)[: r_out.size]


def range_doppler_domain(block: RawBlock, *, doppler_centroid_mid_hz: float = 0.0, effective_velocity_m_s: float = 0.0,
                         src: bool = False, equalise_range_spectrum: bool = False, range_window: str = "none") -> np.ndarray:
    """Steps 1–4 before RCMC: range compression (+ SRC) and azimuth FFT; returns the RD-domain block.

    Column k of the result is the range-compressed echo starting at sample k (nr columns).
    SRC needs the Doppler centroid (to unwrap fη) and V_r; without ``src`` they are unused.
    """
    import scipy.fft as sfft

    workers = fft_workers(np)["workers"]
    x = np.asarray(block.echoes, np.complex64)
    na, nr = x.shape
    nrep = block.replica().size
    nfr = sfft.next_fast_len(nr + nrep)
    X = sfft.fft(x, n=nfr, axis=1, workers=workers)
    spec = np.mean(np.abs(X) ** 2, axis=0) if equalise_range_spectrum else None
    X *= range_matched_filter(block, nfr, equalise_range_spectrum, spec, range_window)[None, :]
    X = sfft.fft(X, axis=0, workers=workers, overwrite_x=True)
    if src:
        c, f0, vr = block.speed_of_light_m_s, block.carrier_hz, effective_velocity_m_s
        lam = c / f0
        fa = _wrap_frequency(sfft.fftfreq(na, 1.0 / block.prf_hz), doppler_centroid_mid_hz, block.prf_hz)
        d = np.sqrt(1 - (lam * fa / (2 * vr)) ** 2)
        r_ref = block.near_range_m + (nr // 2) * block.range_pixel_spacing_m
        inv_ksrc = (c * r_ref * fa**2) / (2 * vr**2 * f0**3 * d**3)  # 1/K_src(fη), s²
        fr = sfft.fftfreq(nfr, 1.0 / block.range_sampling_rate_hz)
        ph = (-np.pi * inv_ksrc[:, None] * fr[None, :] ** 2).astype(np.float32)
        X *= np.cos(ph) + 1j * np.sin(ph)
    rd = sfft.ifft(X, axis=1, workers=workers, overwrite_x=True)[:, :nr]
    return np.ascontiguousarray(rd, dtype=np.complex64)


def azimuth_stage(rd: np.ndarray, block: RawBlock, fdc_r: np.ndarray, effective_velocity_m_s: float, *,
                  out_samples: int | None = None, rcmc_taps: int = 8, azimuth_window: str = "none",
                  azimuth_bandwidth_fraction: float = 0.85, first_range_m: float | None = None) -> np.ndarray:
    """Steps 4–5: RCMC to zero-Doppler range, azimuth matched filter, azimuth IFFT.

    ``rd``: RD-domain block (columns from ``block.near_range_m``); ``fdc_r``: absolute Doppler
    centroid per output column; output columns 0 … ``out_samples`` − 1 on the same range spacing,
    starting at ``first_range_m`` (default: the raw near range).
    """
    import scipy.fft as sfft

    workers = fft_workers(np)["workers"]
    na, nr = rd.shape
    nout = nr if out_samples is None else out_samples
    c, f0, prf, vr = block.speed_of_light_m_s, block.carrier_hz, block.prf_hz, effective_velocity_m_s
    lam = c / f0
    dr = block.range_pixel_spacing_m
    r0 = block.near_range_m if first_range_m is None else first_range_m
    r_out = r0 + np.arange(nout) * dr
    fa = _wrap_frequency(sfft.fftfreq(na, 1.0 / prf)[:, None], fdc_r[None, :nout], prf)
    d = np.sqrt(1 - (lam * fa / (2 * vr)) ** 2)
    # RCMC: the echo of a target at zero-Doppler range R0 lies at R0 / D(fη)
    shift = ((r_out[None, :] / d - block.near_range_m) / dr - np.arange(nout)[None, :]).astype(np.float32)
    if nout < nr:
        shift = np.concatenate([shift, np.zeros((na, nr - nout), np.float32)], axis=1)
    out = rcmc_interpolate(rd, shift, rcmc_taps)[:, :nout]
    # azimuth matched filter exp(+j4π R0 D f0/c) = exp(j4πR0/λ)·exp(j4πR0(D−1)/λ): the first
    # factor only sets the ISCE3 phase convention; split so the 2-D part stays small in float32
    ph = ((4 * np.pi / lam) * r_out[None, :] * (d - 1.0)).astype(np.float32)
    haz = np.cos(ph) + 1j * np.sin(ph)
    rel = (fa - fdc_r[None, :nout]) / (azimuth_bandwidth_fraction * prf)
    w = (np.abs(rel) <= 0.5).astype(np.float32)
    if azimuth_window != "none":
        wgrid = np.linspace(-0.5, 0.5, 513)
        w = w * np.interp(rel, wgrid, _window(azimuth_window, 513)).astype(np.float32)
    out *= haz * w
    img = sfft.ifft(out, axis=0, workers=workers, overwrite_x=True)
    img *= np.exp(1j * np.mod(4 * np.pi / lam * r_out, 2 * np.pi)).astype(np.complex64)[None, :]
    return img.astype(np.complex64)


def output_first_range_m(block: RawBlock, doppler_centroid_hz, effective_velocity_m_s: float) -> float:
    """First zero-Doppler range of the output grid: the raw near range moved in by the bulk
    migration R(1 − D(f_dc)), rounded to whole samples, so that the targets whose beam-centre
    echoes start in the raw window are inside the output (squint moves them by R0(1/D − 1))."""
    fdc = doppler_centroid_hz(np.array([block.near_range_m])) if callable(doppler_centroid_hz) else doppler_centroid_hz
    fdc = float(np.median(np.atleast_1d(fdc)))
    d = np.sqrt(1 - (block.wavelength_m * fdc / (2 * effective_velocity_m_s)) ** 2)
    m = int(np.round(block.near_range_m * (1 - d) / block.range_pixel_spacing_m))
    return block.near_range_m - m * block.range_pixel_spacing_m


def zero_doppler_shift_lines(block: RawBlock, doppler_centroid_hz: float, effective_velocity_m_s: float) -> int:
    """Lines between zero-Doppler and beam-centre time at mid swath: Δη = −f_dc λ R(η_c) / (2 V_r²)."""
    lam = block.wavelength_m
    r0 = float(block.slant_range_m[block.shape[1] // 2])
    d = np.sqrt(1 - (lam * doppler_centroid_hz / (2 * effective_velocity_m_s)) ** 2)
    deta = -doppler_centroid_hz * lam * (r0 / d) / (2 * effective_velocity_m_s**2)
    return int(np.round(deta * block.prf_hz))


def rda_focus(
    block: RawBlock,
    doppler_centroid_hz: float | np.ndarray | Callable[[np.ndarray], np.ndarray],
    effective_velocity_m_s: float | None = None,
    *,
    src: bool = True,
    equalise_range_spectrum: bool = False,
    range_window: str = "none",
    azimuth_window: str = "none",
    azimuth_bandwidth_fraction: float = 0.85,
    rcmc_taps: int = 8,
    keep_partial_range: bool = True,
    progress: Callable[[str], None] | None = None,
) -> FocusedImage:
    """Focus a raw block with the range-Doppler algorithm (see module docstring).

    ``doppler_centroid_hz``: absolute centroid (scalar, per range sample array, or a function of
    slant range in m). ``azimuth_bandwidth_fraction``: processed Doppler band as a fraction of
    the PRF, centred on f_dc (the rest is the antenna pattern's azimuth-ambiguous tail).
    ``keep_partial_range``: keep the far-range columns whose echoes are cut by the window end.
    """
    vr = float(effective_velocity_m_s or block.effective_velocity_m_s or 0.0)
    if vr <= 0:
        from lotusar.errors import ValidationError

        raise ValidationError("effective velocity unknown: give effective_velocity_m_s or an orbit")
    na, nr = block.shape
    nrep = block.replica().size
    nout = nr if keep_partial_range else nr - nrep + 1
    first_range = output_first_range_m(block, doppler_centroid_hz, vr)
    r_out = first_range + np.arange(nout) * block.range_pixel_spacing_m
    fdc_r = _doppler_per_range(doppler_centroid_hz, r_out)
    if progress:
        progress("range compression, SRC, azimuth FFT")
    rd = range_doppler_domain(block, doppler_centroid_mid_hz=float(np.median(fdc_r)), effective_velocity_m_s=vr,
                              src=src, equalise_range_spectrum=equalise_range_spectrum, range_window=range_window)
    if progress:
        progress("RCMC, azimuth compression")
    img = azimuth_stage(rd, block, fdc_r, vr, out_samples=nout, rcmc_taps=rcmc_taps, azimuth_window=azimuth_window,
                        azimuth_bandwidth_fraction=azimuth_bandwidth_fraction, first_range_m=first_range)
    # zero-Doppler registration: the block's targets pass the beam centre Δη after their
    # zero-Doppler time; the circular azimuth compression puts them at row (η0 − t_first)·PRF
    # mod N, so roll by round(Δη·PRF) and label row 0 with t_first − n/PRF
    shift_lines = zero_doppler_shift_lines(block, float(np.median(fdc_r)), vr)
    img = np.roll(img, shift_lines % na, axis=0)
    return FocusedImage(
        slc=img,
        first_slant_range_m=float(r_out[0]),
        range_pixel_spacing_m=block.range_pixel_spacing_m,
        # pulse times are transmit times: the echo of a target at R0 is received R0·2/c later,
        # so the effective (stop-and-go) antenna position is that of t + R0/c (bistatic timing)
        first_azimuth_time_s=float(block.azimuth_time_s[0]) - shift_lines / block.prf_hz
        + float(r_out[nout // 2]) / block.speed_of_light_m_s,
        azimuth_time_interval_s=1.0 / block.prf_hz,
        doppler_centroid_hz=fdc_r.astype(float),
        effective_velocity_m_s=vr,
        algorithm="rda",
        processed_range_bandwidth_hz=block.range_bandwidth_hz,
        processed_azimuth_bandwidth_hz=azimuth_bandwidth_fraction * block.prf_hz,
        metadata={
            "src": bool(src),
            "range_spectrum_equalised": bool(equalise_range_spectrum),
            "range_window": range_window,
            "azimuth_window": azimuth_window,
            "fully_illuminated_range_samples": int(nr - nrep + 1),
        },
    )


def image_contrast(img: np.ndarray) -> float:
    """Normalised fourth moment of intensity, N·Σ I² / (Σ I)² (1 for a constant image; sharper = larger)."""
    inten = np.abs(img).astype(np.float64) ** 2
    return float(inten.size * np.sum(inten**2) / np.sum(inten) ** 2)


def multilook_db(img: np.ndarray, looks_azimuth: int, looks_range: int) -> np.ndarray:
    """Multilooked intensity in dB (block means of |s|²)."""
    na, nr = img.shape
    a, r = na // looks_azimuth, nr // looks_range
    p = np.abs(img[: a * looks_azimuth, : r * looks_range]) ** 2
    p = p.reshape(a, looks_azimuth, r, looks_range).mean(axis=(1, 3))
    return 10 * np.log10(np.maximum(p, 1e-30))


def quicklook_png(img: np.ndarray, path, title: str = "", *, range_ground_spacing_m: float | None = None,
                  azimuth_spacing_m: float | None = None, target_pixel_m: float | None = None,
                  dynamic_range_db: float = 35.0) -> None:
    """Multilooked dB quicklook with near-square ground pixels, written atomically (PNG).

    Looks are chosen so that both axes reach ``target_pixel_m`` (default: the coarser spacing);
    the display stretch is the 99.8 % intensity percentile minus ``dynamic_range_db`` (or the
    2 % percentile when higher).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lotusar.fileio import atomic_path

    rg = range_ground_spacing_m or 1.0
    az = azimuth_spacing_m or 1.0
    tgt = target_pixel_m or max(rg, az)
    la, lr = max(1, int(round(tgt / az))), max(1, int(round(tgt / rg)))
    db = multilook_db(img, la, lr)
    hi = float(np.percentile(db, 99.8))
    lo = max(float(np.percentile(db, 2)), hi - dynamic_range_db)
    aspect = (la * az) / (lr * rg)
    h_in = min(12.0, max(3.0, 9.0 * db.shape[0] * aspect / max(db.shape[1], 1)))
    fig, ax = plt.subplots(figsize=(9.5, h_in + 0.8), dpi=110)
    ax.imshow(db, cmap="gray", vmin=lo, vmax=hi, aspect=aspect, interpolation="nearest")
    ax.set_xlabel(f"slant range sample / {lr}  (ground pixel ≈ {lr * rg:.1f} m)")
    ax.set_ylabel(f"azimuth line / {la}  (≈ {la * az:.1f} m)")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
