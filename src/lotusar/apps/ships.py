"""Ship detection in SAR images: land masking, CFAR, clustering, size/heading, suppression.

Pipeline (after Crisp 2004, "The state-of-the-art in ship detection in SAR imagery", DSTO;
SNAP's Ocean Tools ship detection; the xView3 baseline):

1. **Intensity.** Amplitude inputs are squared; dB inputs are converted to linear power.
2. **Land mask.** A user mask, or an automatic one: land is extended and brighter than sea
   at a coarse scale (local median over ``land_window_m`` above ``land_ratio`` × the sea level),
   covers at least ``min_land_area_m2`` (``min_island_area_m2`` if it does not reach the image
   edge, so no ship can pass for an island) and, unlike a large ship, is not dominated by strong
   scatterers (less than ``land_max_strong_fraction`` of its pixels 24 dB over sea: a
   ship is a cluster of metal dihedrals, mostly strong; land holds only scattered ones).
3. **CFAR** (:mod:`lotusar.apps.cfar`) with windows in metres, default the order-statistic
   detector, robust to neighbouring ships; ``ca`` and ``k`` run with iterative censoring.
4. **Clustering.** Detected pixels are merged within ``merge_m`` (one ship breaks into
   bright parts), labelled (8-connectivity) and objects below ``min_area_m2`` dropped.
5. **Measurements.** Intensity-weighted centroid; length and width from the second
   moments (a uniform bar of length ℓ has variance ℓ²/12 along its axis, so ℓ = √(12 λ₁));
   heading of the major axis, degrees clockwise from image up (north for north-up grids),
   with the usual 180° ambiguity; confidence from the signal-to-clutter ratio.
6. **Suppression.** Azimuth ambiguities: a detection much fainter (≤ ``ambiguity_ratio_db``)
   than another one displaced by ±``ambiguity_offset_m`` along azimuth (Δx = λ R PRF / 2V) is
   a replica of it. Known fixed structures (platforms, buoys, wind turbines) within
   ``fixed_radius_m`` of a listed point are removed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import ndimage as ndi

from lotusar.apps import cfar as cfar_mod
from lotusar.errors import ValidationError

__all__ = ["ShipParameters", "Detection", "to_intensity", "auto_land_mask", "detect_ships",
           "azimuth_ambiguity_offset_m", "suppress_ambiguities", "suppress_sidelobes", "suppress_fragments",
           "suppress_fixed"]


@dataclass(frozen=True)
class ShipParameters:
    method: str = "ca"  # 'ca' (censored, default) | 'os' | 'k'
    pfa: float = 1e-9
    target_m: float = 1.0  # cell under test (≈ resolution)
    guard_m: float = 100.0  # larger than most ships' half length
    background_m: float = 200.0
    merge_m: float = 0.0  # blobs are not merged: moored ships lie within metres of each other
    min_area_m2: float = 20.0  # detected part of a small boat (a 10 m × 2 m bright core)
    min_pixels: int = 4
    land_window_m: float = 44.0
    land_ratio: float = 2.0
    min_land_area_m2: float = 5000.0  # land touching the image edge
    min_island_area_m2: float = 100000.0  # land wholly inside: larger than any ship (400 m × 60 m ≈ 0.024 km²)
    land_max_strong_fraction: float = 0.15
    land_buffer_m: float = 8.0
    max_enclosed_sea_m2: float = 10000.0  # dark areas enclosed by land and smaller than this are land
    sea_profile_m: float = 500.0  # smoothing of the across-range sea-level profile
    sea_profile_cap: float = 1.0  # profile ≤ the scene sea level (10th percentile)
    land_strong_db: float = 24.0  # "strong scatterer": 24 dB (amplitude ×16) over sea
    auto_land: bool = True
    ambiguity_offset_m: float | None = None
    ambiguity_tolerance_m: float = 30.0
    ambiguity_ratio_db: float = -10.0
    azimuth_axis: int = 0  # image axis along azimuth (0 = rows)
    fixed_radius_m: float = 50.0
    # impulse-response sidelobes of a bright ship (the range/azimuth "cross"; −13 dB for an
    # unweighted sinc) form their own small blobs beside it
    sidelobe_radius_m: float = 150.0
    sidelobe_ratio_db: float = -10.0
    sidelobe_band_m: float = 12.0
    # a blob much smaller than a neighbouring one and within its half length is a piece of it
    # (a large hull breaks into bright parts), not a second ship
    fragment_area_ratio: float = 0.25
    fragment_reach: float = 0.8  # × the larger object's length


@dataclass
class Detection:
    row: float
    col: float
    pixels: int
    area_m2: float
    length_m: float
    width_m: float
    heading_deg: float
    peak_intensity: float
    mean_intensity: float
    clutter_mean: float
    scr_db: float
    confidence: float
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def to_intensity(image: np.ndarray, kind: str = "auto") -> np.ndarray:
    """Linear intensity from ``amplitude`` | ``intensity`` | ``db`` | ``auto``.

    ``auto``: integer rasters (display amplitudes such as 8-bit PNG chips) are amplitude,
    rasters with negative values are dB, other float rasters are σ⁰ intensity.
    """
    x = np.asarray(image)
    k = kind.lower()
    if k == "auto":
        if np.issubdtype(x.dtype, np.integer):
            k = "amplitude"
        else:
            fin = x[np.isfinite(x)]
            k = "db" if fin.size and fin.min() < 0 else "intensity"
    xf = x.astype(np.float64)
    if k == "amplitude":
        return xf * xf
    if k == "db":
        return np.power(10.0, xf / 10.0)
    if k == "intensity":
        return xf
    raise ValidationError(f"unknown image kind {kind!r}; use amplitude, intensity, db or auto")


def auto_land_mask(intensity: np.ndarray, pixel_spacing_m: float, params: ShipParameters | None = None) -> np.ndarray:
    """Automatic land mask (see module docstring, step 2). Works on amplitude (√I) statistics."""
    p = params or ShipParameters()
    amp = np.sqrt(np.maximum(np.nan_to_num(intensity, nan=0.0), 0.0))
    win_px = max(3.0, p.land_window_m / pixel_spacing_m)
    s = int(max(1, win_px // 11))  # sub-sample so the median window is ~11 cells
    sub = amp[::s, ::s]
    size = int(max(3, round(win_px / s))) | 1
    med = ndi.median_filter(sub, size=size, mode="reflect")
    # sea level: low percentile of the coarse medians along azimuth, per range position.
    # Uncalibrated SLCs (antenna pattern) and wide swaths (incidence) change the sea
    # brightness across range only; a range profile follows that and, unlike a 2-D local
    # level, does not mistake the inside of a large land mass for "sea".
    sea_global = float(np.percentile(med, 10))
    if sea_global <= 0:
        sea_global = float(np.mean(med)) or 1.0
    ax = p.azimuth_axis
    prof = np.percentile(med, 3, axis=ax)
    k = max(1, int(round(p.sea_profile_m / (s * pixel_spacing_m)))) | 1
    prof = ndi.median_filter(prof, size=k, mode="nearest") if prof.size > k else prof
    prof = np.where(prof > 0, prof, sea_global)
    # a range position whose darkest 3 % are well above the scene's sea level holds no sea:
    # cap the profile there (columns of pure land would otherwise define "sea" as land)
    prof = np.minimum(prof, p.sea_profile_cap * sea_global)
    sea_map = np.broadcast_to(prof[None, :] if ax == 0 else prof[:, None], med.shape)
    sea = sea_map
    cand = med > p.land_ratio * sea
    lab, n = ndi.label(cand)
    if n == 0:
        return np.zeros(intensity.shape, bool)
    idx = np.arange(1, n + 1)
    area = ndi.sum(np.ones(sub.shape), lab, idx) * (s * pixel_spacing_m) ** 2
    strong_amp = sea * 10 ** (p.land_strong_db / 20)  # per pixel
    strong = ndi.mean((sub > strong_amp).astype(float), lab, idx)
    # land continues beyond the image: a component touching the border needs only
    # ``min_land_area_m2``; one wholly inside must be larger than any ship (``min_island_area_m2``)
    edge_labels = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))
    touches = np.isin(idx, edge_labels)
    big_enough = np.where(touches, area >= p.min_land_area_m2, area >= p.min_island_area_m2)
    # anything larger than the largest ship is land whatever its scatterers (a city centre
    # is as "strong" as a hull)
    keep = np.r_[False, (big_enough & (strong < p.land_max_strong_fraction)) | (area >= p.min_island_area_m2)]
    land_sub = keep[lab]
    # small dark patches enclosed by land (car parks, radar shadow, ponds) are not sea: fill
    # holes smaller than a dock basin
    if p.max_enclosed_sea_m2 > 0 and land_sub.any():
        holes = ndi.binary_fill_holes(land_sub) & ~land_sub
        hl, hn = ndi.label(holes)
        if hn:
            h_area = ndi.sum(np.ones(holes.shape), hl, np.arange(1, hn + 1)) * (s * pixel_spacing_m) ** 2
            land_sub |= np.r_[False, h_area < p.max_enclosed_sea_m2][hl]
    # buffer: the bright shoreline and its sidelobes sit just outside the coarse mask
    b = int(round(p.land_buffer_m / (s * pixel_spacing_m)))
    if b >= 1 and land_sub.any():
        land_sub = ndi.binary_dilation(land_sub, np.ones((2 * b + 1, 2 * b + 1), bool))
    land = np.repeat(np.repeat(land_sub, s, axis=0), s, axis=1)[: intensity.shape[0], : intensity.shape[1]]
    if land.shape != intensity.shape:
        land = np.pad(land, ((0, intensity.shape[0] - land.shape[0]), (0, intensity.shape[1] - land.shape[1])),
                      mode="edge")
    return land


def azimuth_ambiguity_offset_m(wavelength_m: float, slant_range_m: float, prf_hz: float, velocity_m_s: float) -> float:
    """Along-track displacement of the first azimuth ambiguity, Δx = λ R PRF / (2 V)."""
    return wavelength_m * slant_range_m * prf_hz / (2.0 * velocity_m_s)


def _measure(lab, n, intensity, clutter, pixel_spacing_m):
    idx = np.arange(1, n + 1)
    ones = np.ones(intensity.shape)
    cnt = ndi.sum(ones, lab, idx)
    w = np.nan_to_num(intensity)
    sw = ndi.sum(w, lab, idx)
    rr, cc = np.indices(intensity.shape, dtype=np.float64)
    r0 = ndi.sum(w * rr, lab, idx) / sw
    c0 = ndi.sum(w * cc, lab, idx) / sw
    # unweighted shape moments (weighting by intensity shrinks ships to their brightest point)
    mr = ndi.sum(rr, lab, idx) / cnt
    mc = ndi.sum(cc, lab, idx) / cnt
    srr = ndi.sum(rr * rr, lab, idx) / cnt - mr * mr
    scc = ndi.sum(cc * cc, lab, idx) / cnt - mc * mc
    src = ndi.sum(rr * cc, lab, idx) / cnt - mr * mc
    tr, det = srr + scc, srr * scc - src * src
    disc = np.sqrt(np.maximum(tr * tr / 4 - det, 0))
    l1, l2 = tr / 2 + disc, np.maximum(tr / 2 - disc, 0)
    length = np.sqrt(12 * l1 + 1) * pixel_spacing_m
    width = np.sqrt(12 * l2 + 1) * pixel_spacing_m
    # major-axis direction: angle from image "up" (−row) clockwise toward +col
    theta = 0.5 * np.arctan2(2 * src, scc - srr)  # angle from +col axis toward +row
    heading = (90.0 + np.degrees(theta)) % 180.0
    peak = ndi.maximum(w, lab, idx)
    mean = sw / cnt
    clut = ndi.mean(np.nan_to_num(clutter, nan=np.nanmedian(clutter)), lab, idx)
    return cnt, r0, c0, length, width, heading, peak, mean, clut


def detect_ships(image: np.ndarray, pixel_spacing_m: float, *, kind: str = "auto", land_mask: np.ndarray | None = None,
                 fixed_points_rc: np.ndarray | None = None, params: ShipParameters | None = None,
                 return_mask: bool = False):
    """Detect ships; returns a list of :class:`Detection` (and the labelled object mask if asked).

    ``image`` is one band (amplitude, intensity or dB, see :func:`to_intensity`);
    ``pixel_spacing_m`` turns the metre parameters into pixels; ``fixed_points_rc`` is an
    (N, 2) array of (row, col) of known fixed structures.
    """
    p = params or ShipParameters()
    if pixel_spacing_m is None or not pixel_spacing_m > 0:
        raise ValidationError(f"pixel spacing must be positive, got {pixel_spacing_m}")
    img = np.asarray(image)
    if img.ndim != 2:
        raise ValidationError(f"ship detection needs one band, got shape {img.shape}")
    intensity = to_intensity(img, kind)
    valid = np.isfinite(intensity)
    land = np.zeros(intensity.shape, bool)
    if land_mask is not None:
        lm = np.asarray(land_mask, bool)
        if lm.shape != intensity.shape:
            raise ValidationError(f"land mask shape {lm.shape} differs from image {intensity.shape}")
        land |= lm
    elif p.auto_land:
        land |= auto_land_mask(intensity, pixel_spacing_m, p)
    sea = valid & ~land
    if sea.sum() < 16:
        return ([], np.zeros(intensity.shape, np.int32)) if return_mask else []
    win = cfar_mod.windows_px(pixel_spacing_m, p.target_m, p.guard_m, p.background_m)
    looks = cfar_mod.estimate_looks(intensity, sea)
    if p.method.lower() == "os":
        det, thr, clutter = cfar_mod.os_cfar(intensity, win, p.pfa, valid=sea)
    else:
        det, thr = cfar_mod.censored_cfar(intensity, win, p.method, p.pfa, looks, sea)
        clutter, _, _ = cfar_mod.ring_statistics(intensity, sea & ~det, win)
    det &= sea
    # remove isolated single-pixel exceedances before merging
    min_px = max(p.min_pixels, int(np.ceil(p.min_area_m2 / pixel_spacing_m**2)))
    lab0, n0 = ndi.label(det, np.ones((3, 3)))
    if n0:
        sz = ndi.sum(np.ones(det.shape), lab0, np.arange(1, n0 + 1))
        det = np.r_[False, sz >= max(2, min_px // 2)][lab0]
    r = int(round(p.merge_m / pixel_spacing_m))
    grown = ndi.binary_dilation(det, np.ones((2 * r + 1, 2 * r + 1), bool)) if r >= 1 and det.any() else det
    lab, n = ndi.label(grown, np.ones((3, 3)))
    lab = np.where(det, lab, 0)
    if n == 0:
        return ([], lab) if return_mask else []
    cnt, r0, c0, length, width, heading, peak, mean, clut = _measure(lab, n, intensity, clutter, pixel_spacing_m)
    dets: list[Detection] = []
    keep_ids = []
    for i in range(n):
        if not np.isfinite(r0[i]) or cnt[i] < min_px:
            continue
        scr = 10 * np.log10(max(mean[i], 1e-30) / max(clut[i], 1e-30))
        # logistic in SCR: 50 % at 6 dB, 95 % at ~13 dB over clutter
        conf = float(1.0 / (1.0 + np.exp(-(scr - 6.0) / 2.4)))
        dets.append(Detection(float(r0[i]), float(c0[i]), int(cnt[i]), float(cnt[i] * pixel_spacing_m**2),
                              float(length[i]), float(width[i]), float(heading[i]), float(peak[i]), float(mean[i]),
                              float(clut[i]), float(scr), conf))
        keep_ids.append(i + 1)
    if p.fragment_area_ratio > 0:
        dets = suppress_fragments(dets, p.fragment_area_ratio, p.fragment_reach)
    if p.sidelobe_radius_m > 0:
        dets = suppress_sidelobes(dets, pixel_spacing_m, p.sidelobe_radius_m, p.sidelobe_ratio_db,
                                  p.sidelobe_band_m)
    if p.ambiguity_offset_m:
        dets = suppress_ambiguities(dets, pixel_spacing_m, p.ambiguity_offset_m, p.ambiguity_tolerance_m,
                                    p.ambiguity_ratio_db, p.azimuth_axis)
    if fixed_points_rc is not None and len(fixed_points_rc):
        dets = suppress_fixed(dets, np.asarray(fixed_points_rc, float), p.fixed_radius_m / pixel_spacing_m)
    if return_mask:
        m = np.isin(lab, keep_ids)
        return dets, np.where(m, lab, 0)
    return dets


def suppress_ambiguities(dets: list[Detection], pixel_spacing_m: float, offset_m: float, tolerance_m: float = 30.0,
                         ratio_db: float = -10.0, azimuth_axis: int = 0) -> list[Detection]:
    """Remove detections that are faint replicas of a brighter one at ±offset along azimuth."""
    if len(dets) < 2:
        return list(dets)
    pos = np.array([[d.row, d.col] for d in dets]) * pixel_spacing_m
    power = np.array([d.mean_intensity * d.pixels for d in dets])
    az = pos[:, azimuth_axis]
    rg = pos[:, 1 - azimuth_axis]
    daz = az[:, None] - az[None, :]
    drg = rg[:, None] - rg[None, :]
    near = (np.abs(np.abs(daz) - offset_m) <= tolerance_m) & (np.abs(drg) <= tolerance_m)
    with np.errstate(divide="ignore"):
        rel = 10 * np.log10(power[:, None] / power[None, :])
    ghost = (near & (rel <= ratio_db)).any(axis=1)
    return [d for d, g in zip(dets, ghost) if not g]


def suppress_fragments(dets: list[Detection], area_ratio: float = 0.25, reach: float = 0.6) -> list[Detection]:
    """Remove detections with ≤ ``area_ratio`` of the area of a neighbour whose centre is within
    ``reach`` × that neighbour's length: fragments of one large hull."""
    if len(dets) < 2:
        return list(dets)
    pos = np.array([[d.row, d.col] for d in dets])
    area = np.array([d.area_m2 for d in dets])
    length_px = np.array([d.length_m / max(d.area_m2 / max(d.pixels, 1), 1e-12) ** 0.5 for d in dets])
    dist = np.sqrt(((pos[:, None, :] - pos[None, :, :]) ** 2).sum(-1))
    piece = (area[:, None] <= area_ratio * area[None, :]) & (dist <= reach * length_px[None, :])
    np.fill_diagonal(piece, False)
    drop = piece.any(axis=1)
    return [d for d, g in zip(dets, drop) if not g]


def suppress_sidelobes(dets: list[Detection], pixel_spacing_m: float, radius_m: float = 150.0,
                       ratio_db: float = -10.0, band_m: float = 12.0) -> list[Detection]:
    """Remove detections that sit on the range or azimuth line through a much brighter one
    (within ``band_m`` of the line, ``radius_m`` along it) with a peak ≤ ``ratio_db`` below it:
    the sidelobes of its impulse response, not other ships."""
    if len(dets) < 2:
        return list(dets)
    pos = np.array([[d.row, d.col] for d in dets]) * pixel_spacing_m
    peak = np.array([d.peak_intensity for d in dets])
    dr = np.abs(pos[:, None, 0] - pos[None, :, 0])
    dc = np.abs(pos[:, None, 1] - pos[None, :, 1])
    on_cross = ((dr <= band_m) & (dc <= radius_m)) | ((dc <= band_m) & (dr <= radius_m))
    with np.errstate(divide="ignore"):
        rel = 10 * np.log10(peak[:, None] / peak[None, :])
    np.fill_diagonal(on_cross, False)
    lobe = (on_cross & (rel <= ratio_db)).any(axis=1)
    return [d for d, g in zip(dets, lobe) if not g]


def suppress_fixed(dets: list[Detection], fixed_rc: np.ndarray, radius_px: float) -> list[Detection]:
    """Remove detections within ``radius_px`` of a known fixed structure (row, col)."""
    if not dets or fixed_rc.size == 0:
        return list(dets)
    pos = np.array([[d.row, d.col] for d in dets])
    dist = np.sqrt(((pos[:, None, :] - fixed_rc[None, :, :]) ** 2).sum(-1))
    keep = dist.min(axis=1) > radius_px
    return [d for d, k in zip(dets, keep) if k]
