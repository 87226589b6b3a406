"""External radiometric calibration of the scenario's SLC with a corner reflector.

As at a real calibration site, a trihedral corner reflector of known RCS σ_cr (m²) stands in the
scene. Its integrated energy in the focused SLC, E_cr = Σ_window |s|² − N_window·⟨|s|²⟩_clutter
(clutter from a surrounding annulus), gives the system gain per unit RCS, E_cr/σ_cr. A
distributed target of backscatter β⁰ fills each pixel with RCS β⁰·Δa·Δr (Δa azimuth, Δr slant
range pixel spacing), so its mean intensity is (E_cr/σ_cr)·β⁰·Δa·Δr, and the calibration
constant in the convention β⁰ = |DN|²/10^(K/10) (``lotusar.geo``) is

    K = 10·log10(E_cr·Δa·Δr / σ_cr)   (integral method, Gray et al. 1990; CEOS calibration practice)
"""

from __future__ import annotations

import numpy as np

TRIHEDRAL_RCS_M2 = 10 ** 4.5  # 45 dBm²: a ~2.5 m trihedral at X band (4πa⁴/3λ², a = 2.5 m, λ = 3.1 cm)


def corner_reflector_constant_db(slc, target_index: int = 0, half_window: tuple[int, int] = (24, 10)) -> dict:
    """Calibration constant K (dB) from the reflector ``target_index`` of an SLC Dataset."""
    img = slc["slc"].values
    t = np.asarray(slc["azimuth_time"].values, float)
    r = np.asarray(slc["slant_range"].values, float)
    tt = float(slc["target_azimuth_time"].values[target_index])
    rr = float(slc["target_slant_range_m"].values[target_index])
    rcs = float(slc["target_rcs_m2"].values[target_index])
    i0 = int(np.argmin(np.abs(t - tt)))
    j0 = int(np.argmin(np.abs(r - rr)))
    wa, wr = half_window
    # refine to the peak in a small box
    box = np.abs(img[max(i0 - 4, 0):i0 + 5, max(j0 - 4, 0):j0 + 5]) ** 2
    di, dj = np.unravel_index(int(np.argmax(box)), box.shape)
    i0, j0 = max(i0 - 4, 0) + int(di), max(j0 - 4, 0) + int(dj)
    inner = img[i0 - wa:i0 + wa + 1, j0 - wr:j0 + wr + 1]
    outer = img[i0 - 3 * wa:i0 + 3 * wa + 1, j0 - 3 * wr:j0 + 3 * wr + 1]
    if inner.shape != (2 * wa + 1, 2 * wr + 1) or outer.shape != (6 * wa + 1, 6 * wr + 1):
        raise ValueError("corner reflector too close to the SLC edge for the integral method")
    p_in = np.abs(inner) ** 2
    p_out = np.abs(outer) ** 2
    clutter = (p_out.sum() - p_in.sum()) / (p_out.size - p_in.size)
    energy = float(p_in.sum() - clutter * p_in.size)
    da = float(slc.attrs["azimuth_pixel_spacing_m"])
    dr = float(slc.attrs["range_pixel_spacing_m"])
    k_db = 10.0 * np.log10(energy * da * dr / rcs)
    scr_db = 10.0 * np.log10(p_in.max() / clutter)
    return {"calibration_constant_db": float(k_db), "rcs_m2": rcs, "integrated_energy": energy,
            "signal_to_clutter_db": float(scr_db), "peak_line": int(i0), "peak_sample": int(j0)}
