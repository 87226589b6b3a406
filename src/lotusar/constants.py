"""Physical and geodetic constants: the one place lotusar defines them.

Values and sources:
- speed of light in vacuum, exact by the SI definition of the metre (BIPM SI Brochure, 2019);
- WGS84 defining parameters a and 1/f (NIMA TR8350.2, 3rd ed., Table 3.1) and the derived
  semi-minor axis, eccentricities and IUGG mean radius (Moritz 1980, Geodetic Reference System);
- Earth's rotation rate ω_E of WGS84 (TR8350.2, Table 3.1);
- Boltzmann's constant, exact by the SI definition of the kelvin.
"""

from __future__ import annotations

from typing import Final

SPEED_OF_LIGHT_M_S: Final[float] = 299_792_458.0
"""Speed of light in vacuum c [m/s] (exact)."""

WGS84_A_M: Final[float] = 6_378_137.0
"""WGS84 semi-major axis a [m]."""

WGS84_F: Final[float] = 1.0 / 298.257223563
"""WGS84 flattening f (dimensionless)."""

WGS84_B_M: Final[float] = WGS84_A_M * (1.0 - WGS84_F)
"""WGS84 semi-minor axis b = a (1 − f) [m] (6 356 752.314 m)."""

WGS84_E2: Final[float] = WGS84_F * (2.0 - WGS84_F)
"""WGS84 first eccentricity squared e² = f (2 − f)."""

WGS84_EP2: Final[float] = WGS84_E2 / (1.0 - WGS84_E2)
"""WGS84 second eccentricity squared e'² = e² / (1 − e²)."""

MEAN_EARTH_RADIUS_M: Final[float] = (2.0 * WGS84_A_M + WGS84_B_M) / 3.0
"""IUGG mean radius R1 = (2a + b) / 3 of the WGS84 ellipsoid [m] (6 371 008.8 m), for spherical-Earth estimates."""

EARTH_ROTATION_RAD_S: Final[float] = 7.292115e-5
"""WGS84 nominal mean angular velocity of the Earth ω_E [rad/s]."""

BOLTZMANN_J_K: Final[float] = 1.380649e-23
"""Boltzmann constant k [J/K] (exact)."""

DAY_S: Final[float] = 86_400.0
"""Seconds in one day of 86 400 SI seconds."""
