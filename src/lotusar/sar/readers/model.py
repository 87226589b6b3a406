"""The in-memory raw block every real-data reader returns (SI units in every name).

A :class:`RawBlock` holds stripmap echoes (azimuth lines x range samples) and the sensor
values a range-Doppler family processor needs. It converts to the SAR-core raw ``Dataset``
(:mod:`lotusar.sar.io`) with :func:`lotusar.sar.readers.convert.to_raw_dataset`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lotusar.constants import SPEED_OF_LIGHT_M_S


@dataclass
class RawBlock:
    """Stripmap raw echoes with the radar values needed to focus them.

    ``echoes``: complex64 (azimuth, range), DC offset removed. ``near_range_m``: one-way slant
    range of the first sample. The transmitted pulse is exp(jπ·K·t²), |t| ≤ T/2 with
    K = ``chirp_rate_hz_per_s`` (negative for a down-chirp); a measured ``chirp_replica``
    (complex, sampled at ``range_sampling_rate_hz``) replaces the ideal chirp when present.
    ``azimuth_time_s``: pulse times (s since ``reference_epoch_utc``).
    """

    mission: str
    echoes: np.ndarray
    carrier_hz: float
    prf_hz: float
    range_sampling_rate_hz: float
    chirp_rate_hz_per_s: float
    pulse_length_s: float
    near_range_m: float
    azimuth_time_s: np.ndarray
    reference_epoch_utc: str = "2000-01-01T00:00:00"
    look_side: str = "right"
    effective_velocity_m_s: float | None = None
    speed_of_light_m_s: float = SPEED_OF_LIGHT_M_S
    chirp_replica: np.ndarray | None = None
    orbit_time_s: np.ndarray | None = None
    orbit_position_m: np.ndarray | None = None
    orbit_velocity_m_s: np.ndarray | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def wavelength_m(self) -> float:
        return self.speed_of_light_m_s / self.carrier_hz

    @property
    def range_bandwidth_hz(self) -> float:
        return abs(self.chirp_rate_hz_per_s) * self.pulse_length_s

    @property
    def range_pixel_spacing_m(self) -> float:
        return self.speed_of_light_m_s / (2.0 * self.range_sampling_rate_hz)

    @property
    def slant_range_m(self) -> np.ndarray:
        return self.near_range_m + np.arange(self.echoes.shape[1]) * self.range_pixel_spacing_m

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.echoes.shape)  # type: ignore[return-value]

    def replica(self) -> np.ndarray:
        """Transmitted pulse sampled at fs, centred: the measured replica or the ideal chirp."""
        if self.chirp_replica is not None:
            return np.asarray(self.chirp_replica, np.complex64)
        n = int(round(self.pulse_length_s * self.range_sampling_rate_hz))
        t = (np.arange(n) - (n - 1) / 2.0) / self.range_sampling_rate_hz
        return np.exp(1j * np.pi * self.chirp_rate_hz_per_s * t * t).astype(np.complex64)

    def subset(self, azimuth: slice = slice(None), range_: slice = slice(None)) -> RawBlock:
        """A smaller block (range subset moves ``near_range_m``)."""
        r0 = range_.start or 0
        b = RawBlock(**{**self.__dict__})
        b.echoes = self.echoes[azimuth, range_]
        b.azimuth_time_s = self.azimuth_time_s[azimuth]
        b.near_range_m = self.near_range_m + r0 * self.range_pixel_spacing_m
        b.metadata = dict(self.metadata)
        return b
