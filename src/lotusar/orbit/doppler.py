"""Range, range rate, Doppler shift and Doppler rate of a satellite seen from a ground site.

The site is fixed in ITRS, so the range rate is ρ̇ = (r − s)·v / ρ with the Earth-relative
(ITRS) velocity v of the satellite; the received frequency offset for a carrier f is the
first-order Doppler shift Δf = −f ρ̇ / c (the second-order term ½ f (v/c)² ≈ 3e-10 f, i.e.
2.4 Hz at 8 GHz, is below the accuracy of SGP4 velocities ~1 m/s ≈ 27 Hz at 8 GHz).
Doppler rate d(Δf)/dt = −f ρ̈ / c uses a central difference of the exact range rate over
±0.5 s (truncation error ~1e-7 Hz/s).
"""

from __future__ import annotations

import numpy as np

from lotusar.constants import SPEED_OF_LIGHT_M_S
from lotusar.errors import ValidationError
from lotusar.orbit import frames
from lotusar.orbit.passes import Site
from lotusar.orbit.propagate import itrs_state, time_grid
from lotusar.timeutil import iso_utc, parse_window


def topocentric_series(sat, site, times) -> dict:
    """az/el/range/range-rate arrays of ``sat`` from ``site`` (Site or GroundStation) at ``times``."""
    s = Site.of(site)
    t = frames.as_times(times)
    r, v = itrs_state(sat, t)
    az, el, rng, rr = frames.topocentric(r, v, s.itrs_m, s.enu)
    return {"time": t, "azimuth_deg": az, "elevation_deg": el, "range_m": rng, "range_rate_m_s": rr}


def doppler_series(sat, site, times, carrier_hz: float, with_rate: bool = True) -> dict:
    """Topocentric series plus ``doppler_hz`` (and ``doppler_rate_hz_s``) for ``carrier_hz``."""
    if not carrier_hz > 0:
        raise ValidationError(f"carrier frequency must be positive, got {carrier_hz}")
    out = topocentric_series(sat, site, times)
    out["doppler_hz"] = -carrier_hz * out["range_rate_m_s"] / SPEED_OF_LIGHT_M_S
    if with_rate:
        half = np.timedelta64(500_000_000, "ns")
        s = Site.of(site)
        t = out["time"]
        tt = np.concatenate((t - half, t + half))
        r, v = itrs_state(sat, tt)
        _, _, _, rr = frames.topocentric(r, v, s.itrs_m, s.enu)
        n = t.size
        range_acc = (rr[n:] - rr[:n]) / 1.0
        out["range_acceleration_m_s2"] = range_acc
        out["doppler_rate_hz_s"] = -carrier_hz * range_acc / SPEED_OF_LIGHT_M_S
    return out


def antenna_track(sat, site, start, end, step_s: float = 1.0, carrier_hz: float | None = None,
                  min_elevation_deg: float | None = None) -> dict:
    """Antenna pointing track (az/el/range/range rate, Doppler when ``carrier_hz``) on a regular grid.

    With ``min_elevation_deg`` only the samples above that elevation are kept.
    """
    t0, t1 = parse_window(start, end)
    t = time_grid(t0, t1, step_s)
    out = doppler_series(sat, site, t, carrier_hz) if carrier_hz else topocentric_series(sat, site, t)
    if min_elevation_deg is not None:
        keep = out["elevation_deg"] >= min_elevation_deg
        out = {k: v[keep] for k, v in out.items()}
    return out


def records(series: dict) -> list[dict]:
    """Column arrays → list of row dicts (JSON/CSV friendly), time as ISO 8601 UTC."""
    keys = list(series)
    n = len(series["time"])
    cols = {k: (series[k] if k == "time" else np.asarray(series[k], float)) for k in keys}
    rows = []
    for i in range(n):
        row = {}
        for k in keys:
            row[k] = iso_utc(cols[k][i], 3) if k == "time" else float(cols[k][i])
        rows.append(row)
    return rows
