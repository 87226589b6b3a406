"""NISAR L0B (RRSD) HDF5 reader — here the ALOS-1 PALSAR block repackaged by ISCE3.

Layout (NISAR L0B product specification, JPL D-102268; root ``science/<band>SAR/RRSD``):

- ``swaths/frequencyA/tx<P>/rx<Q>/<PQ>``: compound (r, i) uint16 codes; decode through
  ``rx<Q>/BFPQLUT`` (float32[65536]): sample = LUT[r] + j·LUT[i] (PALSAR's 5-bit levels ±0.5…±15.5);
- ``tx<P>/``: ``centerFrequency``, ``chirpSlope`` (Hz/s, negative = down-chirp), ``chirpDuration``,
  ``rangeBandwidth``, ``slantRange`` (one-way range of each sample = echo-start convention),
  ``UTCtime`` (pulse times, s since the epoch in its ``units``), ``rangeLineIndex``, ``calType``;
- ``lowRateTelemetry/orbit``: ECEF ``time``/``position``/``velocity`` (Hermite); ``attitude``:
  ``time``, ``quaternions``, ``eulerAngles`` (roll, pitch, yaw in degrees);
- ``identification``: ``missionId``, ``lookDirection``, ``orbitPassDirection``, ``zeroDopplerStartTime``.

The antenna file (``ALOS1_PALSAR_ANTPAT_BEAM343.h5``) holds elevation/azimuth amplitude cuts per
RX polarisation; elevation angles are relative to the beam's off-nadir angle.

Geometric Doppler. ALOS is yaw-steered: the Euler angles are relative to the orbital frame built
on the *inertial* velocity v_ecef + ω_E × r (the yaw of ≈ −3.8° near the equator cancels the
Earth-rotation Doppler). :func:`geometric_doppler_hz` rotates the boresight by roll/pitch/yaw,
intersects it with WGS84 and returns 2 v·û/λ in the Earth-fixed frame. It fixes the Doppler
ambiguity of the block (the 0.47 s block is too short at L-band for a focus-contrast search).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
import xarray as xr

from lotusar.constants import EARTH_ROTATION_RAD_S, SPEED_OF_LIGHT_M_S
from lotusar.errors import InputFormatError
from lotusar.sar import geometry as geo
from lotusar.sar.model import orbit_of, raw_effective_velocity_m_s, raw_fast_time0_s, wavelength_m

ALOS_BEAM343_OFF_NADIR_RAD = 0.598648


def _get(h5, path: str, fname: str):
    try:
        return h5[path][()]
    except KeyError:
        raise InputFormatError(f"{fname}: HDF5 field {path!r} missing") from None
    except Exception as e:
        raise InputFormatError(f"{fname}: HDF5 field {path!r} unreadable ({type(e).__name__})") from None


def _str(v) -> str:
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.ndarray) and v.size == 1:
        return _str(v.item())
    return str(v)


def _epoch_from_units(units: str, fname: str) -> str:
    u = units.strip()
    if not u.startswith("seconds since "):
        raise InputFormatError(f"{fname}: time units {u!r} are not 'seconds since <epoch>'")
    return u[len("seconds since "):].replace(" ", "T")[:26]


def read_l0b(path: str | Path, frequency: str = "A", tx: str | None = None, rx: str | None = None,
             antenna_file: str | Path | None = None, remove_dc: bool = True) -> xr.Dataset:
    """Read one polarisation channel of a NISAR L0B file into the raw product of
    :mod:`lotusar.sar.model` (its own ephemeris; attitude, calibration lines and the antenna
    pattern as extra variables)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(2, "No such file or directory", str(p))
    try:
        h5 = h5py.File(p, "r")
    except Exception as e:
        raise InputFormatError(f"{p}: not a readable HDF5 file ({type(e).__name__})") from None
    with h5:
        roots = [k for k in h5.get("science", {}).keys()] if "science" in h5 else []
        if not roots:
            raise InputFormatError(f"{p}: HDF5 group 'science/<band>SAR' missing (not a NISAR L0B file)")
        band = roots[0]
        base = f"science/{band}/RRSD"
        sw = f"{base}/swaths/frequency{frequency}"
        if sw not in h5:
            raise InputFormatError(f"{p}: HDF5 group {sw!r} missing")
        txs = [k for k in h5[sw].keys() if k.startswith("tx")]
        txp = f"tx{tx}" if tx else (txs[0] if txs else None)
        if txp is None or f"{sw}/{txp}" not in h5:
            raise InputFormatError(f"{p}: no transmit polarisation group under {sw!r}")
        g = f"{sw}/{txp}"
        rxs = [k for k in h5[g].keys() if k.startswith("rx")]
        rxp = f"rx{rx}" if rx else (rxs[0] if rxs else None)
        if rxp is None or f"{g}/{rxp}" not in h5:
            raise InputFormatError(f"{p}: no receive polarisation group under {g!r}")
        pol = txp[2:] + rxp[2:]
        codes = _get(h5, f"{g}/{rxp}/{pol}", str(p))
        lut = np.asarray(_get(h5, f"{g}/{rxp}/BFPQLUT", str(p)), np.float32)
        if codes.dtype.names is None or set(codes.dtype.names) != {"r", "i"} or codes.ndim != 2:
            raise InputFormatError(f"{p}: field {g}/{rxp}/{pol} must be a 2-D compound (r, i) array")
        if lut.size != 65536:
            raise InputFormatError(f"{p}: field {g}/{rxp}/BFPQLUT must hold 65536 values, has {lut.size}")
        echoes = (lut[codes["r"]] + 1j * lut[codes["i"]]).astype(np.complex64)
        utc = np.asarray(_get(h5, f"{g}/UTCtime", str(p)), float)
        units = _str(h5[f"{g}/UTCtime"].attrs.get("units", b""))
        epoch = _epoch_from_units(units, str(p))
        rng = np.asarray(_get(h5, f"{g}/slantRange", str(p)), float)
        if utc.size != echoes.shape[0] or rng.size != echoes.shape[1]:
            raise InputFormatError(f"{p}: {pol} is {echoes.shape} but UTCtime has {utc.size} and slantRange {rng.size} values")
        pri = np.diff(utc)
        if utc.size < 2 or np.any(pri <= 0):
            raise InputFormatError(f"{p}: UTCtime is not increasing")
        f0 = float(_get(h5, f"{g}/centerFrequency", str(p)))
        k = float(_get(h5, f"{g}/chirpSlope", str(p)))
        tp = float(_get(h5, f"{g}/chirpDuration", str(p)))
        bw = float(_get(h5, f"{g}/rangeBandwidth", str(p)))
        prf_nom = float(_get(h5, f"{g}/nominalAcquisitionPRF", str(p)))
        drs = float(_get(h5, f"{g}/slantRangeSpacing", str(p)))
        cal = np.asarray(h5[f"{g}/calType"][()]) if f"{g}/calType" in h5 else np.zeros(utc.size, np.uint8)
        line_idx = np.asarray(h5[f"{g}/rangeLineIndex"][()]) if f"{g}/rangeLineIndex" in h5 else np.arange(utc.size)
        orb = f"{base}/lowRateTelemetry/orbit"
        ot = np.asarray(_get(h5, f"{orb}/time", str(p)), float)
        op = np.asarray(_get(h5, f"{orb}/position", str(p)), float)
        ov = np.asarray(_get(h5, f"{orb}/velocity", str(p)), float)
        oepoch = _epoch_from_units(_str(h5[f"{orb}/time"].attrs.get("units", units.encode())), str(p))
        if oepoch[:19] != epoch[:19]:
            raise InputFormatError(f"{p}: orbit time epoch {oepoch} differs from UTCtime epoch {epoch}")
        att: dict[str, Any] = {}
        at = f"{base}/lowRateTelemetry/attitude"
        if at in h5:
            att = {"time_s": np.asarray(h5[f"{at}/time"][()], float),
                   "euler_deg": np.asarray(h5[f"{at}/eulerAngles"][()], float),
                   "quaternions": np.asarray(h5[f"{at}/quaternions"][()], float)}
        ident = f"science/{band}/identification"
        mission = _str(h5[f"{ident}/missionId"][()]) if f"{ident}/missionId" in h5 else band
        look = _str(h5[f"{ident}/lookDirection"][()]).lower() if f"{ident}/lookDirection" in h5 else "right"
        passdir = _str(h5[f"{ident}/orbitPassDirection"][()]) if f"{ident}/orbitPassDirection" in h5 else ""
    c = SPEED_OF_LIGHT_M_S
    fs = c / (2 * drs)
    prf = 1.0 / float(np.median(pri))
    dc = complex(echoes.mean()) if remove_dc else 0j
    if remove_dc:
        echoes -= np.complex64(dc)
    attrs: dict[str, Any] = {
        "mission": f"{mission}-PALSAR" if mission == "ALOS" else mission, "source": str(p),
        "reference_epoch_utc": epoch, "carrier_hz": f0, "range_sampling_rate_hz": fs, "prf_hz": prf,
        "chirp_rate_hz_s": k, "pulse_length_s": tp, "range_bandwidth_hz": abs(k) * tp,
        "look_side": look if look in ("left", "right") else "right", "squint_deg": 0.0,
        "look_angle_deg": float(np.rad2deg(ALOS_BEAM343_OFF_NADIR_RAD)), "antenna_length_m": 8.9,
        "antenna_height_m": 3.1, "quantisation_bits": 5, "quantisation": "none", "window": "none",
        "orbit_source": "ephemeris", "near_range_m": float(rng[0]), "polarisation": pol,
        "range_bandwidth_annotated_hz": bw, "nominal_prf_hz": prf_nom, "dc_offset": np.array([dc.real, dc.imag]),
        "first_range_line_index": int(line_idx[0]), "orbit_pass_direction": passdir,
        "timing_note": "fast_time is the pulse-centre time (SAR-core convention): 2R/c - T/2 at the echo start",
    }
    ds = xr.Dataset(
        {"echoes": (("azimuth_time", "fast_time"), echoes),
         "orbit_position": (("orbit_time", "xyz"), op), "orbit_velocity": (("orbit_time", "xyz"), ov),
         "calibration_line": (("calibration_line_index",), np.nonzero(cal)[0].astype(np.int64))},
        coords={"azimuth_time": utc, "fast_time": raw_fast_time0_s(float(rng[0]), tp, fs) + np.arange(rng.size) / fs,
                "orbit_time": ot},
        attrs=attrs,
    )
    if att:
        ds = ds.assign_coords(attitude_time=att["time_s"])
        ds["attitude_euler_deg"] = (("attitude_time", "euler_axis"), att["euler_deg"])
        ds["attitude_quaternion"] = (("attitude_time", "quaternion_axis"), att["quaternions"])
    ant = Path(antenna_file) if antenna_file else p.parent / "ALOS1_PALSAR_ANTPAT_BEAM343.h5"
    if ant.exists():
        pat = read_antenna_pattern(ant, rxp[2:])
        for cut in ("elevation", "azimuth"):
            ds[f"antenna_{cut}_angle_rad"] = ((f"antenna_{cut}",), pat[f"{cut}_angle_rad"])
            ds[f"antenna_{cut}_copol_amplitude"] = ((f"antenna_{cut}",), pat[f"{cut}_copol_amplitude"])
        ds.attrs["antenna_off_nadir_rad"] = float(pat["off_nadir_rad"])
    ds.attrs["effective_velocity_m_s"] = raw_effective_velocity_m_s(ds)
    return ds


def read_antenna_pattern(path: str | Path, rx_pol: str = "H") -> dict[str, np.ndarray]:
    """Elevation/azimuth co-pol amplitude cuts (V/m) and angles (rad) of the ALOS antenna file."""
    with h5py.File(path, "r") as h5:
        grp = next((k for k in h5.keys() if k.endswith(rx_pol)), None)
        if grp is None:
            raise InputFormatError(f"{path}: no antenna pattern group for RX polarisation {rx_pol}")
        out = {}
        for cut in ("elevation", "azimuth"):
            out[f"{cut}_angle_rad"] = np.asarray(h5[f"{grp}/{cut}/angle"][()], float)
            out[f"{cut}_copol_amplitude"] = np.asarray(h5[f"{grp}/{cut}/copol_pattern"][()]).astype(float)
        out["off_nadir_rad"] = np.array(ALOS_BEAM343_OFF_NADIR_RAD)
    return out


def _rot(axis: int, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    m = np.eye(3)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
    return m


def geometric_doppler_hz(ds: xr.Dataset, off_nadir_rad: float | None = None, time_s: float | None = None) -> float:
    """Doppler centroid of the boresight from orbit + attitude (yaw-steered orbital frame), Hz."""
    sv = orbit_of(ds)
    t = float(np.mean(ds["azimuth_time"].values)) if time_s is None else time_s
    r, v = sv.interpolate(np.array(t))
    if "attitude_euler_deg" in ds:
        at, eu = ds["attitude_time"].values, ds["attitude_euler_deg"].values
        e = np.array([np.interp(t, at, eu[:, k]) for k in range(3)])
    else:
        e = np.zeros(3)
    roll, pitch, yaw = np.deg2rad(e)
    v_in = v + np.cross([0.0, 0.0, EARTH_ROTATION_RAD_S], r)  # inertial velocity in ECEF axes
    z = -r / np.linalg.norm(r)  # nadir
    y = np.cross(z, v_in)
    y /= np.linalg.norm(y)
    x = np.cross(y, z)  # along the inertial velocity (orbital frame, x forward, z nadir, y = z × x)
    frame = np.stack([x, y, z], axis=1)
    look = off_nadir_rad if off_nadir_rad is not None else float(ds.attrs.get("look_angle_deg", 34.3)) * np.pi / 180
    side = 1.0 if ds.attrs["look_side"] == "right" else -1.0
    # right-looking: boresight tilted from nadir towards +y (y = z × x points right of the track)
    b_body = np.array([0.0, side * np.sin(look), np.cos(look)])
    att_m = _rot(2, yaw) @ _rot(1, pitch) @ _rot(0, roll)
    b = frame @ (att_m @ b_body)
    p = geo.ray_ellipsoid(r, b, 0.0)
    u = (p - r) / np.linalg.norm(p - r)
    return float(2.0 * np.dot(v, u) / wavelength_m(ds))
