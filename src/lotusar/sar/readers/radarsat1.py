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
  blocks; :func:`lotusar.sar.readers.convert.to_raw_dataset` builds a circular orbit fitted to
  that velocity and range when a SAR-core file is needed.

The blocks carry no Doppler centroid: it is estimated from the echoes (:mod:`.doppler`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io

from lotusar.errors import InputFormatError
from lotusar.sar.readers.model import RawBlock

#: Effective radar velocity used by Cumming & Wong for this data set (m/s).
RADARSAT1_VANCOUVER_VR_M_S = 7062.0
_ODD_LEVELS = np.arange(-15, 16, 2)


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


def read_block(folder: str | Path, remove_dc: bool = True, check_levels: bool = True) -> RawBlock:
    """Read one extracted block (``CDdata1.mat`` + ``CD_run_params.mat``) into a :class:`RawBlock`."""
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
    return RawBlock(
        mission="RADARSAT-1",
        echoes=echoes,
        carrier_hz=f0,
        prf_hz=prf,
        range_sampling_rate_hz=fs,
        chirp_rate_hz_per_s=-abs(kr),
        pulse_length_s=tr,
        near_range_m=near_range,
        azimuth_time_s=t,
        reference_epoch_utc="2000-01-01T00:00:00",
        look_side="right",
        effective_velocity_m_s=RADARSAT1_VANCOUVER_VR_M_S,
        speed_of_light_m_s=c,
        metadata={
            "source": str(folder),
            "first_rg_cell": first_cell,
            "first_rg_line": first_line,
            "dc_offset": [dc.real, dc.imag],
            "beam": "Fine",
            "polarisation": "HH",
            "epoch_note": "azimuth_time_s counts from line 1 of dat_01.001 (absolute UTC not in the blocks)",
        },
    )
