"""Raw-echo and SLC files: HDF5 (h5netcdf / xarray), every dataset Fletcher-32 checksummed.

Raw file (``product_type = "lotusar-raw"``)
    ``echoes``: complex64 (azimuth_time, fast_time) stored natively as HDF5 compound {r, i}
    (h5netcdf ``invalid_netcdf=True``), or, when quantised, ``echoes_iq`` int8
    (azimuth_time, fast_time, iq=2) with ``echo_scale`` float32 (azimuth_time, scale_block): the
    decoded sample is iq * scale of its block (``baq_block_samples`` along fast time; one block
    spanning the line for uniform quantisation). Coordinates: ``azimuth_time`` (s since attr
    ``reference_epoch_utc``, pulse transmit times), ``fast_time`` (two-way slant-range time of
    each sample, s), ``orbit_time`` with ``orbit_position``/``orbit_velocity`` (ITRS, m, m/s),
    truth ``target_*`` on dim ``target``. Attributes: all sensor values (see :data:`RAW_ATTRS`).
SLC file (``product_type = "lotusar-slc"``)
    ``slc``: complex64 (azimuth_time [s since reference_epoch_utc, zero-Doppler], slant_range [m]),
    same orbit and target variables plus truth ``target_azimuth_time``/``target_slant_range_m``,
    processing parameters in attributes (:data:`SLC_ATTRS`). Phase convention: a point target
    at zero-Doppler range R0 has phase arg(sigma) - 4 pi R0 / lambda (ISCE3 convention).

Reading checks structure, attributes, sizes and checksums; any problem is one
:class:`~lotusar.errors.InputFormatError` naming the file and the field.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import xarray as xr

from lotusar.errors import InputFormatError
from lotusar.fileio import atomic_path
from lotusar.timeutil import parse_datetime64

FORMAT_VERSION = 1

RAW_ATTRS = (
    "product_type", "format_version", "reference_epoch_utc", "carrier_hz", "range_sampling_rate_hz", "prf_hz",
    "chirp_rate_hz_s", "pulse_length_s", "range_bandwidth_hz", "look_side", "squint_deg", "look_angle_deg",
    "antenna_length_m", "antenna_height_m", "quantisation_bits", "quantisation", "window",
)
SLC_ATTRS = (
    "product_type", "format_version", "reference_epoch_utc", "carrier_hz", "range_sampling_rate_hz", "prf_hz",
    "look_side", "range_pixel_spacing_m", "azimuth_pixel_spacing_m", "processed_range_bandwidth_hz",
    "processed_azimuth_bandwidth_hz", "doppler_centroid_hz", "range_window", "azimuth_window", "algorithm",
)


def _clean_attrs(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, (bool, np.bool_)):
            v = int(v)
        elif isinstance(v, np.datetime64):
            v = str(v)
        elif v is None:
            continue
        out[k] = v
    return out


def _write(ds: xr.Dataset, path, big_vars: dict[str, tuple]) -> Path:
    ds = ds.copy()
    ds.attrs = _clean_attrs(ds.attrs)
    for name in ds.variables:
        ds[name].attrs = _clean_attrs(ds[name].attrs)
    encoding = {name: {"fletcher32": True} for name in ds.data_vars}
    for name, chunks in big_vars.items():
        encoding[name] = {"fletcher32": True, "chunksizes": chunks}
    for name in ds.coords:
        if ds[name].dtype.kind in "fiu" and ds[name].ndim == 1:
            encoding[name] = {"fletcher32": True}
    with atomic_path(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=True, encoding=encoding)
    return Path(path)


def _chunks(shape) -> tuple:
    return tuple(int(min(s, c)) for s, c in zip(shape, (256, 2048, 2)))


def write_raw(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write a raw-echo Dataset (``echoes`` complex64, or ``echoes_iq`` int8 + ``echo_scale``)."""
    ds = ds.copy()
    ds.attrs["product_type"] = "lotusar-raw"
    ds.attrs["format_version"] = FORMAT_VERSION
    if "echoes_iq" in ds:
        if "echoes" in ds:
            ds = ds.drop_vars("echoes")
        big = {"echoes_iq": _chunks(ds["echoes_iq"].shape)}
    else:
        ds["echoes"] = ds["echoes"].astype(np.complex64)
        big = {"echoes": _chunks(ds["echoes"].shape)}
    return _write(ds, path, big)


def write_slc(ds: xr.Dataset, path: str | os.PathLike) -> Path:
    """Write an SLC Dataset (``slc`` complex64 (azimuth_time, slant_range))."""
    ds = ds.copy()
    ds.attrs["product_type"] = "lotusar-slc"
    ds.attrs["format_version"] = FORMAT_VERSION
    ds["slc"] = ds["slc"].astype(np.complex64)
    if "azimuth_time_utc" in ds.coords:
        ds = ds.drop_vars("azimuth_time_utc")
    return _write(ds, path, {"slc": _chunks(ds["slc"].shape)})


def _open(path, kind: str) -> xr.Dataset:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(2, "No such file or directory", str(p))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = xr.open_dataset(p, engine="h5netcdf", decode_times=False)
            ds.load()
            ds.close()
    except InputFormatError:
        raise
    except Exception as e:  # truncated HDF5, checksum mismatch, not HDF5 at all
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputFormatError(f"{p}: not a readable {kind} file ({type(e).__name__}: {msg})") from None
    return ds


def _require(ds: xr.Dataset, path, names, attrs, kind):
    for a in attrs:
        if a not in ds.attrs:
            raise InputFormatError(f"{path}: {kind} attribute {a!r} missing")
    for n in names:
        if n not in ds.variables:
            raise InputFormatError(f"{path}: {kind} variable {n!r} missing")
    for a in attrs:
        v = ds.attrs[a]
        if isinstance(v, (int, float, np.number)) and not np.isfinite(v):
            raise InputFormatError(f"{path}: {kind} attribute {a!r} is not finite")


def _check_axis(ds, path, name, step, kind):
    ax = np.asarray(ds[name].values, float)
    if ax.ndim != 1 or ax.size < 2:
        raise InputFormatError(f"{path}: {kind} coordinate {name!r} has fewer than 2 samples")
    d = np.diff(ax)
    if not np.all(np.isfinite(ax)) or np.max(np.abs(d - step)) > 1e-6 * abs(step) + 1e-12:
        raise InputFormatError(f"{path}: {kind} coordinate {name!r} is not regular with step {step:g}")


def _check_orbit(ds, path, kind, times):
    ot = np.asarray(ds["orbit_time"].values, float)
    pos = np.asarray(ds["orbit_position"].values)
    vel = np.asarray(ds["orbit_velocity"].values)
    if pos.shape != (ot.size, 3) or vel.shape != (ot.size, 3) or ot.size < 4:
        raise InputFormatError(f"{path}: {kind} orbit_position/orbit_velocity must be (orbit_time>=4, 3)")
    if not (np.all(np.isfinite(pos)) and np.all(np.isfinite(vel)) and np.all(np.diff(ot) > 0)):
        raise InputFormatError(f"{path}: {kind} orbit state vectors not finite/increasing")
    r = np.linalg.norm(pos, axis=1)
    if np.any(r < 6.3e6) or np.any(r > 5e7):
        raise InputFormatError(f"{path}: {kind} orbit_position not an Earth orbit in metres")
    if times.min() < ot[0] or times.max() > ot[-1]:
        raise InputFormatError(f"{path}: {kind} orbit_time does not cover the azimuth times")


def read_raw(path: str | os.PathLike) -> xr.Dataset:
    """Read and check a raw file; returns a Dataset with complex64 ``echoes``."""
    ds = _open(path, "raw")
    if ds.attrs.get("product_type") != "lotusar-raw":
        raise InputFormatError(f"{path}: attribute product_type is {ds.attrs.get('product_type')!r}, expected 'lotusar-raw'")
    _require(ds, path, ("azimuth_time", "fast_time", "orbit_time", "orbit_position", "orbit_velocity"), RAW_ATTRS, "raw")
    na, nr = ds.sizes.get("azimuth_time", 0), ds.sizes.get("fast_time", 0)
    if "echoes_iq" in ds:
        iq = ds["echoes_iq"]
        if iq.dims != ("azimuth_time", "fast_time", "iq") or iq.shape[2] != 2 or iq.dtype != np.int8:
            raise InputFormatError(f"{path}: raw variable 'echoes_iq' must be int8 (azimuth_time, fast_time, iq=2)")
        if "echo_scale" not in ds or ds["echo_scale"].shape[0] != na:
            raise InputFormatError(f"{path}: raw variable 'echo_scale' missing or wrong length")
        block = int(ds.attrs.get("baq_block_samples", nr))
        scale = np.asarray(ds["echo_scale"].values, np.float32)
        nb = -(-nr // block)
        if scale.shape != (na, nb) or not np.all(np.isfinite(scale)):
            raise InputFormatError(f"{path}: raw variable 'echo_scale' must be finite (azimuth_time, {nb})")
        q = np.asarray(iq.values)
        echoes = (q[..., 0].astype(np.float32) + 1j * q[..., 1].astype(np.float32)).astype(np.complex64)
        echoes *= np.repeat(scale, block, axis=1)[:, :nr]
        ds = ds.drop_vars(["echoes_iq", "echo_scale"])
        ds["echoes"] = (("azimuth_time", "fast_time"), echoes)
    elif "echoes" in ds:
        e = ds["echoes"]
        if e.dims != ("azimuth_time", "fast_time") or e.dtype != np.complex64:
            raise InputFormatError(f"{path}: raw variable 'echoes' must be complex64 (azimuth_time, fast_time)")
    else:
        raise InputFormatError(f"{path}: raw variable 'echoes' (or 'echoes_iq') missing")
    if na < 2 or nr < 2:
        raise InputFormatError(f"{path}: raw echoes are empty ({na} x {nr})")
    prf, fs = float(ds.attrs["prf_hz"]), float(ds.attrs["range_sampling_rate_hz"])
    if prf <= 0 or fs <= 0 or float(ds.attrs["carrier_hz"]) <= 0 or float(ds.attrs["pulse_length_s"]) <= 0:
        raise InputFormatError(f"{path}: raw prf_hz/range_sampling_rate_hz/carrier_hz/pulse_length_s must be > 0")
    _check_axis(ds, path, "azimuth_time", 1.0 / prf, "raw")
    _check_axis(ds, path, "fast_time", 1.0 / fs, "raw")
    _check_orbit(ds, path, "raw", np.asarray(ds["azimuth_time"].values, float))
    if not np.all(np.isfinite(ds["echoes"].values.view(np.float32))):
        raise InputFormatError(f"{path}: raw echoes contain non-finite samples")
    return ds


def read_slc(path: str | os.PathLike) -> xr.Dataset:
    """Read and check an SLC file; adds coordinate ``azimuth_time_utc`` (datetime64[ns])."""
    ds = _open(path, "SLC")
    if ds.attrs.get("product_type") != "lotusar-slc":
        raise InputFormatError(f"{path}: attribute product_type is {ds.attrs.get('product_type')!r}, expected 'lotusar-slc'")
    _require(ds, path, ("slc", "azimuth_time", "slant_range", "orbit_time", "orbit_position", "orbit_velocity"), SLC_ATTRS, "SLC")
    s = ds["slc"]
    if s.dims != ("azimuth_time", "slant_range") or s.dtype != np.complex64:
        raise InputFormatError(f"{path}: SLC variable 'slc' must be complex64 (azimuth_time, slant_range)")
    _check_axis(ds, path, "azimuth_time", float(ds.attrs.get("azimuth_time_interval_s", 1.0 / float(ds.attrs["prf_hz"]))), "SLC")
    _check_axis(ds, path, "slant_range", float(ds.attrs["range_pixel_spacing_m"]), "SLC")
    _check_orbit(ds, path, "SLC", np.asarray(ds["azimuth_time"].values, float))
    epoch = parse_datetime64(str(ds.attrs["reference_epoch_utc"]))
    t = np.asarray(ds["azimuth_time"].values, float)
    ds = ds.assign_coords(azimuth_time_utc=("azimuth_time", epoch + np.round(t * 1e9).astype("int64").astype("timedelta64[ns]")))
    return ds

