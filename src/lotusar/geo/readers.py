"""Adapters from mission formats to :class:`lotusar.geo.model.RadarProduct`.

NISAR/UAVSAR RSLC files are read into the SLC product of :mod:`lotusar.sar.model`
(:func:`nisar_slc`) and viewed through :func:`from_lotusar_dataset`, the one path from an SLC
product to a ``RadarProduct`` (lotusar SLC files take the same path).

* lotusar / LOTUSat-1 SLC: :func:`lotusar.sar.io.read_slc` (SAR-core stage's format).
* Sentinel-1 SAFE SLC (SM, IW/EW TOPS — bursts mosaicked; an SLC product, :func:`sentinel1_slc`)
  and GRD (ground range: a ``RadarProduct`` of its own), through xarray-sentinel (no SAFE
  re-parsing here).
* NISAR-format RSLC/SLC HDF5 (``science/LSAR/{RSLC,SLC}``): UAVSAR Winnipeg, ALOS-1 PALSAR.

:func:`open_product` picks the adapter from what the path is.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import h5py
import numpy as np
import xarray as xr
import xarray_sentinel
from xarray_sentinel import esa_safe

from lotusar.constants import SPEED_OF_LIGHT_M_S as SPEED_OF_LIGHT_MPS
from lotusar.errors import InputFormatError, NotFoundError
from lotusar.geo.model import Calibration, RadarProduct
from lotusar.sar.io import read_slc
from lotusar.sar.model import Orbit
from lotusar.timeutil import parse_datetime64


def detect_format(path: str | Path) -> str:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(2, "input product not found", str(p))
    if p.is_dir():
        if (p / "manifest.safe").exists() or p.suffix.upper() == ".SAFE":
            return "sentinel1"
        raise InputFormatError(f"{p}: directory is not a Sentinel-1 SAFE (no manifest.safe)")
    if p.name == "manifest.safe":
        return "sentinel1"
    with open(p, "rb") as f:
        head = f.read(8)
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        try:
            with h5py.File(p, "r") as h:
                if "science/LSAR" in h or "science/SSAR" in h:
                    return "nisar"
        except OSError as e:
            raise InputFormatError(f"{p}: unreadable HDF5 ({e})") from e
        return "lotusar"
    if head[:4] in (b"CDF\x01", b"CDF\x02"):
        return "lotusar"
    if p.suffix.lower() in (".nc", ".h5", ".slc", ".zarr"):
        return "lotusar"
    raise InputFormatError(f"{p}: not a lotusar SLC, Sentinel-1 SAFE or NISAR HDF5 product")


def open_product(path: str | Path, polarization: str | None = None, swath: str | None = None,
                 frequency: str = "A") -> RadarProduct:
    """Open any supported product as a :class:`RadarProduct` (one polarisation channel)."""
    fmt = detect_format(path)
    if fmt == "sentinel1":
        return open_sentinel1(path, polarization=polarization, swath=swath)
    if fmt == "nisar":
        return open_nisar(path, polarization=polarization, frequency=frequency)
    return open_lotusar(path, polarization=polarization)


# ---------------------------------------------------------------- Sentinel-1
def _s1_open(path, group=None, **kw):  # noqa: D401 - thin wrapper
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return xr.open_dataset(str(path), engine="sentinel-1", group=group, **kw)
        except (ValueError, KeyError, OSError, TypeError) as e:
            raise InputFormatError(f"{path}: cannot read Sentinel-1 group {group!r} ({e})") from e


def s1_groups(path) -> list[str]:
    """Measurement groups ("IW1/VV", "IW/VH", …) whose annotation and measurement files exist."""
    root = _s1_open(path)
    out = []
    for g in root.attrs.get("subgroups", []):
        if g.count("/") != 1:
            continue
        swath, pol = g.lower().split("/")
        pat = f"*-{swath}-*-{pol}-*"
        if any((Path(path) / "annotation").glob(pat + ".xml")) and any((Path(path) / "measurement").glob(pat + ".tif*")):
            out.append(g)
    return out


def s1_orbit(path, group: str) -> tuple[Orbit, float]:
    """(orbit, wavelength_m) of one channel from its annotation only (fast)."""
    orb = _s1_open(path, f"{group}/orbit")
    orbit = Orbit.from_datetimes(orb.azimuth_time.values, orb.position.transpose("azimuth_time", "axis").values,
                                 orb.velocity.transpose("azimuth_time", "axis").values)

    info = esa_safe.parse_tag(s1_annotation_path(path, group), "//generalAnnotation/productInformation")
    return orbit, SPEED_OF_LIGHT_MPS / float(info["radarFrequency"])


def s1_annotation_path(path, group: str) -> Path:
    swath, pol = group.lower().split("/")
    hits = sorted((Path(path) / "annotation").glob(f"*-{swath}-*-{pol}-*.xml"))
    if not hits:
        raise NotFoundError(f"{path}: no annotation for {group}")
    return hits[0]


def s1_geolocation_points(path, group: str) -> dict[str, np.ndarray]:
    """Every ``geolocationGridPoint`` of the annotation, with its own azimuth time and
    slant-range time (they vary point to point; xarray-sentinel's gridded ``gcp`` group
    keeps one time per row/column)."""
    pts = esa_safe.parse_tag_as_list(s1_annotation_path(path, group),
                                     "//geolocationGrid/geolocationGridPointList/geolocationGridPoint")
    out = {k: np.array([q[k] for q in pts], dtype=np.float64)
           for k in ("slantRangeTime", "line", "pixel", "latitude", "longitude", "height", "incidenceAngle", "elevationAngle")}
    out["azimuthTime"] = np.array([np.datetime64(q["azimuthTime"], "ns") for q in pts])
    return out


def open_sentinel1(path, polarization: str | None = None, swath: str | None = None, mosaic: bool = True) -> RadarProduct:
    """Sentinel-1 SAFE (SLC or GRD) channel. IW/EW SLC bursts are mosaicked (xarray-sentinel
    ``mosaic_slc_iw``) unless ``mosaic=False``; the ``line``/``pixel`` coordinates of the
    original measurement are kept for the calibration LUTs."""
    p = Path(path)
    if p.name == "manifest.safe":
        p = p.parent
    groups = s1_groups(p)
    if not groups:
        raise InputFormatError(f"{p}: no measurement groups in the SAFE")
    want = [g for g in groups if (swath is None or g.split("/")[0].upper() == swath.upper())
            and (polarization is None or g.split("/")[1].upper() == polarization.upper())]
    if not want:
        raise NotFoundError(f"{p}: no channel swath={swath} polarization={polarization}; available: {', '.join(groups)}")
    group = want[0]
    ds = _s1_open(p, group)
    attrs = dict(ds.attrs)
    orb = _s1_open(p, f"{group}/orbit")
    orbit = Orbit.from_datetimes(orb.azimuth_time.values, orb.position.transpose("azimuth_time", "axis").values,
                                 orb.velocity.transpose("azimuth_time", "axis").values)
    f_hz = float(attrs["radar_frequency"])
    f_hz = f_hz * 1e9 if f_hz < 1e6 else f_hz  # xarray-sentinel gives GHz
    attrs["radar_frequency"] = f_hz
    wavelength = SPEED_OF_LIGHT_MPS / f_hz
    cal = Calibration(source="none")
    try:
        c = _s1_open(p, f"{group}/calibration")
        luts = {"beta": c["betaNought"], "sigma": c["sigmaNought"], "gamma": c["gamma"]}
        cal = Calibration(luts={k: v.load() for k, v in luts.items()}, source="Sentinel-1 calibration LUT")
    except InputFormatError:
        pass
    try:
        n = _s1_open(p, f"{group}/noise_range")
        cal.luts["noise"] = n["noiseRangeLut"].load()
        na = _s1_open(p, f"{group}/noise_azimuth")
        if "noiseAzimuthLut" in na:
            cal.noise_azimuth = na["noiseAzimuthLut"].load()
    except InputFormatError:
        pass
    meas = ds["measurement"]
    srgr = None
    if attrs.get("product_type") == "SLC":
        if attrs.get("mode") in ("IW", "EW") and mosaic:
            meas = xarray_sentinel.mosaic_slc_iw(meas)
            meas = meas.rename({"slant_range_time": "slant_range"})
        else:
            if "line" in meas.dims:
                meas = meas.swap_dims({"line": "azimuth_time", "pixel": "slant_range_time"})
            meas = meas.rename({"slant_range_time": "slant_range"})
        meas = meas.assign_coords(slant_range=meas.slant_range * (SPEED_OF_LIGHT_MPS / 2.0))
        ptype = "SLC"
    else:
        srgr = _s1_open(p, f"{group}/coordinate_conversion").load()
        ptype = "GRD"
    meas.attrs.update(units="1", long_name=f"Sentinel-1 {ptype} digital number")
    meas.coords["azimuth_time"].attrs.update(long_name="zero-Doppler azimuth time", standard_name="time")
    pol = group.split("/")[1].upper()
    info = {
        "mission": f"Sentinel-1{attrs.get('number', '')}", "platform": f"sentinel-1{str(attrs.get('number', '')).lower()}",
        "instrument_mode": attrs.get("mode"), "swath": attrs.get("swath"), "product_type": ptype,
        "orbit_state": str(attrs.get("orbit_pass", "")).lower(), "absolute_orbit": attrs.get("orbit_number"),
        "relative_orbit": attrs.get("relative_orbit_number"), "start_time": attrs.get("start_time"),
        "stop_time": attrs.get("stop_time"), "frequency_band": "C", "center_frequency_hz": float(attrs["radar_frequency"]),
        "incidence_angle_mid_swath_deg": attrs.get("incidence_angle_mid_swath"),
        "range_pixel_spacing_m": attrs.get("range_pixel_spacing"), "azimuth_pixel_spacing_m": attrs.get("azimuth_pixel_spacing"),
        "source": str(p), "group": group,
    }
    if ptype == "SLC":
        slc = sentinel1_slc(meas, orb, f_hz, pol, info)
        return from_lotusar_dataset(slc, source=str(p), calibration=cal, info=info)
    return RadarProduct(meas, orbit, wavelength, "right", ptype, pol, cal, None, srgr, info)


def sentinel1_slc(meas: xr.DataArray, orb: xr.Dataset, carrier_hz: float, polarization: str,
                  info: dict | None = None) -> xr.Dataset:
    """Adapter: a Sentinel-1 SLC measurement (xarray-sentinel, lazy, slant range in m) and its
    orbit as the SLC product of :mod:`lotusar.sar.model` (times in s since
    ``reference_epoch_utc``, the first line's second). The measurement's ``line``/``pixel``
    coordinates stay on ``slc`` for the calibration LUTs; nothing is read."""
    t = meas.coords["azimuth_time"].values.astype("datetime64[ns]")
    epoch = t[0].astype("datetime64[s]").astype("datetime64[ns]")
    sec = (t - epoch) / np.timedelta64(1, "ns") * 1e-9
    ot = (orb.azimuth_time.values.astype("datetime64[ns]") - epoch) / np.timedelta64(1, "ns") * 1e-9
    slc = meas.assign_coords(azimuth_time=("azimuth_time", sec, {"units": "s"}))
    attrs = {"product_type": "lotusar-slc", "reference_epoch_utc": str(epoch.astype("datetime64[us]")),
             "carrier_hz": carrier_hz, "look_side": "right", "polarisation": polarization}
    attrs.update({k: v for k, v in (info or {}).items() if isinstance(v, (int, float, str))})
    return xr.Dataset(
        {"slc": slc,
         "orbit_position": (("orbit_time", "xyz"), orb.position.transpose("azimuth_time", "axis").values),
         "orbit_velocity": (("orbit_time", "xyz"), orb.velocity.transpose("azimuth_time", "axis").values)},
        coords={"orbit_time": ot}, attrs=attrs,
    )


def s1_geolocation_grid(path, group: str) -> xr.Dataset:
    """The annotation geolocation grid (azimuth_time × slant_range_time) of one channel."""
    return _s1_open(path, f"{group}/gcp").load()


# ---------------------------------------------------------------- NISAR HDF5
def _s(v) -> str:
    if isinstance(v, bytes | np.bytes_):
        return v.decode().strip()
    if isinstance(v, np.ndarray) and v.shape == ():
        return _s(v[()])
    return str(v).strip()


def _epoch_from_units(units: str) -> np.datetime64:
    ref = units.split("since", 1)[1].strip().replace(" ", "T")
    return parse_datetime64(ref[:26], "time units epoch")


def open_nisar(path, polarization: str | None = None, frequency: str = "A") -> RadarProduct:
    """NISAR-format RSLC/SLC HDF5 (UAVSAR NISAR-simulated, ALOS-1 via ISCE3): the view of its
    SLC product (:func:`nisar_slc`)."""
    return from_lotusar_dataset(nisar_slc(path, polarization, frequency), source=str(path))


def nisar_slc(path, polarization: str | None = None, frequency: str = "A") -> xr.Dataset:
    """Adapter: one channel of a NISAR-format RSLC/SLC HDF5 as the SLC product of
    :mod:`lotusar.sar.model` (zero-Doppler times and orbit in s since ``reference_epoch_utc``)."""
    p = Path(path)
    h = h5py.File(p, "r")
    band = "LSAR" if "science/LSAR" in h else "SSAR"
    root = h[f"science/{band}"]
    kind = next((k for k in ("RSLC", "SLC") if k in root), None)
    if kind is None:
        raise InputFormatError(f"{p}: no RSLC/SLC group under science/{band}")
    b = root[kind]
    fgrp = f"swaths/frequency{frequency}"
    if fgrp not in b:
        raise NotFoundError(f"{p}: no {fgrp}")
    sw = b[fgrp]
    pols = [_s(x) for x in sw["listOfPolarizations"][()]]
    pol = (polarization or next((q for q in pols if q in sw), pols[0])).upper()
    if pol not in sw:
        raise NotFoundError(f"{p}: polarisation {pol} has no image (available: {[q for q in pols if q in sw]})")
    zdt = b["swaths/zeroDopplerTime"]
    epoch = _epoch_from_units(_s(zdt.attrs["units"]))
    t = zdt[()]
    r = sw["slantRange"][()]
    ob = b["metadata/orbit"]
    oepoch = _epoch_from_units(_s(ob["time"].attrs["units"]))
    otimes = oepoch + (ob["time"][()] * 1e9).astype("timedelta64[ns]")
    ob_pos, ob_vel = ob["position"][()], ob["velocity"][()]
    dset = sw[pol]
    raw = dset[()]
    if raw.dtype.names:  # compound (r, i) float16
        names = raw.dtype.names
        img = (raw[names[0]].astype(np.float32) + 1j * raw[names[1]].astype(np.float32)).astype(np.complex64)
    else:
        img = raw.astype(np.complex64)
    ident = root["identification"]
    freq = float(sw["processedCenterFrequency"][()])
    attrs = {
        "product_type": "lotusar-slc", "reference_epoch_utc": str(epoch.astype("datetime64[us]")), "carrier_hz": freq,
        "look_side": _s(ident["lookDirection"][()]).lower(), "polarisation": pol,
        "mission": _s(ident["missionId"][()]) if "missionId" in ident else "NISAR",
        "orbit_state": _s(ident["orbitPassDirection"][()]).lower() if "orbitPassDirection" in ident else "",
        "band": "L" if band == "LSAR" else "S", "source": str(p),
        "range_pixel_spacing_m": float(sw["slantRangeSpacing"][()]),
        "calibration_constant_db": 0.0, "calibration_source": f"NISAR {kind}: |SLC|² = β⁰",
    }
    if "absoluteOrbitNumber" in ident:  # orbit number (UAVSAR: the flight line's number): sat:absolute_orbit
        attrs["absolute_orbit"] = int(ident["absoluteOrbitNumber"][()])
    if "sceneCenterAlongTrackSpacing" in sw:
        attrs["azimuth_pixel_spacing_m"] = float(sw["sceneCenterAlongTrackSpacing"][()])
    h.close()
    orbit_s = (otimes - epoch) / np.timedelta64(1, "ns") * 1e-9
    return xr.Dataset(
        {"slc": (("azimuth_time", "slant_range"), img,
                 {"units": "1", "long_name": f"{kind} complex amplitude (|x|² = β⁰)"}),
         "orbit_position": (("orbit_time", "xyz"), np.asarray(ob_pos, np.float64)),
         "orbit_velocity": (("orbit_time", "xyz"), np.asarray(ob_vel, np.float64))},
        coords={"azimuth_time": ("azimuth_time", np.asarray(t, np.float64), {"units": "s"}),
                "slant_range": ("slant_range", np.asarray(r, np.float64), {"units": "m"}),
                "orbit_time": orbit_s},
        attrs=attrs,
    )


# ---------------------------------------------------------------- lotusar SLC
def open_lotusar(path, polarization: str | None = None) -> RadarProduct:
    """lotusar / LOTUSat-1 SLC written by the SAR-core stage (:func:`lotusar.sar.io.read_slc`)."""
    ds = read_slc(path)
    return from_lotusar_dataset(ds, source=str(path))


def _attr(attrs, *names, default=None):
    for n in names:
        if n in attrs and attrs[n] is not None:
            return attrs[n]
    return default


def from_lotusar_dataset(ds: xr.Dataset, source: str = "", calibration: Calibration | None = None,
                         info: dict | None = None) -> RadarProduct:
    """View an SLC product of :mod:`lotusar.sar.model` (complex ``slc`` over (azimuth_time,
    slant_range), state vectors and timing in attrs or variables; older spellings accepted) as a
    :class:`RadarProduct`. ``calibration``/``info`` replace the constant calibration and the
    generic metadata (Sentinel-1 LUTs, mission annotations); the ``line``/``pixel``
    coordinates of the image are kept for the LUTs."""
    if "slc" not in ds:
        raise InputFormatError(f"{source}: no 'slc' variable in the lotusar SLC")
    a = dict(ds.attrs)
    slc = ds["slc"]
    if slc.dims != ("azimuth_time", "slant_range"):
        raise InputFormatError(f"{source}: 'slc' dims are {slc.dims}, expected (azimuth_time, slant_range)")
    at = (ds.coords["azimuth_time_utc"].values if "azimuth_time_utc" in ds.coords
          else slc.coords["azimuth_time"].values)
    if not np.issubdtype(at.dtype, np.datetime64):
        t0 = parse_datetime64(str(_attr(a, "azimuth_time_epoch", "reference_epoch_utc", "epoch", "time_reference", "start_time")))
        at = t0 + np.round(np.asarray(at, dtype=np.float64) * 1e9).astype("timedelta64[ns]")
    slc = slc.drop_vars([c for c in slc.coords if c not in ("azimuth_time", "slant_range", "line", "pixel")])
    slc = slc.assign_coords(azimuth_time=("azimuth_time", at, {"long_name": "zero-Doppler azimuth time", "standard_name": "time"}))
    # state vectors: variables or attrs
    # names: the SAR-core SLC contract (docs/sar.md: orbit_position/orbit_velocity over orbit_time,
    # seconds since reference_epoch_utc) and older spellings
    pname = next((n for n in ("orbit_position_m", "orbit_position", "position") if n in ds), None)
    if pname is not None:
        vname = next(n for n in ("orbit_velocity_mps", "orbit_velocity", "velocity") if n in ds)
        pos = np.asarray(ds[pname].values)
        vel = np.asarray(ds[vname].values)
        tname = [d for d in ds[pname].dims if d not in ("axis", "xyz", "component")][0]
        ot = ds.coords[tname].values
    else:
        pos = np.asarray(_attr(a, "orbit_position_m", "state_vector_position_m", "sv_position_m"))
        vel = np.asarray(_attr(a, "orbit_velocity_mps", "state_vector_velocity_mps", "sv_velocity_mps"))
        ot = np.asarray(_attr(a, "orbit_time_utc", "orbit_time", "state_vector_time_utc", "sv_time_utc"))
    if pos is None or vel is None or ot is None or np.ndim(pos) != 2:
        raise InputFormatError(f"{source}: lotusar SLC has no state vectors")
    if not np.issubdtype(np.asarray(ot).dtype, np.datetime64):
        ot = np.asarray(ot)
        if ot.dtype.kind in "US O".replace(" ", ""):
            ot = np.array([parse_datetime64(str(x), "orbit time") for x in ot])
        else:
            ref = parse_datetime64(str(_attr(a, "orbit_epoch", "azimuth_time_epoch", "reference_epoch_utc", "epoch", "start_time")))
            ot = ref + np.round(ot.astype(np.float64) * 1e9).astype("timedelta64[ns]")
    pos = pos.reshape(-1, 3)
    vel = vel.reshape(-1, 3)
    orbit = Orbit.from_datetimes(ot, pos, vel)
    wl = _attr(a, "wavelength_m")
    if wl is None:
        f = _attr(a, "carrier_hz", "center_frequency_hz", "radar_frequency_hz")
        if f is None:
            raise InputFormatError(f"{source}: lotusar SLC has no wavelength_m/carrier_hz")
        wl = SPEED_OF_LIGHT_MPS / float(f)
    look = str(_attr(a, "look_side", "look_direction", default="right")).lower()
    if "reference_epoch_utc" in a and "start_time" not in a:
        a["start_time"] = str(at[0])
    k_db = float(_attr(a, "calibration_constant_db", "calibration_constant_dB", default=0.0))
    base = {"mission": _attr(a, "mission", "platform", default="LOTUSat-1"), "product_type": "SLC",
            "orbit_state": str(_attr(a, "orbit_state", "pass_direction", default="")).lower(),
            "center_frequency_hz": SPEED_OF_LIGHT_MPS / float(wl), "source": source,
            "start_time": str(at[0]), "stop_time": str(at[-1]), "frequency_band": _attr(a, "band", default="X")}
    for k in ("range_pixel_spacing_m", "azimuth_pixel_spacing_m"):
        if k in a:
            base[k] = float(a[k])
    for k in ("absolute_orbit", "relative_orbit"):
        if a.get(k) is not None:
            base[k] = int(a[k])
    pol = str(_attr(a, "polarization", "polarisation", default="VV")).upper()
    cal_src = str(_attr(a, "calibration_source", default=f"constant calibration K = {k_db} dB"))
    if info:
        base.update(info)
    cal = calibration or Calibration(constant_db=k_db, source=cal_src)
    return RadarProduct(slc, orbit, float(wl), look, "SLC", pol, cal, None, None, base)
