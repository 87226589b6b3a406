"""Orbit state vectors for SAR: sampling, interpolation, Earth-fixed (ITRS) geometry.

A SAR acquisition carries its orbit as state vectors (time, ITRS position, velocity) at a
regular step (1 s here); every later step (focusing, truth positions, geocoding) uses the
same vectors through cubic Hermite interpolation, whose error for a LEO orbit at 1 s spacing is
~ r w^4 h^4 / 384 ~ 1e-7 m (w = mean motion) — far below a wavelength.

The vectors come from the orbit stage (``lotusar.orbit.propagate.itrs_state``) when it is
installed, otherwise from SGP4 (TEME) rotated to the Earth-fixed frame by GMST (IAU 1982;
polar motion and UT1-UTC neglected, < 10 m — irrelevant here because simulator and focuser
share the same vectors).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lotusar.errors import ValidationError
from lotusar.orbit.propagate import itrs_state
from lotusar.orbit.satellite import Satellite


@dataclass(frozen=True)
class StateVectors:
    """Orbit samples: ``time_s`` (seconds since ``epoch_utc``), ITRS ``position_m``, ``velocity_m_s`` (N, 3)."""

    epoch_utc: np.datetime64
    time_s: np.ndarray
    position_m: np.ndarray
    velocity_m_s: np.ndarray

    def __post_init__(self):
        t = np.asarray(self.time_s, float)
        if t.ndim != 1 or t.size < 4 or np.any(np.diff(t) <= 0):
            raise ValidationError("state vectors need >= 4 strictly increasing times")
        if np.shape(self.position_m) != (t.size, 3) or np.shape(self.velocity_m_s) != (t.size, 3):
            raise ValidationError("state vector position/velocity must be (N, 3)")

    def interpolate(self, t_s) -> tuple[np.ndarray, np.ndarray]:
        """ITRS position and velocity at ``t_s`` (seconds since epoch) by cubic Hermite."""
        t_s = np.asarray(t_s, float)
        t = self.time_s
        if np.any(t_s < t[0] - 1e-6) or np.any(t_s > t[-1] + 1e-6):
            raise ValidationError(f"time outside the state vectors [{t[0]:.3f}, {t[-1]:.3f}] s")
        i = np.clip(np.searchsorted(t, t_s, side="right") - 1, 0, t.size - 2)
        h = (t[i + 1] - t[i])[..., None]
        s = ((t_s - t[i]) / (t[i + 1] - t[i]))[..., None]
        p0, p1 = self.position_m[i], self.position_m[i + 1]
        m0, m1 = self.velocity_m_s[i] * h, self.velocity_m_s[i + 1] * h
        s2, s3 = s * s, s * s * s
        pos = (2 * s3 - 3 * s2 + 1) * p0 + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * p1 + (s3 - s2) * m1
        vel = ((6 * s2 - 6 * s) * p0 + (3 * s2 - 4 * s + 1) * m0 + (-6 * s2 + 6 * s) * p1 + (3 * s2 - 2 * s) * m1) / h
        return pos, vel


def itrs_states(mode, times_utc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ITRS position (m) and Earth-relative velocity (m/s) of the mode's satellite at ``times_utc``.

    The mode's own TLE (``tle_line1/2``) is propagated by the orbit stage
    (``lotusar.orbit.propagate.itrs_state``: vectorised SGP4, TEME → ITRS with UT1 from
    skyfield's builtin tables), so the SAR geometry and the passes/access of the orbit stage
    share one frame chain.
    """
    sat = Satellite.from_tle(mode.tle_line1, mode.tle_line2, name=mode.satellite)
    r, v = itrs_state(sat, np.asarray(times_utc, "datetime64[ns]"))
    r, v = np.asarray(r, float), np.asarray(v, float)
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(v))):
        raise ValidationError(f"SGP4 propagation of {mode.satellite!r} failed over the acquisition (elements too old or decayed)")
    return r, v


def orbit_state_vectors(mode, start_utc: np.datetime64, duration_s: float, step_s: float = 1.0) -> StateVectors:
    """State vectors covering [start - 3 step, start + duration + 3 step] for ``mode``'s orbit."""
    n = int(np.ceil(duration_s / step_s)) + 7
    rel = (np.arange(n) - 3) * step_s
    start = np.datetime64(start_utc, "ns")
    times = start + (rel * 1e9).astype("int64").astype("timedelta64[ns]")
    r, v = itrs_states(mode, times)
    return StateVectors(epoch_utc=start, time_s=rel, position_m=r, velocity_m_s=v)
