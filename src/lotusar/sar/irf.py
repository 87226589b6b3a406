"""Impulse-response (IRF) analysis of point targets, and the IRF predicted from the spectrum.

For each target: a patch around the peak is demodulated to baseband (its azimuth and range
spectral centroids from lag-one correlations), up-sampled 2-D by zero-padding its spectrum,
and cut through the peak along range and azimuth. Per cut: -3 dB width (linear interpolation
of the crossing), PSLR = highest sidelobe outside the main lobe (first minima) relative to
the peak, ISLR = sidelobe energy within +-``islr_extent`` resolution cells over main-lobe
energy (1-D, as in CEOS SAR calibration practice). An unweighted flat spectrum gives
0.886/B, -13.26 dB and -9.7 dB (sinc). With weighting (window, antenna pattern) the theory
values come from the same measurement applied to the IFFT of the processed spectrum weight.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from lotusar.constants import SPEED_OF_LIGHT_M_S as C
from lotusar.fileio import atomic_path
from lotusar.sar.windows import window


def measure_cut(cut_db_lin: np.ndarray, step: float, islr_cells: float = 20.0) -> dict:
    """Resolution (in units of ``step``), PSLR and ISLR (dB) of a 1-D intensity cut |h|^2."""
    p = np.asarray(cut_db_lin, float)
    k = int(np.argmax(p))
    peak = p[k]
    half = peak / 2
    i = k
    while i > 0 and p[i] > half:
        i -= 1
    j = k
    while j < len(p) - 1 and p[j] > half:
        j += 1
    left = i + (half - p[i]) / (p[i + 1] - p[i]) if p[i + 1] != p[i] else i
    right = j - 1 + (p[j - 1] - half) / (p[j - 1] - p[j]) if p[j - 1] != p[j] else j
    width = (right - left)
    a = k
    while a > 0 and p[a - 1] < p[a]:
        a -= 1
    b = k
    while b < len(p) - 1 and p[b + 1] < p[b]:
        b += 1
    side = np.r_[p[:a], p[b + 1:]]
    pslr = 10 * np.log10(side.max() / peak) if side.size else -np.inf
    n_cells = islr_cells * width / 0.886
    lo = max(0, int(k - n_cells))
    hi = min(len(p), int(k + n_cells) + 1)
    main = p[a:b + 1].sum()
    sl = p[lo:a].sum() + p[b + 1:hi].sum()
    islr = 10 * np.log10(sl / main) if sl > 0 else -np.inf
    return {"resolution": width * step, "pslr_db": float(pslr), "islr_db": float(islr), "peak_index": k}


def theoretical_irf(weight: np.ndarray, bandwidth_hz: float, oversample: int = 64) -> dict:
    """IRF of a spectrum weight sampled uniformly over the processed band: width in seconds."""
    w = np.asarray(weight, float)
    n = len(w)
    big = np.zeros(n * oversample)
    big[:n] = w
    h = np.abs(np.fft.fftshift(np.fft.ifft(np.roll(big, -(n // 2))))) ** 2
    df = bandwidth_hz / n
    dt = 1.0 / (df * n * oversample)
    return measure_cut(h, dt)


def _baseband(patch: np.ndarray) -> np.ndarray:
    fa = np.angle(np.sum(patch[1:] * np.conj(patch[:-1])))
    fr = np.angle(np.sum(patch[:, 1:] * np.conj(patch[:, :-1])))
    na, nr = patch.shape
    return patch * np.exp(-1j * fa * np.arange(na))[:, None] * np.exp(-1j * fr * np.arange(nr))[None, :]


def upsample2d(patch: np.ndarray, factor: int) -> np.ndarray:
    """Zero-padded spectrum up-sampling of a baseband patch (centre-aligned)."""
    na, nr = patch.shape
    spec = np.fft.fftshift(np.fft.fft2(patch))
    big = np.zeros((na * factor, nr * factor), np.complex128)
    a0 = (na * factor - na) // 2
    r0 = (nr * factor - nr) // 2
    big[a0:a0 + na, r0:r0 + nr] = spec
    return np.fft.ifft2(np.fft.ifftshift(big)) * factor * factor


def analyse_target(slc: np.ndarray, az_px: float, rg_px: float, search: int = 8, half: int = 32, factor: int = 16) -> dict:
    """Measure one target near (az_px, rg_px) of an SLC array (pixel units)."""
    na, nr = slc.shape
    k0, j0 = int(round(az_px)), int(round(rg_px))
    a0, a1 = max(k0 - search, 0), min(k0 + search + 1, na)
    b0, b1 = max(j0 - search, 0), min(j0 + search + 1, nr)
    win = np.abs(slc[a0:a1, b0:b1])
    if win.size == 0:
        raise ValueError("target outside the image")
    dk, dj = np.unravel_index(np.argmax(win), win.shape)
    k, j = a0 + dk, b0 + dj
    half = min(half, k, j, na - k, nr - j)  # shrink the patch near the image edge
    if half < 12:
        raise ValueError("target too close to the image edge for IRF analysis")
    patch = _baseband(slc[k - half:k + half, j - half:j + half].astype(np.complex128))
    up = np.abs(upsample2d(patch, factor)) ** 2
    pk = np.unravel_index(np.argmax(up), up.shape)
    az_cut, rg_cut = up[:, pk[1]], up[pk[0], :]
    ma = measure_cut(az_cut, 1.0 / factor)
    mr = measure_cut(rg_cut, 1.0 / factor)
    pos_az = k - half + pk[0] / factor
    pos_rg = j - half + pk[1] / factor
    return {"azimuth_px": pos_az, "range_px": pos_rg, "peak_intensity": float(up.max()),
            "azimuth": ma, "range": mr, "upsampled": up, "factor": factor}


def processed_weights(attrs: dict, n: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Range and azimuth spectrum weights over the processed bands (window x antenna pattern)."""
    x = (np.arange(n) - n / 2 + 0.5) / n
    coef = attrs.get("window_coefficient")
    coef = None if coef is None else float(coef)
    wr = window(attrs.get("range_window", "none"), x, coef)
    wa = window(attrs.get("azimuth_window", "none"), x, coef)
    if int(attrs.get("antenna_pattern", 0)) and attrs.get("antenna_length_m"):
        lam = C / float(attrs["carrier_hz"])
        vs = float(attrs.get("platform_velocity_m_s", 7600.0))
        bw = float(attrs["processed_azimuth_bandwidth_hz"])
        u = x * bw * lam / (2 * vs)  # azimuth direction cosine across the band
        wa = wa * np.sinc(float(attrs["antenna_length_m"]) * u / lam) ** 2
    return wr, wa


def theory(attrs: dict) -> dict:
    """Predicted resolution (m), PSLR, ISLR from the processed weighting recorded in the SLC."""
    wr, wa = processed_weights(attrs)
    br = float(attrs["processed_range_bandwidth_hz"])
    ba = float(attrs["processed_azimuth_bandwidth_hz"])
    tr = theoretical_irf(wr, br)
    ta = theoretical_irf(wa, ba)
    return {"range_resolution_m": tr["resolution"] * C / 2, "azimuth_resolution_m": ta["resolution"] * float(attrs["ground_velocity_m_s"]),
            "pslr_range_db": tr["pslr_db"], "pslr_azimuth_db": ta["pslr_db"], "islr_range_db": tr["islr_db"],
            "islr_azimuth_db": ta["islr_db"]}


def analyse_slc(ds, factor: int = 16) -> list[dict]:
    """IRF report for every truth target of an SLC Dataset (see module docstring)."""
    slc = np.asarray(ds["slc"].values)
    attrs = dict(ds.attrs)
    t = np.asarray(ds["azimuth_time"].values, float)
    r = np.asarray(ds["slant_range"].values, float)
    dt, dr = t[1] - t[0], r[1] - r[0]
    az_spacing = float(attrs["azimuth_pixel_spacing_m"])
    th = theory(attrs)
    out = []
    n = ds.sizes.get("target", 0)
    for i in range(n):
        ta = (float(ds["target_azimuth_time"].values[i]) - t[0]) / dt
        tr = (float(ds["target_slant_range_m"].values[i]) - r[0]) / dr
        rec = {"target": i, "truth_azimuth_px": ta, "truth_range_px": tr}
        try:
            m = analyse_target(slc, ta, tr, factor=factor)
        except ValueError as e:
            rec["error"] = str(e)
            out.append(rec)
            continue
        ea, er = m["azimuth_px"] - ta, m["range_px"] - tr
        rec.update({
            "azimuth_px": m["azimuth_px"], "range_px": m["range_px"],
            "range_resolution_m": m["range"]["resolution"] * dr, "azimuth_resolution_m": m["azimuth"]["resolution"] * az_spacing,
            "theory_range_resolution_m": th["range_resolution_m"], "theory_azimuth_resolution_m": th["azimuth_resolution_m"],
            "pslr_range_db": m["range"]["pslr_db"], "pslr_azimuth_db": m["azimuth"]["pslr_db"],
            "islr_range_db": m["range"]["islr_db"], "islr_azimuth_db": m["azimuth"]["islr_db"],
            "theory_pslr_range_db": th["pslr_range_db"], "theory_pslr_azimuth_db": th["pslr_azimuth_db"],
            "theory_islr_range_db": th["islr_range_db"], "theory_islr_azimuth_db": th["islr_azimuth_db"],
            "azimuth_error_px": ea, "range_error_px": er, "position_error_px": float(np.hypot(ea, er)),
            "peak_db": 10 * np.log10(m["peak_intensity"]),
        })
        rec["_upsampled"] = m["upsampled"]
        rec["_factor"] = m["factor"]
        out.append(rec)
    return out


def irf_png(records: list[dict], path) -> None:
    """Contours of the up-sampled IRFs and their range/azimuth cuts (a matplotlib Figure, no pyplot state)."""
    recs = [r for r in records if "_upsampled" in r]
    n = max(len(recs), 1)
    fig = Figure(figsize=(12, 3.6 * n))
    axes = fig.subplots(n, 3, squeeze=False)
    for row, r in zip(axes, recs):
        up = r["_upsampled"]
        db = 10 * np.log10(up / up.max() + 1e-12)
        f = r["_factor"]
        ext = [-up.shape[1] / 2 / f, up.shape[1] / 2 / f, up.shape[0] / 2 / f, -up.shape[0] / 2 / f]
        row[0].contour(np.linspace(ext[0], ext[1], up.shape[1]), np.linspace(ext[3], ext[2], up.shape[0]), db,
                       levels=[-40, -30, -20, -13, -6, -3])
        row[0].set_xlim(-8, 8)
        row[0].set_ylim(8, -8)
        row[0].set_title(f"target {r['target']}: IRF contours (dB)")
        row[0].set_xlabel("range (px)")
        row[0].set_ylabel("azimuth (px)")
        pk = np.unravel_index(np.argmax(up), up.shape)
        x = (np.arange(up.shape[1]) - pk[1]) / f
        row[1].plot(x, db[pk[0]])
        row[1].set_xlim(-16, 16)
        row[1].set_ylim(-50, 2)
        row[1].set_title(f"range cut: res {r['range_resolution_m']:.3f} m PSLR {r['pslr_range_db']:.2f} dB")
        y = (np.arange(up.shape[0]) - pk[0]) / f
        row[2].plot(y, db[:, pk[1]])
        row[2].set_xlim(-16, 16)
        row[2].set_ylim(-50, 2)
        row[2].set_title(f"azimuth cut: res {r['azimuth_resolution_m']:.3f} m PSLR {r['pslr_azimuth_db']:.2f} dB")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90, format="png")
