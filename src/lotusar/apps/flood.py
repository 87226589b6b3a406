"""Flood and surface-water mapping from σ⁰/γ⁰ backscatter (pure functions over arrays).

Physics. Calm open water is a specular reflector: almost no energy returns to a side-looking
radar, so water is the dark mode of the σ⁰ histogram in both co-pol (VV/HH) and cross-pol
(VH/HV). Wind roughening and speckle blur the two modes, so a single global threshold is
poor (plain Otsu on the Sen1Floods11 Spain chip: IoU 0.57). This module follows the
split-based approach of the operational mappers (Martinis et al. 2009, 2015; Chini et al.
2017 HSBA; the Copernicus GFM ensemble; UN-SPIDER recommended practice):

1. **Class models from bimodal tiles.** For every polarisation, tiles of ``tile_size_m`` are
   Lee-filtered and tested for bimodality (Ashman's D, both classes present). The raw dB
   pixels of the selected tiles are pooled and split with the Kittler–Illingworth / Otsu
   threshold; each side gives a Gaussian (in dB) model of water and of land.
2. **Evidence.** Per pixel and polarisation the log-likelihood ratio
   ``ln N(x|water)/N(x|land)`` is computed; polarisations add (naive Bayes), clipped to
   ±``llr_clip`` so a corner reflector cannot dominate its neighbourhood.
3. **Spatial context.** The evidence is averaged with a Gaussian of ``smoothing_m``
   (a mean-field stand-in for an MRF prior: neighbours of water are likely water), which
   suppresses speckle without losing the field boundaries a boxcar would blur.
4. **Region growing.** Seeds where the smoothed evidence is strong (≥ ``seed_llr``) are grown
   by hysteresis into connected pixels with evidence ≥ ``grow_llr``; objects below the
   minimum mapping unit are dropped.
5. **Exclusions.** Steep slopes and high terrain above drainage (HAND, Nobre et al. 2011;
   UN-SPIDER uses HAND > 15 m, slope > 5°) cannot hold flood water; radar shadow/layover
   pixels are no data.
6. **Change against a pre-event image.** With a reference: water in both → permanent water;
   a strong backscatter decrease (log-ratio ≤ ``change_db``) supports flooding; a co-pol
   *increase* with a co-/cross-pol ratio increase is the double-bounce signature of
   **flooded vegetation** (water under a canopy: trunk–water dihedral), Pulvirenti et al. 2011.

The classified output uses ``CLASS_*``: 0 dry, 1 open flood water, 2 permanent water,
3 flooded vegetation, 255 no data.
"""

from __future__ import annotations

from dataclasses import dataclass, field, asdict

import numpy as np
from scipy import ndimage as ndi

from lotusar.errors import ValidationError
from lotusar.apps import speckle
from lotusar.apps.thresholds import ClassStats, split_based_threshold

__all__ = [
    "CLASS_DRY",
    "CLASS_OPEN_FLOOD",
    "CLASS_PERMANENT_WATER",
    "CLASS_FLOODED_VEGETATION",
    "CLASS_NODATA",
    "CLASS_NAMES",
    "FloodParameters",
    "BandModel",
    "FloodResult",
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


@dataclass(frozen=True)
class FloodParameters:
    """Physically motivated defaults (none fitted to a labelled chip)."""

    tile_size_m: float = 640.0  # ~64 px at 10 m: several fields, small enough to be bimodal
    threshold_method: str = "otsu"  # 'otsu' | 'ki' | 'em' on the pooled bimodal tiles
    min_ashman_d: float = 2.0  # Ashman et al. 1994: D > 2 ⇒ separated modes
    min_class_fraction: float = 0.1  # each class holds ≥ 10 % of a selected tile
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
    change_db: float = -3.0  # post/pre decrease that supports open flooding
    veg_increase_db: float = 3.0  # co-pol increase for double bounce
    veg_ratio_increase_db: float = 1.0  # co/cross ratio increase for double bounce
    # Open water is darker than these C-band levels (S1 IW; calm to moderately wind-roughened
    # water: VV ≈ −18…−25 dB, VH ≈ −25…−32 dB). A "dark class" above them is not water (dark
    # fields vs. bright urban, say), and the band falls back to the prior water model.
    water_ceiling_co_db: float = -15.0
    water_ceiling_cross_db: float = -22.0
    prior_water_co_db: tuple[float, float] = (-20.0, 4.0)  # mean, std
    prior_water_cross_db: tuple[float, float] = (-27.0, 4.0)


@dataclass(frozen=True)
class BandModel:
    """Gaussian (dB) water and land models of one polarisation."""

    band: str
    threshold_db: float
    water_mean_db: float
    water_std_db: float
    land_mean_db: float
    land_std_db: float
    ashman_d: float
    tiles_selected: int
    tiles_total: int
    source: str = "bimodal-tiles"  # or "prior" when the scene shows no usable water mode


@dataclass
class FloodResult:
    classes: np.ndarray  # uint8
    confidence: np.ndarray  # float32 in [0, 1]; NaN on no data
    water_probability: np.ndarray  # float32 posterior of water (post-event image)
    models: dict[str, BandModel]
    parameters: FloodParameters
    log_ratio_db: np.ndarray | None = None
    diagnostics: dict = field(default_factory=dict)

    def summary(self, pixel_area_m2: float | np.ndarray | None = None) -> dict:
        valid = self.classes != CLASS_NODATA
        out = {"pixels_valid": int(valid.sum()), "classes": {}}
        for k, name in CLASS_NAMES.items():
            m = self.classes == k
            entry = {"pixels": int(m.sum())}
            if pixel_area_m2 is not None:
                a = pixel_area_m2 if np.isscalar(pixel_area_m2) else np.asarray(pixel_area_m2)
                entry["area_km2"] = float((m * a).sum() / 1e6) if not np.isscalar(a) else float(m.sum() * a / 1e6)
            out["classes"][name] = entry
        out["models"] = {k: asdict(v) for k, v in self.models.items()}
        out["parameters"] = asdict(self.parameters)
        out.update(self.diagnostics)
        return out


def _px(length_m: float, pixel_spacing_m: float, minimum: float = 1.0) -> float:
    return max(minimum, float(length_m) / float(pixel_spacing_m))


def fit_band_model(band_db: np.ndarray, name: str, pixel_spacing_m: float, params: FloodParameters) -> BandModel:
    """Water/land Gaussian models of one band from its bimodal tiles (split-based)."""
    band_db = np.asarray(band_db, dtype=np.float64)
    filt_db = speckle.linear_to_db(speckle.lee_filter(speckle.db_to_linear(band_db), params.tile_filter_px, params.enl))
    ts_px = int(round(_px(params.tile_size_m, pixel_spacing_m, 16)))
    cross = name.upper() in CROSS_POL
    ceiling = params.water_ceiling_cross_db if cross else params.water_ceiling_co_db
    sel = split_based_threshold(filt_db, ts_px, params.threshold_method, params.min_ashman_d, params.min_class_fraction,
                                min_separation=params.min_contrast_db)
    # The threshold comes from the filtered pooled histogram (speckle-reduced modes are close
    # to Gaussian, as KI and Otsu assume); the class models describe the *raw* dB pixels on
    # each side, since that is the spread the per-pixel likelihood must describe.
    if sel.n_selected:
        mask = np.kron(sel.selected, np.ones((sel.tile_size_px, sel.tile_size_px), bool))
        full = np.zeros(band_db.shape, bool)
        full[: mask.shape[0], : mask.shape[1]] = mask
    else:
        full = np.ones(band_db.shape, bool)
    full &= np.isfinite(band_db) & np.isfinite(filt_db)
    raw, flt = band_db[full], filt_db[full]
    low = flt < sel.threshold
    if sel.n_selected and low.sum() >= 2 and (~low).sum() >= 2 and raw[low].mean() <= ceiling:
        w, l = raw[low], raw[~low]
        cs = ClassStats(sel.threshold, float(w.mean()), float(w.std()), float(l.mean()), float(l.std()),
                        float(low.mean()))
        return BandModel(name, cs.threshold, cs.mean_low, max(cs.std_low, 0.1), cs.mean_high,
                         max(cs.std_high, 0.1), cs.ashman_d, sel.n_selected, sel.n_tiles)
    # No bimodal tile, or its dark mode is not water-dark: keep the physical prior for water
    # and describe land by the pixels above the water ceiling (a scene without water then
    # yields almost no water evidence instead of splitting land in two).
    mu_w, sd_w = params.prior_water_cross_db if cross else params.prior_water_co_db
    allraw = band_db[np.isfinite(band_db) & np.isfinite(filt_db)]
    allflt = filt_db[np.isfinite(band_db) & np.isfinite(filt_db)]
    land = allraw[allflt >= ceiling]
    if land.size < 2:
        land = allraw
    mu_l, sd_l = float(land.mean()), max(float(land.std()), 0.1)
    from lotusar.apps.thresholds import ashman_d as _ad

    return BandModel(name, float(ceiling), mu_w, sd_w, mu_l, sd_l, _ad(mu_w, sd_w, mu_l, sd_l), sel.n_selected,
                     sel.n_tiles, "prior")


def water_log_likelihood_ratio(band_db: np.ndarray, model: BandModel, clip: float = 8.0) -> np.ndarray:
    """ln N(x|water)/N(x|land) per pixel (nats), clipped to ±``clip``; NaN stays NaN."""
    x = np.asarray(band_db, dtype=np.float64)
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
    dy, dx = (pixel_spacing_m, pixel_spacing_m) if np.isscalar(pixel_spacing_m) else pixel_spacing_m
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
) -> FloodResult:
    """Classify a scene into dry / open flood / permanent water / flooded vegetation / no data.

    Parameters
    ----------
    bands_db : ``{"VV": σ⁰ dB, "VH": σ⁰ dB, ...}`` on one grid (any of VV, VH, HH, HV).
    pixel_spacing_m : ground pixel spacing, used to turn the metre parameters into pixels.
    pre_bands_db : the same polarisations of a co-registered pre-event acquisition.
    dem_m, hand_m : optional DEM / HAND on the same grid (exclusion of slopes and high ground).
    permanent_water : optional boolean reference water mask (e.g. a water-body layer).
    layover_shadow : optional boolean mask of radar layover/shadow (set to no data).
    """
    params = params or FloodParameters()
    if not bands_db:
        raise ValidationError("map_floods needs at least one band")
    names = [n.upper() for n in bands_db]
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

    models = {n: fit_band_model(bands[n], n, pixel_spacing_m, params) for n in names}
    llr = np.zeros(shape)
    for n in names:
        llr += np.nan_to_num(water_log_likelihood_ratio(bands[n], models[n], params.llr_clip))
    llr[nodata] = np.nan
    sigma_px = _px(params.smoothing_m, pixel_spacing_m, 0.5)
    llr_s = _nan_gaussian(llr, sigma_px)

    # exclusions from terrain
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

    valid = ~nodata
    seeds = (llr_s >= params.seed_llr) & valid & ~excluded
    grow_ok = (llr_s >= params.grow_llr) & valid & ~excluded

    log_ratio = None
    veg = np.zeros(shape, bool)
    pre_water = np.zeros(shape, bool)
    diagnostics: dict = {}
    if pre_bands_db is not None:
        pre = {n.upper(): np.asarray(v, dtype=np.float64) for n, v in pre_bands_db.items()}
        common = [n for n in names if n in pre]
        if not common:
            raise ValidationError(f"pre-event image has none of the polarisations {names}")
        for n in common:
            if pre[n].shape != shape:
                raise ValidationError(f"pre-event band {n} has shape {pre[n].shape}, expected {shape}")
        # the post-event class models applied to the reference (same sensor and geometry)
        llr_pre = np.zeros(shape)
        for n in common:
            llr_pre += np.nan_to_num(water_log_likelihood_ratio(pre[n], models[n], params.llr_clip))
        llr_pre *= len(names) / len(common)
        llr_pre_s = _nan_gaussian(np.where(nodata, np.nan, llr_pre), sigma_px)
        pre_water = hysteresis_grow((llr_pre_s >= params.seed_llr) & valid, (llr_pre_s >= params.grow_llr) & valid)
        # log-ratio of smoothed linear intensity, averaged over the common polarisations
        win = int(2 * round(sigma_px) + 1)
        lr = np.zeros(shape)
        for n in common:
            post_l = speckle.nan_box_mean(speckle.db_to_linear(bands[n]), win)
            pre_l = speckle.nan_box_mean(speckle.db_to_linear(pre[n]), win)
            lr += speckle.linear_to_db(post_l) - speckle.linear_to_db(pre_l)
        log_ratio = lr / len(common)
        # a strong decrease adds seeds and may extend growth into moderately dark pixels
        decrease = np.nan_to_num(log_ratio, nan=0.0) <= params.change_db
        seeds |= decrease & (llr_s >= 0) & valid & ~excluded
        grow_ok |= decrease & (llr_s >= params.grow_llr - 2.0) & valid & ~excluded
        co, cross = _pick(bands, CO_POL), _pick(bands, CROSS_POL)
        if co is not None and co in pre:
            co_inc = speckle.linear_to_db(speckle.nan_box_mean(speckle.db_to_linear(bands[co]), win)) - \
                speckle.linear_to_db(speckle.nan_box_mean(speckle.db_to_linear(pre[co]), win))
            veg = np.nan_to_num(co_inc, nan=0.0) >= params.veg_increase_db
            if cross is not None and cross in pre:
                cr_inc = speckle.linear_to_db(speckle.nan_box_mean(speckle.db_to_linear(bands[cross]), win)) - \
                    speckle.linear_to_db(speckle.nan_box_mean(speckle.db_to_linear(pre[cross]), win))
                veg &= np.nan_to_num(co_inc - cr_inc, nan=0.0) >= params.veg_ratio_increase_db
            veg &= valid & ~excluded
        diagnostics["change_reference"] = True

    water = hysteresis_grow(seeds, grow_ok)
    min_px = int(round(params.min_mapping_unit_m2 / (pixel_spacing_m**2)))
    water = remove_small_objects(water, min_px)

    classes = np.zeros(shape, np.uint8)
    perm = np.zeros(shape, bool)
    if permanent_water is not None:
        pw = np.asarray(permanent_water, bool)
        if pw.shape != shape:
            raise ValidationError(f"permanent-water mask shape {pw.shape} differs from image {shape}")
        perm |= pw
    perm |= pre_water
    classes[water] = CLASS_OPEN_FLOOD
    classes[water & perm] = CLASS_PERMANENT_WATER
    veg = remove_small_objects(veg & ~water, min_px)
    classes[veg] = CLASS_FLOODED_VEGETATION
    classes[nodata] = CLASS_NODATA

    with np.errstate(over="ignore"):
        p_water = 1.0 / (1.0 + np.exp(-np.nan_to_num(llr_s, nan=0.0)))
    confidence = np.where(water, p_water, 1.0 - p_water)
    if veg.any() and log_ratio is not None:
        confidence = np.where(veg, 0.5 + 0.5 * np.clip((co_inc - params.veg_increase_db) / params.veg_increase_db, 0, 1),
                              confidence)
    confidence = confidence.astype(np.float32)
    confidence[nodata] = np.nan
    pw32 = p_water.astype(np.float32)
    pw32[nodata] = np.nan
    diagnostics.update({"smoothing_sigma_px": sigma_px, "min_mapping_unit_px": min_px,
                        "excluded_pixels": int(excluded.sum())})
    return FloodResult(classes, confidence, pw32, models, params, log_ratio, diagnostics)
