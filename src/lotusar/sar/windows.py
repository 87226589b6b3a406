"""Spectral weighting windows evaluated at continuous normalised frequency x in [-1/2, 1/2].

``hamming``: a + (1 - a) cos(2 pi x) (a = 0.54 classic, 0.75 in Sentinel-1);
``taylor``: n-bar = 4, -35 dB (Carrara et al. 1995, "Spotlight SAR", App. D), the same
coefficients as ``scipy.signal.windows.taylor``; ``kaiser``: beta = coefficient (default 2.5).
Windows are normalised to 1 at x = 0; zero outside |x| > 1/2.
"""

from __future__ import annotations

import numpy as np

from lotusar.errors import ValidationError
from lotusar.xp import array_namespace


def _taylor_coefficients(nbar: int = 4, sll_db: float = 35.0) -> np.ndarray:
    b = 10 ** (sll_db / 20)
    a = np.arccosh(b) / np.pi
    s2 = nbar**2 / (a**2 + (nbar - 0.5) ** 2)
    ma = np.arange(1, nbar)
    fm = np.empty(nbar - 1)
    signs = np.empty_like(ma, dtype=float)
    signs[::2] = 1
    signs[1::2] = -1
    m2 = ma * ma
    for mi in range(len(ma)):
        numer = signs[mi] * np.prod(1 - m2[mi] / s2 / (a**2 + (ma - 0.5) ** 2))
        denom = 2 * np.prod(1 - m2[mi] / m2[:mi]) * np.prod(1 - m2[mi] / m2[mi + 1:])
        fm[mi] = numer / denom
    return fm


def window(name: str, x, coefficient: float | None = None):
    """Weights of window ``name`` at normalised frequencies ``x`` (array-API: numpy or cupy)."""
    xp = array_namespace(x)
    inside = xp.abs(x) <= 0.5
    if name == "none":
        w = xp.ones_like(x, dtype=float)
    elif name == "hamming":
        a = 0.54 if coefficient is None else coefficient
        w = a + (1 - a) * xp.cos(2 * np.pi * x)
    elif name == "taylor":
        fm = _taylor_coefficients()
        w = xp.ones_like(x, dtype=float)
        for m, f in enumerate(fm, start=1):
            w = w + 2 * f * xp.cos(2 * np.pi * m * x)
        w = w / (1 + 2 * fm.sum())
    elif name == "kaiser":
        beta = 2.5 if coefficient is None else coefficient
        w = xp.asarray(np.i0(beta * np.sqrt(np.clip(1 - (2 * np.asarray(x.get() if hasattr(x, "get") else x)) ** 2, 0, 1)))) / np.i0(beta)
    else:
        raise ValidationError(f"unknown window {name!r} (none, hamming, taylor, kaiser)")
    return xp.where(inside, w, 0.0)
