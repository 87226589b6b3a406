"""Orbit interpolation of ECEF state vectors (Hermite and Lagrange).

Two interpolators, both exact polynomials on a sliding window of ``n`` samples:

* ``"hermite"`` (default): osculating Hermite interpolation on the ``n`` = 4 samples around
  the query time using positions *and* velocities (degree 2n−1 = 7), as ISCE's
  ``orbitHermite``. With the 10 s Sentinel-1 state-vector spacing the interpolation error
  is below 1 mm in position and 1e-6 m/s in velocity (the truncation term is
  h^8 x^(8)/8! ≈ (ω h)^8 r / 8! with ω ≈ 1.1e-3 rad/s).
* ``"lagrange"``: Lagrange interpolation of positions on ``n`` = 8 samples (degree 7);
  velocities are the analytic derivative. Same order of accuracy for smooth orbits; less
  robust than Hermite on the noisy trajectories of airborne sensors.

For speed the interpolant of each sample interval is converted once into a local degree-7
polynomial (8 coefficients per axis, in powers of the time since the interval start), so
evaluation over millions of times is one gather plus a Horner loop — positions, velocities
and accelerations come from the same polynomial.

Times are float seconds since ``epoch`` (a ``numpy.datetime64[ns]``): float64 seconds keep
~1e-15 relative precision, i.e. sub-ns over a day, which is 0.15 mm of slant range.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lotusar.errors import ValidationError


def _hermite_basis(t, tk):
    """Hermite basis values (H_i, K_i) at scalar/array t for nodes tk (n,)."""
    n = tk.size
    t = np.asarray(t, dtype=np.float64)[..., None]
    L = np.ones(t.shape[:-1] + (n,))
    c = np.zeros(n)
    for i in range(n):
        for j in range(n):
            if j != i:
                L[..., i] *= (t[..., 0] - tk[j]) / (tk[i] - tk[j])
                c[i] += 1.0 / (tk[i] - tk[j])
    dt = t - tk
    H = (1.0 - 2.0 * c * dt) * L * L
    K = dt * L * L
    return H, K


def _lagrange_basis(t, tk):
    n = tk.size
    t = np.asarray(t, dtype=np.float64)[..., None]
    L = np.ones(t.shape[:-1] + (n,))
    for i in range(n):
        for j in range(n):
            if j != i:
                L[..., i] *= (t[..., 0] - tk[j]) / (tk[i] - tk[j])
    return L


@dataclass
class Orbit:
    """ECEF state vectors and their interpolant.

    ``time_s``: (N,) seconds since ``epoch``; ``position_m``/``velocity_mps``: (N, 3) ECEF.
    """

    time_s: np.ndarray
    position_m: np.ndarray
    velocity_mps: np.ndarray
    epoch: np.datetime64
    method: str = "hermite"
    _coef: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.time_s = np.asarray(self.time_s, dtype=np.float64)
        self.position_m = np.asarray(self.position_m, dtype=np.float64).reshape(-1, 3)
        self.velocity_mps = np.asarray(self.velocity_mps, dtype=np.float64).reshape(-1, 3)
        self.epoch = np.datetime64(self.epoch, "ns")
        n = self.time_s.size
        if n < 4:
            raise ValidationError(f"orbit needs at least 4 state vectors, got {n}")
        if np.any(np.diff(self.time_s) <= 0):
            order = np.argsort(self.time_s)
            keep = np.concatenate([[True], np.diff(self.time_s[order]) > 0])
            self.time_s = self.time_s[order][keep]
            self.position_m = self.position_m[order][keep]
            self.velocity_mps = self.velocity_mps[order][keep]
        if self.method not in ("hermite", "lagrange"):
            raise ValidationError(f"unknown orbit interpolation {self.method!r}: hermite or lagrange")
        self._coef = self._segment_polynomials()

    @classmethod
    def from_datetimes(cls, times, position_m, velocity_mps, epoch=None, method="hermite") -> "Orbit":
        t = np.asarray(times).astype("datetime64[ns]")
        if epoch is None:
            epoch = t[0] + (t[-1] - t[0]) // 2
        epoch = np.datetime64(epoch, "ns")
        ts = (t - epoch) / np.timedelta64(1, "s")
        return cls(ts, position_m, velocity_mps, epoch, method)

    # --- construction of the per-interval degree-7 polynomials -----------------------
    def _segment_polynomials(self) -> np.ndarray:
        t = self.time_s
        N = t.size
        n = 4 if self.method == "hermite" else min(8, N)
        coef = np.empty((N - 1, 8, 3))
        for s in range(N - 1):
            lo = int(np.clip(s - (n // 2 - 1), 0, N - n))
            idx = np.arange(lo, lo + n)
            tk = t[idx]
            h = t[s + 1] - t[s]
            # evaluate the interpolant at 8 Chebyshev nodes of the interval, fit exactly
            u = 0.5 * h * (1 - np.cos(np.pi * (np.arange(8) + 0.5) / 8))
            if self.method == "hermite":
                H, K = _hermite_basis(t[s] + u, tk)
                vals = H @ self.position_m[idx] + K @ self.velocity_mps[idx]
                deg = 7
            else:
                L = _lagrange_basis(t[s] + u, tk)
                vals = L @ self.position_m[idx]
                deg = n - 1
            # fit in scaled variable u/h for conditioning, then rescale
            x = u / h
            V = np.vander(x, 8, increasing=True)[:, : deg + 1]
            c_scaled, *_ = np.linalg.lstsq(V, vals, rcond=None)
            c = np.zeros((8, 3))
            c[: deg + 1] = c_scaled / (h ** np.arange(deg + 1))[:, None]
            coef[s] = c
        return coef

    @property
    def start_s(self) -> float:
        return float(self.time_s[0])

    @property
    def end_s(self) -> float:
        return float(self.time_s[-1])

    def seconds(self, times) -> np.ndarray:
        """datetime64 → float seconds since this orbit's epoch."""
        return (np.asarray(times).astype("datetime64[ns]") - self.epoch) / np.timedelta64(1, "s")

    def interpolate(self, t_s, derivatives: int = 1):
        """Position (…,3) [, velocity [, acceleration]] at times ``t_s`` (s since epoch).

        Times outside the state-vector span are extrapolated from the end intervals (the
        caller checks the span when it matters).
        """
        t = np.asarray(t_s, dtype=np.float64)
        seg = np.clip(np.searchsorted(self.time_s, t, side="right") - 1, 0, self.time_s.size - 2)
        s_lo, s_hi = (int(seg.min()), int(seg.max())) if seg.size else (0, 0)
        if seg.size and s_hi - s_lo < 6:
            # few intervals (the usual case for an image block): scalar coefficients per
            # interval instead of a gather per coefficient — ~5× faster
            outs = [np.empty(t.shape + (3,)) for _ in range(derivatives + 1)]
            for sgi in range(s_lo, s_hi + 1):
                m = seg == sgi if s_hi > s_lo else Ellipsis
                u = (t[m] - self.time_s[sgi])[..., None]
                res = self._horner(self._coef[sgi], u, derivatives)
                for o, r in zip(outs, res):
                    o[m] = r
            return outs[0] if derivatives == 0 else tuple(outs)
        u = (t - self.time_s[seg])[..., None]
        C = self._coef
        pos = C[seg, 7]
        for k in range(6, -1, -1):
            pos = pos * u + C[seg, k]
        out = [pos]
        if derivatives >= 1:
            vel = 7.0 * C[seg, 7]
            for k in range(6, 0, -1):
                vel = vel * u + k * C[seg, k]
            out.append(vel)
        if derivatives >= 2:
            acc = 42.0 * C[seg, 7]
            for k in range(6, 1, -1):
                acc = acc * u + (k * (k - 1)) * C[seg, k]
            out.append(acc)
        return out[0] if derivatives == 0 else tuple(out)

    @staticmethod
    def _horner(c, u, derivatives):
        pos = c[7] * u + c[6]
        for k in range(5, -1, -1):
            pos = pos * u + c[k]
        out = [pos]
        if derivatives >= 1:
            vel = 7.0 * c[7] * u + 6.0 * c[6]
            for k in range(5, 0, -1):
                vel = vel * u + k * c[k]
            out.append(vel)
        if derivatives >= 2:
            acc = 42.0 * c[7] * u + 30.0 * c[6]
            for k in range(5, 1, -1):
                acc = acc * u + (k * (k - 1)) * c[k]
            out.append(acc)
        return out
