"""Downlink budget per second over a pass: EIRP, path losses, G/T, Eb/N0 and margin.

    C/N0 [dB-Hz] = EIRP − L_fs − L_atm − L_other + G/T − 10 log10 k
    Eb/N0 [dB]   = C/N0 − 10 log10 R_b
    margin [dB]  = Eb/N0 − (Eb/N0)_required − L_implementation

* Free-space loss L_fs = 20 log10(4π d f / c) with the slant range d from the pass geometry
  (``lotusar.orbit.doppler.topocentric_series``: SGP4 → ITRS → station ENU).
* Atmospheric gas loss: zenith attenuation A_z(f) of a standard mid-latitude atmosphere read
  from ITU-R P.676 (oxygen + water vapour, 7.5 g/m³; values interpolated in log-frequency,
  0.035 dB at 0.4 GHz … 0.07 dB at 8 GHz … 0.22 dB at 20 GHz) times the relative air mass at
  elevation θ (Kasten & Young 1989: m = 1 / (sin θ + 0.50572 (θ° + 6.07995)^−1.6364)), which
  stays finite at the horizon unlike 1/sin θ. Rain is not included (X band at 99 % availability
  in the tropics adds a few dB: put it in ``other_losses_db``).
* Required Eb/N0 for the modulation and code at the usual quality targets (BER 1e-5, or
  FER ≈ 1e-4 for the concatenated code), from CCSDS 130.1-G-3 and textbook curves
  (:data:`REQUIRED_EBN0_DB`).
* k = 1.380649e-23 J/K → −228.6 dBW/(K·Hz).

Data volume per pass = R_b × (time with margin ≥ 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lotusar.constants import BOLTZMANN_J_K, SPEED_OF_LIGHT_M_S
from lotusar.errors import NotFoundError, ValidationError
from lotusar.fileio import atomic_path
from lotusar.fleet import load_fleet
from lotusar.orbit.doppler import doppler_series
from lotusar.orbit.passes import find_passes
from lotusar.orbit.propagate import time_grid
from lotusar.timeutil import iso_utc

BOLTZMANN_DBW = 10 * np.log10(BOLTZMANN_J_K)  # −228.6 dBW/K/Hz

# (modulation, code) → Eb/N0 needed [dB]; coherent detection, ideal (implementation loss apart)
REQUIRED_EBN0_DB = {
    ("BPSK", "none"): 9.6,  # BER 1e-5
    ("QPSK", "none"): 9.6,
    ("BPSK", "conv"): 4.4,  # K=7 r=1/2 soft Viterbi, BER 1e-5
    ("QPSK", "conv"): 4.4,
    ("BPSK", "rs-conv"): 2.5,  # RS(255,223) + K=7 r=1/2, FER ~1e-4 (CCSDS 130.1-G)
    ("QPSK", "rs-conv"): 2.5,
    ("8PSK", "rs-conv"): 6.0,
    ("16QAM", "rs-conv"): 6.9,
    ("16QAM", "none"): 13.4,
    ("BPSK", "ao40"): 3.0,
    ("AFSK-FM", "none"): 16.0,  # AX.25 AFSK 1200 through an FM receiver (engineering value)
    ("AFSK", "none"): 16.0,
    ("GFSK", "rs"): 12.0,  # G3RUH 9600 non-coherent FSK + RS(255,223) shortened
    ("GFSK", "none"): 14.0,
}

# P.676 zenith gaseous attenuation [dB] (standard atmosphere, 7.5 g/m3 water vapour)
_ZENITH_F_GHZ = np.array([0.1, 0.4, 1.0, 2.0, 4.0, 8.0, 12.0, 15.0, 20.0, 22.2, 26.0, 30.0])
_ZENITH_DB = np.array([0.03, 0.035, 0.037, 0.04, 0.045, 0.07, 0.09, 0.12, 0.22, 0.30, 0.22, 0.23])


def zenith_attenuation_db(carrier_hz: float | np.ndarray) -> np.ndarray:
    """Zenith gaseous attenuation [dB] at ``carrier_hz`` (log-frequency interpolation)."""
    f = np.log10(np.clip(np.asarray(carrier_hz, float) / 1e9, 0.1, 30.0))
    return np.interp(f, np.log10(_ZENITH_F_GHZ), _ZENITH_DB)


def air_mass(elevation_deg: np.ndarray) -> np.ndarray:
    """Relative air mass at elevation (Kasten & Young 1989); 1 at zenith, ≈ 38 at the horizon."""
    el = np.clip(np.asarray(elevation_deg, float), 0.0, 90.0)
    return 1.0 / (np.sin(np.radians(el)) + 0.50572 * (el + 6.07995) ** -1.6364)


def free_space_loss_db(slant_range_m: np.ndarray, carrier_hz: float) -> np.ndarray:
    """20 log10(4π d f / c)."""
    return 20.0 * np.log10(4.0 * np.pi * np.asarray(slant_range_m, float) * carrier_hz / SPEED_OF_LIGHT_M_S)


def required_ebn0_db(modulation: str, code: str) -> float:
    """Required Eb/N0 for a modulation and code (see :data:`REQUIRED_EBN0_DB`)."""
    key = (modulation.upper() if modulation else "BPSK", (code or "none").lower())
    if key not in REQUIRED_EBN0_DB:
        raise NotFoundError(f"no required Eb/N0 for modulation {key[0]!r} with code {key[1]!r}; known: {sorted(REQUIRED_EBN0_DB)}")
    return REQUIRED_EBN0_DB[key]


def link_budget(
    slant_range_m: np.ndarray,
    elevation_deg: np.ndarray,
    carrier_hz: float,
    eirp_dbw: float,
    g_over_t_db_k: float,
    data_rate_bps: float,
    required_ebn0: float,
    other_losses_db: float = 0.0,
    implementation_loss_db: float = 1.0,
) -> dict[str, np.ndarray]:
    """The budget terms for arrays of geometry (pure function; see module docstring)."""
    if carrier_hz <= 0 or data_rate_bps <= 0:
        raise ValidationError("carrier frequency and data rate must be positive")
    fspl = free_space_loss_db(slant_range_m, carrier_hz)
    atm = zenith_attenuation_db(carrier_hz) * air_mass(elevation_deg)
    cn0 = eirp_dbw - fspl - atm - other_losses_db + g_over_t_db_k - BOLTZMANN_DBW
    ebn0 = cn0 - 10.0 * np.log10(data_rate_bps)
    margin = ebn0 - required_ebn0 - implementation_loss_db
    return {"fspl_db": fspl, "atmospheric_loss_db": atm, "cn0_dbhz": cn0, "ebn0_db": ebn0, "margin_db": margin}


@dataclass
class LinkConfig:
    """Everything but the geometry."""

    name: str
    carrier_hz: float
    eirp_dbw: float
    g_over_t_db_k: float
    data_rate_bps: float
    modulation: str
    code: str
    required_ebn0_db: float
    other_losses_db: float = 1.0  # polarisation + pointing
    implementation_loss_db: float = 1.0


@dataclass
class PassLinkBudget:
    """Per-step link budget over one pass."""

    satellite: str
    station: str
    link: LinkConfig
    time: np.ndarray
    elevation_deg: np.ndarray
    slant_range_m: np.ndarray
    terms: dict[str, np.ndarray]
    step_s: float

    @property
    def ebn0_db(self) -> np.ndarray:
        return self.terms["ebn0_db"]

    @property
    def margin_db(self) -> np.ndarray:
        return self.terms["margin_db"]

    def data_volume_bits(self) -> float:
        return float((self.margin_db >= 0).sum() * self.step_s * self.link.data_rate_bps)

    def summary(self) -> dict:
        m = self.margin_db
        return {
            "satellite": self.satellite,
            "station": self.station,
            "link": self.link.name,
            "aos": self.time[0] if self.time.size else None,
            "los": self.time[-1] if self.time.size else None,
            "max_elevation_deg": float(self.elevation_deg.max()) if m.size else None,
            "min_margin_db": float(m.min()) if m.size else None,
            "max_margin_db": float(m.max()) if m.size else None,
            "max_ebn0_db": float(self.ebn0_db.max()) if m.size else None,
            "max_abs_doppler_hz": float(np.abs(self.terms["doppler_hz"]).max()) if m.size and "doppler_hz" in self.terms else None,
            "required_ebn0_db": self.link.required_ebn0_db,
            "seconds_closed": float((m >= 0).sum() * self.step_s),
            "seconds_total": float(m.size * self.step_s),
            "data_volume_bits": self.data_volume_bits(),
            "data_volume_gbyte": self.data_volume_bits() / 8e9,
            "carrier_hz": self.link.carrier_hz,
            "data_rate_bps": self.link.data_rate_bps,
            "eirp_dbw": self.link.eirp_dbw,
            "g_over_t_db_k": self.link.g_over_t_db_k,
        }

    def series(self) -> list[dict]:
        rows = []
        for i in range(self.time.size):
            r = {
                "time": iso_utc(self.time[i], 0),
                "elevation_deg": round(float(self.elevation_deg[i]), 3),
                "slant_range_km": round(float(self.slant_range_m[i]) / 1e3, 3),
            }
            for k, v in self.terms.items():
                r[k] = round(float(v[i]), 3)
            rows.append(r)
        return rows


# UHF station defaults when the fleet file gives only the X-band dish G/T
UHF_G_OVER_T_DB_K = -13.0  # crossed Yagi ~14 dBic, T_sys ~ 500 K (man-made noise at UHF)


def link_config(sat, station, link: str = "xband") -> LinkConfig:
    """Link parameters from the fleet (satellite radio, station antenna) and built-in defaults."""
    band = {"xband": "X", "x": "X", "uhf": "UHF", "sband": "S", "s": "S"}.get(link.lower())
    if band is None:
        raise ValidationError(f"--link must be xband, sband or uhf, not {link!r}")
    radio = next((r for r in sat.radios if r.band.upper() == band and r.direction == "downlink"), None)
    if radio is None:
        raise NotFoundError(f"satellite {sat.name!r} has no {band}-band downlink radio in the fleet file")
    mod = (radio.modulation or "BPSK").upper()
    if band == "UHF":
        gt = UHF_G_OVER_T_DB_K
        code = "none" if mod.startswith("AFSK") else "rs"
        mod = "AFSK" if mod.startswith("AFSK") else ("GFSK" if mod in ("GFSK", "FSK", "GMSK") else mod)
    else:
        ant = getattr(station, "antenna", None)
        gt = ant.g_over_t_db_k if ant is not None and ant.g_over_t_db_k is not None else 30.0
        if band == "S":
            gt -= 10.0  # the dish's G/T is quoted at X band; S band is ~11 dB less gain, lower T
        code = "rs-conv"
    req = required_ebn0_db(mod, code)
    return LinkConfig(radio.name, float(radio.frequency_hz), float(radio.eirp_dbw if radio.eirp_dbw is not None else 0.0), float(gt),
                      float(radio.data_rate_bps or 1200.0), mod, code, req)


def link_budget_over_pass(
    satellite,
    station,
    start,
    end,
    link: str = "xband",
    pass_index: int = 0,
    step_s: float = 1.0,
    config: LinkConfig | None = None,
    fleet=None,
) -> PassLinkBudget:
    """Link budget every ``step_s`` seconds over a pass of ``satellite`` over ``station``.

    ``satellite``/``station``: names in the fleet file (or fleet objects); the pass is the
    ``pass_index``-th one found in [start, end] (``lotusar.orbit.passes.find_passes``).
    The scenario uses ``.ebn0_db`` (per step) to drive :func:`encoder.cadus_to_soft_symbols`.
    """
    if fleet is None and (isinstance(satellite, str) or isinstance(station, str)):
        fleet = load_fleet()
    sat = fleet.satellite(satellite) if isinstance(satellite, str) else satellite
    st = fleet.station(station) if isinstance(station, str) else station
    passes = find_passes([sat], [st], start, end)
    if len(passes) <= pass_index:
        raise NotFoundError(f"{sat.name} has {len(passes)} passes over {st.name} in the window; pass {pass_index} does not exist")
    p = passes[pass_index]
    cfg = config or link_config(sat, st, link)
    t = time_grid(p.aos, p.los, step_s)
    geo = doppler_series(sat, st, t, cfg.carrier_hz)
    el = geo["elevation_deg"]
    terms = link_budget(
        geo["range_m"],
        el,
        cfg.carrier_hz,
        cfg.eirp_dbw,
        cfg.g_over_t_db_k,
        cfg.data_rate_bps,
        cfg.required_ebn0_db,
        cfg.other_losses_db,
        cfg.implementation_loss_db,
    )
    terms["eirp_dbw"] = np.full(el.size, cfg.eirp_dbw)
    terms["g_over_t_db_k"] = np.full(el.size, cfg.g_over_t_db_k)
    terms["doppler_hz"] = geo["doppler_hz"]  # for the receiver's frequency tracking
    terms["doppler_rate_hz_s"] = geo["doppler_rate_hz_s"]
    return PassLinkBudget(sat.name, st.name, cfg, geo["time"], el, geo["range_m"], terms, step_s)


def plot_link_budget(lb: PassLinkBudget, path) -> None:
    """PNG: Eb/N0 and required, margin, elevation and slant range over the pass."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = (lb.time - lb.time[0]).astype("timedelta64[ms]").astype(float) / 1e3
    fig, ax = plt.subplots(3, 1, figsize=(8, 8), sharex=True)
    ax[0].plot(t, lb.ebn0_db, label="Eb/N0")
    ax[0].axhline(lb.link.required_ebn0_db + lb.link.implementation_loss_db, color="r", ls="--", label="required + impl. loss")
    ax[0].set_ylabel("dB")
    ax[0].legend()
    ax[0].set_title(f"{lb.link.name}: {lb.satellite} → {lb.station}, {lb.data_volume_bits() / 8e9:.2f} GB per pass")
    ax[1].plot(t, lb.margin_db, color="g")
    ax[1].axhline(0, color="k", lw=0.5)
    ax[1].set_ylabel("margin [dB]")
    ax[2].plot(t, lb.elevation_deg, label="elevation [deg]")
    ax2 = ax[2].twinx()
    ax2.plot(t, lb.slant_range_m / 1e3, color="orange", label="slant range [km]")
    ax[2].set_ylabel("elevation [deg]")
    ax2.set_ylabel("slant range [km]")
    ax[2].set_xlabel("seconds since AOS")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    plt.close(fig)
