"""Fleet schema: satellites, payloads, platforms and ground stations (pydantic, strict).

The fleet is a human-editable TOML file (``default_fleet.toml`` ships inside the package).
Every model refuses unknown keys (``extra="forbid"``) so a typo in an edited fleet file is an
error naming the field, not a silently ignored value. Units are part of every field name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from lotusar.errors import NotFoundError, ValidationError
from lotusar.orbit.elements import ElementSet, parse_elements_text, read_elements
from lotusar.orbit.satellite import Satellite
from lotusar.timeutil import iso_utc, parse_utc

LookSide = Literal["left", "right"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=True)


class SarMode(_Strict):
    """One SAR imaging mode: the values the planner, the simulator and the focuser need.

    The first block is required (mode envelope); the sensor block is optional and filled in by
    the SAR stage for LOTUSat-1 (pulse, sampling, antenna, noise) — ``None`` means unknown.
    """

    carrier_hz: float = Field(gt=0)
    range_bandwidth_hz: float = Field(gt=0)
    prf_min_hz: float = Field(gt=0)
    prf_max_hz: float = Field(gt=0)
    incidence_min_deg: float = Field(ge=0, lt=90)
    incidence_max_deg: float = Field(gt=0, lt=90)
    swath_km: float = Field(gt=0)
    resolution_m: float = Field(gt=0)
    look_sides: list[LookSide] = Field(min_length=1)
    data_rate_bps: float = Field(gt=0)
    scene_length_km: float | None = Field(default=None, gt=0)
    # largest beam pitch (squint) at which this mode images and its products focus at theory;
    # None: the planner's platform default (planning.tasking.candidates.DEFAULT_MAX_PITCH_DEG)
    max_pitch_deg: float | None = Field(default=None, ge=0, lt=90)
    # the mode's code in product metadata (STAC ``sar:instrument_mode``), e.g. SM, SL, SC
    abbreviation: str | None = Field(default=None, pattern=r"^[A-Z0-9]{1,4}$")
    # --- optional sensor parameters (SAR-core stage) ---
    pulse_length_s: float | None = Field(default=None, gt=0)
    range_sampling_rate_hz: float | None = Field(default=None, gt=0)
    prf_hz: float | None = Field(default=None, gt=0)
    antenna_length_m: float | None = Field(default=None, gt=0)
    antenna_height_m: float | None = Field(default=None, gt=0)
    look_angle_deg: float | None = Field(default=None, ge=0, lt=90)
    squint_deg: float | None = None
    nesz_db: float | None = None
    quantisation_bits: int | None = Field(default=None, gt=0)
    azimuth_looks: int | None = Field(default=None, gt=0)
    range_looks: int | None = Field(default=None, gt=0)
    azimuth_resolution_m: float | None = Field(default=None, gt=0)
    range_resolution_m: float | None = Field(default=None, gt=0)
    peak_power_w: float | None = Field(default=None, gt=0)
    noise_figure_db: float | None = None
    system_losses_db: float | None = None
    azimuth_steering_deg: float | None = None
    polarisation: str | None = None
    burst_duration_s: float | None = Field(default=None, gt=0)
    burst_cycle_s: float | None = Field(default=None, gt=0)
    burst_count: int | None = Field(default=None, gt=0)
    burst_subswaths: int | None = Field(default=None, gt=0)
    burst_overlap_s: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ranges(self) -> SarMode:
        if self.prf_max_hz < self.prf_min_hz:
            raise ValueError("prf_max_hz < prf_min_hz")
        if self.incidence_max_deg <= self.incidence_min_deg:
            raise ValueError("incidence_max_deg <= incidence_min_deg")
        if self.prf_hz is not None and not (self.prf_min_hz <= self.prf_hz <= self.prf_max_hz):
            raise ValueError("prf_hz outside [prf_min_hz, prf_max_hz]")
        return self


class SarPayload(_Strict):
    """A SAR instrument: its imaging modes by name (the only place mode names are defined).

    ``default_mode`` is the mode used where a request or command names none (the first mode
    of the file when not given).
    """

    kind: Literal["sar"]
    name: str
    source: str | None = None
    default_mode: str | None = None
    modes: dict[str, SarMode] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_known(self) -> SarPayload:
        if self.default_mode is not None and self.default_mode not in self.modes:
            raise ValueError(f"default_mode {self.default_mode!r} is not one of the modes ({', '.join(self.modes)})")
        return self

    @property
    def mode_names(self) -> list[str]:
        """Mode names in the order of the fleet file."""
        return list(self.modes)

    @property
    def default_mode_name(self) -> str:
        return self.default_mode or next(iter(self.modes))


class OpticalPayload(_Strict):
    kind: Literal["optical"]
    name: str
    source: str | None = None
    gsd_m: float = Field(gt=0)
    swath_km: float = Field(gt=0)
    bands: list[str] = Field(default_factory=list)


class AisPayload(_Strict):
    kind: Literal["ais"]
    name: str
    source: str | None = None
    frequencies_hz: list[float] = Field(min_length=1)
    field_of_view_km: float | None = Field(default=None, gt=0)


class BeaconPayload(_Strict):
    kind: Literal["beacon"]
    name: str
    source: str | None = None
    frequency_hz: float = Field(gt=0)
    protocol: str | None = None
    period_s: float | None = Field(default=None, gt=0)


Payload = Annotated[SarPayload | OpticalPayload | AisPayload | BeaconPayload, Field(discriminator="kind")]


class Platform(_Strict):
    """Bus resources the planner budgets (memory, downlink, agility, duty cycle, power)."""

    memory_bits: float = Field(ge=0)
    downlink_rate_bps: float = Field(ge=0)
    max_roll_deg: float = Field(ge=0, le=90)
    roll_rate_deg_s: float = Field(ge=0)
    mode_transition_s: float = Field(ge=0)
    max_imaging_s_per_orbit: float = Field(ge=0)
    battery_wh: float = Field(ge=0)
    power_generation_w: float = Field(ge=0)
    idle_power_w: float = Field(ge=0)
    imaging_power_w: float = Field(ge=0)
    downlink_power_w: float = Field(ge=0)


class Radio(_Strict):
    name: str
    band: str
    frequency_hz: float = Field(gt=0)
    data_rate_bps: float | None = Field(default=None, gt=0)
    eirp_dbw: float | None = None
    modulation: str | None = None
    direction: Literal["downlink", "uplink"] = "downlink"


class ElementsSource(_Strict):
    """Where a satellite's mean elements come from: embedded TLE/OMM text or a file.

    A relative ``file`` is read relative to the fleet file's folder.
    """

    tle: str | None = None
    omm: str | None = None
    file: str | None = None
    stand_in: str | None = None

    @model_validator(mode="after")
    def _one(self) -> ElementsSource:
        n = sum(x is not None for x in (self.tle, self.omm, self.file))
        if n != 1:
            raise ValueError("give exactly one of tle, omm, file")
        return self


class FleetSatellite(_Strict):
    """One satellite's record in the fleet file; :meth:`orbit` gives the orbit stage's
    :class:`lotusar.orbit.satellite.Satellite` built from its elements."""

    name: str = Field(min_length=1)
    norad_id: int = Field(gt=0, lt=1_000_000_000)
    cospar_id: str | None = None
    mass_kg: float = Field(gt=0)
    source: str | None = None
    status: Literal["active", "planned", "reentered", "inactive"] = "active"
    assumptions: list[str] = Field(default_factory=list)
    elements: ElementsSource
    platform: Platform
    radios: list[Radio] = Field(default_factory=list)
    payloads: list[Payload] = Field(default_factory=list)

    # set by the loader: folder of the fleet file (for relative element files) and its name
    _base_dir: str | None = PrivateAttr(default=None)
    _source_name: str = PrivateAttr(default="<fleet>")
    _orbit: Satellite | None = PrivateAttr(default=None)

    def sar_payload(self) -> SarPayload | None:
        for p in self.payloads:
            if isinstance(p, SarPayload):
                return p
        return None

    def sar_mode_names(self) -> list[str]:
        """Names of the SAR modes in the fleet file's order ([] without a SAR payload)."""
        p = self.sar_payload()
        return p.mode_names if p is not None else []

    def default_sar_mode_name(self) -> str:
        """The SAR payload's ``default_mode`` (NotFoundError without a SAR payload)."""
        return self._sar().default_mode_name

    def sar_mode(self, mode: str | None = None) -> SarMode:
        """The SAR mode called ``mode`` (the default mode when None); NotFoundError naming the known ones."""
        p = self._sar()
        name = p.default_mode_name if mode is None else mode
        if name not in p.modes:
            raise NotFoundError(f"satellite {self.name!r} has no SAR mode {name!r} (known: {', '.join(p.modes)})")
        return p.modes[name]

    def _sar(self) -> SarPayload:
        p = self.sar_payload()
        if p is None:
            raise NotFoundError(f"satellite {self.name!r} has no SAR payload")
        return p

    def orbit(self) -> Satellite:
        """The satellite for the orbit stage (its element sets, parsed once and cached), named as
        in the fleet file. ValidationError/InputFormatError naming the fleet file when the
        elements are broken."""
        if self._orbit is None:
            self._orbit = self._load_orbit()
        return self._orbit

    def element_sets(self) -> list[ElementSet]:
        """Parsed mean-element sets, sorted by epoch."""
        return list(self.orbit().element_sets)

    def _load_orbit(self) -> Satellite:
        src = self.elements
        label = self._source_name
        if src.file is not None:
            p = Path(src.file)
            if not p.is_absolute() and self._base_dir:
                p = Path(self._base_dir) / p
            if not p.is_file():
                raise ValidationError(f"{label}: satellite {self.name!r}: field elements.file: {str(p)!r} does not exist")
            sets = read_elements(p)
        else:
            text = src.tle if src.tle is not None else src.omm
            assert text is not None  # ElementsSource holds exactly one of tle, omm, file
            sets = parse_elements_text(text, source=f"{label} satellites[{self.name!r}].elements")
        ids = sorted({e.norad_id for e in sets})
        if len(ids) != 1:
            raise ValidationError(f"{label}: satellite {self.name!r}: elements hold several catalogue numbers {ids}")
        return Satellite.from_element_sets(sets, name=self.name, norad_id=self.norad_id)


class Antenna(_Strict):
    dish_diameter_m: float = Field(gt=0)
    g_over_t_db_k: float | None = None
    eirp_dbw: float | None = None
    max_slew_rate_deg_s: float | None = Field(default=None, gt=0)


class GroundStation(_Strict):
    name: str = Field(min_length=1)
    lat_deg: float = Field(ge=-90, le=90)
    lon_deg: float = Field(ge=-180, le=360)
    height_m: float = Field(ge=-1000, le=10000)
    min_elevation_deg: float = Field(default=0.0, ge=-5, lt=90)
    bands: list[str] = Field(default_factory=list)
    source: str | None = None
    antenna: Antenna | None = None

    @field_validator("lon_deg")
    @classmethod
    def _wrap(cls, v: float) -> float:
        return ((v + 180.0) % 360.0) - 180.0 if v > 180 else v


class Fleet(_Strict):
    schema_version: Literal[1] = 1
    name: str = "fleet"
    reference_epoch: str | None = None
    satellites: list[FleetSatellite] = Field(min_length=1)
    stations: list[GroundStation] = Field(default_factory=list)

    @field_validator("reference_epoch")
    @classmethod
    def _utc(cls, v: str | None) -> str | None:
        """An ISO 8601 time, kept as the canonical UTC string (``…Z``)."""
        if v is None:
            return None
        try:
            t = parse_utc(v, "reference_epoch")
        except ValidationError as e:
            raise ValueError(str(e)) from None
        return iso_utc(t, 6 if t.microsecond else 0)

    @model_validator(mode="after")
    def _unique(self) -> Fleet:
        for what, items in (("satellite", self.satellites), ("station", self.stations)):
            seen: set[str] = set()
            for it in items:
                k = it.name.casefold()
                if k in seen:
                    raise ValueError(f"duplicate {what} name {it.name!r}")
                seen.add(k)
        ids = [s.norad_id for s in self.satellites]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate satellite norad_id")
        return self

    def satellite(self, name_or_norad: str | int) -> FleetSatellite:
        """Satellite by name (case-insensitive) or NORAD id; NotFoundError when unknown."""
        key = str(name_or_norad).strip()
        for s in self.satellites:
            if s.name.casefold() == key.casefold() or (key.isdigit() and s.norad_id == int(key)):
                return s
        raise NotFoundError(f"unknown satellite {key!r} (fleet has: {', '.join(s.name for s in self.satellites)})")

    def station(self, name: str) -> GroundStation:
        """Ground station by name (case-insensitive); NotFoundError when unknown."""
        key = str(name).strip().casefold()
        for g in self.stations:
            if g.name.casefold() == key:
                return g
        raise NotFoundError(f"unknown station {name!r} (fleet has: {', '.join(g.name for g in self.stations)})")

    def sar_satellites(self) -> list[FleetSatellite]:
        """The satellites that carry a SAR payload, in file order."""
        return [s for s in self.satellites if s.sar_payload() is not None]

    def sar_mode_names(self) -> list[str]:
        """Every SAR mode name of the fleet (file order, each once): what a request may name."""
        names: dict[str, None] = {}
        for s in self.sar_satellites():
            names.update(dict.fromkeys(s.sar_mode_names()))
        return list(names)
