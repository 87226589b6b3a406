"""`lotusar apps` commands (parse and delegate only)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("flood")
def flood_cmd(
    input: Path = typer.Argument(..., help="σ⁰/γ⁰ GeoTIFF, one band per polarisation (VV/VH/HH/HV)."),
    out: Path = typer.Option(..., "--out", help="Output classes COG (uint8: 0 dry, 1 open flood, 2 permanent "
                                                "water, 3 flooded vegetation, 255 no data)."),
    db: bool = typer.Option(False, "--db", help="Input is already in dB (default: linear power)."),
    pre: Optional[Path] = typer.Option(None, "--pre", help="Pre-event image (same polarisations) for change."),
    dem: Optional[Path] = typer.Option(None, "--dem", help="DEM GeoTIFF (m) for slope/HAND exclusion."),
    hand: Optional[Path] = typer.Option(None, "--hand", help="HAND GeoTIFF (m), if available."),
    permanent_water: Optional[Path] = typer.Option(None, "--permanent-water", help="Reference water mask raster."),
    layover_shadow: Optional[Path] = typer.Option(None, "--layover-shadow", help="Layover/shadow mask raster."),
    regions: Optional[Path] = typer.Option(None, "--regions", help="GeoJSON regions for area statistics."),
    bands: Optional[str] = typer.Option(None, "--bands", help="Band names in order, e.g. VV,VH."),
    pixel_spacing_m: Optional[float] = typer.Option(None, "--pixel-spacing-m", help="Override pixel spacing (m)."),
    method: str = typer.Option("otsu", "--method", help="Threshold on bimodal tiles: otsu | ki | em."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Map open flood water, permanent water and flooded vegetation."""
    from lotusar.apps.flood import FloodParameters
    from lotusar.apps.pipeline import run_flood
    from lotusar.cliutil import print_json, print_table
    from lotusar.errors import ValidationError

    if method.lower() not in ("otsu", "ki", "em"):
        raise ValidationError(f"--method must be otsu, ki or em, got {method!r}")
    summary = run_flood(input, out, db=db, bands=bands, pre=pre, dem=dem, hand=hand, permanent_water=permanent_water,
                        layover_shadow=layover_shadow, regions=regions, pixel_spacing_m=pixel_spacing_m,
                        params=FloodParameters(threshold_method=method.lower()))
    if json_out:
        print_json(summary)
    else:
        rows = [{"class": k, **v} for k, v in summary["classes"].items()]
        print_table(rows, title=f"flood map → {out}")
