"""Flood and surface-water mapping from SAR backscatter (pure functions over arrays).

Physics. Calm open water is a specular reflector: almost no energy returns to a side-looking
radar, so water is the dark mode of the backscatter histogram in both co-pol (VV/HH) and
cross-pol (VH/HV). Wind roughening and speckle blur the two modes, and the share of water
changes from scene to scene, so a single global threshold is poor. This module follows the
operational mappers: the split-based thresholding of Martinis et al. (2009, 2015) and Chini
et al. (2017), and the Copernicus Global Flood Monitoring (GFM) ensemble, in which independent
algorithms vote and the share of votes is reported as a per-pixel likelihood (Salamon et al.
2021; UN-SPIDER recommended practice).

Values. Each band is a *log-domain* backscatter: σ⁰/γ⁰ in dB (``scale="db"``) or an
uncalibrated grey level (``scale="grey"``, an 8-bit quicklook or data-set chip, taken to be a
monotonic, roughly affine function of dB). On grey levels only relative statistics are used:
every threshold comes from the scene's own histogram and every contrast is measured in units
of the scene's water–land contrast. The physical C-band levels (water ceiling, water prior)
apply to dB only.

1. **Class models from bimodal tiles.** Each band is speckle-filtered (Lee on dB input, a
   3 × 3 mean on grey levels, which are already smoothed quicklooks), cut into tiles of
   ``tile_size_m`` and every tile split by Kittler–Illingworth (default) or Otsu. A tile is
   kept when the split is bimodal (Ashman's D ≥ 2, each class ≥ 10 %), its dark class is
   darker than the scene median (a split of land from bright town is not water against land)
   and, on dB, water-dark. The kept tiles are pooled and split again; the raw values on each
   side give Gaussian water and land models. **Fallbacks**: no tile kept → the whole scene is
   split and kept if bimodal (a scene mostly of water has no mixed tile); still nothing → on dB
   a physical water prior against the land statistics, on grey levels a relative prior (water
   4 robust σ below the land mode) so that a scene without water stays dry.
2. **Three classifiers vote**:
   a. *Bayes with context*: ``ln N(x|water)/N(x|land)`` summed over polarisations, clipped,
      averaged with a Gaussian of ``smoothing_m`` (a mean-field MRF prior), ≥ 0.
   b. *Region growing*: seeds at smoothed evidence ≥ ``seed_llr`` grown by hysteresis into
      connected pixels with evidence ≥ ``grow_llr``.
   c. without a pre-event image, the *split-based threshold* on the filtered band(s); with one
      (``pre_bands``), *change detection*: a log-ratio (difference of the log-domain values,
      aligned on land that is dry in both images) ≤ ``change_fraction`` × the scene's
      water–land contrast (−3 dB for a 10 dB contrast) where the post image is not clearly
      land, or water already in the pre image.
   With a pre-event image the majority decides (change detection is independent evidence);
   without one the three classifiers read the same image and err together, so unanimous
   pixels seed a region grown through pixels that any classifier supports.
   The water **likelihood** is the mean of the three classifiers' posteriors; the
   **uncertainty band** is the set of pixels where the classifiers disagree.
3. **Exclusions.** Steep slopes and high terrain above drainage (HAND, Nobre et al. 2011;
   UN-SPIDER/GFM use HAND > 15 m, slope > 5°) cannot hold flood water; radar shadow/layover
   pixels are no data.
4. **Classes with a pre-event image.** Water in the pre image (the post models applied to it)
   is *permanent*; water that appeared is *open flood*. A co-pol *increase* with a co-/cross-pol
   ratio increase is the double-bounce signature of **flooded vegetation** (water under a
   canopy; Pulvirenti et al. 2011); it needs both polarisations and the pre image.

The classified output uses ``CLASS_*``: 0 dry, 1 open flood water, 2 permanent water,
3 flooded vegetation, 255 no data.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import ndimage as ndi

from lotusar.apps import speckle
from lotusar.apps.thresholds import ashman_d, class_statistics, split_based_threshold, threshold_by_name
from lotusar.errors import ValidationError

__all__ = [
    "CLASS_DRY",
    "CLASS_OPEN_FLOOD",
    "CLASS_PERMANENT_WATER",
    "CLASS_FLOODED_VEGETATION",
    "CLASS_NODATA",
    "CLASS_NAMES",
    "SCALES",
    "FloodParameters",
    "BandModel",
    "FloodResult",
    "filter_band",
    "fit_band_model",
    "water_log_likelihood_ratio",
    "hysteresis_grow",
    "remove_small_objects",
    "slope_deg",
    "height_above_local_drainage_m",
    "map_floods",
]

CLASS_DRY = 0
CLASS_OPEN_FLOOD = 1
CLASS_PERMANENT_WATER = 2
CLASS_FLOODED_VEGETATION = 3
CLASS_NODATA = 255
CLASS_NAMES = {
    CLASS_DRY: "dry",
    CLASS_OPEN_FLOOD: "open flood water",
    CLASS_PERMANENT_WATER: "permanent water",
    CLASS_FLOODED_VEGETATION: "flooded vegetation",
    CLASS_NODATA: "no data",
}

CO_POL = ("VV", "HH")
CROSS_POL = ("VH", "HV")
SCALES = ("db", "grey")


@dataclass(frozen=True)
class FloodParameters:
    """Physically motivated defaults (none fitted to a labelled chip)."""

    tile_size_m: float = 640.0  # ~64 px at 10 m: several fields, small enough to be bimodal
    # 'auto' | 'ki' | 'otsu' | 'em' on the pooled bimodal tiles. 'auto': Otsu on dB, KI on grey
    # levels. dB of few-look speckle has left-skewed classes (log-gamma), and KI's two-Gaussian
    # fit cuts the long dark tail of water off as a class of its own (on the Sen1Floods11 chip
    # it cuts VV water at its median); smoothed grey-level quicklooks have near-symmetric
    # classes of unequal spread, where Otsu drifts into the broad land class and KI does not.
    threshold_method: str = "auto"
    min_ashman_d: float = 2.0  # Ashman et al. 1994: D > 2 ⇒ separated modes
    min_class_fraction: float = 0.1  # each class holds ≥ 10 % of a selected tile
    min_global_fraction: float = 0.02  # whole-scene fallback: the dark class holds ≥ 2 %
    min_contrast_db: float = 3.0  # water/land contrast of a selected tile (C-band: 5–15 dB)
    tile_filter_px: int = 5  # Lee window used only for the bimodality test
    enl: float = 4.4  # equivalent number of looks (S1 IW GRD)
    llr_clip: float = 8.0  # per-band evidence clip (nats)
    smoothing_m: float = 20.0  # Gaussian σ of evidence averaging (≈ 2 px at 10 m)
    seed_llr: float = 2.0  # seeds: posterior odds ≥ e² (p ≥ 0.88)
    grow_llr: float = -1.0  # growing: connected to a seed and not clearly land (p ≥ 0.27)
    min_mapping_unit_m2: float = 1000.0  # 0.1 ha (10 px at 10 m)
    hand_max_m: float = 15.0  # UN-SPIDER / GFM exclusion
    slope_max_deg: float = 5.0
    # change and double bounce in units of the scene's water–land contrast (≈ 10 dB in C-band,
    # so 0.3 ≈ 3 dB), which also holds on grey levels
    change_fraction: float = 0.3
    veg_increase_fraction: float = 0.3
    veg_ratio_increase_fraction: float = 0.1
    min_votes: int = 2  # of 3 classifiers, with a pre-event image
    # Open water is darker than these C-band levels (S1 IW; calm to moderately wind-roughened
    # water: VV ≈ −18…−25 dB, VH ≈ −25…−32 dB). A "dark class" above them is not water (dark
    # fields vs. bright urban, say), and the band falls back to the prior water model.
    water_ceiling_co_db: float = -15.0
    water_ceiling_cross_db: float = -22.0
    prior_water_co_db: tuple[float, float] = (-20.0, 4.0)  # mean, std
    prior_water_cross_db: tuple[float, float] = (-27.0, 4.0)
    max_water_spread_ratio: float = 1.15  # grey levels: water spread ≤ 1.15 × land spread
    prior_water_robust_sigmas: float = 4.0  # grey levels: water prior this far below the land mode


@dataclass(frozen=True)
class BandModel:
    """Gaussian water and land models of one band (dB or grey level)."""

    band: str
    threshold_db: float
    water_mean_db: float
    water_std_db: float
    land_mean_db: float
    land_std_db: float
    ashman_d: float
    tiles_selected: int
    tiles_total: int
    source: str = "bimodal-tiles"  # "scene" (whole-scene split) or "prior" (no usable water mode)

    @property
    def contrast(self) -> float:
        return max(self.land_mean_db - self.water_mean_db, 1e-6)


@dataclass
class FloodResult:
    classes: np.ndarray  # uint8
    confidence: np.ndarray  # float32 in [0, 1]; NaN on no data
    water_probability: np.ndarray  # float32 water likelihood: mean of the classifiers' posteriors
    models: dict[str, BandModel]
    parameters: FloodParameters
    log_ratio_db: np.ndarray | None = None
    diagnostics: dict = field(default_factory=dict)
    votes: np.ndarray | None = None  # uint8 number of classifiers voting water

    @property
    def uncertain(self) -> np.ndarray:
        """The uncertainty band: pixels where the classifiers disagree."""
        v = self.votes if self.votes is not None else np.zeros(self.classes.shape, np.uint8)
        return (v > 0) & (v < 3) & (self.classes != CLASS_NODATA)

    def summary(self, pixel_area_m2: float | np.ndarray | None = None) -> dict:
        valid = self.classes != CLASS_NODATA
        out: dict = {"pixels_valid": int(valid.sum()), "classes": {}}
        for k, name in CLASS_NAMES.items():
            m = self.classes == k
            entry: dict = {"pixels": int(m.sum())}
            if pixel_area_m2 is not None:
                if isinstance(pixel_area_m2, (int, float)):
                    entry["area_km2"] = float(m.sum() * pixel_area_m2 / 1e6)
                else:
                    entry["area_km2"] = float((m * np.asarray(pixel_area_m2)).sum() / 1e6)
            out["classes"][name] = entry
        out["uncertain_pixels"] = int(self.uncertain.sum())
        out["models"] = {k: asdict(v) for k, v in self.models.items()}
        out["parameters"] = asdict(self.parameters)
        out.update(self.diagnostics)
        return out


def _px(length_m: float, pixel_spacing_m: float, minimum: float = 1.0) -> float:
    return max(minimum, float(length_m) / float(pixel_spacing_m))


def _check_scale(scale: str) -> str:
    s = scale.lower()
    if s not in SCALES:
        raise ValidationError(f"unknown scale {scale!r}; use db or grey (linear input is converted to dB)")
    return s


def _method(params: FloodParameters, scale: str) -> str:
    m = params.threshold_method.lower()
    if m == "auto":
        return "otsu" if scale == "db" else "ki"
    return m


def filter_band(band: np.ndarray, scale: str, params: FloodParameters) -> np.ndarray:
    """Speckle-reduced band for the statistics: Lee on linear intensity for dB input, a 3 × 3
    mean for grey levels (quicklooks are already smoothed; the Lee model needs intensities)."""
    if _check_scale(scale) == "grey":
        return speckle.nan_box_mean(band, 3)
    lin = speckle.lee_filter(speckle.db_to_linear(band), params.tile_filter_px, params.enl)
    return speckle.linear_to_db(lin)


def _prior_model(name, raw, filt, scale, sel_n, n_tiles, params: FloodParameters) -> BandModel:
    """Water model when the scene shows no usable water mode (see module docstring, 1)."""
    cross = name.upper() in CROSS_POL
    if scale == "db":
        ceiling = params.water_ceiling_cross_db if cross else params.water_ceiling_co_db
        mu_w, sd_w = params.prior_water_cross_db if cross else params.prior_water_co_db
        land = raw[filt >= ceiling]
        land = land if land.size >= 2 else raw
        mu_l, sd_l = float(land.mean()), max(float(land.std()), 0.1)
        thr = float(ceiling)
    else:
        med = float(np.median(filt))
        sigma = max(1.4826 * float(np.median(np.abs(filt - med))), 1e-3)
        mu_l, sd_l = float(np.median(raw)), max(1.4826 * float(np.median(np.abs(raw - np.median(raw)))), 1e-3)
        mu_w, sd_w = med - params.prior_water_robust_sigmas * sigma, sd_l
        thr = med - 0.5 * params.prior_water_robust_sigmas * sigma
    return BandModel(name, thr, mu_w, sd_w, mu_l, sd_l, ashman_d(mu_w, sd_w, mu_l, sd_l), sel_n, n_tiles, "prior")


def fit_band_model(band: np.ndarray, name: str, pixel_spacing_m: float, params: FloodParameters,
                   scale: str = "db", filtered: np.ndarray | None = None) -> BandModel:
    """Water/land Gaussian models of one band from its bimodal tiles (split-based)."""
    scale = _check_scale(scale)
    band = np.asarray(band, dtype=np.float64)
    filt = filter_band(band, scale, params) if filtered is None else filtered
    ok = np.isfinite(band) & np.isfinite(filt)
    if ok.sum() < 16:
        raise ValidationError(f"band {name} has fewer than 16 valid pixels")
    ts_px = int(round(_px(params.tile_size_m, pixel_spacing_m, 16)))
    method = _method(params, scale)
    cross = name.upper() in CROSS_POL
    ceiling = (params.water_ceiling_cross_db if cross else params.water_ceiling_co_db) if scale == "db" else np.inf
    median = float(np.median(filt[ok]))
    sel = split_based_threshold(np.where(ok, filt, np.nan), ts_px, method, params.min_ashman_d,
                                params.min_class_fraction,
                                min_separation=params.min_contrast_db if scale == "db" else 0.0,
                                max_low_mean=median)
    raw_all, flt_all = band[ok], filt[ok]
    # The threshold comes from the filtered pooled histogram (speckle-reduced modes are close
    # to Gaussian, as KI and Otsu assume); the class models describe the *raw* pixels on
    # each side, since that is the spread the per-pixel likelihood must describe.
    candidates = []
    if sel.n_selected:
        mask = np.kron(sel.selected, np.ones((sel.tile_size_px, sel.tile_size_px), bool))
        full = np.zeros(band.shape, bool)
        full[: mask.shape[0], : mask.shape[1]] = mask
        full &= ok
        candidates.append((band[full], filt[full], sel.threshold, "bimodal-tiles"))
    else:
        # no mixed tile: a scene mostly of water (or of land) — split the whole scene
        t = threshold_by_name(flt_all, method)
        try:
            cs = class_statistics(flt_all, t)
        except ValidationError:
            cs = None
        if (cs is not None and cs.ashman_d >= params.min_ashman_d
                and params.min_global_fraction <= cs.fraction_low <= 1 - params.min_global_fraction
                and (scale == "grey" or cs.mean_high - cs.mean_low >= params.min_contrast_db)):
            candidates.append((raw_all, flt_all, t, "scene"))
    for raw, flt, thr, source in candidates:
        low = flt < thr
        if low.sum() >= 2 and (~low).sum() >= 2 and raw[low].mean() <= ceiling:
            w, land = raw[low], raw[~low]
            mw, sw, ml, sl = float(w.mean()), max(float(w.std()), 1e-3), float(land.mean()), max(float(land.std()), 1e-3)
            # grey levels carry no dB scale: the classes must also be separated in the *raw*
            # values (speckle sets their spread), not only after filtering, which makes two
            # fields a few dB apart look bimodal
            if scale == "grey" and ashman_d(mw, sw, ml, sl) < params.min_ashman_d:
                continue
            # … and the dark class must be the smoother one: open water spreads by speckle
            # alone, land adds texture (a dry scene's fields against a bright town fail this)
            if scale == "grey" and _mad(w) > params.max_water_spread_ratio * _mad(land):
                continue
            return BandModel(name, float(thr), mw, sw, ml, sl, ashman_d(mw, sw, ml, sl), sel.n_selected, sel.n_tiles,
                             source)
    # No bimodal tile, or its dark mode is not water-dark: keep a water prior and describe
    # land by the rest (a scene without water then yields almost no water evidence instead of
    # splitting land in two).
    return _prior_model(name, raw_all, flt_all, scale, sel.n_selected, sel.n_tiles, params)


def water_log_likelihood_ratio(band: np.ndarray, model: BandModel, clip: float = 8.0) -> np.ndarray:
    """ln N(x|water)/N(x|land) per pixel (nats), clipped to ±``clip``; NaN stays NaN."""
    x = np.asarray(band, dtype=np.float64)
    lw = -0.5 * ((x - model.water_mean_db) / model.water_std_db) ** 2 - np.log(model.water_std_db)
    ll = -0.5 * ((x - model.land_mean_db) / model.land_std_db) ** 2 - np.log(model.land_std_db)
    r = lw - ll
    # the water model is only meaningful on the dark side: a pixel darker than the water
    # mean is water, whatever the land model's tail says
    r = np.where(x < model.water_mean_db, np.maximum(r, 0.0), r)
    return np.clip(r, -clip, clip)


def _nan_gaussian(x: np.ndarray, sigma_px: float) -> np.ndarray:
    ok = np.isfinite(x)
    num = ndi.gaussian_filter(np.where(ok, x, 0.0), sigma_px, mode="reflect")
    den = ndi.gaussian_filter(ok.astype(np.float64), sigma_px, mode="reflect")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    out[~ok] = np.nan
    return out


def _mad(x: np.ndarray) -> float:
    """Robust spread: 1.4826 × median absolute deviation (σ for a Gaussian)."""
    return 1.4826 * float(np.median(np.abs(x - np.median(x))))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.nan_to_num(x, nan=0.0)))


def hysteresis_grow(seeds: np.ndarray, allowed: np.ndarray, connectivity: int = 2) -> np.ndarray:
    """Connected components of ``allowed`` that contain at least one seed (region growing)."""
    structure = ndi.generate_binary_structure(2, connectivity)
    lab, n = ndi.label(allowed, structure)
    keep = np.zeros(n + 1, bool)
    keep[np.unique(lab[seeds & allowed])] = True
    keep[0] = False
    return keep[lab]


def remove_small_objects(mask: np.ndarray, min_pixels: int, connectivity: int = 2) -> np.ndarray:
    """Drop connected components smaller than ``min_pixels``."""
    if min_pixels <= 1:
        return mask.copy()
    lab, n = ndi.label(mask, ndi.generate_binary_structure(2, connectivity))
    sizes = np.bincount(lab.ravel(), minlength=n + 1)
    keep = sizes >= min_pixels
    keep[0] = False
    return keep[lab]


def slope_deg(dem_m: np.ndarray, pixel_spacing_m: float | tuple[float, float]) -> np.ndarray:
    """Terrain slope in degrees from a DEM (central differences)."""
    if isinstance(pixel_spacing_m, tuple):
        dy, dx = pixel_spacing_m
    else:
        dy = dx = float(pixel_spacing_m)
    gy, gx = np.gradient(np.asarray(dem_m, dtype=np.float64), dy, dx)
    return np.degrees(np.arctan(np.hypot(gx, gy)))


def height_above_local_drainage_m(dem_m: np.ndarray, pixel_spacing_m: float, radius_m: float = 1000.0) -> np.ndarray:
    """HAND proxy: elevation above the lowest DEM cell within ``radius_m``.

    True HAND follows the D8 flow path to the nearest drainage cell (Nobre et al. 2011);
    within a flood-plain-scale radius the lowest cell is, in almost all terrain, on that
    drainage, so this is a close, fast (grey-erosion) stand-in. It is an upper bound on the
    true HAND only where the nearest channel lies outside the radius.
    """
    dem = np.asarray(dem_m, dtype=np.float64)
    size = int(max(3, 2 * round(radius_m / pixel_spacing_m) + 1))
    filled = np.where(np.isfinite(dem), dem, np.inf)
    low = ndi.minimum_filter(filled, size=size, mode="nearest")
    out = dem - low
    out[~np.isfinite(dem)] = np.nan
    return out


def _pick(bands: dict[str, np.ndarray], names) -> str | None:
    for n in names:
        if n in bands:
            return n
    return None


def _evidence(bands: dict[str, np.ndarray], models: dict[str, BandModel], names: list[str],
              params: FloodParameters) -> np.ndarray:
    """Summed per-band LLR, rescaled to the number of bands of the post image."""
    llr = np.zeros(next(iter(bands.values())).shape)
    for n in names:
        llr += np.nan_to_num(water_log_likelihood_ratio(bands[n], models[n], params.llr_clip))
    return llr * (len(models) / max(len(names), 1))


def _exclusions(shape, dem_m, hand_m, pixel_spacing_m: float, params: FloodParameters) -> np.ndarray:
    excluded = np.zeros(shape, bool)
    if dem_m is not None:
        dem = np.asarray(dem_m, dtype=np.float64)
        if dem.shape != shape:
            raise ValidationError(f"DEM shape {dem.shape} differs from image {shape}")
        excluded |= slope_deg(dem, pixel_spacing_m) > params.slope_max_deg
        if hand_m is None:
            hand_m = height_above_local_drainage_m(dem, pixel_spacing_m)
    if hand_m is not None:
        hand = np.asarray(hand_m, dtype=np.float64)
        if hand.shape != shape:
            raise ValidationError(f"HAND shape {hand.shape} differs from image {shape}")
        excluded |= np.nan_to_num(hand, nan=0.0) > params.hand_max_m
    return excluded


@dataclass
class _Change:
    """What a pre-event image adds: aligned log-ratio, reference water, double bounce."""

    log_ratio: np.ndarray  # post − pre (dB or grey levels), aligned on stable land
    decrease: np.ndarray  # bool: darkened by ≥ change_fraction × contrast
    p_decrease: np.ndarray  # float: posterior-like strength of the decrease
    pre_water: np.ndarray  # bool
    vegetation: np.ndarray  # bool
    veg_strength: np.ndarray  # float co-pol increase in units of the contrast
    offsets: dict


def _change(bands, filtered, pre, models, names, valid, excluded, sigma_px, params: FloodParameters,
            scale: str) -> _Change:
    shape = valid.shape
    common = [n for n in names if n in pre]
    if not common:
        raise ValidationError(f"pre-event image has none of the polarisations {names}")
    for n in common:
        if pre[n].shape != shape:
            raise ValidationError(f"pre-event band {n} has shape {pre[n].shape}, expected {shape}")
    pre_f = {n: filter_band(pre[n], scale, params) for n in common}
    # align the pre image on land that is dry in both (calibration offsets between dates;
    # independent stretches of grey-level quicklooks)
    offsets = {}
    for n in common:
        stable = (filtered[n] > models[n].threshold_db) & (pre_f[n] > models[n].threshold_db) & valid
        stable &= np.isfinite(filtered[n]) & np.isfinite(pre_f[n])
        offsets[n] = float(np.median(filtered[n][stable] - pre_f[n][stable])) if stable.sum() > 100 else 0.0
    pre_al = {n: pre[n] + offsets[n] for n in common}
    llr_pre = _evidence(pre_al, models, common, params)
    llr_pre_s = _nan_gaussian(np.where(valid, llr_pre, np.nan), sigma_px)
    pre_water = hysteresis_grow((llr_pre_s >= params.seed_llr) & valid, (llr_pre_s >= 0.0) & valid)
    win = int(2 * round(sigma_px) + 1)
    contrast = float(np.mean([models[n].contrast for n in common]))
    lr = np.zeros(shape)
    for n in common:
        lr += _smooth_log(bands[n], win, scale) - _smooth_log(pre_al[n], win, scale)
    lr /= len(common)
    rel = np.nan_to_num(lr, nan=0.0) / contrast
    decrease = rel <= -params.change_fraction
    p_dec = _sigmoid((-rel - params.change_fraction) / (0.25 * params.change_fraction))
    veg = np.zeros(shape, bool)
    veg_strength = np.zeros(shape)
    co, cross = _pick(bands, CO_POL), _pick(bands, CROSS_POL)
    if co is not None and cross is not None and co in pre and cross in pre:
        co_inc = (_smooth_log(bands[co], win, scale) - _smooth_log(pre_al[co], win, scale)) / models[co].contrast
        cr_inc = (_smooth_log(bands[cross], win, scale) - _smooth_log(pre_al[cross], win, scale)) / models[cross].contrast
        co_inc = np.nan_to_num(co_inc, nan=0.0)
        veg = (co_inc >= params.veg_increase_fraction) & \
            (co_inc - np.nan_to_num(cr_inc, nan=0.0) >= params.veg_ratio_increase_fraction) & valid & ~excluded
        veg_strength = co_inc
    return _Change(lr, decrease, p_dec, pre_water, veg, veg_strength, offsets)


def _smooth_log(band: np.ndarray, win: int, scale: str) -> np.ndarray:
    """Multilooked log-domain band: box mean of linear intensity for dB, of the grey level else."""
    if scale == "grey":
        return speckle.nan_box_mean(band, win)
    return speckle.linear_to_db(speckle.nan_box_mean(speckle.db_to_linear(band), win))


def _validate(bands_db, pixel_spacing_m, layover_shadow):
    if not bands_db:
        raise ValidationError("map_floods needs at least one band")
    bands = {n.upper(): np.asarray(v, dtype=np.float64) for n, v in bands_db.items()}
    shape = next(iter(bands.values())).shape
    for n, b in bands.items():
        if b.shape != shape or b.ndim != 2:
            raise ValidationError(f"band {n} has shape {b.shape}, expected 2-D {shape}")
    if pixel_spacing_m <= 0:
        raise ValidationError(f"pixel spacing must be positive, got {pixel_spacing_m}")
    nodata = np.zeros(shape, bool)
    for b in bands.values():
        nodata |= ~np.isfinite(b)
    if layover_shadow is not None:
        nodata |= np.asarray(layover_shadow, bool)
    if nodata.all():
        raise ValidationError("no valid pixel in the input")
    return bands, shape, nodata


def map_floods(
    bands_db: dict[str, np.ndarray],
    pixel_spacing_m: float = 10.0,
    *,
    pre_bands_db: dict[str, np.ndarray] | None = None,
    dem_m: np.ndarray | None = None,
    hand_m: np.ndarray | None = None,
    permanent_water: np.ndarray | None = None,
    layover_shadow: np.ndarray | None = None,
    params: FloodParameters | None = None,
    scale: str = "db",
) -> FloodResult:
    """Classify a scene into dry / open flood / permanent water / flooded vegetation / no data.

    Parameters
    ----------
    bands_db : ``{"VV": band, "VH": band, ...}`` on one grid (any of VV, VH, HH, HV, or other
        names, taken as co-pol); σ⁰ in dB, or grey levels with ``scale="grey"``.
    pixel_spacing_m : ground pixel spacing, used to turn the metre parameters into pixels.
    pre_bands_db : the same polarisations of a co-registered pre-event acquisition (same scale).
    dem_m, hand_m : optional DEM / HAND on the same grid (exclusion of slopes and high ground).
    permanent_water : optional boolean reference water mask (e.g. a water-body layer).
    layover_shadow : optional boolean mask of radar layover/shadow (set to no data).
    scale : ``"db"`` (calibrated) or ``"grey"`` (uncalibrated grey levels: relative statistics only).
    """
    params = params or FloodParameters()
    scale = _check_scale(scale)
    bands, shape, nodata = _validate(bands_db, pixel_spacing_m, layover_shadow)
    names = list(bands)
    valid = ~nodata
    filtered = {n: filter_band(np.where(valid, bands[n], np.nan), scale, params) for n in names}
    models = {n: fit_band_model(np.where(valid, bands[n], np.nan), n, pixel_spacing_m, params, scale, filtered[n])
              for n in names}
    llr = _evidence(bands, models, names, params)
    llr[nodata] = np.nan
    sigma_px = _px(params.smoothing_m, pixel_spacing_m, 0.5)
    llr_s = np.nan_to_num(_nan_gaussian(llr, sigma_px), nan=-np.inf)
    excluded = _exclusions(shape, dem_m, hand_m, pixel_spacing_m, params)
    allowed = valid & ~excluded

    # classifier a: Bayes with spatial context
    vote_a = (llr_s >= 0.0) & allowed
    p_a = _sigmoid(llr_s)
    # classifier b: region growing from confident seeds
    vote_b = hysteresis_grow((llr_s >= params.seed_llr) & allowed, (llr_s >= params.grow_llr) & allowed)
    p_b = np.where(vote_b, np.maximum(p_a, 0.5), np.minimum(p_a, 0.5))
    # classifier c: split-based threshold, or change detection with a pre-event image
    chg = None
    diagnostics: dict = {"scale": scale}
    if pre_bands_db is not None:
        pre = {n.upper(): np.asarray(v, dtype=np.float64) for n, v in pre_bands_db.items()}
        chg = _change(bands, filtered, pre, models, names, valid, excluded, sigma_px, params, scale)
        not_land = llr_s >= params.grow_llr
        vote_c = ((chg.decrease & not_land) | (chg.pre_water & (llr_s >= 0.0))) & allowed
        p_c = np.where(chg.pre_water, p_a, np.minimum(chg.p_decrease, _sigmoid(llr_s - params.grow_llr)))
        diagnostics.update({"change_reference": True, "pre_alignment": chg.offsets})
    else:
        frac = np.zeros(shape)
        for n in names:
            frac += np.nan_to_num(_nan_gaussian(filtered[n], sigma_px), nan=np.inf) < models[n].threshold_db
        frac /= len(names)
        vote_c = (frac >= 0.5) & allowed
        p_c = frac
    votes = vote_a.astype(np.uint8) + vote_b + vote_c
    min_px = int(round(params.min_mapping_unit_m2 / (pixel_spacing_m**2)))
    if chg is None:
        # the three classifiers all read the one image and err together: unanimous seeds grown
        # through pixels any of them supports (hysteresis on the vote count)
        water = hysteresis_grow(votes >= 3, votes >= 1)
    else:
        # change detection is independent evidence: a plain majority
        water = votes >= params.min_votes
    water = remove_small_objects(water, min_px)
    likelihood = (p_a + p_b + p_c) / 3.0

    classes = np.zeros(shape, np.uint8)
    perm = np.zeros(shape, bool)
    if permanent_water is not None:
        pw = np.asarray(permanent_water, bool)
        if pw.shape != shape:
            raise ValidationError(f"permanent-water mask shape {pw.shape} differs from image {shape}")
        perm |= pw
    veg = np.zeros(shape, bool)
    if chg is not None:
        perm |= chg.pre_water
        veg = remove_small_objects(chg.vegetation & ~water, min_px)
    classes[water] = CLASS_OPEN_FLOOD
    classes[water & perm] = CLASS_PERMANENT_WATER
    classes[veg] = CLASS_FLOODED_VEGETATION
    classes[nodata] = CLASS_NODATA

    confidence = np.where(water, likelihood, 1.0 - likelihood)
    if chg is not None and veg.any():
        strength = np.clip(chg.veg_strength / params.veg_increase_fraction - 1.0, 0.0, 1.0)
        confidence = np.where(veg, 0.5 + 0.5 * strength, confidence)
    confidence = confidence.astype(np.float32)
    confidence[nodata] = np.nan
    pw32 = likelihood.astype(np.float32)
    pw32[nodata] = np.nan
    votes = votes.astype(np.uint8)
    votes[nodata] = 0
    diagnostics.update({"smoothing_sigma_px": sigma_px, "min_mapping_unit_px": min_px,
                        "excluded_pixels": int(excluded.sum())})
    return FloodResult(classes, confidence, pw32, models, params, chg.log_ratio if chg is not None else None,
                       diagnostics, votes)
