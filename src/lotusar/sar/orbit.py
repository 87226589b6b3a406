"""Orbit state vectors of a simulated SAR acquisition, from the mode's TLE.

A SAR acquisition carries its orbit as state vectors (time, ITRS position, velocity) at a
regular step (1 s here); every later step (focusing, truth positions, geocoding) uses the
same vectors through :class:`lotusar.sar.model.Orbit` (degree-7 Hermite interpolation).
The vectors come from the orbit stage (``lotusar.orbit.propagate.itrs_state``: SGP4, TEME →
ITRS with UT1).
"""

from __future__ import annotations

import numpy as np

from lotusar.errors import ValidationError
from lotusar.orbit.propagate import itrs_state
from lotusar.orbit.satellite import Satellite
from lotusar.sar.model import Orbit


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


def orbit_state_vectors(mode, start_utc: np.datetime64, duration_s: float, step_s: float = 1.0) -> Orbit:
    """State vectors covering [start - 3 step, start + duration + 3 step] for ``mode``'s orbit."""
    n = int(np.ceil(duration_s / step_s)) + 7
    rel = (np.arange(n) - 3) * step_s
    start = np.datetime64(start_utc, "ns")
    times = start + (rel * 1e9).astype("int64").astype("timedelta64[ns]")
    r, v = itrs_states(mode, times)
    return Orbit(time_s=rel, position_m=r, velocity_m_s=v, epoch_utc=start)
