"""Raw echo simulation: exact time-domain point targets over a real orbit.

For a point at ECEF p with radar cross-section sigma, pulse n (transmit time t_n, ITRS antenna
position r(t)) returns, at fast time tau (Cumming & Wong 2005, eq. 4.38, here without the
stop-and-go approximation between pulses)

    s_n(tau) = sqrt(sigma) G(t_n) (R_c/R)^2 exp(-j 2 pi f0 tau_d) exp(j pi K (tau - tau_d)^2) rect((tau - tau_d)/T)

with the two-way delay tau_d = (|p - r(t_n)| + |p - r(t_n + tau_d)|)/c (solved by fixed point;
``bistatic=False`` uses 2|p - r(t_n)|/c), G the two-way antenna amplitude pattern
sinc^2(L u_az/lambda) sinc^2(H u_el/lambda) of a zero-Doppler-steered antenna squinted by
``squint_deg`` (u_* = direction cosines of the line of sight in the antenna frame), and
(R_c/R)^2 the radar-equation range loss normalised at the scene centre. Earth rotation is in
the ITRS orbit; range migration, range walk from squint and the Doppler centroid all follow
from the geometry. The pulse itself is treated as instantaneous (motion within the pulse,
~ mm, is neglected).

Thermal noise is complex white Gaussian with per-sample power set so that a distributed
target of sigma0 = NESZ gives the same mean focused intensity as the noise (calibrated at the
scene centre, boresight). Quantisation: 8-bit uniform I/Q (full scale = peak), or block
adaptive (BAQ: per-block scale from the block's rms, 128-sample blocks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft
import xarray as xr

from lotusar.constants import SPEED_OF_LIGHT_M_S as C
from lotusar.errors import ValidationError
from lotusar.sar import geometry as geo
from lotusar.sar.extended import simulate_sigma0
from lotusar.sar.geometry import incidence_deg
from lotusar.sar.model import Orbit, effective_velocity_m_s, geo2rdr, zero_doppler_ground_points
from lotusar.sar.orbit import orbit_state_vectors
from lotusar.sar.presets import SarMode
from lotusar.sar.scene import SceneSpec
from lotusar.timeutil import parse_datetime64

BAQ_BLOCK_SAMPLES = 128


@dataclass
class Acquisition:
    """Geometry and sampling of one simulated acquisition (all times s since ``sv.epoch_utc``)."""

    mode: SarMode
    scene: SceneSpec
    sv: Orbit
    squint_deg: float
    look_angle_deg: float
    centre_m: np.ndarray
    centre_time_s: float          # zero-Doppler time of the scene centre
    centre_range_m: float         # zero-Doppler slant range of the scene centre
    azimuth_bandwidth_hz: float   # processed Doppler bandwidth
    u_limit: float                # |u_az| illuminated (main lobe or ideal beam)
    raw_time0_s: float
    raw_lines: int
    raw_fast_time0_s: float
    raw_samples: int
    slc_time0_s: float
    slc_range0_m: float
    doppler_poly: np.ndarray      # f_dc(R) = polyval(doppler_poly, R - centre_range_m)

    @property
    def fast_time_s(self) -> np.ndarray:
        return self.raw_fast_time0_s + np.arange(self.raw_samples) / self.mode.range_sampling_rate_hz

    @property
    def azimuth_time_s(self) -> np.ndarray:
        return self.raw_time0_s + np.arange(self.raw_lines) / self.mode.prf_hz


def _u_az(sv, mode: SarMode, look_angle_deg, squint_deg, points, t):
    """Azimuth and elevation direction cosines of points seen from r(t) (broadcast t x points)."""
    r, v = sv.interpolate(t)
    b, az, el = geo.antenna_axes(r, v, mode.look_side, look_angle_deg, squint_deg)
    los = points - r
    rng = np.linalg.norm(los, axis=-1)
    los = los / rng[..., None]
    return np.sum(los * az, -1), np.sum(los * el, -1), rng


def _solve_u(sv, mode, la, sq, points, u_target, t_guess, iterations=12):
    """Times at which each point has azimuth direction cosine ``u_target`` (secant/Newton)."""
    t = np.array(t_guess, float)
    for _ in range(iterations):
        u0 = _u_az(sv, mode, la, sq, points, t)[0]
        u1 = _u_az(sv, mode, la, sq, points, t + 1e-3)[0]
        step = (u0 - u_target) / ((u1 - u0) / 1e-3)
        t = t - step
        if np.all(np.abs(step) < 1e-9):
            break
    return t


def doppler_hz(sv, wavelength_m, points, t):
    """Instantaneous Doppler -2/lambda dR/dt of points at times t."""
    r, v = sv.interpolate(t)
    los = r - points
    return -2.0 / wavelength_m * np.sum(los * v, -1) / np.linalg.norm(los, axis=-1)


def plan_acquisition(mode: SarMode, scene: SceneSpec) -> Acquisition:
    """Scene centre, SLC grid, processed bandwidth and the raw window that focuses it fully."""
    sq = mode.squint_deg if scene.squint_deg is None else scene.squint_deg
    la = mode.look_angle_deg if scene.look_angle_deg is None else scene.look_angle_deg
    prf, fs, lam = mode.prf_hz, mode.range_sampling_rate_hz, mode.wavelength_m
    span = 60.0 + abs(sq) * 4.0 + scene.azimuth_lines / prf
    t_ref = parse_datetime64(mode.reference_time_utc)
    sv0 = orbit_state_vectors(mode, t_ref - np.timedelta64(int(span / 2 * 1e9), "ns"), span)
    # re-express with the reference time as epoch (t = 0 at the beam-centre time of the scene centre)
    sv = Orbit(time_s=sv0.time_s - span / 2, position_m=sv0.position_m, velocity_m_s=sv0.velocity_m_s, epoch_utc=t_ref)
    centre = geo.scene_centre(sv, 0.0, mode.look_side, la, sq, 0.0)
    r0, v0 = sv.interpolate(np.array(0.0))
    vs = float(np.linalg.norm(v0))
    bp = scene.azimuth_bandwidth_hz or 0.886 * 2 * vs * np.cos(np.deg2rad(sq)) / mode.antenna_length_m
    if bp > 0.92 * prf:
        raise ValidationError(f"processed azimuth bandwidth {bp:.0f} Hz too close to the PRF {prf:.0f} Hz")
    if scene.antenna_pattern:
        u_lim = lam / mode.antenna_length_m  # main lobe, first nulls
    else:
        u_lim = lam * min(1.15 * bp, 0.97 * prf) / (4 * vs * np.cos(np.deg2rad(sq)))
    t0c = float(geo2rdr(sv, centre[None], t0_s=0.0)[0][0])
    rc = float(geo.slant_range_m(sv, centre[None], np.array([t0c]))[0])
    n_az, n_rg = scene.azimuth_lines, scene.range_samples
    dr = C / (2 * fs)
    slc_t0 = t0c - (n_az // 2) / prf
    slc_r0 = rc - (n_rg // 2) * dr
    # corners of the SLC grid on the ground (height range of the targets), their illumination spans
    hs = [0.0] + [t.height_m for t in scene.targets]
    corners = []
    for tt in (slc_t0, slc_t0 + (n_az - 1) / prf):
        for h in (min(hs), max(hs)):
            corners.append(zero_doppler_ground_points(sv, tt, np.array([slc_r0, slc_r0 + (n_rg - 1) * dr]), mode.look_side, h))
    corners = np.concatenate(corners)
    t_b = _solve_u(sv, mode, la, sq, corners, 0.0, np.zeros(len(corners)))
    t_lo = _solve_u(sv, mode, la, sq, corners, -u_lim, t_b - 0.2)
    t_hi = _solve_u(sv, mode, la, sq, corners, u_lim, t_b + 0.2)
    t_first, t_last = min(t_lo.min(), t_hi.min()), max(t_lo.max(), t_hi.max())
    tt = np.linspace(0, 1, 65)[:, None] * np.abs(t_hi - t_lo)[None, :] + np.minimum(t_lo, t_hi)[None, :]
    rr = geo.slant_range_m(sv, corners[None, :, :], tt)
    margin_t = 8.0 / fs
    ft0 = 2 * rr.min() / C - mode.pulse_length_s / 2 - margin_t
    ft1 = 2 * rr.max() / C * (1 + 2e-5) + mode.pulse_length_s / 2 + margin_t
    raw_samples = scipy.fft.next_fast_len(int(np.ceil((ft1 - ft0) * fs)) + 1)
    raw_lines = scipy.fft.next_fast_len(int(np.ceil((t_last - t_first) * prf)) + 16)
    raw_t0 = 0.5 * (t_first + t_last) - (raw_lines // 2) / prf
    if raw_t0 < sv.time_s[0] or raw_t0 + raw_lines / prf > sv.time_s[-1]:
        raise ValidationError("acquisition longer than the orbit span; reduce azimuth_lines or squint")
    # Doppler centroid versus zero-Doppler range (beam-centre crossing of points across the swath)
    rg = slc_r0 + np.linspace(-0.25, 1.25, 7) * (n_rg - 1) * dr
    pts = zero_doppler_ground_points(sv, t0c, rg, mode.look_side, 0.0)
    tb = _solve_u(sv, mode, la, sq, pts, 0.0, np.zeros(len(pts)))
    fdc = doppler_hz(sv, lam, pts, tb)
    poly = np.polyfit(rg - rc, fdc, 2)
    return Acquisition(mode=mode, scene=scene, sv=sv, squint_deg=sq, look_angle_deg=la, centre_m=centre,
                       centre_time_s=t0c, centre_range_m=rc, azimuth_bandwidth_hz=float(bp), u_limit=float(u_lim),
                       raw_time0_s=float(raw_t0), raw_lines=int(raw_lines), raw_fast_time0_s=float(ft0),
                       raw_samples=int(raw_samples), slc_time0_s=float(slc_t0), slc_range0_m=float(slc_r0),
                       doppler_poly=poly)


def _two_way_delay(sv, points, t, bistatic: bool):
    r, _ = sv.interpolate(t)
    r_tx = np.linalg.norm(points - r, axis=-1)
    tau = 2 * r_tx / C
    if bistatic:
        for _ in range(2):
            r_rx_pos, _ = sv.interpolate(t + tau)
            tau = (r_tx + np.linalg.norm(points - r_rx_pos, axis=-1)) / C
    return tau, r_tx


def simulate_point_targets(acq: Acquisition, points_m: np.ndarray, rcs_m2: np.ndarray, out: np.ndarray | None = None,
                           progress=None, max_block: int = 4_000_000) -> np.ndarray:
    """Add the exact echoes of point targets to ``out`` (raw_lines, raw_samples) complex64."""
    mode, sc, sv = acq.mode, acq.scene, acq.sv
    if out is None:
        out = np.zeros((acq.raw_lines, acq.raw_samples), np.complex64)
    fs, prf, k, tp, f0 = mode.range_sampling_rate_hz, mode.prf_hz, mode.chirp_rate_hz_s, mode.pulse_length_s, mode.carrier_hz
    nc = int(np.floor(tp * fs)) + 2
    offs = np.arange(nc)
    t_all = acq.azimuth_time_s
    for i, (p, sigma) in enumerate(zip(np.atleast_2d(points_m), np.atleast_1d(rcs_m2))):
        if sigma <= 0:
            continue
        tb = _solve_u(sv, mode, acq.look_angle_deg, acq.squint_deg, p[None], 0.0, np.zeros(1))[0]
        ta = _solve_u(sv, mode, acq.look_angle_deg, acq.squint_deg, p[None], -acq.u_limit, np.array([tb - 0.2]))[0]
        tz = _solve_u(sv, mode, acq.look_angle_deg, acq.squint_deg, p[None], acq.u_limit, np.array([tb + 0.2]))[0]
        n0 = max(int(np.floor((min(ta, tz) - acq.raw_time0_s) * prf)) - 1, 0)
        n1 = min(int(np.ceil((max(ta, tz) - acq.raw_time0_s) * prf)) + 2, acq.raw_lines)
        step = max(1, max_block // nc)
        for a in range(n0, n1, step):
            lines = np.arange(a, min(a + step, n1))
            t = t_all[lines]
            u, e, _ = _u_az(sv, mode, acq.look_angle_deg, acq.squint_deg, p[None], t)
            tau_d, r_tx = _two_way_delay(sv, p[None], t, sc.bistatic)
            if sc.antenna_pattern:
                g = (np.sinc(mode.antenna_length_m * u / mode.wavelength_m) ** 2
                     * np.sinc(mode.antenna_height_m * e / mode.wavelength_m) ** 2)
                g = np.where(np.abs(u) <= acq.u_limit, g, 0.0)
            else:
                g = (np.abs(u) <= acq.u_limit).astype(float)
            amp = np.sqrt(sigma) * g * (acq.centre_range_m / r_tx) ** 2
            keep = amp > 0
            if not np.any(keep):
                continue
            lines, tau_d, amp = lines[keep], tau_d[keep], amp[keep]
            j0 = np.ceil((tau_d - tp / 2 - acq.raw_fast_time0_s) * fs).astype(np.int64)
            jj = j0[:, None] + offs[None, :]
            dt = acq.raw_fast_time0_s + jj / fs - tau_d[:, None]
            inside = (np.abs(dt) <= tp / 2) & (jj >= 0) & (jj < acq.raw_samples)
            carrier_phase = -2 * np.pi * np.mod(f0 * tau_d, 1.0)
            phase = carrier_phase[:, None] + np.pi * k * dt * dt
            val = (amp[:, None] * inside) * np.exp(1j * phase)
            jj = np.clip(jj, 0, acq.raw_samples - 1)
            out[lines[:, None], jj] += val.astype(np.complex64)
        if progress is not None:
            progress(i)
    return out


def noise_sigma(acq: Acquisition) -> float:
    """Per-sample complex noise standard deviation for the mode's NESZ (see module docstring)."""
    mode = acq.mode
    r, v = acq.sv.interpolate(np.array(acq.centre_time_s))
    inc = incidence_deg(acq.centre_m, r)
    vg = float(geo.ground_velocity(acq.sv, np.array([acq.centre_time_s]), acq.centre_m[None])[0])
    a_res = (C / (2 * mode.range_bandwidth_hz) / np.sin(np.deg2rad(inc))) * (vg / acq.azimuth_bandwidth_hz)
    vr = float(effective_velocity_m_s(acq.sv, acq.centre_time_s, acq.centre_m[None], acq.centre_range_m, 0.3)[0])
    ka = 2 * vr**2 / (mode.wavelength_m * acq.centre_range_m)
    n = mode.pulse_length_s * mode.range_sampling_rate_hz * acq.azimuth_bandwidth_hz / ka * mode.prf_hz
    return float(np.sqrt(10 ** (mode.nesz_db / 10) * a_res * n))


def quantise(echoes: np.ndarray, method: str, bits: int, block: int = BAQ_BLOCK_SAMPLES):
    """(iq int8 (..., 2), scale float32 (lines, blocks), block) — uniform or block-adaptive."""
    na, nr = echoes.shape
    levels = 2 ** (bits - 1) - 1
    iq = np.empty((na, nr, 2), np.float32)
    iq[..., 0] = echoes.real
    iq[..., 1] = echoes.imag
    if method == "uniform":
        full = float(np.max(np.abs(iq))) or 1.0
        scale = np.full((na, 1), full / levels, np.float32)
        block = nr
    else:
        nb = -(-nr // block)
        pad = nb * block - nr
        padded = np.pad(iq, ((0, 0), (0, pad), (0, 0)))
        rms = np.sqrt(np.mean(padded.reshape(na, nb, block * 2) ** 2, axis=-1))
        scale = (3.0 * np.maximum(rms, 1e-30) / levels).astype(np.float32)  # clip at 3 sigma
    rep = np.repeat(scale, block, axis=1)[:, :nr, None]
    q = np.clip(np.rint(iq / rep), -levels, levels).astype(np.int8)
    return q, scale.astype(np.float32), block


def simulate(mode: SarMode, scene: SceneSpec, progress=None) -> xr.Dataset:
    """Simulate the raw echoes of ``scene`` for ``mode``: point targets (+ σ0 map), noise, ADC."""
    acq = plan_acquisition(mode, scene)
    sv = acq.sv
    echoes = np.zeros((acq.raw_lines, acq.raw_samples), np.complex64)
    pts = np.zeros((0, 3))
    rcs = np.zeros(0)
    if scene.targets:
        pts = geo.place_targets(sv, acq.centre_m, 0.0, [t.along_track_m for t in scene.targets],
                                [t.cross_track_m for t in scene.targets], [t.height_m for t in scene.targets], mode.look_side)
        rcs = np.array([t.rcs_m2 for t in scene.targets])
        simulate_point_targets(acq, pts, rcs, echoes, progress=progress)
    if scene.sigma0_db is not None:
        echoes += simulate_sigma0(acq, scene.sigma0_db, scene.sigma0_spacing_m)
    rng = np.random.default_rng(scene.seed)
    if scene.noise:
        s = noise_sigma(acq) / np.sqrt(2)
        noise = rng.standard_normal(echoes.shape, np.float32) * s + 1j * rng.standard_normal(echoes.shape, np.float32) * s
        echoes += noise.astype(np.complex64)
    t0z = geo2rdr(sv, pts, t0_s=np.zeros(len(pts)))[0] if len(pts) else np.zeros(0)
    r0z = geo.slant_range_m(sv, pts, t0z) if len(pts) else np.zeros(0)
    bits = scene.quantisation_bits or mode.quantisation_bits
    r_c, _ = sv.interpolate(np.array(acq.centre_time_s))
    attrs = dict(
        reference_epoch_utc=str(sv.epoch_utc) + "Z", mode=mode.name, satellite=mode.satellite,
        carrier_hz=mode.carrier_hz, range_sampling_rate_hz=mode.range_sampling_rate_hz, prf_hz=mode.prf_hz,
        chirp_rate_hz_s=mode.chirp_rate_hz_s, pulse_length_s=mode.pulse_length_s, range_bandwidth_hz=mode.range_bandwidth_hz,
        look_side=mode.look_side, squint_deg=acq.squint_deg, look_angle_deg=acq.look_angle_deg,
        antenna_length_m=mode.antenna_length_m, antenna_height_m=mode.antenna_height_m,
        antenna_pattern=int(scene.antenna_pattern), quantisation_bits=int(bits),
        quantisation=scene.quantisation, window=scene.window, window_coefficient=mode.window_coefficient,
        noise=int(scene.noise), nesz_db=mode.nesz_db, bistatic=int(scene.bistatic),
        scene_height_m=float(np.mean([t.height_m for t in scene.targets])) if scene.targets else 0.0,
        doppler_centroid_hz=float(np.polyval(acq.doppler_poly, 0.0)),
        doppler_centroid_poly_hz=acq.doppler_poly.astype(float), doppler_centroid_ref_range_m=acq.centre_range_m,
        azimuth_bandwidth_hz=acq.azimuth_bandwidth_hz, scene_centre_ecef_m=acq.centre_m.astype(float),
        scene_centre_zero_doppler_time_s=acq.centre_time_s, scene_centre_slant_range_m=acq.centre_range_m,
        incidence_angle_mid_deg=incidence_deg(acq.centre_m, r_c),
        slc_first_azimuth_time_s=acq.slc_time0_s, slc_azimuth_lines=scene.azimuth_lines,
        slc_first_slant_range_m=acq.slc_range0_m, slc_range_samples=scene.range_samples,
        simulator="lotusar time-domain point targets" + (" + frequency-domain sigma0 map" if scene.sigma0_db is not None else ""),
    )
    coords = dict(azimuth_time=("azimuth_time", acq.azimuth_time_s,
                                {"units": "s", "long_name": "pulse transmit time since reference_epoch_utc"}),
                  fast_time=("fast_time", acq.fast_time_s, {"units": "s", "long_name": "two-way slant range time"}),
                  orbit_time=("orbit_time", sv.time_s, {"units": "s"}), xyz=("xyz", np.array(["x", "y", "z"])))
    data = dict(orbit_position=(("orbit_time", "xyz"), sv.position_m), orbit_velocity=(("orbit_time", "xyz"), sv.velocity_m_s),
                target_position=(("target", "xyz"), pts.reshape(-1, 3)), target_rcs_m2=("target", rcs),
                target_along_track_m=("target", np.array([t.along_track_m for t in scene.targets], float)),
                target_cross_track_m=("target", np.array([t.cross_track_m for t in scene.targets], float)),
                target_height_m=("target", np.array([t.height_m for t in scene.targets], float)),
                target_azimuth_time=("target", t0z), target_slant_range_m=("target", r0z))
    if scene.quantisation == "none":
        data["echoes"] = (("azimuth_time", "fast_time"), echoes)
    else:
        q, scale, block = quantise(echoes, scene.quantisation, bits)
        data["echoes_iq"] = (("azimuth_time", "fast_time", "iq"), q)
        data["echo_scale"] = (("azimuth_time", "scale_block"), scale)
        attrs["baq_block_samples"] = int(block)
    return xr.Dataset(data, coords=coords, attrs=attrs)
