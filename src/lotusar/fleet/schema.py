"""Fleet schema: satellites, payloads, platforms and ground stations (pydantic, strict).

The fleet is a human-editable TOML file (``default_fleet.toml`` ships inside the package).
Every model refuses unknown keys (``extra="forbid"``) so a typo in an edited fleet file is an
error naming the field, not a silently ignored value. Units are part of every field name.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    def _ranges(self) -> "SarMode":
        if self.prf_max_hz < self.prf_min_hz:
            raise ValueError("prf_max_hz < prf_min_hz")
        if self.incidence_max_deg <= self.incidence_min_deg:
            raise ValueError("incidence_max_deg <= incidence_min_deg")
        if self.prf_hz is not None and not (self.prf_min_hz <= self.prf_hz <= self.prf_max_hz):
            raise ValueError("prf_hz outside [prf_min_hz, prf_max_hz]")
        return self


class SarPayload(_Strict):
    kind: Literal["sar"]
    name: str
    source: str | None = None
    modes: dict[str, SarMode] = Field(min_length=1)


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


Payload = Annotated[Union[SarPayload, OpticalPayload, AisPayload, BeaconPayload], Field(discriminator="kind")]


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
    def _one(self) -> "ElementsSource":
        n = sum(x is not None for x in (self.tle, self.omm, self.file))
        if n != 1:
            raise ValueError("give exactly one of tle, omm, file")
        return self


class Satellite(_Strict):
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

    # set by the loader (folder of the fleet file, for relative element files)
    _base_dir: str | None = None
    _source_name: str | None = None
    _element_cache: list | None = None

    def sar_payload(self) -> SarPayload | None:
        for p in self.payloads:
            if isinstance(p, SarPayload):
                return p
        return None

    def sar_mode(self, mode: str) -> SarMode:
        """The SAR mode called ``mode`` (NotFoundError naming the known ones)."""
        from lotusar.errors import NotFoundError

        p = self.sar_payload()
        if p is None:
            raise NotFoundError(f"satellite {self.name!r} has no SAR payload")
        if mode not in p.modes:
            raise NotFoundError(f"satellite {self.name!r} has no SAR mode {mode!r} (known: {', '.join(p.modes)})")
        return p.modes[mode]

    def element_sets(self):
        """Parsed mean-element sets (list of :class:`lotusar.orbit.elements.ElementSet`), cached."""
        if self._element_cache is None:
            from lotusar.fleet.loader import _load_elements

            self._element_cache = _load_elements(self)
        return self._element_cache


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
    satellites: list[Satellite] = Field(min_length=1)
    stations: list[GroundStation] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> "Fleet":
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

    def satellite(self, name_or_norad: str | int) -> Satellite:
        """Satellite by name (case-insensitive) or NORAD id; NotFoundError when unknown."""
        from lotusar.errors import NotFoundError

        key = str(name_or_norad).strip()
        for s in self.satellites:
            if s.name.casefold() == key.casefold() or (key.isdigit() and s.norad_id == int(key)):
                return s
        raise NotFoundError(f"unknown satellite {key!r} (fleet has: {', '.join(s.name for s in self.satellites)})")

    def station(self, name: str) -> GroundStation:
        """Ground station by name (case-insensitive); NotFoundError when unknown."""
        from lotusar.errors import NotFoundError

        key = str(name).strip().casefold()
        for g in self.stations:
            if g.name.casefold() == key:
                return g
        raise NotFoundError(f"unknown station {name!r} (fleet has: {', '.join(g.name for g in self.stations)})")
