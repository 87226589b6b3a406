"""SAR sensor/mode presets: the parameters the simulator and the focuser need.

A :class:`SarMode` is one radar mode of one satellite: carrier, chirp, sampling, PRF, antenna,
pointing (look angle, squint), noise and quantisation, plus the orbit that carries it (a TLE
propagated through :mod:`lotusar.sar.orbit`). The LOTUSat-1 presets, one per SAR mode of the
fleet file (``lotusar-<mode>``), take every mode value (carrier, bandwidth, swath, resolution
and the sensor values for simulation and focusing) from the fleet file
(``lotusar.fleet.load_fleet()``): a new imaging mode is one block there. A broken fleet file
or a mode without the sensor values fails loudly.

Sources: ASNARO-2 (NEC): X band 9.65 GHz, spotlight 1 m / 10 km, stripmap 2 m / 12 km,
ScanSAR 16 m / 50 km, ~504 km sun-synchronous orbit. Sentinel-1 stripmap S3 values are read
from a public S3 SLC annotation (S1A_S3_SLC__1SDV_20210401T152855): radarFrequency
5.405 GHz, rangeSamplingRate 66.728 MHz, txPulseLength 44.17 us, txPulseRampRate
1.3449e12 Hz/s, PRF 1924.96 Hz, Hamming 0.75 window; antenna 12.3 m x 0.821 m (ESA).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from lotusar.constants import SPEED_OF_LIGHT_M_S
from lotusar.errors import NotFoundError, ValidationError
from lotusar.fleet import load_fleet

# ASNARO-2 (LOTUSat-1 stand-in) and Sentinel-1A elements, verbatim from CelesTrak (see
# ../shared/data/tle-fleet-sar-history); used when the fleet file cannot be loaded.
ASNARO2_TLE = (
    "1 43152U 18007A   22298.08260215  .00001542  00000+0  69772-4 0  9994",
    "2 43152  97.4255 302.4939 0001769  88.8270 356.6907 15.22399995264894",
)
SENTINEL1A_TLE = (
    "1 39634U 14016A   24226.81913507  .00001028  00000+0  22781-3 0  9990",
    "2 39634  98.1813 233.0820 0001390  90.7885 269.3474 14.59204314551992",
)


@dataclass(frozen=True)
class SarMode:
    """One SAR mode (all values SI, units in the names).

    ``chirp_rate_hz_s`` follows from bandwidth / pulse length (up-chirp, positive).
    ``look_side`` is "right" or "left"; ``squint_deg`` > 0 points the beam forward.
    """

    name: str
    satellite: str
    carrier_hz: float
    range_bandwidth_hz: float
    range_sampling_rate_hz: float
    pulse_length_s: float
    prf_hz: float
    antenna_length_m: float
    antenna_height_m: float
    look_angle_deg: float
    squint_deg: float = 0.0
    look_side: str = "right"
    nesz_db: float = -20.0
    quantisation_bits: int = 8
    window: str = "none"
    window_coefficient: float = 0.54
    acquisition_mode: str = ""
    azimuth_resolution_m: float = 0.0
    swath_km: float = 12.0
    tle_line1: str = ASNARO2_TLE[0]
    tle_line2: str = ASNARO2_TLE[1]
    reference_time_utc: str = "2022-10-25T02:10:00Z"
    burst_count: int = 1
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def wavelength_m(self) -> float:
        return SPEED_OF_LIGHT_M_S / self.carrier_hz

    @property
    def chirp_rate_hz_s(self) -> float:
        return self.range_bandwidth_hz / self.pulse_length_s

    @property
    def slant_range_spacing_m(self) -> float:
        return SPEED_OF_LIGHT_M_S / (2.0 * self.range_sampling_rate_hz)

    @property
    def theory_slant_range_resolution_m(self) -> float:
        """0.886 c / (2 B): -3 dB width of an unweighted (rect-spectrum) range IRF."""
        return 0.886 * SPEED_OF_LIGHT_M_S / (2.0 * self.range_bandwidth_hz)

    def replace(self, **changes) -> SarMode:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["assumptions"] = list(self.assumptions)
        d["wavelength_m"] = self.wavelength_m
        d["chirp_rate_hz_s"] = self.chirp_rate_hz_s
        d["slant_range_spacing_m"] = self.slant_range_spacing_m
        d["theory_slant_range_resolution_m"] = self.theory_slant_range_resolution_m
        d["theory_azimuth_resolution_m"] = 0.5 * self.antenna_length_m
        return d


_LOTUSAT1_ASSUMPTIONS = (
    "carrier 9.65 GHz: ASNARO-2 public (NEC)",
    "range bandwidth from published resolution: B = c/(2 res_ground sin(incidence))",
    "pulse length, range sampling rate (1.2 x B), PRF, antenna 4.0 m x 1.2 m, look angle, NESZ: ASSUMPTION",
    "orbit: ASNARO-2 (NORAD 43152) elements as LOTUSat-1 stand-in",
)


_SENSOR_KEYS = ("pulse_length_s", "range_sampling_rate_hz", "prf_hz", "antenna_length_m", "antenna_height_m",
                "look_angle_deg", "nesz_db", "quantisation_bits")


def _lotusat1(mode: str) -> SarMode:
    """The LOTUSat-1 preset of fleet-file mode ``mode`` (all values from the fleet file)."""
    fm = load_fleet().satellite("LOTUSat-1").sar_mode(mode)
    missing = [k for k in _SENSOR_KEYS if getattr(fm, k) is None]
    if missing:
        raise ValidationError(f"fleet file: LOTUSat-1 mode {mode!r} lacks the sensor values {', '.join(missing)}")
    values = {k: getattr(fm, k) for k in _SENSOR_KEYS}
    if fm.squint_deg is not None:
        values["squint_deg"] = fm.squint_deg
    if fm.burst_count is not None:
        values["burst_count"] = fm.burst_count
    return SarMode(
        name=f"lotusat1-{mode}", satellite="LOTUSat-1", carrier_hz=fm.carrier_hz,
        range_bandwidth_hz=fm.range_bandwidth_hz, swath_km=fm.swath_km, acquisition_mode=mode,
        azimuth_resolution_m=fm.azimuth_resolution_m or fm.resolution_m,
        tle_line1=ASNARO2_TLE[0], tle_line2=ASNARO2_TLE[1],
        assumptions=_LOTUSAT1_ASSUMPTIONS + ("mode values from the fleet file (LOTUSat-1)",), **values,
    )


def _sentinel1_stripmap() -> SarMode:
    pulse = 4.417243291154830e-05
    ramp = 1.344932774550966e12
    return SarMode(
        name="sentinel1-stripmap", satellite="Sentinel-1A", carrier_hz=5.405000454334350e9,
        range_bandwidth_hz=pulse * ramp, range_sampling_rate_hz=6.672839509333333e7, pulse_length_s=pulse,
        prf_hz=1.924956266475204e3, antenna_length_m=12.3, antenna_height_m=0.821, look_angle_deg=28.6,
        nesz_db=-22.0, quantisation_bits=8, window="hamming", window_coefficient=0.75, swath_km=80.0,
        acquisition_mode="SM", azimuth_resolution_m=5.0,
        tle_line1=SENTINEL1A_TLE[0], tle_line2=SENTINEL1A_TLE[1], reference_time_utc="2024-08-13T20:00:00Z",
        assumptions=("S3 beam values from public annotation S1A_S3_SLC__1SDV_20210401T152855",
                     "look angle 28.6 deg for S3 mid-swath incidence 32.0 deg; NESZ -22 dB (ESA spec)",
                     "FDBAQ replaced by 8-bit uniform quantisation in simulation"),
    )


_FIXED = {"sentinel1-stripmap": _sentinel1_stripmap}


def _builders() -> dict:
    """Preset name → builder: one LOTUSat-1 preset per mode of the fleet file, and Sentinel-1."""
    names = load_fleet().satellite("LOTUSat-1").sar_mode_names()
    out = {f"lotusat1-{m}": (lambda m=m: _lotusat1(m)) for m in names}
    out.update(_FIXED)
    return out


def list_presets() -> list[str]:
    return list(_builders())


def get_preset(name: str) -> SarMode:
    """The :class:`SarMode` called ``name`` (NotFoundError naming the known presets)."""
    builders = _builders()
    if name not in builders:
        raise NotFoundError(f"unknown SAR preset {name!r} (known: {', '.join(builders)})")
    mode = builders[name]()
    validate_mode(mode)
    return mode


def validate_mode(mode: SarMode) -> None:
    """Raise ValidationError for physically inconsistent sensor values."""
    if mode.range_sampling_rate_hz < mode.range_bandwidth_hz:
        raise ValidationError(f"{mode.name}: range sampling rate {mode.range_sampling_rate_hz:g} Hz < bandwidth")
    doppler_bw = 0.886 * 2 * 7600.0 / mode.antenna_length_m
    # a mode whose azimuth resolution is the beam's own (L/2: stripmap-like, neither steered
    # to finer resolution nor burst-wise coarser) must sample the beam's whole Doppler band
    beam_limited = 0.75 < mode.azimuth_resolution_m / (0.5 * mode.antenna_length_m) < 1.5
    if beam_limited and mode.prf_hz < 1.05 * doppler_bw:
        raise ValidationError(f"{mode.name}: PRF {mode.prf_hz:g} Hz below the azimuth Doppler bandwidth {doppler_bw:.0f} Hz")
    if mode.look_side not in ("left", "right"):
        raise ValidationError(f"{mode.name}: look_side must be left or right")
    if not math.isfinite(mode.squint_deg) or abs(mode.squint_deg) > 30:
        raise ValidationError(f"{mode.name}: squint {mode.squint_deg} deg outside [-30, 30]")
