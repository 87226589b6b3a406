"""RADARSAT-1 Fine-beam raw blocks of the Cumming & Wong data set (Vancouver, CD ``dat_01.001``).

The blocks were extracted from the CEOS signal-data file of the book's CD by the Cumming/Ersahin
extraction program into MATLAB files: ``CDdata1.mat`` (variable ``data``: 4-bit I/Q samples as
odd integers −15…+15, azimuth lines x range samples) and ``CD_run_params.mat`` (the program's
parameters: ``first_rg_cell``, ``first_rg_line``, ``PRF``, ``Fr``, ``f0``, ``c``, ``R0``, ``Kr``,
``Tr``, replica information).

Sensor conventions (I. G. Cumming and F. H. Wong, *Digital Processing of Synthetic Aperture
Radar Data*, Artech House 2005, ch. 6 and appendix of the CD):

- the chirp is a down-chirp, K = −Kr with Kr = 0.72135e12 Hz/s as stored (the matched filter of
  the up-chirp gives a 17x weaker peak, checked in the tests), T = 41.75 µs, B = K·T ≈ 30.1 MHz;
- slant range of sample k (1-based) of a block: R0 + (first_rg_cell − 1 + k − 1)·c/(2 Fr);
- effective radar velocity 7062 m/s (the book's value for this scene). There is no orbit in the
  blocks; :func:`circular_orbit` builds one fitted to that velocity and range, marked
  ``orbit_source = "synthetic-circular"`` in the raw product.

:func:`read_block` is the adapter: it returns the raw product of :mod:`lotusar.sar.model`.

The blocks carry no Doppler centroid: it is estimated from the echoes (:mod:`.doppler`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io
import xarray as xr

from lotusar.constants import SPEED_OF_LIGHT_M_S
from lotusar.errors import InputFormatError
from lotusar.geodesy import geodetic_to_ecef
from lotusar.sar.model import Orbit, raw_fast_time0_s
from lotusar.timeutil import parse_datetime64

#: Effective radar velocity used by Cumming & Wong for this data set (m/s).
RADARSAT1_VANCOUVER_VR_M_S = 7062.0
_ODD_LEVELS = np.arange(-15, 16, 2)
#: Scene centre of the Vancouver blocks (the circular orbit sees it at zero Doppler).
VANCOUVER_LAT_DEG, VANCOUVER_LON_DEG = 49.28, -123.12
_EPOCH = "2000-01-01T00:00:00"


def circular_orbit(azimuth_time_s: np.ndarray, mid_slant_range_m: float, effective_velocity_m_s: float,
                   lat_deg: float = VANCOUVER_LAT_DEG, lon_deg: float = VANCOUVER_LON_DEG, *,
                   look_side: str = "right", heading_deg: float = 190.0, altitude_m: float = 793.0e3,
                   margin_s: float = 10.0, step_s: float = 1.0, epoch_utc: str = _EPOCH) -> Orbit:
    """Synthetic Earth-fixed circular state vectors reproducing a block's V_r and slant range.

    The scene point (lat, lon, 0 m) is seen at zero Doppler at the block's mid azimuth time from
    the mid-swath slant range; ``heading_deg`` is the ground-track azimuth (190° ≈ a descending
    sun-synchronous pass at 49° N). For a circle of radius R_s through
    S(t) = R_s (cos ωt e1 + sin ωt e2) and a point P ⊥ e2,
    R(t)² = R_s² + |P|² − 2 R_s (P·e1) cos ωt ≈ R0² + R_s (P·e1) ω² t², so ω = V_r / √(R_s P·e1).
    """
    p = geodetic_to_ecef(lat_deg=lat_deg, lon_deg=lon_deg, height_m=0.0)
    up = p / np.linalg.norm(p)
    lat, lon = np.deg2rad(lat_deg), np.deg2rad(lon_deg)
    east = np.array([-np.sin(lon), np.cos(lon), 0.0])
    north = np.array([-np.sin(lat) * np.cos(lon), -np.sin(lat) * np.sin(lon), np.cos(lat)])
    hd = np.deg2rad(heading_deg)
    along = np.cos(hd) * north + np.sin(hd) * east
    along -= np.dot(along, up) * up
    along /= np.linalg.norm(along)
    right = np.cross(along, up)  # right-looking: targets lie to the right of the track
    if look_side == "left":
        right = -right
    rp = float(np.linalg.norm(p))
    rs = rp + altitude_m
    cosg = (rs**2 + rp**2 - mid_slant_range_m**2) / (2 * rs * rp)
    g = np.arccos(np.clip(cosg, -1, 1))
    e1 = np.cos(g) * up - np.sin(g) * right  # satellite direction at zero Doppler
    e2 = along
    omega = effective_velocity_m_s / np.sqrt(rs * float(np.dot(p, e1)))
    t_mid = float(azimuth_time_s[len(azimuth_time_s) // 2])
    t0, t1 = float(azimuth_time_s[0]) - margin_s, float(azimuth_time_s[-1]) + margin_s
    t = np.arange(np.floor(t0), np.ceil(t1) + step_s, step_s)
    ph = omega * (t - t_mid)
    pos = rs * (np.cos(ph)[:, None] * e1 + np.sin(ph)[:, None] * e2)
    vel = rs * omega * (-np.sin(ph)[:, None] * e1 + np.cos(ph)[:, None] * e2)
    return Orbit(time_s=t, position_m=pos, velocity_m_s=vel, epoch_utc=parse_datetime64(epoch_utc))


def _loadmat(path: Path) -> dict:
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    try:
        return scipy.io.loadmat(path, squeeze_me=True)
    except Exception as e:  # truncated / not a MAT file
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputFormatError(f"{path}: not a readable MATLAB file ({type(e).__name__}: {msg})") from None


def _scalar(params: dict, name: str, path: Path) -> float:
    if name not in params:
        raise InputFormatError(f"{path}: parameter {name!r} missing")
    try:
        v = float(np.asarray(params[name]).item())
    except Exception:
        raise InputFormatError(f"{path}: parameter {name!r} is not a number") from None
    if not np.isfinite(v):
        raise InputFormatError(f"{path}: parameter {name!r} is not finite")
    return v


def read_block(folder: str | Path, remove_dc: bool = True, check_levels: bool = True) -> xr.Dataset:
    """Read one extracted block (``CDdata1.mat`` + ``CD_run_params.mat``) into the raw product
    of :mod:`lotusar.sar.model` (synthetic circular orbit, see :func:`circular_orbit`)."""
    folder = Path(folder)
    ppath = folder / "CD_run_params.mat"
    dpath = folder / "CDdata1.mat"
    p = _loadmat(ppath)
    prf = _scalar(p, "PRF", ppath)
    fs = _scalar(p, "Fr", ppath)
    f0 = _scalar(p, "f0", ppath)
    c = _scalar(p, "c", ppath)
    r0 = _scalar(p, "R0", ppath)
    kr = _scalar(p, "Kr", ppath)
    tr = _scalar(p, "Tr", ppath)
    first_cell = int(_scalar(p, "first_rg_cell", ppath))
    first_line = int(_scalar(p, "first_rg_line", ppath))
    d = _loadmat(dpath)
    if "data" not in d:
        raise InputFormatError(f"{dpath}: variable 'data' missing")
    raw = np.asarray(d["data"])
    if raw.ndim != 2 or raw.shape[0] < 2 or raw.shape[1] < 2 or raw.dtype.kind != "c":
        raise InputFormatError(f"{dpath}: variable 'data' must be a complex 2-D array, got {raw.dtype} {raw.shape}")
    if check_levels:
        lv = np.unique(np.concatenate([np.unique(raw.real), np.unique(raw.imag)]))
        if not np.all(np.isin(lv, _ODD_LEVELS)):
            raise InputFormatError(f"{dpath}: field 'data' holds values other than the 4-bit levels ±1…±15")
    nlines_expected = int(_scalar(p, "Nrg_lines", ppath)) if "Nrg_lines" in p else raw.shape[0]
    ncells_expected = int(_scalar(p, "Nrg_cells", ppath)) if "Nrg_cells" in p else raw.shape[1]
    if raw.shape != (nlines_expected, ncells_expected):
        raise InputFormatError(
            f"{dpath}: 'data' is {raw.shape[0]}x{raw.shape[1]} but the run parameters say "
            f"{nlines_expected}x{ncells_expected} (truncated or inconsistent block)"
        )
    echoes = raw.astype(np.complex64)
    dc = complex(echoes.mean()) if remove_dc else 0j
    if remove_dc:
        echoes -= np.complex64(dc)
    near_range = r0 + (first_cell - 1) * c / (2.0 * fs)
    t = (first_line - 1 + np.arange(echoes.shape[0])) / prf
    k = -abs(kr)
    dr = SPEED_OF_LIGHT_M_S / (2.0 * fs)
    orbit = circular_orbit(t, near_range + (echoes.shape[1] // 2) * dr, RADARSAT1_VANCOUVER_VR_M_S)
    attrs = {
        "mission": "RADARSAT-1", "source": str(folder), "reference_epoch_utc": _EPOCH,
        "carrier_hz": f0, "range_sampling_rate_hz": fs, "prf_hz": prf, "chirp_rate_hz_s": k,
        "pulse_length_s": tr, "range_bandwidth_hz": abs(k) * tr, "look_side": "right", "squint_deg": 0.0,
        "look_angle_deg": 0.0, "antenna_length_m": 0.0, "antenna_height_m": 0.0, "quantisation_bits": 4,
        "quantisation": "none", "window": "none", "orbit_source": "synthetic-circular",
        "effective_velocity_m_s": RADARSAT1_VANCOUVER_VR_M_S, "near_range_m": near_range,
        "first_rg_cell": first_cell, "first_rg_line": first_line, "dc_offset": np.array([dc.real, dc.imag]),
        "beam": "Fine", "polarisation": "HH",
        "epoch_note": "azimuth_time counts from line 1 of dat_01.001 (absolute UTC not in the blocks)",
        "timing_note": "fast_time is the pulse-centre time (SAR-core convention): 2R/c - T/2 at the echo start",
    }
    ft = raw_fast_time0_s(near_range, tr, fs) + np.arange(echoes.shape[1]) / fs
    return xr.Dataset(
        {"echoes": (("azimuth_time", "fast_time"), echoes),
         "orbit_position": (("orbit_time", "xyz"), orbit.position_m),
         "orbit_velocity": (("orbit_time", "xyz"), orbit.velocity_m_s)},
        coords={"azimuth_time": t, "fast_time": ft, "orbit_time": orbit.time_s},
        attrs=attrs,
    )
