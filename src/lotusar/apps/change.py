"""Change detection between two co-registered acquisitions.

- **Log-ratio** (Bazi, Bruzzone & Melgani 2005; Dekker 1998): r = 10 log10(Ī₂ / Ī₁) on
  multilooked intensities. The ratio turns multiplicative speckle into an additive term and
  does not depend on the absolute calibration. |r| is thresholded automatically (Kittler–
  Illingworth, Otsu or EM on |r|); the sign separates increase (e.g. new construction,
  flooded vegetation double bounce) from decrease (flooding, collapsed buildings, clearing).
- **Coherence** for SLC pairs: γ = |Σ s₁ s₂*| / √(Σ|s₁|² Σ|s₂|²) over a window. Any change
  of the scatterers between passes decorrelates the pair; low coherence where the
  surroundings stay coherent marks change (damage mapping, Yun et al. 2015). The threshold is
  automatic on the coherence histogram. Coherence of N independent samples is biased upward
  (E[γ̂] ≈ √(π/4N) for γ = 0), so the window must hold enough samples.

Output classes: 0 no change, 1 decrease, 2 increase, 255 no data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

from lotusar.apps.speckle import linear_to_db, nan_box_mean
from lotusar.apps.thresholds import threshold_by_name
from lotusar.errors import ValidationError

__all__ = ["CHANGE_NAMES", "ChangeResult", "log_ratio_db", "detect_change_log_ratio", "coherence",
           "detect_change_coherence"]

CHANGE_NAMES = {0: "no change", 1: "decrease", 2: "increase", 255: "no data"}


@dataclass
class ChangeResult:
    classes: np.ndarray  # uint8
    statistic: np.ndarray  # log-ratio (dB) or coherence
    threshold: float
    method: str
    confidence: np.ndarray

    def summary(self) -> dict:
        return {"method": self.method, "threshold": self.threshold,
                "pixels": {v: int((self.classes == k).sum()) for k, v in CHANGE_NAMES.items()}}


def log_ratio_db(before: np.ndarray, after: np.ndarray, window_px: int = 5) -> np.ndarray:
    """10 log10(mean after / mean before) of linear intensities over ``window_px`` boxes."""
    b = np.asarray(before, dtype=np.float64)
    a = np.asarray(after, dtype=np.float64)
    if a.shape != b.shape:
        raise ValidationError(f"images differ in shape: {b.shape} vs {a.shape}")
    with np.errstate(invalid="ignore", divide="ignore"):
        return linear_to_db(nan_box_mean(a, window_px)) - linear_to_db(nan_box_mean(b, window_px))


def detect_change_log_ratio(before: np.ndarray, after: np.ndarray, window_px: int = 5, method: str = "ki",
                            min_change_db: float = 1.0, min_pixels: int = 4, noise_sigmas: float = 3.0) -> ChangeResult:
    """Log-ratio change map with an automatic threshold on |r|, never below ``min_change_db``
    nor ``noise_sigmas`` × the robust spread of r, which keeps a scene without change from
    being split into two speckle classes."""
    r = log_ratio_db(before, after, window_px)
    ok = np.isfinite(r)
    if ok.sum() < 16:
        raise ValidationError("fewer than 16 valid pixels in the image pair")
    mag = np.abs(r[ok])
    # speckle floor: 3 σ of the no-change log-ratio, σ from the median absolute deviation
    # (robust while changed pixels are a minority)
    rv = r[ok]
    sigma = 1.4826 * float(np.median(np.abs(rv - np.median(rv))))
    t = max(float(threshold_by_name(mag, method)), min_change_db, noise_sigmas * sigma)
    changed = ok & (np.abs(np.nan_to_num(r)) > t)
    if min_pixels > 1 and changed.any():
        lab, n = ndi.label(changed)
        sz = np.bincount(lab.ravel(), minlength=n + 1)
        changed = np.r_[False, sz[1:] >= min_pixels][lab]
    classes = np.zeros(r.shape, np.uint8)
    classes[changed & (r < 0)] = 1
    classes[changed & (r > 0)] = 2
    classes[~ok] = 255
    # confidence: distance from the threshold in units of the no-change spread
    spread = float(np.std(mag[mag <= t])) or 1.0
    conf = 1.0 / (1.0 + np.exp(-(np.abs(np.nan_to_num(r)) - t) / spread))
    conf = np.where(changed, conf, 1.0 - conf).astype(np.float32)
    conf[~ok] = np.nan
    return ChangeResult(classes, r.astype(np.float32), t, f"log-ratio/{method}", conf)


def coherence(slc_1: np.ndarray, slc_2: np.ndarray, window_px: int = 7) -> np.ndarray:
    """Sample coherence magnitude over ``window_px`` boxes."""
    s1 = np.asarray(slc_1)
    s2 = np.asarray(slc_2)
    if s1.shape != s2.shape:
        raise ValidationError(f"SLCs differ in shape: {s1.shape} vs {s2.shape}")
    if not (np.iscomplexobj(s1) and np.iscomplexobj(s2)):
        raise ValidationError("coherence needs complex SLC images")
    x = s1 * np.conj(s2)
    num = np.hypot(ndi.uniform_filter(x.real, window_px), ndi.uniform_filter(x.imag, window_px))
    p1 = ndi.uniform_filter(np.abs(s1) ** 2, window_px)
    p2 = ndi.uniform_filter(np.abs(s2) ** 2, window_px)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = num / np.sqrt(p1 * p2)
    return np.clip(g, 0.0, 1.0)


def detect_change_coherence(slc_1: np.ndarray, slc_2: np.ndarray, window_px: int = 7, method: str = "otsu",
                            max_threshold: float = 0.5) -> ChangeResult:
    """Coherence-loss change map: change where γ is below an automatic threshold (≤ ``max_threshold``).

    Intensity change (log-ratio sign) labels the changed pixels as decrease or increase."""
    g = coherence(slc_1, slc_2, window_px)
    ok = np.isfinite(g)
    t = min(float(threshold_by_name(g[ok], method)), max_threshold)
    changed = ok & (g < t)
    lr = log_ratio_db(np.abs(slc_1) ** 2, np.abs(slc_2) ** 2, window_px)
    classes = np.zeros(g.shape, np.uint8)
    classes[changed & (np.nan_to_num(lr) < 0)] = 1
    classes[changed & (np.nan_to_num(lr) >= 0)] = 2
    classes[~ok] = 255
    conf = np.where(changed, 1 - g / max(t, 1e-6) * 0.5, 0.5 + 0.5 * (g - t) / max(1 - t, 1e-6)).astype(np.float32)
    return ChangeResult(classes, g.astype(np.float32), t, f"coherence/{method}", np.clip(conf, 0, 1))
