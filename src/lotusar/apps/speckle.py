"""Speckle filters on intensity images (NumPy/SciPy, vectorised with box sums).

- Boxcar (multilook) mean of intensity.
- Lee (1980) local-statistics filter: x̂ = m + w (I − m), w = max(0, 1 − C_u²/C_I²), with the
  speckle coefficient of variation C_u = 1/√ENL (multiplicative speckle model I = x·n).

Filters work on *linear* intensity (averaging dB values biases the mean) and ignore NaN.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

__all__ = ["db_to_linear", "linear_to_db", "nan_box_mean", "lee_filter"]


def db_to_linear(value_db):
    """10^(dB/10)."""
    return np.power(10.0, np.asarray(value_db, dtype=np.float64) / 10.0)


def linear_to_db(value, floor: float = 1e-10):
    """10 log10(max(value, floor)); NaN stays NaN."""
    v = np.asarray(value, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return 10.0 * np.log10(np.where(np.isfinite(v), np.maximum(v, floor), np.nan))


def nan_box_mean(image, size: int):
    """Mean over a ``size``×``size`` window ignoring NaN (NaN where the window has no data)."""
    img = np.asarray(image, dtype=np.float64)
    ok = np.isfinite(img)
    num = ndi.uniform_filter(np.where(ok, img, 0.0), size, mode="reflect")
    den = ndi.uniform_filter(ok.astype(np.float64), size, mode="reflect")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    out[den < 1e-9] = np.nan
    return out


def lee_filter(intensity, size: int = 5, enl: float = 4.4):
    """Lee filter of a linear intensity image; ``enl`` is the equivalent number of looks
    (≈4.4 for Sentinel-1 IW GRD)."""
    img = np.asarray(intensity, dtype=np.float64)
    m = nan_box_mean(img, size)
    m2 = nan_box_mean(img * img, size)
    var = np.maximum(m2 - m * m, 0.0)
    cu2 = 1.0 / enl
    with np.errstate(invalid="ignore", divide="ignore"):
        ci2 = var / np.maximum(m * m, 1e-30)
        w = np.clip(1.0 - cu2 / np.maximum(ci2, 1e-30), 0.0, 1.0)
    out = m + w * (np.where(np.isfinite(img), img, m) - m)
    out[~np.isfinite(img)] = np.nan
    return out
