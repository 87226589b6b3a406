"""Orchestration for real raw data: open a source by format, estimate Doppler, focus, write files.

Everything the CLI commands do lives here so that it can be called from Python too:

- :func:`open_block` — ``radarsat1`` (a folder with CDdata1.mat + CD_run_params.mat) or
  ``alos-l0b`` (a NISAR L0B HDF5 file) into the raw product of :mod:`lotusar.sar.model`;
- :func:`estimate` — the Doppler centroid with its ambiguity (:mod:`.doppler`).

Focusing is the SAR core's (``lotusar sar focus`` on the file ``read-raw`` writes).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from lotusar.errors import ValidationError
from lotusar.sar.readers.doppler import DopplerEstimate, estimate_doppler_centroid
from lotusar.sar.readers.nisar_l0b import geometric_doppler_hz, read_l0b
from lotusar.sar.readers.radarsat1 import read_block

FORMATS = ("radarsat1", "alos-l0b")


def open_block(source: str | Path, fmt: str) -> xr.Dataset:
    """Read a raw block of a supported real-data format as a raw product."""
    if fmt == "radarsat1":
        return read_block(source)
    if fmt == "alos-l0b":
        return read_l0b(source)
    raise ValidationError(f"unknown raw format {fmt!r}: expected one of {', '.join(FORMATS)}")


def estimate(ds: xr.Dataset, ambiguity: int | None = None) -> DopplerEstimate:
    """Doppler centroid estimate of a raw product (see :mod:`.doppler`).

    With an orbit and attitude (NISAR L0B) the ambiguity is the one closest to the geometric
    Doppler of the boresight; otherwise (RADARSAT-1) it is searched by focus contrast.
    """
    if ambiguity is None and ds.attrs.get("orbit_source") == "ephemeris" and "attitude_euler_deg" in ds:
        f_geo = geometric_doppler_hz(ds)
        est = estimate_doppler_centroid(ds, ambiguity=0)
        est.ambiguity = int(np.round((f_geo - est.baseband_hz) / float(ds.attrs["prf_hz"])))
        est.method = f"accc+geometry (orbit and attitude: {f_geo:.1f} Hz)"
        est.geometric_hz = f_geo
        return est
    return estimate_doppler_centroid(ds, ambiguity=ambiguity)
