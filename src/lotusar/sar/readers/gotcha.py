"""AFRL Gotcha Volumetric SAR phase history (X-band, circular, airborne): reader and back-projection.

Each ``data_3dsar_pass<P>_az<NNN>_<POL>.mat`` holds one degree of azimuth: ``fp`` (K frequency
samples x Np pulses, dechirped and motion-compensated to the scene centre), ``freq`` (Hz),
antenna phase centre ``x, y, z`` (m, scene-centred frame), ``r0`` (range to the scene centre),
``th``/``phi`` (azimuth/elevation, deg) and the AFRL autofocus solution ``af.r_correct`` (m) and
``af.ph_correct`` (rad).

Image formation — back-projection for dechirped (deramped) data (Gorham & Moore, "SAR image
formation toolbox for MATLAB", Proc. SPIE 7699, 2010): for pulse n the range profile
p_n(ΔR) = IFFT_K→N(fp[:, n]) (zero-padded ``upsample``-fold; ΔR axis spans the unambiguous
window c/(2Δf)) is sampled at each pixel's differential range ΔR = |a_n − x| − r0_n by linear
interpolation and multiplied by exp(+j4π f_min ΔR / c); the image is the sum over pulses.
Resolution: slant range 0.886·c/(2B) (B = K·Δf ≈ 622 MHz → 0.213 m), cross range
0.886·λc/(2Δθ) (Δθ the azimuth aperture), both projected on the ground plane z = 0 (÷ cos φ each, φ the elevation angle).

Range profiles are made for chunks of pulses; each pulse is added by the SAR core's one
back-projection kernel (:func:`lotusar.sar.focus.backproject_pulse`, also used by the
zero-Doppler ``bp``), vectorised over pixels; one code path for NumPy and CuPy (``xp``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io
import xarray as xr
from matplotlib.figure import Figure

from lotusar.constants import SPEED_OF_LIGHT_M_S as C_M_S
from lotusar.errors import InputFormatError, ValidationError
from lotusar.fileio import atomic_path
from lotusar.sar.focus import backproject_pulse
from lotusar.xp import fft_module, to_numpy


@dataclass
class PhaseHistory:
    """Pulses of a dechirped circular collection (frequency samples x pulses)."""

    fp: np.ndarray            # (K, Np) complex64
    freq_hz: np.ndarray       # (K,)
    antenna_m: np.ndarray     # (Np, 3)
    r0_m: np.ndarray          # (Np,)
    azimuth_deg: np.ndarray   # (Np,)
    elevation_deg: np.ndarray
    r_correct_m: np.ndarray
    ph_correct_rad: np.ndarray
    files: list[str] = field(default_factory=list)

    @property
    def pulses(self) -> int:
        return self.fp.shape[1]

    @property
    def bandwidth_hz(self) -> float:
        return float(self.freq_hz[-1] - self.freq_hz[0] + (self.freq_hz[1] - self.freq_hz[0]))

    @property
    def centre_frequency_hz(self) -> float:
        return float(np.mean(self.freq_hz))

    @property
    def azimuth_extent_deg(self) -> float:
        return float(np.ptp(np.unwrap(np.deg2rad(self.azimuth_deg))) * 180 / np.pi)

    def theory_resolution_m(self) -> dict[str, float]:
        """0.886-weighted resolutions (rectangular spectra) on the ground plane.

        Range: 0.886·c/(2B) in slant, /cos φ on the ground. Cross range: the azimuth angle θ is
        measured in the ground plane, so the look direction turns by only Δθ·cos φ (φ the
        elevation angle): 0.886·λ/(2 Δθ cos φ) — the often quoted λ/(2Δθ) holds for φ = 0 only
        (measured on the Gotcha trihedrals: 0.285 m for 4° at φ = 45.7°, not 0.199 m).
        """
        lam = C_M_S / self.centre_frequency_hz
        dth = np.deg2rad(self.azimuth_extent_deg)
        el = np.deg2rad(float(np.mean(self.elevation_deg)))
        rg = 0.886 * C_M_S / (2 * self.bandwidth_hz)
        return {"slant_range_m": rg, "ground_range_m": float(rg / np.cos(el)),
                "cross_range_m": float(0.886 * lam / (2 * dth * np.cos(el)))}


def read_file(path: str | Path) -> PhaseHistory:
    """One Gotcha ``.mat`` file (one degree of azimuth)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(2, "No such file or directory", str(p))
    try:
        d = scipy.io.loadmat(p, squeeze_me=True, struct_as_record=False)["data"]
    except KeyError:
        raise InputFormatError(f"{p}: MATLAB variable 'data' missing") from None
    except Exception as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputFormatError(f"{p}: not a readable MATLAB file ({type(e).__name__}: {msg})") from None
    for f in ("fp", "freq", "x", "y", "z", "r0", "th", "phi"):
        if not hasattr(d, f):
            raise InputFormatError(f"{p}: field data.{f} missing")
    fp = np.atleast_2d(np.asarray(d.fp, np.complex64))
    freq = np.asarray(d.freq, float).ravel()
    x, y, z = (np.asarray(getattr(d, k), float).ravel() for k in ("x", "y", "z"))
    r0 = np.asarray(d.r0, float).ravel()
    n = fp.shape[1]
    if fp.shape[0] != freq.size or not (x.size == y.size == z.size == r0.size == n):
        raise InputFormatError(f"{p}: data.fp is {fp.shape} but freq has {freq.size} and x/y/z/r0 {x.size} values")
    af = getattr(d, "af", None)
    rc = np.asarray(getattr(af, "r_correct", np.zeros(n)), float).ravel() if af is not None else np.zeros(n)
    pc = np.asarray(getattr(af, "ph_correct", np.zeros(n)), float).ravel() if af is not None else np.zeros(n)
    return PhaseHistory(fp, freq, np.stack([x, y, z], 1), r0, np.asarray(d.th, float).ravel(),
                        np.asarray(d.phi, float).ravel(), rc, pc, [str(p)])


def read_pass(folder: str | Path, pattern: str = "data_3dsar_pass*_az*_*.mat", max_files: int | None = None) -> PhaseHistory:
    """Concatenate consecutive one-degree files of a folder (sorted by azimuth)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(2, "No such directory", str(folder))
    files = sorted(folder.glob(pattern))[: max_files or None]
    if not files:
        raise InputFormatError(f"{folder}: no files matching {pattern}")
    parts = [read_file(f) for f in files]
    k = parts[0].freq_hz
    for q in parts[1:]:
        if q.freq_hz.size != k.size or np.max(np.abs(q.freq_hz - k)) > 1.0:
            raise InputFormatError(f"{q.files[0]}: frequency samples differ from {parts[0].files[0]}")
    return PhaseHistory(
        np.concatenate([q.fp for q in parts], 1), k, np.concatenate([q.antenna_m for q in parts]),
        np.concatenate([q.r0_m for q in parts]), np.concatenate([q.azimuth_deg for q in parts]),
        np.concatenate([q.elevation_deg for q in parts]), np.concatenate([q.r_correct_m for q in parts]),
        np.concatenate([q.ph_correct_rad for q in parts]), [f for q in parts for f in q.files],
    )


@dataclass
class GroundImage:
    image: np.ndarray  # (ny, nx) complex64, rows = y (ascending), cols = x
    x_m: np.ndarray
    y_m: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)


def ground_grid(size_m: float = 60.0, pixel_m: float = 0.1, centre_xy_m: tuple[float, float] = (0.0, 0.0)):
    """Square ground grid (x, y axes in m) on z = 0 centred on ``centre_xy_m``."""
    if size_m <= 0 or pixel_m <= 0 or size_m / pixel_m > 8192:
        raise ValidationError("ground grid: need size_m > 0, pixel_m > 0 and at most 8192 pixels a side")
    n = int(round(size_m / pixel_m))
    ax = (np.arange(n) - (n - 1) / 2) * pixel_m
    return ax + centre_xy_m[0], ax + centre_xy_m[1]


def backproject(ph: PhaseHistory, grid, *, upsample: int = 8, autofocus: bool = False, window: str = "none",
                xp=np, pulse_chunk: int = 8) -> GroundImage:
    """Back-projection of the phase history onto the ground grid (see module docstring)."""
    fft = fft_module(xp)
    x_ax, y_ax = grid
    k, npulse = ph.fp.shape
    nfft = int(2 ** np.ceil(np.log2(k * upsample)))
    df = float(ph.freq_hz[1] - ph.freq_hz[0])
    fmin = float(ph.freq_hz[0])
    max_wr = C_M_S / (2 * df)  # unambiguous differential-range window (m)
    r_axis0 = -nfft / 2 * max_wr / nfft
    dr = max_wr / nfft
    w = np.ones(k)
    if window == "hamming":
        w = np.hamming(k)
    elif window != "none":
        raise ValidationError(f"unknown window {window!r}: expected none or hamming")
    fp = ph.fp * w[:, None]
    r0 = ph.r0_m.copy()
    if autofocus:
        r0 = r0 + ph.r_correct_m
        fp = fp * np.exp(1j * ph.ph_correct_rad)[None, :]
    X, Y = np.meshgrid(x_ax, y_ax)
    pix = [xp.asarray(X.ravel()), xp.asarray(Y.ravel()), xp.zeros(X.size)]  # ground plane z = 0
    img = xp.zeros(X.size, dtype=np.complex64)
    fp_x = xp.asarray(fp.astype(np.complex64))
    ant = ph.antenna_m
    k4 = 4 * np.pi * fmin / C_M_S
    for c0 in range(0, npulse, pulse_chunk):
        c1 = min(c0 + pulse_chunk, npulse)
        prof = fft.fftshift(fft.ifft(fp_x[:, c0:c1], n=nfft, axis=0), axes=0).T  # (P, nfft)
        for n in range(c0, c1):
            # profile n is sampled in differential range R − r0_n (motion-compensated to the scene centre)
            backproject_pulse(img, prof[n - c0], ant[n], pix, range_origin_m=float(r0[n]) + r_axis0, range_spacing_m=dr,
                              wavenumber_rad_m=k4, reference_m=float(r0[n]), xp=xp)
    image = to_numpy(img).reshape(len(y_ax), len(x_ax)).astype(np.complex64)
    meta = {"pulses": int(npulse), "frequency_samples": int(k), "upsample": upsample, "autofocus": bool(autofocus),
            "window": window, "centre_frequency_hz": ph.centre_frequency_hz, "bandwidth_hz": ph.bandwidth_hz,
            "azimuth_extent_deg": ph.azimuth_extent_deg, **{f"theory_{k_}": v for k_, v in ph.theory_resolution_m().items()}}
    return GroundImage(image, np.asarray(x_ax), np.asarray(y_ax), meta)


def sharpness(img: np.ndarray) -> float:
    """Σ|I|⁴ / (Σ|I|²)² (larger = sharper; the AFRL autofocus must not lower it)."""
    p = np.abs(img).astype(np.float64) ** 2
    return float(np.sum(p**2) / np.sum(p) ** 2)


def write_image(img: GroundImage, out: str | Path, quicklook: str | Path | None = None) -> dict[str, Any]:
    """Write the ground image as HDF5 (xarray/h5netcdf, complex64 native) and an optional PNG."""
    ds = xr.Dataset({"image": (("y", "x"), img.image)}, coords={"x": img.x_m, "y": img.y_m},
                    attrs={k: v for k, v in img.meta.items() if isinstance(v, (int, float, str))} | {
                        "product_type": "lotusar-gotcha-bp", "frame": "scene-centred local x/y on z = 0 (m)"})
    with atomic_path(out) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=True)
    if quicklook:
        db = 20 * np.log10(np.abs(img.image) + 1e-30)
        hi = np.percentile(db, 99.95)
        fig = Figure(figsize=(8, 8), dpi=110)
        ax = fig.subplots()
        ax.imshow(db, cmap="gray", vmin=hi - 45, vmax=hi, origin="lower",
                  extent=[img.x_m[0], img.x_m[-1], img.y_m[0], img.y_m[-1]])
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
        ax.set_title(f"Gotcha back-projection, {img.meta['pulses']} pulses, {img.meta['azimuth_extent_deg']:.1f}° (dB)")
        fig.tight_layout()
        with atomic_path(quicklook) as tmp:
            fig.savefig(tmp, format="png")
    return {"out": str(out), "quicklook": str(quicklook) if quicklook else None, "shape": list(img.image.shape),
            "pixel_m": float(img.x_m[1] - img.x_m[0]) if img.x_m.size > 1 else None,
            "sharpness": sharpness(img.image), **img.meta}
