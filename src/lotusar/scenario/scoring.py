"""Flood-map scoring against the scenario truth (independent of the flood mapper's code).

The truth classes (synthetic scene GeoTIFF) are resampled by nearest neighbour onto the flood
map's grid; IoU = |mapped ∩ truth| / |mapped ∪ truth| for open flood water, over the pixels
that both the flood map (≠ 255) and the truth scene cover. Permanent water is scored apart.
"""

from __future__ import annotations

import numpy as np
import rasterio
from rasterio.warp import Resampling, reproject


def truth_on_grid(truth_path, like_path) -> np.ndarray:
    """Truth classes resampled (nearest neighbour) onto the grid of the raster at ``like_path``."""
    with rasterio.open(like_path) as like, rasterio.open(truth_path) as tr:
        out = np.full((like.height, like.width), 255, np.uint8)
        reproject(tr.read(1), out, src_transform=tr.transform, src_crs=tr.crs, src_nodata=255,
                  dst_transform=like.transform, dst_crs=like.crs, dst_nodata=255, resampling=Resampling.nearest)
    return out


def flood_iou(flood_path, truth_path, flooded_class_truth: int = 1, permanent_class_truth: int = 2) -> dict:
    """IoU of open flood water (map class 1 [+3 flooded vegetation]) vs truth class 1."""
    with rasterio.open(flood_path) as ds:
        cls = ds.read(1)
        px_area_m2 = abs(ds.transform.a * ds.transform.e)
    truth = truth_on_grid(truth_path, flood_path)
    valid = (cls != 255) & (truth != 255)
    pred = np.isin(cls, (1, 3)) & valid
    true = (truth == flooded_class_truth) & valid
    inter, union = int(np.count_nonzero(pred & true)), int(np.count_nonzero(pred | true))
    pw_pred = (cls == 2) & valid
    pw_true = (truth == permanent_class_truth) & valid
    return {
        "iou": float(inter / union) if union else float("nan"),
        "precision": inter / max(1, int(np.count_nonzero(pred))),
        "recall": inter / max(1, int(np.count_nonzero(true))),
        "permanent_water_iou": int(np.count_nonzero(pw_pred & pw_true)) / max(1, int(np.count_nonzero(pw_pred | pw_true))),
        "valid_km2": float(valid.sum() * px_area_m2 / 1e6),
        "mapped_flood_km2": float(pred.sum() * px_area_m2 / 1e6),
        "truth_flood_km2": float(true.sum() * px_area_m2 / 1e6),
    }
