"""Orchestration for real raw data: open a source by format, estimate Doppler, focus, write files.

Everything the CLI commands do lives here so that it can be called from Python too:

- :func:`open_block` — ``radarsat1`` (a folder with CDdata1.mat + CD_run_params.mat) or
  ``alos-l0b`` (a NISAR L0B HDF5 file) into a :class:`~.model.RawBlock`;
- :func:`focus_real_block` — Doppler estimate (ACCC + ambiguity by focus contrast), then
  focusing by ``rda`` (this package's range-Doppler processor, or the SAR-core one with
  ``engine="core"``), ``csa`` or ``wk`` (SAR-core :mod:`lotusar.sar.focus`);
- :func:`write_focused` — SAR-core SLC file + quicklook PNG + a JSON-able summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from lotusar.errors import ValidationError
from lotusar.sar.readers.model import RawBlock

FORMATS = ("radarsat1", "alos-l0b")
ALGORITHMS = ("rda", "csa", "wk")


def open_block(source: str | Path, fmt: str) -> RawBlock:
    """Read a raw block of a supported real-data format."""
    if fmt == "radarsat1":
        from lotusar.sar.readers.radarsat1 import read_block

        return read_block(source)
    if fmt == "alos-l0b":
        from lotusar.sar.readers.nisar_l0b import read_l0b

        return read_l0b(source)
    raise ValidationError(f"unknown raw format {fmt!r}: expected one of {', '.join(FORMATS)}")


def estimate(block: RawBlock, ambiguity: int | None = None):
    """Doppler centroid estimate of a block (see :mod:`.doppler`).

    With an orbit and attitude (NISAR L0B) the ambiguity is the one closest to the geometric
    Doppler of the boresight; otherwise (RADARSAT-1) it is searched by focus contrast.
    """
    from lotusar.sar.readers.doppler import estimate_doppler_centroid

    if ambiguity is None and block.orbit_time_s is not None and block.metadata.get("attitude"):
        from lotusar.sar.readers.nisar_l0b import geometric_doppler_hz

        f_geo = geometric_doppler_hz(block)
        est = estimate_doppler_centroid(block, ambiguity=0)
        est.ambiguity = int(np.round((f_geo - est.baseband_hz) / block.prf_hz))
        est.method = f"accc+geometry (orbit and attitude: {f_geo:.1f} Hz)"
        est.geometric_hz = f_geo
        return est
    return estimate_doppler_centroid(block, ambiguity=ambiguity)


def focus_real_block(block: RawBlock, algorithm: str = "rda", *, engine: str = "auto", doppler=None,
                     progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Focus ``block``; returns dict(slc, first_slant_range_m, first_azimuth_time_s, doppler, engine, ...)."""
    from lotusar.sar.readers import convert
    from lotusar.sar.readers.focus_real import rda_focus

    if algorithm not in ALGORITHMS:
        raise ValidationError(f"unknown algorithm {algorithm!r}: expected one of {', '.join(ALGORITHMS)}")
    if engine not in ("auto", "readers", "core"):
        raise ValidationError(f"unknown engine {engine!r}: expected auto, readers or core")
    if doppler is None:
        if progress:
            progress("Doppler centroid estimation")
        doppler = estimate(block)
    use_core = engine == "core" or (engine == "auto" and algorithm != "rda")
    sv, orbit_source = convert.block_state_vectors(block)
    vr = float(block.effective_velocity_m_s or 0.0)
    if not use_core:
        img = rda_focus(block, doppler.at_range, vr or None, progress=progress)
        return {
            "slc": img.slc, "first_slant_range_m": img.first_slant_range_m,
            "first_azimuth_time_s": img.first_azimuth_time_s, "doppler": doppler, "engine": "readers-rda",
            "algorithm": "rda", "effective_velocity_m_s": img.effective_velocity_m_s, "sv": sv,
            "orbit_source": orbit_source, "processed_azimuth_bandwidth_hz": img.processed_azimuth_bandwidth_hz,
            "fully_illuminated_range_samples": img.metadata["fully_illuminated_range_samples"],
        }
    try:
        from lotusar.sar import focus as core
    except Exception as e:  # SAR-core focusing not installed
        raise ValidationError(f"SAR-core focusing (lotusar.sar.focus) unavailable for {algorithm!r}: {e}") from None
    p = convert.focus_params(block, sv, doppler.slope_hz_per_m, doppler.centroid_hz, doppler.reference_range_m,
                             azimuth_bandwidth_hz=0.85 * block.prf_hz)
    if progress:
        progress(f"SAR-core {algorithm}")
    slc, model = core.focus(np.asarray(block.echoes, np.complex64), p, algorithm)
    p = p.with_default_grid(*block.shape)
    return {
        "slc": np.asarray(slc, np.complex64), "first_slant_range_m": float(p.slc_range0_m),
        "first_azimuth_time_s": float(p.slc_time0_s), "doppler": doppler, "engine": f"core-{algorithm}",
        "algorithm": algorithm, "effective_velocity_m_s": float(getattr(model, "vr_ref_m_s", vr)), "sv": sv,
        "orbit_source": orbit_source, "processed_azimuth_bandwidth_hz": 0.85 * block.prf_hz,
        "fully_illuminated_range_samples": int(block.shape[1] - block.replica().size + 1),
    }


def write_focused(block: RawBlock, result: dict[str, Any], out: str | Path, quicklook: str | Path | None = None) -> dict[str, Any]:
    """Write the SLC (SAR-core format) and optional quicklook; return a summary for --json."""
    from lotusar.sar.io import write_slc
    from lotusar.sar.readers import convert
    from lotusar.sar.readers.focus_real import quicklook_png

    d = result["doppler"].to_dict()
    # ground velocity of the zero-Doppler point: V_g ≈ V_r² / V_s (Cumming & Wong eq. 4.11)
    _, v = result["sv"].interpolate(np.array(float(np.mean(block.azimuth_time_s))))
    vg = result["effective_velocity_m_s"] ** 2 / float(np.linalg.norm(v))
    ds = convert.to_slc_dataset(
        result["slc"], block, result["sv"], first_azimuth_time_s=result["first_azimuth_time_s"],
        first_slant_range_m=result["first_slant_range_m"], algorithm=result["algorithm"], doppler=d,
        effective_velocity_m_s=result["effective_velocity_m_s"], ground_velocity_m_s=vg,
        processed_azimuth_bandwidth_hz=result["processed_azimuth_bandwidth_hz"], orbit_source=result["orbit_source"],
        extra={"engine": result["engine"], "fully_illuminated_range_samples": result["fully_illuminated_range_samples"]},
    )
    write_slc(ds, out)
    if quicklook:
        rg = convert.C_M_S / (2 * block.range_sampling_rate_hz)
        inc = float(block.metadata.get("incidence_angle_deg", 45.0))
        az = float(ds.attrs["azimuth_pixel_spacing_m"])
        quicklook_png(result["slc"], quicklook, f"{block.mission} {result['engine']} f_dc={d['doppler_centroid_hz']:.0f} Hz",
                      range_ground_spacing_m=rg / np.sin(np.deg2rad(inc)), azimuth_spacing_m=az)
    return {
        "slc": str(out), "quicklook": str(quicklook) if quicklook else None, "engine": result["engine"],
        "algorithm": result["algorithm"], "shape": list(result["slc"].shape), "doppler": d,
        "first_slant_range_m": result["first_slant_range_m"], "orbit_source": result["orbit_source"],
        "range_pixel_spacing_m": float(ds.attrs["range_pixel_spacing_m"]),
        "azimuth_pixel_spacing_m": float(ds.attrs["azimuth_pixel_spacing_m"]),
    }
