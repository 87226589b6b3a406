"""Doppler centroid from the data and azimuth FM rate from geometry.

Fractional part: average cross-correlation coefficient (ACCC, Madsen 1989): the phase of
sum s(n+1, j) s*(n, j) over lines is 2 pi f_dc / PRF (mod 2 pi), per range block.
Ambiguity number: multi-look cross-correlation (MLCC, Wong & Cumming 1996): the range spectrum
is split into an upper and a lower look (centre frequencies +-B/4); their ACCC phases differ by
2 pi f_dc (f_up - f_lo) / (f0 PRF), so f_dc_abs = f_dc_frac + M PRF with
M = round((dphi PRF f0 / (2 pi (f_up - f_lo)) - f_dc_frac) / PRF).
Both work on range-compressed echoes (any scene with contrast; a point target suffices).
Azimuth FM rate: Ka = 2 Vr^2 / (lambda R0) (Cumming & Wong eq. 4.38) with Vr fitted to the orbit.
"""

from __future__ import annotations

import numpy as np

from lotusar.xp import array_namespace, fft_module, fft_workers, to_numpy


def accc_phase(data, axis: int = 0):
    """Complex lag-one azimuth correlation summed per range column (lines x samples)."""
    xp = array_namespace(data)
    return xp.sum(data[1:] * xp.conj(data[:-1]), axis=axis)


def estimate_doppler_centroid(rc, prf_hz: float, carrier_hz: float, range_sampling_rate_hz: float,
                              range_bandwidth_hz: float, blocks: int = 8) -> dict:
    """Doppler centroid per range block from range-compressed data (fraction + MLCC ambiguity).

    Returns ``{"doppler_centroid_hz": array(blocks), "fraction_hz", "ambiguity", "block_centre_sample"}``.
    """
    xp = array_namespace(rc)
    fft, kw = fft_module(xp), fft_workers(xp)
    na, nr = rc.shape
    f = xp.fft.fftfreq(nr, 1.0 / range_sampling_rate_hz)
    spec = fft.fft(rc, axis=1, **kw)
    up = fft.ifft(spec * ((f > 0) & (f < range_bandwidth_hz / 2))[None, :], axis=1, **kw)
    lo = fft.ifft(spec * ((f < 0) & (f > -range_bandwidth_hz / 2))[None, :], axis=1, **kw)
    c_all, c_up, c_lo = accc_phase(rc), accc_phase(up), accc_phase(lo)
    edges = np.linspace(0, nr, blocks + 1).astype(int)
    frac, amb, centres, weight = [], [], [], []
    for a, b in zip(edges[:-1], edges[1:]):
        ca = complex(to_numpy(c_all[a:b].sum()))
        cu = complex(to_numpy(c_up[a:b].sum()))
        cl = complex(to_numpy(c_lo[a:b].sum()))
        fr = np.angle(ca) / (2 * np.pi) * prf_hz
        dphi = np.angle(cu * np.conj(cl))
        df = range_bandwidth_hz / 2  # look centres at +-B/4
        f_abs = dphi / (2 * np.pi) * prf_hz * carrier_hz / df
        frac.append(fr)
        amb.append(int(np.round((f_abs - fr) / prf_hz)))
        centres.append(0.5 * (a + b))
        weight.append(abs(ca))
    weight = np.array(weight) / max(max(weight), 1e-300)
    frac = np.array(frac)
    amb = np.array(amb)
    good = weight > 1e-3  # blocks with correlated energy (sea or empty blocks carry none)
    m = int(np.round(np.median(amb[good])))  # one ambiguity number for the scene (robust)
    return {"doppler_centroid_hz": (frac + m * prf_hz)[good], "fraction_hz": frac[good], "ambiguity": m,
            "ambiguity_per_block": amb[good], "block_centre_sample": np.array(centres)[good], "weight": weight[good]}
