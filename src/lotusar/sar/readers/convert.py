"""Bridges from a :class:`RawBlock` to the SAR-core contracts (raw/SLC Dataset, FocusParams).

Timing convention. Real raw data count range from the *start* of each echo: the echo of a
target at slant range R begins at the sample of two-way time 2R/c (the pulse is sent at t = 0).
The SAR-core convention centres the pulse on 2R/c, so its ``fast_time`` of sample 0 is
2 R_near / c − T/2 (the centre of a pulse whose echo starts at sample 0 arrives T/2 later).

Orbit. RADARSAT-1 blocks carry no ephemeris: :func:`circular_orbit` builds Earth-fixed state
vectors on a circle whose range history to the scene reproduces the hyperbolic model of the book
(V_r = 7062 m/s at the block's mid slant range, right-looking, zero-Doppler at the block centre).
For a circle of radius R_s through S(t) = R_s (cos ωt e1 + sin ωt e2) and a point P ⊥ e2,
R(t)² = R_s² + |P|² − 2 R_s (P·e1) cos ωt ≈ R0² + R_s (P·e1) ω² t², so ω = V_r / √(R_s P·e1).
It is marked ``orbit_source = "synthetic-circular"`` in every file written from it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from lotusar.constants import SPEED_OF_LIGHT_M_S as C_M_S
from lotusar.geodesy import geodetic_to_ecef
from lotusar.sar.focus import FocusParams
from lotusar.sar.model import Orbit, zero_doppler_ground_points
from lotusar.sar.readers.model import RawBlock
from lotusar.timeutil import parse_datetime64


def output_first_range_m(block: RawBlock, doppler_centroid_hz, effective_velocity_m_s: float) -> float:
    """First zero-Doppler range of the output grid: the raw near range moved in by the bulk
    migration R(1 − D(f_dc)), rounded to whole samples, so that the targets whose beam-centre
    echoes start in the raw window are inside the output (squint moves them by R0(1/D − 1))."""
    fdc = doppler_centroid_hz(np.array([block.near_range_m])) if callable(doppler_centroid_hz) else doppler_centroid_hz
    fdc = float(np.median(np.atleast_1d(fdc)))
    d = np.sqrt(1 - (block.wavelength_m * fdc / (2 * effective_velocity_m_s)) ** 2)
    m = int(np.round(block.near_range_m * (1 - d) / block.range_pixel_spacing_m))
    return block.near_range_m - m * block.range_pixel_spacing_m


def zero_doppler_shift_lines(block: RawBlock, doppler_centroid_hz: float, effective_velocity_m_s: float) -> int:
    """Lines between zero-Doppler and beam-centre time at mid swath: Δη = −f_dc λ R(η_c) / (2 V_r²).

    This fixes the origin of the SLC grid (first line = first pulse − Δη): the one definition
    used by ``read-raw`` and the focusing of a block, so every algorithm writes the same grid.
    """
    lam = block.wavelength_m
    r0 = float(block.slant_range_m[block.shape[1] // 2])
    d = np.sqrt(1 - (lam * doppler_centroid_hz / (2 * effective_velocity_m_s)) ** 2)
    deta = -doppler_centroid_hz * lam * (r0 / d) / (2 * effective_velocity_m_s**2)
    return int(np.round(deta * block.prf_hz))


def circular_orbit(block: RawBlock, lat_deg: float, lon_deg: float, heading_deg: float = 190.0,
                   altitude_m: float = 793.0e3, margin_s: float = 10.0, step_s: float = 1.0):
    """Synthetic Earth-fixed circular state vectors reproducing ``block``'s V_r and slant range.

    The scene point (lat, lon, 0 m) is seen at zero Doppler at the block's mid azimuth time from
    the mid-swath slant range; ``heading_deg`` is the ground-track azimuth (190° ≈ a descending
    sun-synchronous pass at 49° N).
    """
    vr = float(block.effective_velocity_m_s)
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
    if block.look_side == "left":
        right = -right
    r0 = float(block.slant_range_m[block.shape[1] // 2])
    rp = float(np.linalg.norm(p))
    rs = rp + altitude_m
    cosg = (rs**2 + rp**2 - r0**2) / (2 * rs * rp)
    g = np.arccos(np.clip(cosg, -1, 1))
    e1 = np.cos(g) * up - np.sin(g) * right  # satellite direction at zero Doppler
    e2 = along
    pe1 = float(np.dot(p, e1))
    omega = vr / np.sqrt(rs * pe1)
    t_mid = float(block.azimuth_time_s[len(block.azimuth_time_s) // 2])
    t0, t1 = float(block.azimuth_time_s[0]) - margin_s, float(block.azimuth_time_s[-1]) + margin_s
    t = np.arange(np.floor(t0), np.ceil(t1) + step_s, step_s)
    ph = omega * (t - t_mid)
    pos = rs * (np.cos(ph)[:, None] * e1 + np.sin(ph)[:, None] * e2)
    vel = rs * omega * (-np.sin(ph)[:, None] * e1 + np.cos(ph)[:, None] * e2)
    epoch = parse_datetime64(block.reference_epoch_utc)
    return Orbit(time_s=t, position_m=pos, velocity_m_s=vel, epoch_utc=epoch)


def block_state_vectors(block: RawBlock, **orbit_kw):
    """The block's own state vectors (ALOS) or a synthetic circular orbit (RADARSAT-1)."""
    if block.orbit_time_s is not None:
        epoch = parse_datetime64(block.reference_epoch_utc)
        return Orbit(time_s=np.asarray(block.orbit_time_s, float), position_m=np.asarray(block.orbit_position_m, float),
                     velocity_m_s=np.asarray(block.orbit_velocity_m_s, float), epoch_utc=epoch), "ephemeris"
    lat = float(block.metadata.get("scene_lat_deg", 49.28))
    lon = float(block.metadata.get("scene_lon_deg", -123.12))
    return circular_orbit(block, lat, lon, **orbit_kw), "synthetic-circular"


def _pulse_centre_s(block_or_t: float, fs: float) -> float:
    """Time from the first to the centre sample of a pulse of T·fs samples: (n − 1)/2 / fs."""
    n = int(round(block_or_t * fs))
    return (n - 1) / 2.0 / fs


def fast_time0_s(block: RawBlock) -> float:
    """SAR-core fast time of sample 0 (pulse-centre convention), see module docstring.

    The centre of an n-sample pulse starting at sample 0 is sample (n − 1)/2 (that is where the
    replica's t = 0 falls), so fast_time[0] = 2 R_near / c − (n − 1)/(2 fs) ≈ 2 R_near / c − T/2.
    """
    return 2.0 * block.near_range_m / C_M_S - _pulse_centre_s(block.pulse_length_s, block.range_sampling_rate_hz)


def focus_params(block: RawBlock, sv, doppler_slope_hz_per_m: float, doppler_hz: float, doppler_ref_range_m: float,
                 *, azimuth_bandwidth_hz: float | None = None, range_window: str = "none", azimuth_window: str = "none"):
    """SAR-core :class:`~lotusar.sar.focus.FocusParams` for ``block`` with the estimated Doppler.

    The output grid is the one of :func:`~.focus_real.rda_focus`: same size as the raw block,
    range from the echo-start range of sample 0, zero-Doppler times starting Δη (beam-centre
    minus zero-Doppler time at mid swath) before the first pulse, so squinted blocks land inside.
    """
    vr = float(block.effective_velocity_m_s or orbit_effective_velocity(block))
    n = zero_doppler_shift_lines(block, doppler_hz, vr)

    return FocusParams(
        carrier_hz=block.carrier_hz,
        range_sampling_rate_hz=block.range_sampling_rate_hz,
        prf_hz=block.prf_hz,
        chirp_rate_hz_s=block.chirp_rate_hz_per_s,
        pulse_length_s=block.pulse_length_s,
        range_bandwidth_hz=block.range_bandwidth_hz,
        fast_time0_s=fast_time0_s(block),
        azimuth_time0_s=float(block.azimuth_time_s[0]),
        sv=sv,
        look_side=block.look_side,
        doppler_poly_hz=np.array([doppler_slope_hz_per_m, doppler_hz]),
        doppler_ref_range_m=doppler_ref_range_m,
        azimuth_bandwidth_hz=azimuth_bandwidth_hz,
        range_window=range_window,
        azimuth_window=azimuth_window,
        replica=block.chirp_replica,
        slc_time0_s=float(block.azimuth_time_s[0]) - n / block.prf_hz,
        slc_lines=block.shape[0],
        slc_range0_m=output_first_range_m(
            block, lambda r: doppler_hz + doppler_slope_hz_per_m * (np.asarray(r) - doppler_ref_range_m), vr),
        slc_samples=block.shape[1],
    )


def _block_attrs(block: RawBlock) -> dict[str, Any]:
    return {
        "reference_epoch_utc": block.reference_epoch_utc,
        "carrier_hz": block.carrier_hz,
        "range_sampling_rate_hz": block.range_sampling_rate_hz,
        "prf_hz": block.prf_hz,
        "look_side": block.look_side,
        "mission": block.mission,
        "source": str(block.metadata.get("source", "")),
    }


def to_raw_dataset(block: RawBlock, sv=None, orbit_source: str | None = None) -> xr.Dataset:
    """SAR-core raw Dataset (:mod:`lotusar.sar.io`) holding the block's echoes and metadata."""
    if sv is None:
        sv, orbit_source = block_state_vectors(block)
    na, nr = block.shape
    ft = fast_time0_s(block) + np.arange(nr) / block.range_sampling_rate_hz
    attrs = _block_attrs(block)
    attrs.update({
        "chirp_rate_hz_s": block.chirp_rate_hz_per_s,
        "pulse_length_s": block.pulse_length_s,
        "range_bandwidth_hz": block.range_bandwidth_hz,
        "squint_deg": 0.0,
        "look_angle_deg": float(block.metadata.get("look_angle_deg", 0.0)),
        "antenna_length_m": float(block.metadata.get("antenna_length_m", 0.0)),
        "antenna_height_m": float(block.metadata.get("antenna_height_m", 0.0)),
        "quantisation_bits": int(block.metadata.get("quantisation_bits", 0)),
        "quantisation": "none",
        "window": "none",
        "orbit_source": orbit_source or "",
        "effective_velocity_m_s": float(block.effective_velocity_m_s or 0.0),
        "near_range_m": block.near_range_m,
        "timing_note": "fast_time is the pulse-centre time (SAR-core convention): 2R/c - T/2 at the echo start",
    })
    for k, v in block.metadata.items():
        if isinstance(v, (int, float, str)) and k not in attrs:
            attrs[k] = v
    ds = xr.Dataset(
        {
            "echoes": (("azimuth_time", "fast_time"), np.asarray(block.echoes, np.complex64)),
            "orbit_position": (("orbit_time", "xyz"), np.asarray(sv.position_m, float)),
            "orbit_velocity": (("orbit_time", "xyz"), np.asarray(sv.velocity_m_s, float)),
        },
        coords={
            "azimuth_time": np.asarray(block.azimuth_time_s, float),
            "fast_time": ft,
            "orbit_time": np.asarray(sv.time_s, float),
        },
        attrs=attrs,
    )
    if block.chirp_replica is not None:
        ds["chirp_replica"] = (("replica_sample",), np.asarray(block.chirp_replica, np.complex64))
    return ds


def to_slc_dataset(slc: np.ndarray, block: RawBlock, sv, *, first_azimuth_time_s: float, first_slant_range_m: float,
                   algorithm: str, doppler: dict[str, Any], effective_velocity_m_s: float,
                   ground_velocity_m_s: float | None = None, processed_azimuth_bandwidth_hz: float = 0.0,
                   orbit_source: str = "", extra: dict[str, Any] | None = None) -> xr.Dataset:
    """SAR-core SLC Dataset for a focused real block (zero-Doppler grid)."""
    na, nr = slc.shape
    dr = C_M_S / (2 * block.range_sampling_rate_hz)
    vg = float(ground_velocity_m_s or effective_velocity_m_s)
    attrs = _block_attrs(block)
    attrs.update({
        "azimuth_time_interval_s": 1.0 / block.prf_hz,
        "range_pixel_spacing_m": dr,
        "azimuth_pixel_spacing_m": vg / block.prf_hz,
        "processed_range_bandwidth_hz": block.range_bandwidth_hz,
        "processed_azimuth_bandwidth_hz": float(processed_azimuth_bandwidth_hz),
        "doppler_centroid_hz": float(doppler["doppler_centroid_hz"]),
        "doppler_ambiguity": int(doppler.get("ambiguity", 0)),
        "doppler_baseband_hz": float(doppler.get("baseband_hz", np.nan)),
        "doppler_slope_hz_per_km": float(doppler.get("slope_hz_per_km", 0.0)),
        "doppler_reference_slant_range_m": float(doppler.get("reference_slant_range_m", first_slant_range_m)),
        "doppler_method": str(doppler.get("method", "")),
        "range_window": "none",
        "azimuth_window": "none",
        "algorithm": algorithm,
        "effective_velocity_m_s": float(effective_velocity_m_s),
        "ground_velocity_m_s": vg,
        "orbit_source": orbit_source,
        "theory_range_resolution_m": 0.886 * C_M_S / (2 * block.range_bandwidth_hz),
    })
    if extra:
        attrs.update({k: v for k, v in extra.items() if isinstance(v, (int, float, str))})
    ds = xr.Dataset(
        {
            "slc": (("azimuth_time", "slant_range"), np.asarray(slc, np.complex64)),
            "orbit_position": (("orbit_time", "xyz"), np.asarray(sv.position_m, float)),
            "orbit_velocity": (("orbit_time", "xyz"), np.asarray(sv.velocity_m_s, float)),
            "doppler_block_slant_range_m": (("doppler_block",), np.asarray(doppler.get("block_slant_range_m", []), float)),
            "doppler_block_centroid_hz": (("doppler_block",), np.asarray(doppler.get("block_doppler_centroid_hz", []), float)),
        },
        coords={
            "azimuth_time": first_azimuth_time_s + np.arange(na) / block.prf_hz,
            "slant_range": first_slant_range_m + np.arange(nr) * dr,
            "orbit_time": np.asarray(sv.time_s, float),
        },
        attrs=attrs,
    )
    return ds


def orbit_effective_velocity(block: RawBlock, half_aperture_s: float = 1.5) -> float:
    """V_r at mid swath from the block's orbit: fit R(t)² − R0² = V_r² (t − t0)² (hyperbolic model)."""
    sv, _ = block_state_vectors(block)
    t0 = float(np.mean(block.azimuth_time_s))
    r0 = float(block.slant_range_m[block.shape[1] // 2])
    p = zero_doppler_ground_points(sv, t0, r0, block.look_side)[0]
    u = np.linspace(-half_aperture_s, half_aperture_s, 31)
    lo, hi = float(sv.time_s[0]), float(sv.time_s[-1])
    u = u[(t0 + u >= lo) & (t0 + u <= hi)]
    r, _ = sv.interpolate(t0 + u)
    rr = np.linalg.norm(r - p, axis=1)
    return float(np.sqrt(np.sum((rr**2 - r0**2) * u**2) / np.sum(u**4)))


def from_raw_dataset(ds: xr.Dataset, mission: str = "simulated") -> RawBlock:
    """A :class:`RawBlock` from a SAR-core raw Dataset (inverse of :func:`to_raw_dataset`).

    The pulse-centre fast time of sample 0 becomes the echo-start near range
    R_near = c/2 · (fast_time[0] + (n − 1)/(2 fs)), n = round(T fs).
    """
    a = ds.attrs
    t_p = float(a["pulse_length_s"])
    ft = np.asarray(ds["fast_time"].values, float)
    block = RawBlock(
        mission=str(a.get("mission", mission)),
        echoes=np.asarray(ds["echoes"].values, np.complex64),
        carrier_hz=float(a["carrier_hz"]), prf_hz=float(a["prf_hz"]),
        range_sampling_rate_hz=float(a["range_sampling_rate_hz"]), chirp_rate_hz_per_s=float(a["chirp_rate_hz_s"]),
        pulse_length_s=t_p,
        near_range_m=C_M_S / 2 * (ft[0] + _pulse_centre_s(t_p, float(a["range_sampling_rate_hz"]))),
        azimuth_time_s=np.asarray(ds["azimuth_time"].values, float),
        reference_epoch_utc=str(a["reference_epoch_utc"]),
        look_side=str(a.get("look_side", "right")), speed_of_light_m_s=C_M_S,
        chirp_replica=np.asarray(ds["chirp_replica"].values) if "chirp_replica" in ds else None,
        orbit_time_s=np.asarray(ds["orbit_time"].values, float),
        orbit_position_m=np.asarray(ds["orbit_position"].values, float),
        orbit_velocity_m_s=np.asarray(ds["orbit_velocity"].values, float),
        metadata={k: v for k, v in a.items() if isinstance(v, (int, float, str))},
    )
    block.effective_velocity_m_s = float(a.get("effective_velocity_m_s", 0.0)) or orbit_effective_velocity(block)
    return block


def processing_attrs(block: RawBlock, est) -> dict[str, Any]:
    """Raw-file attributes that let the SAR-core ``focus`` command process a real block correctly.

    The Doppler centroid estimated from the echoes (``est``, a
    :class:`~lotusar.sar.readers.doppler.DopplerEstimate`, ambiguity resolved) as the polynomial
    f_dc(R) = polyval([slope, f_dc], R − R_ref) and the zero-Doppler output grid of
    :func:`~lotusar.sar.readers.focus_real.rda_focus` (squinted targets lie Δη before the pulses).
    """
    vr = float(block.effective_velocity_m_s or orbit_effective_velocity(block))
    n = zero_doppler_shift_lines(block, est.centroid_hz, vr)
    return {
        "doppler_centroid_hz": float(est.centroid_hz),
        "doppler_centroid_poly_hz": np.array([est.slope_hz_per_m, est.centroid_hz]),
        "doppler_centroid_ref_range_m": float(est.reference_range_m),
        "doppler_ambiguity": int(est.ambiguity),
        "doppler_source": f"data ({est.method}, lotusar.sar.readers.doppler)",
        "slc_first_azimuth_time_s": float(block.azimuth_time_s[0]) - n / block.prf_hz,
        "slc_azimuth_lines": int(block.shape[0]),
        "slc_first_slant_range_m": float(output_first_range_m(block, est.at_range, vr)),
        "slc_range_samples": int(block.shape[1]),
    }
