"""Topographic layers of geocoded radar samples (incidence, heading, local incidence, ψ).

The range-Doppler solvers themselves (rdr2geo, geo2rdr) are the product model's:
:mod:`lotusar.sar.model`.
"""

from __future__ import annotations

import numpy as np

from lotusar.geodesy import ecef_to_enu
from lotusar.sar.model import Orbit


def topo_layers(orbit: Orbit, azimuth_time_s, lon_deg, lat_deg, height_m, target_ecef_m, dem, look_side="right"):
    """ISCE-style topo layers at the targets, all in degrees:

    * ``incidence_deg``: angle between the LOS (target → platform) and the ellipsoid normal;
    * ``los_azimuth_deg`` (ISCE ``hdg``): azimuth of the target → platform vector,
      anticlockwise from north: atan2(n, e) − 90° of the platform-to-target ENU vector (ISCE);
    * ``local_incidence_deg``: angle between the LOS and the terrain normal (−∂h/∂e, −∂h/∂n, 1);
    * ``local_psi_deg``: angle between the terrain normal and the image-plane normal
      (LOS × velocity, pointing up) — the projection angle ψ of Small (2011);
    * ``simamp``: ISCE's simulated amplitude log10(|0.01 cosθ_loc / (sinθ_loc + 0.1 cosθ_loc)³|).
    """
    t = np.asarray(azimuth_time_s, dtype=np.float64)
    x = np.asarray(target_ecef_m)
    p, v = orbit.interpolate(np.broadcast_to(t, x.shape[:-1]))
    s2g = x - p
    enu = ecef_to_enu(s2g, lat_deg=lat_deg, lon_deg=lon_deg)
    norm = np.linalg.norm(enu, axis=-1)
    u = enu / norm[..., None]
    inc = np.degrees(np.arccos(np.abs(u[..., 2])))
    hdg = np.degrees(np.arctan2(enu[..., 1], enu[..., 0]) - 0.5 * np.pi)
    hdg = (hdg + 180.0) % 360.0 - 180.0
    alpha, beta = dem.slopes_at(lon_deg, lat_deg)
    cos_loc = (u[..., 0] * alpha + u[..., 1] * beta - u[..., 2]) / np.sqrt(1 + alpha**2 + beta**2)
    loc_inc = np.degrees(np.arccos(np.clip(cos_loc, -1, 1)))
    sin_loc = np.sqrt(np.maximum(1 - cos_loc**2, 0))
    bb = sin_loc + 0.1 * cos_loc
    with np.errstate(divide="ignore", invalid="ignore"):
        simamp = np.log10(np.abs(0.01 * cos_loc / bb**3))
    n_img = np.cross(s2g, v)
    n_img_enu = ecef_to_enu(n_img, lat_deg=lat_deg, lon_deg=lon_deg)
    n_img_enu = n_img_enu * np.sign(n_img_enu[..., 2:3])  # pointing up
    n_trg = np.stack([-alpha, -beta, np.ones_like(alpha)], axis=-1)
    cos_psi = (n_trg * n_img_enu).sum(-1) / (np.linalg.norm(n_trg, axis=-1) * np.linalg.norm(n_img_enu, axis=-1))
    psi = np.degrees(np.arccos(np.clip(cos_psi, -1, 1)))
    return {"incidence_deg": inc, "los_azimuth_deg": hdg, "local_incidence_deg": loc_inc,
            "local_psi_deg": psi, "simamp": simamp}
