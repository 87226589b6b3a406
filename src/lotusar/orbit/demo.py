"""The orbit stage's demo: 24 h of fleet passes over the Vietnamese stations and LOTUSat-1
opportunities in its default SAR mode (fleet file) over the Quang Binh–Hue coast, with
quicklook PNGs.

The default window starts at the fleet's ``reference_epoch`` (next to the embedded elements'
epochs) so that the predictions are honest; pass ``start`` for another window.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from pathlib import Path

from rich.console import Console

from lotusar.cliutil import print_table, to_json
from lotusar.fileio import write_text_atomic
from lotusar.fleet import Fleet, load_fleet
from lotusar.orbit.access import sar_opportunities
from lotusar.orbit.io import read_aoi
from lotusar.orbit.passes import find_passes
from lotusar.orbit.quicklook import access_png, ground_track_png, pass_polar_png
from lotusar.timeutil import parse_utc

VN_STATIONS = ("Hoa Lac", "Ho Chi Minh City")


def aoi_path() -> Path:
    """Path of the shipped Quang Binh–Hue AOI GeoJSON."""
    return Path(str(resources.files("lotusar.orbit").joinpath("data/quang_binh_hue.geojson")))


def run_orbit_demo(out_dir, start=None, fleet: Fleet | None = None, access_days: float = 7.0, quiet: bool = False) -> dict:
    """Compute and print the demo; write PNGs + JSON under ``out_dir``; return a summary dict."""
    console = Console(quiet=quiet)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fl = fleet if fleet is not None else load_fleet()
    t0 = parse_utc(start or fl.reference_epoch or "2022-10-25T12:00:00Z")
    t1 = t0 + timedelta(hours=24)
    stations = [fl.station(n) for n in VN_STATIONS if any(s.name == n for s in fl.stations)] or fl.stations
    sats = [s.orbit() for s in fl.satellites]
    passes = find_passes(sats, stations, t0, t1)
    rows = [p.to_dict() for p in passes]
    if not quiet:
        print_table(rows, ["name", "station", "aos", "tca", "los", "max_elevation_deg", "duration_s", "sunlit"],
                    title=f"Fleet passes over {', '.join(s.name for s in stations)}, {t0:%Y-%m-%d %H:%M} + 24 h UTC")
    lotus = fl.satellite("LOTUSat-1")
    mode_name = lotus.default_sar_mode_name()
    mode = lotus.sar_mode(mode_name)
    aoi = read_aoi(aoi_path())
    opps = sar_opportunities(lotus.orbit(), aoi, mode, t0, t0 + timedelta(days=access_days), mode_name=mode_name)
    orows = [o.to_dict() for o in opps]
    if not quiet:
        print_table(orows, ["start", "end", "look_side", "direction", "incidence_min_deg", "incidence_max_deg",
                            "incidence_centroid_deg", "coverage"],
                    title=f"LOTUSat-1 {mode_name} opportunities over Quang Binh–Hue, {access_days:g} days")
    files = {
        "ground_track_png": ground_track_png(out / "ground_track.png", sats, fl.stations, t0, t0 + timedelta(hours=3),
                                             passes=passes),
        "pass_polar_png": pass_polar_png(out / "pass_polar.png", sats, stations, passes),
        "access_png": access_png(out / "access_quang_binh_hue.png", aoi, opps,
                                 title=f"LOTUSat-1 {mode_name} over Quang Binh–Hue",
                                 incidence_window_deg=(mode.incidence_min_deg, mode.incidence_max_deg)),
        "passes_json": write_text_atomic(out / "passes.json", to_json(rows) + "\n"),
        "opportunities_json": write_text_atomic(out / "opportunities.json", to_json(orows) + "\n"),
    }
    console.print(f"[bold]orbit demo[/bold]: {len(passes)} passes, {len(opps)} opportunities; outputs in {out}")
    return {"start": t0, "end": t1, "passes": len(passes), "opportunities": len(opps),
            "files": {k: str(v) for k, v in files.items()}}
