"""Automatic histogram thresholds for two-class SAR scenes (water/land, change/no change).

All functions take a 1-D (or any-shape) array of finite values — usually σ⁰ in dB or a
log-ratio — and return a threshold in the same unit. Nothing here is tuned to a data set.

- Otsu (1979): maximise the between-class variance of the histogram.
- Kittler & Illingworth (1986) minimum-error thresholding: minimise the Bayes error of a
  two-Gaussian fit, J(T) = 1 + 2[P₁ln σ₁ + P₂ln σ₂] − 2[P₁ln P₁ + P₂ln P₂]. It copes with
  unequal class sizes and variances better than Otsu, which is why split-based flood mappers
  (Martinis et al. 2009, 2015; Chini et al. 2017) use it.
- Expectation-maximisation of a two-Gaussian mixture (Bazi et al. 2005 for log-ratio images).
- Ashman's D = √2 |μ₁−μ₂| / √(σ₁²+σ₂²): two Gaussians are cleanly separated for D > 2
  (Ashman et al. 1994); it is the bimodality test used to pick tiles.
- Split-based selection (Martinis et al. 2009; Chini et al. 2017): tile the scene, keep tiles
  that are bimodal (D above a bound) and hold a meaningful share of both classes, pool their
  pixels and threshold the pooled histogram, where the water mode is not drowned by land.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lotusar.errors import ValidationError

__all__ = [
    "histogram",
    "otsu_threshold",
    "kittler_illingworth_threshold",
    "em_gaussian_mixture",
    "em_threshold",
    "ashman_d",
    "class_statistics",
    "TileSelection",
    "split_based_threshold",
]


def _finite(values) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    if x.size < 2:
        raise ValidationError("need at least 2 finite values to compute a threshold")
    return x


def histogram(values, bins: int = 256, value_range: tuple[float, float] | None = None):
    """Histogram ``(counts, bin_centres, bin_edges)`` over finite values, range robust to outliers.

    The default range is the 0.1–99.9 percentiles so a few saturated pixels do not compress
    the useful part of the histogram into a handful of bins.
    """
    x = _finite(values)
    if value_range is None:
        lo, hi = np.percentile(x, [0.1, 99.9])
        if not hi > lo:
            lo, hi = float(x.min()), float(x.max())
        if not hi > lo:
            hi = lo + 1.0
        value_range = (float(lo), float(hi))
    counts, edges = np.histogram(x, bins=bins, range=value_range)
    centres = 0.5 * (edges[:-1] + edges[1:])
    return counts.astype(np.float64), centres, edges


def _cumulative_moments(counts, centres):
    w0 = np.cumsum(counts)
    s0 = np.cumsum(counts * centres)
    q0 = np.cumsum(counts * centres * centres)
    return w0, s0, q0


def otsu_threshold(values, bins: int = 256) -> float:
    """Otsu threshold: argmax of the between-class variance ω₀ω₁(μ₀−μ₁)² (upper bin edge)."""
    counts, centres, edges = histogram(values, bins)
    w0, s0, _ = _cumulative_moments(counts, centres)
    n, st = w0[-1], s0[-1]
    w1 = n - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        mu0 = s0 / w0
        mu1 = (st - s0) / w1
        sb = w0 * w1 * (mu0 - mu1) ** 2
    sb = np.where((w0 > 0) & (w1 > 0), sb, -np.inf)
    # well-separated modes leave a plateau of (nearly) equal σ_B² across the empty gap:
    # take its middle rather than its first bin
    best = np.max(sb)
    plateau = np.nonzero(sb >= best * (1 - 1e-4))[0]
    return float(edges[1:][int(plateau[len(plateau) // 2])])


def kittler_illingworth_threshold(values, bins: int = 256) -> float:
    """Kittler–Illingworth minimum-error threshold (upper bin edge of the minimising bin).

    Classes with fewer than 5 % of the pixels or zero variance are not allowed, which keeps
    the criterion away from the degenerate histogram tails.
    """
    counts, centres, edges = histogram(values, bins)
    w0, s0, q0 = _cumulative_moments(counts, centres)
    n = w0[-1]
    w1 = n - w0
    with np.errstate(divide="ignore", invalid="ignore"):
        p0, p1 = w0 / n, w1 / n
        m0 = s0 / w0
        m1 = (s0[-1] - s0) / w1
        v0 = q0 / w0 - m0 * m0
        v1 = (q0[-1] - q0) / w1 - m1 * m1
        j = 1 + (p0 * np.log(v0) + p1 * np.log(v1)) - 2 * (p0 * np.log(p0) + p1 * np.log(p1))
    ok = (p0 > 0.05) & (p1 > 0.05) & (v0 > 0) & (v1 > 0) & np.isfinite(j)
    if not ok.any():
        return otsu_threshold(values, bins)
    j = np.where(ok, j, np.inf)
    return float(edges[1:][int(np.argmin(j))])


def em_gaussian_mixture(values, init_threshold: float | None = None, max_iter: int = 200, tol: float = 1e-6):
    """Two-component 1-D Gaussian mixture by EM; returns ``(weights, means, stds)`` sorted by mean."""
    x = _finite(values)
    if x.size > 2_000_000:  # a systematic subsample keeps EM fast without biasing it
        x = x[:: x.size // 1_000_000]
    t = otsu_threshold(x) if init_threshold is None else float(init_threshold)
    lo, hi = x[x < t], x[x >= t]
    if lo.size < 2 or hi.size < 2:
        lo, hi = np.sort(x)[: x.size // 2], np.sort(x)[x.size // 2 :]
    w = np.array([lo.size, hi.size], float) / x.size
    mu = np.array([lo.mean(), hi.mean()])
    sd = np.maximum(np.array([lo.std(), hi.std()]), 1e-6)
    prev = -np.inf
    for _ in range(max_iter):
        logp = -0.5 * ((x[:, None] - mu) / sd) ** 2 - np.log(sd) + np.log(np.maximum(w, 1e-300))
        mx = logp.max(axis=1, keepdims=True)
        ll = mx[:, 0] + np.log(np.exp(logp - mx).sum(axis=1))
        r = np.exp(logp - ll[:, None])
        nk = r.sum(axis=0)
        w = nk / x.size
        mu = (r * x[:, None]).sum(axis=0) / np.maximum(nk, 1e-300)
        sd = np.sqrt(np.maximum((r * (x[:, None] - mu) ** 2).sum(axis=0) / np.maximum(nk, 1e-300), 1e-12))
        cur = ll.mean()
        if abs(cur - prev) < tol:
            break
        prev = cur
    order = np.argsort(mu)
    return w[order], mu[order], sd[order]


def em_threshold(values) -> float:
    """Bayes decision boundary of the EM two-Gaussian fit (between the two means)."""
    w, mu, sd = em_gaussian_mixture(values)
    # solve w0 N(x|mu0,sd0) = w1 N(x|mu1,sd1) for x between the means
    grid = np.linspace(mu[0], mu[1], 2001)
    d = (np.log(w[0]) - np.log(sd[0]) - 0.5 * ((grid - mu[0]) / sd[0]) ** 2) - (
        np.log(w[1]) - np.log(sd[1]) - 0.5 * ((grid - mu[1]) / sd[1]) ** 2
    )
    idx = np.nonzero(np.diff(np.sign(d)))[0]
    return float(grid[idx[0]]) if idx.size else float(0.5 * (mu[0] + mu[1]))


@dataclass(frozen=True)
class ClassStats:
    """Two-class Gaussian description of a histogram split at ``threshold``."""

    threshold: float
    mean_low: float
    std_low: float
    mean_high: float
    std_high: float
    fraction_low: float

    @property
    def ashman_d(self) -> float:
        return ashman_d(self.mean_low, self.std_low, self.mean_high, self.std_high)


def ashman_d(mean_1: float, std_1: float, mean_2: float, std_2: float) -> float:
    """Ashman's D; D > 2 means two clearly separated Gaussian modes."""
    den = np.sqrt(std_1**2 + std_2**2)
    return float(np.sqrt(2.0) * abs(mean_1 - mean_2) / den) if den > 0 else 0.0


def class_statistics(values, threshold: float) -> ClassStats:
    """Means, standard deviations and low-class share on each side of ``threshold``."""
    x = _finite(values)
    lo, hi = x[x < threshold], x[x >= threshold]
    if lo.size < 2 or hi.size < 2:
        raise ValidationError(f"threshold {threshold:.3f} leaves fewer than 2 values in one class")
    return ClassStats(float(threshold), float(lo.mean()), float(lo.std()), float(hi.mean()), float(hi.std()),
                      float(lo.size / x.size))


_METHODS = {"otsu": otsu_threshold, "ki": kittler_illingworth_threshold, "em": em_threshold}


def threshold_by_name(values, method: str) -> float:
    """Dispatch ``otsu`` | ``ki`` | ``em``."""
    try:
        fn = _METHODS[method.lower()]
    except KeyError:
        raise ValidationError(f"unknown threshold method {method!r}; use one of {sorted(_METHODS)}") from None
    return fn(values)


@dataclass(frozen=True)
class TileSelection:
    """Result of split-based thresholding."""

    threshold: float
    stats: ClassStats
    tile_size_px: int
    n_tiles: int
    n_selected: int
    selected: np.ndarray  # (n_tiles_y, n_tiles_x) bool
    tile_thresholds: np.ndarray  # per selected tile threshold (NaN elsewhere)
    method: str


def split_based_threshold(
    image: np.ndarray,
    tile_size_px: int = 100,
    method: str = "ki",
    min_ashman_d: float = 2.0,
    min_class_fraction: float = 0.1,
    min_valid_fraction: float = 0.9,
    min_separation: float = 0.0,
    max_low_mean: float | None = None,
) -> TileSelection:
    """Split-based automatic threshold (Martinis et al. 2009; Chini et al. 2017).

    The image (σ⁰ in dB, or any quantity where the class of interest is the low mode) is cut
    into ``tile_size_px`` square tiles. On each tile with enough valid pixels a threshold is
    computed with ``method``; the tile is *selected* when the two classes it separates have
    Ashman's D ≥ ``min_ashman_d`` and each holds at least ``min_class_fraction`` of the
    tile, the low class mean is at most ``max_low_mean`` (for water: a physical ceiling, so a
    tile of bright urban and ordinary land is not taken as "water vs land"), and the class
    means differ by at least
    ``min_separation`` (a well-filtered unimodal tile can pass Ashman's test when split in
    two; its halves are only a few speckle widths apart). The pooled pixels of the selected tiles
    are thresholded again with ``method``. With no tile selected (a scene with little water)
    the whole image is used, and ``n_selected`` reports 0.
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2:
        raise ValidationError("split-based thresholding needs a 2-D image")
    finite = np.isfinite(img)
    if finite.sum() < 16:
        raise ValidationError("image has fewer than 16 valid pixels")
    ts = int(max(8, min(tile_size_px, min(img.shape) // 2 if min(img.shape) >= 16 else min(img.shape))))
    ny, nx = img.shape[0] // ts, img.shape[1] // ts
    ny, nx = max(ny, 1), max(nx, 1)
    selected = np.zeros((ny, nx), bool)
    tthr = np.full((ny, nx), np.nan)
    pooled = []
    fn = _METHODS[method.lower()] if method.lower() in _METHODS else None
    if fn is None:
        raise ValidationError(f"unknown threshold method {method!r}; use one of {sorted(_METHODS)}")
    for i in range(ny):
        for j in range(nx):
            tile = img[i * ts:(i + 1) * ts, j * ts:(j + 1) * ts]
            ok = np.isfinite(tile)
            if ok.mean() < min_valid_fraction:
                continue
            v = tile[ok]
            try:
                t = fn(v)
                cs = class_statistics(v, t)
            except ValidationError:
                continue
            if (cs.ashman_d >= min_ashman_d and min_class_fraction <= cs.fraction_low <= 1 - min_class_fraction
                    and cs.mean_high - cs.mean_low >= min_separation
                    and (max_low_mean is None or cs.mean_low <= max_low_mean)):
                selected[i, j] = True
                tthr[i, j] = t
                pooled.append(v)
    if pooled:
        vals = np.concatenate(pooled)
    else:
        vals = img[finite]
    t = fn(vals)
    return TileSelection(float(t), class_statistics(vals, t), ts, ny * nx, int(selected.sum()), selected, tthr,
                         method.lower())
