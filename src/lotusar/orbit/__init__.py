"""lotusar.orbit — satellites, mean elements, SGP4 propagation, frames, passes, Doppler and SAR access.

Modules: ``satellite`` (the one :class:`Satellite` type, from TLE/OMM/the fleet file),
``elements`` (TLE/OMM ingest), ``frames`` (time scales, TEME→ITRS/GCRS, topocentric),
``propagate`` (vectorised SGP4), ``sun`` (analytic Sun, eclipse), ``passes`` (AOS/TCA/LOS),
``doppler`` (range rate, Doppler, antenna tracks), ``access`` (SAR imaging opportunities),
``io`` (AOI and track files), ``quicklook`` (PNG plots), ``demo``. Geodetic conversions are
in :mod:`lotusar.geodesy`.
"""

import importlib

_EXPORTS = {
    "Satellite": "satellite", "as_satellite": "satellite", "read_satellites": "satellite",
    "ElementSet": "elements", "read_elements": "elements", "parse_elements_text": "elements", "parse_tle": "elements",
    "teme_states": "propagate", "teme_states_many": "propagate", "itrs_state": "propagate", "gcrs_state": "propagate",
    "geodetic_track": "propagate", "track": "propagate", "time_grid": "propagate", "sunlit": "propagate",
    "find_passes": "passes", "Pass": "passes", "Site": "passes",
    "doppler_series": "doppler", "antenna_track": "doppler",
    "sar_opportunities": "access", "Opportunity": "access",
    "read_aoi": "io",
}


def __getattr__(name: str):  # lazy: keeps `import lotusar.orbit` (and the CLI's --help) light
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"lotusar.orbit.{_EXPORTS[name]}"), name)
    raise AttributeError(name)
