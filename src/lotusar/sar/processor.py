"""Orchestration: raw Dataset -> FocusParams -> focused SLC Dataset (+ quicklook), GeoTIFF export.

Kept apart from the algorithms (:mod:`lotusar.sar.focus`), which only see arrays and a
parameter object, so that readers of real raw formats can call them directly.
"""

from __future__ import annotations

import numpy as np
import rasterio
import xarray as xr
from matplotlib.figure import Figure

from lotusar.constants import SPEED_OF_LIGHT_M_S as C
from lotusar.errors import ValidationError
from lotusar.fileio import atomic_path
from lotusar.geodesy import local_up
from lotusar.sar.focus import FocusParams, focus
from lotusar.sar.model import orbit_of, zero_doppler_ground_points
from lotusar.sar.readers.apps import estimate
from lotusar.sar.readers.doppler import DopplerEstimate, processing_attrs
from lotusar.xp import device_namespace, to_numpy


def params_from_raw(ds: xr.Dataset, window: str | None = None) -> FocusParams:
    """FocusParams from the attributes of a raw Dataset (``window`` overrides the recorded one)."""
    a = ds.attrs
    w = window or a.get("window", "none")
    at = np.asarray(ds["azimuth_time"].values, float)
    ft = np.asarray(ds["fast_time"].values, float)
    poly = np.atleast_1d(np.asarray(a.get("doppler_centroid_poly_hz", [a.get("doppler_centroid_hz", 0.0)]), float))
    return FocusParams(
        carrier_hz=float(a["carrier_hz"]), range_sampling_rate_hz=float(a["range_sampling_rate_hz"]), prf_hz=float(a["prf_hz"]),
        chirp_rate_hz_s=float(a["chirp_rate_hz_s"]), pulse_length_s=float(a["pulse_length_s"]),
        range_bandwidth_hz=float(a["range_bandwidth_hz"]), fast_time0_s=float(ft[0]), azimuth_time0_s=float(at[0]),
        sv=orbit_of(ds), look_side=str(a["look_side"]), scene_height_m=float(a.get("scene_height_m", 0.0)),
        doppler_poly_hz=poly, doppler_ref_range_m=float(a.get("doppler_centroid_ref_range_m", C / 2 * ft[len(ft) // 2])),
        azimuth_bandwidth_hz=float(a["azimuth_bandwidth_hz"]) if "azimuth_bandwidth_hz" in a else None,
        range_window=w, azimuth_window=w,
        window_coefficient=float(a["window_coefficient"]) if "window_coefficient" in a else None,
        bistatic=bool(int(a.get("bistatic", 1))),
        slc_time0_s=float(a["slc_first_azimuth_time_s"]) if "slc_first_azimuth_time_s" in a else None,
        slc_lines=int(a["slc_azimuth_lines"]) if "slc_azimuth_lines" in a else None,
        slc_range0_m=float(a["slc_first_slant_range_m"]) if "slc_first_slant_range_m" in a else None,
        slc_samples=int(a["slc_range_samples"]) if "slc_range_samples" in a else None,
        antenna_length_m=float(a["antenna_length_m"]) if "antenna_length_m" in a else None,
    )


def estimate_doppler(ds: xr.Dataset) -> DopplerEstimate:
    """Doppler centroid of a raw Dataset from its echoes: the one estimator
    (:func:`lotusar.sar.readers.doppler.estimate_doppler_centroid`: ACCC per range block, the
    ambiguity by MLCC and the focus contrast of the range-Doppler image)."""
    return estimate(ds)


def focus_dataset(ds: xr.Dataset, algorithm: str = "rda", device: str = "cpu", window: str | None = None,
                  doppler: str = "auto", progress=None) -> xr.Dataset:
    """Focus a raw Dataset into an SLC Dataset (zero-Doppler grid recorded in the raw file)."""
    xp = device_namespace(device)
    if doppler not in ("auto", "data", "geometry"):
        raise ValidationError(f"--doppler must be auto, data or geometry, got {doppler!r}")
    est = None
    has_geometry = "doppler_centroid_poly_hz" in ds.attrs or "doppler_centroid_hz" in ds.attrs
    if doppler == "data" or (doppler == "auto" and not has_geometry):
        est = estimate(ds)
        if "slc_first_azimuth_time_s" not in ds.attrs:  # no recorded grid: the zero-Doppler one of read-raw
            ds = ds.assign_attrs(processing_attrs(ds, est))
    p = params_from_raw(ds, window)
    raw = ds["echoes"].values
    p = p.with_default_grid(*raw.shape)
    if est is not None:
        p.doppler_poly_hz = np.array([est.slope_hz_per_m, est.centroid_hz])
        p.doppler_ref_range_m = est.reference_range_m
    slc, model = focus(raw, p, algorithm, xp=xp, progress=progress)
    slc = to_numpy(slc).astype(np.complex64, copy=False)
    lam = p.wavelength_m
    r_mid, v_mid = p.sv.interpolate(np.array(model.mid_time_s))
    pt_mid = zero_doppler_ground_points(p.sv, model.mid_time_s, np.array([model.ref_range_m]), p.look_side, p.scene_height_m)[0]
    up = local_up(pt_mid)
    los = r_mid - pt_mid
    inc = float(np.degrees(np.arccos(np.dot(up, los) / np.linalg.norm(los))))
    t = p.slc_time0_s + np.arange(p.slc_lines) / p.prf_hz
    r = p.slc_range0_m + np.arange(p.slc_samples) * p.range_spacing_m
    keep = [v for v in ds.data_vars if v.startswith("target_") or v.startswith("orbit_")]
    out = ds[keep].copy()
    out = out.assign_coords(azimuth_time=("azimuth_time", t, {"units": "s", "long_name": "zero-Doppler time since reference_epoch_utc"}),
                            slant_range=("slant_range", r, {"units": "m", "long_name": "zero-Doppler slant range"}))
    out["slc"] = (("azimuth_time", "slant_range"), slc)
    attrs = {k: v for k, v in ds.attrs.items() if not k.startswith("slc_") and k not in ("product_type", "format_version")}
    attrs.update(
        algorithm=algorithm, device=device, range_window=p.range_window, azimuth_window=p.azimuth_window,
        window_coefficient=p.window_coefficient if p.window_coefficient is not None else 0.0,
        processed_range_bandwidth_hz=p.range_bandwidth_hz,
        processed_azimuth_bandwidth_hz=p.azimuth_bandwidth_hz or 0.8 * p.prf_hz,
        doppler_centroid_hz=float(model.fdc_ref_hz), doppler_centroid_poly_hz=np.asarray(p.doppler_poly_hz, float),
        doppler_centroid_ref_range_m=p.doppler_ref_range_m, doppler_source="data" if est is not None else "geometry",
        azimuth_time_interval_s=1.0 / p.prf_hz, range_pixel_spacing_m=p.range_spacing_m,
        azimuth_pixel_spacing_m=model.ground_velocity_m_s / p.prf_hz, ground_velocity_m_s=model.ground_velocity_m_s,
        effective_velocity_m_s=model.vr_ref_m_s, platform_velocity_m_s=float(np.linalg.norm(v_mid)),
        azimuth_fm_rate_hz_s=float(2 * model.vr_ref_m_s**2 / (lam * model.ref_range_m)),
        incidence_angle_mid_deg=inc, first_slant_range_m=float(r[0]), first_azimuth_time_s=float(t[0]),
        phase_convention="arg(sigma) - 4 pi R0 / lambda",
    )
    if est is not None:
        attrs["doppler_ambiguity"] = int(est.ambiguity)
        attrs["doppler_centroid_blocks_hz"] = np.asarray(est.block_centroid_hz, float)
    out.attrs = attrs
    return out


def quicklook_png(ds: xr.Dataset, path, max_size: int = 1024) -> None:
    """Multilooked (to ~square ground pixels) dB quicklook, azimuth down, range across."""
    slc = ds["slc"].values
    inc = float(ds.attrs.get("incidence_angle_mid_deg", 35.0))
    gr = float(ds.attrs["range_pixel_spacing_m"]) / np.sin(np.radians(inc))
    az = float(ds.attrs["azimuth_pixel_spacing_m"])
    la = max(1, int(round(gr / az))) if gr > az else 1
    lr = max(1, int(round(az / gr))) if az > gr else 1
    extra = max(1, int(np.ceil(max(slc.shape[0] / la, slc.shape[1] / lr) / max_size)))
    la, lr = la * extra, lr * extra
    na, nr = (slc.shape[0] // la) * la, (slc.shape[1] // lr) * lr
    inten = (np.abs(slc[:na, :nr]) ** 2).reshape(na // la, la, nr // lr, lr).mean(axis=(1, 3))
    db = 10 * np.log10(inten + 1e-30)
    vmax = np.percentile(db, 99.9)
    fig = Figure(figsize=(8, 8 * db.shape[0] / max(db.shape[1], 1) + 0.8))
    ax = fig.subplots()
    ax.imshow(db, cmap="gray", vmin=vmax - 40, vmax=vmax, aspect="auto")
    ax.set_title(f"{ds.attrs.get('algorithm', '')} SLC, {la}x{lr} looks (dB)")
    ax.set_xlabel("slant range (multilooked px)")
    ax.set_ylabel("azimuth (multilooked px)")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")


def export_gtiff(ds: xr.Dataset, path) -> None:
    """CFloat32 GeoTIFF (rows azimuth, columns slant range) with pixel-spacing tags."""
    slc = ds["slc"].values.astype(np.complex64)
    tags = {"RANGE_PIXEL_SPACING_M": repr(float(ds.attrs["range_pixel_spacing_m"])),
            "AZIMUTH_PIXEL_SPACING_M": repr(float(ds.attrs["azimuth_pixel_spacing_m"])),
            "FIRST_SLANT_RANGE_M": repr(float(ds["slant_range"].values[0])),
            "FIRST_AZIMUTH_TIME_S": repr(float(ds["azimuth_time"].values[0])),
            "REFERENCE_EPOCH_UTC": str(ds.attrs.get("reference_epoch_utc", "")),
            "CARRIER_HZ": repr(float(ds.attrs["carrier_hz"])), "ALGORITHM": str(ds.attrs.get("algorithm", ""))}
    with atomic_path(path) as tmp:
        with rasterio.open(tmp, "w", driver="GTiff", width=slc.shape[1], height=slc.shape[0], count=1,
                           dtype="complex64", tiled=True, blockxsize=256, blockysize=256) as dst:
            dst.write(slc, 1)
            dst.update_tags(**tags)
