"""Independent impulse-response (IRF) measurement of point-like targets in a complex image.

Used to check focused real data (bright isolated scatterers: ships, corner-like structures)
without the SAR-core ``irf`` code, so that a bug shared by focuser and measurement cannot hide:

1. a chip of ``chip`` x ``chip`` samples around the peak is transformed by a 2-D FFT; the
   spectrum is circularly re-centred on its band (the azimuth spectrum of an SLC sits at the
   Doppler centroid, not at 0: the quietest spectral stretch is moved to the Nyquist edge) and
   zero-padded ``upsample`` times — band-limited (sinc) interpolation, exact for the IRF;
2. range and azimuth cuts through the upsampled peak; the −3 dB width is found by linear
   interpolation of |s|² on both sides;
3. PSLR: highest sidelobe beyond the first nulls (first minima of |s|² away from the peak)
   relative to the peak; ISLR: energy outside the main lobe (between the nulls) within
   ±``islr_cells`` resolution cells, over the main-lobe energy (1-D).

Theory for an unweighted rectangular spectrum: width 0.886/B (× c/2 for slant range),
PSLR −13.26 dB, 1-D ISLR −9.7 dB (Cumming & Wong 2005, §2.6).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class CutQuality:
    resolution_px: float
    pslr_db: float
    islr_db: float


@dataclass
class PointTargetQuality:
    row: int
    col: int
    peak_db: float
    range_resolution_px: float
    azimuth_resolution_px: float
    pslr_range_db: float
    pslr_azimuth_db: float
    islr_range_db: float
    islr_azimuth_db: float
    range_resolution_m: float | None = None
    azimuth_resolution_m: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _recentre_spectrum(spec: np.ndarray, axis: int) -> np.ndarray:
    """Roll the spectrum along ``axis`` so that its lowest-energy stretch sits at the edges."""
    p = np.sum(np.abs(spec) ** 2, axis=1 - axis)
    n = p.size
    k = max(1, n // 8)
    # circular moving sum of width k; its minimum marks the gap between band edges
    c = np.convolve(np.concatenate([p, p[: k - 1]]), np.ones(k), mode="valid")[:n]
    gap_centre = (int(np.argmin(c)) + k // 2) % n
    return np.roll(spec, -gap_centre, axis=axis), -gap_centre


def upsample_chip(img: np.ndarray, row: int, col: int, chip: int = 32, upsample: int = 16) -> tuple[np.ndarray, int, int]:
    """Band-limited ``upsample``-times interpolation of a ``chip``² window centred on (row, col).

    Returns the upsampled complex chip and the chip's top-left (row, col) in the image.
    """
    r0 = int(np.clip(row - chip // 2, 0, img.shape[0] - chip))
    c0 = int(np.clip(col - chip // 2, 0, img.shape[1] - chip))
    sub = np.asarray(img[r0 : r0 + chip, c0 : c0 + chip], np.complex128)
    spec = np.fft.fft2(sub)
    # move each axis' spectral gap to index 0 (the edges): the band is then centred at n/2
    spec, _ = _recentre_spectrum(spec, 0)
    spec, _ = _recentre_spectrum(spec, 1)
    n = chip * upsample
    big = np.zeros((n, n), np.complex128)
    o = (n - chip) // 2
    big[o : o + chip, o : o + chip] = spec
    up = np.fft.ifft2(np.fft.ifftshift(big)) * upsample**2
    return up, r0, c0


def measure_cut(cut_power: np.ndarray, peak: int, upsample: int, islr_cells: float = 10.0) -> CutQuality:
    """−3 dB width (input samples), PSLR and ISLR (dB) of a 1-D power cut around ``peak``."""
    p = np.asarray(cut_power, float)
    pk = p[peak]
    half = pk / 2
    # −3 dB crossings with linear interpolation
    i = peak
    while i > 0 and p[i] > half:
        i -= 1
    left = i + (half - p[i]) / (p[i + 1] - p[i]) if p[i + 1] != p[i] else float(i)
    j = peak
    while j < p.size - 1 and p[j] > half:
        j += 1
    right = j - 1 + (p[j - 1] - half) / (p[j - 1] - p[j]) if p[j - 1] != p[j] else float(j)
    width = (right - left) / upsample
    # first nulls = first local minima beyond the half-power points
    a = i
    while a > 0 and p[a - 1] < p[a]:
        a -= 1
    b = j
    while b < p.size - 1 and p[b + 1] < p[b]:
        b += 1
    span = int(round(islr_cells * max(width, 0.5) * upsample))
    lo, hi = max(0, peak - span), min(p.size, peak + span + 1)
    side = np.concatenate([p[lo:a], p[b + 1 : hi]])
    pslr = 10 * np.log10(side.max() / pk) if side.size else float("-inf")
    main = p[a : b + 1].sum()
    islr = 10 * np.log10(side.sum() / main) if side.size and main > 0 else float("-inf")
    return CutQuality(float(width), float(pslr), float(islr))


def measure_point_target(img: np.ndarray, row: int, col: int, *, chip: int = 32, upsample: int = 16,
                         range_spacing_m: float | None = None, azimuth_spacing_m: float | None = None) -> PointTargetQuality:
    """IRF figures of the point-like target nearest (row, col): resolution, PSLR, ISLR in both axes."""
    up, r0, c0 = upsample_chip(img, row, col, chip, upsample)
    pw = np.abs(up) ** 2
    # the chip's own maximum near its centre (within ±3 input samples)
    n = pw.shape[0]
    m = 3 * upsample
    cen = pw[n // 2 - m : n // 2 + m, n // 2 - m : n // 2 + m]
    pr, pc = np.unravel_index(int(np.argmax(cen)), cen.shape)
    pr += n // 2 - m
    pc += n // 2 - m
    rng = measure_cut(pw[pr, :], pc, upsample)
    az = measure_cut(pw[:, pc], pr, upsample)
    return PointTargetQuality(
        row=int(r0 + pr / upsample), col=int(c0 + pc / upsample), peak_db=float(10 * np.log10(pw[pr, pc])),
        range_resolution_px=rng.resolution_px, azimuth_resolution_px=az.resolution_px,
        pslr_range_db=rng.pslr_db, pslr_azimuth_db=az.pslr_db, islr_range_db=rng.islr_db, islr_azimuth_db=az.islr_db,
        range_resolution_m=None if range_spacing_m is None else rng.resolution_px * range_spacing_m,
        azimuth_resolution_m=None if azimuth_spacing_m is None else az.resolution_px * azimuth_spacing_m,
    )


def find_bright_points(img: np.ndarray, count: int = 5, *, min_separation: int = 24, snr_db: float = 20.0,
                       border: int = 20, column_limit: int | None = None) -> list[tuple[int, int]]:
    """Brightest local maxima at least ``snr_db`` above the median intensity, mutually separated."""
    inten = np.abs(img) ** 2
    if column_limit is not None:
        inten = inten[:, :column_limit]
    med = np.median(inten)
    work = inten.copy()
    work[:border] = 0
    work[-border:] = 0
    work[:, :border] = 0
    work[:, -border:] = 0
    out: list[tuple[int, int]] = []
    thr = med * 10 ** (snr_db / 10)
    for _ in range(count * 4):
        k = int(np.argmax(work))
        r, c = np.unravel_index(k, work.shape)
        if work[r, c] < thr:
            break
        out.append((int(r), int(c)))
        work[max(0, r - min_separation) : r + min_separation + 1, max(0, c - min_separation) : c + min_separation + 1] = 0
        if len(out) >= count:
            break
    return out
