"""`lotusar fleet` commands (parse and delegate only)."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("show")
def show(
    fleet: Path | None = typer.Option(None, "--fleet", help="Fleet TOML (default: the embedded fleet)."),
    json_out: bool = typer.Option(False, "--json", help="Print the whole validated fleet as JSON."),
) -> None:
    """Satellites (with element epochs and SAR modes) and ground stations of the fleet."""
    from lotusar.cliutil import print_json, print_table
    from lotusar.fleet import load_fleet
    from lotusar.orbit.propagate import node_local_time_h
    from lotusar.timeutil import iso_utc

    fl = load_fleet(fleet)
    if json_out:
        d = fl.model_dump(mode="json")
        for s, sd in zip(fl.satellites, d["satellites"]):
            sd["element_epochs"] = [iso_utc(e.epoch, 0) for e in s.element_sets()]
        print_json(d)
        return
    rows = []
    for s in fl.satellites:
        sets = s.element_sets()
        rows.append({"name": s.name, "norad_id": s.norad_id, "mass_kg": s.mass_kg, "status": s.status,
                     "payloads": ", ".join(p.kind + (f" ({', '.join(s.sar_mode_names())})" if p.kind == "sar" else "") for p in s.payloads),
                     "elements": f"{len(sets)} sets, {iso_utc(sets[0].epoch, 0)[:10]} … {iso_utc(sets[-1].epoch, 0)[:10]}",
                     "period_min": sets[0].period_s / 60.0, "incl_deg": sets[0].inclination_deg,
                     "ltan_h": node_local_time_h(s.orbit(), sets[0].epoch),
                     "stand_in": s.elements.stand_in or ""})
    print_table(rows, title=f"{fl.name}: satellites")
    print_table([{"name": g.name, "lat_deg": g.lat_deg, "lon_deg": g.lon_deg, "height_m": g.height_m,
                  "min_elevation_deg": g.min_elevation_deg, "bands": ",".join(g.bands),
                  "dish_m": g.antenna.dish_diameter_m if g.antenna else ""} for g in fl.stations],
                title="ground stations")


@app.command("validate")
def validate(file: Path = typer.Argument(..., help="Fleet TOML file to check.")) -> None:
    """Validate a fleet file against the schema (and parse its elements); exit 2 naming the field."""
    from lotusar.fleet import load_fleet

    fl = load_fleet(file)
    n = sum(len(s.element_sets()) for s in fl.satellites)
    typer.echo(f"{file}: valid — {len(fl.satellites)} satellites ({n} element sets), {len(fl.stations)} stations")
