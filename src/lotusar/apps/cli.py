"""`lotusar apps` commands (parse and delegate only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

app = typer.Typer(no_args_is_help=True)


def _status(title: str):
    """A rich spinner on stderr (silent when stderr is not a terminal); yields a step callback."""
    import contextlib

    from rich.console import Console

    @contextlib.contextmanager
    def cm():
        console = Console(stderr=True)
        if not console.is_terminal:
            yield None
            return
        with console.status(title) as st:
            yield lambda msg: st.update(msg)

    return cm()


@app.command("flood")
def flood_cmd(
    input: Path = typer.Argument(..., help="σ⁰/γ⁰ GeoTIFF, one band per polarisation (VV/VH/HH/HV)."),
    out: Path = typer.Option(..., "--out", help="Output classes COG (uint8: 0 dry, 1 open flood, 2 permanent "
                                                "water, 3 flooded vegetation, 255 no data)."),
    scale: str | None = typer.Option(None, "--scale", help="Input values: linear (σ⁰/γ⁰ power) | db | grey "
                                     "(uncalibrated 8-bit grey levels: relative statistics only). Default: grey "
                                     "for 8-bit/PNG/JPEG, else linear (dB when negative)."),
    db: bool = typer.Option(False, "--db", help="Input is already in dB (same as --scale db)."),
    pre: Path | None = typer.Option(None, "--pre", help="Pre-event image (same polarisations and scale): change "
                                                        "detection, permanent water, flooded vegetation."),
    dem: Path | None = typer.Option(None, "--dem", help="DEM GeoTIFF (m) for slope/HAND exclusion."),
    hand: Path | None = typer.Option(None, "--hand", help="HAND GeoTIFF (m), if available."),
    permanent_water: Path | None = typer.Option(None, "--permanent-water", help="Reference water mask raster."),
    layover_shadow: Path | None = typer.Option(None, "--layover-shadow", help="Layover/shadow mask raster."),
    regions: Path | None = typer.Option(None, "--regions", help="GeoJSON regions for area statistics."),
    bands: str | None = typer.Option(None, "--bands", help="Band names in order, e.g. VV,VH."),
    pixel_spacing_m: float | None = typer.Option(None, "--pixel-spacing-m", help="Override pixel spacing (m)."),
    method: str = typer.Option("auto", "--method", help="Threshold on bimodal tiles: auto (Otsu on dB, "
                                                       "Kittler–Illingworth on grey) | otsu | ki | em."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Map open flood water, permanent water and flooded vegetation."""
    from lotusar.apps.flood import FloodParameters
    from lotusar.apps.pipeline import run_flood
    from lotusar.cliutil import print_json, print_table
    from lotusar.errors import ValidationError

    if method.lower() not in ("auto", "otsu", "ki", "em"):
        raise ValidationError(f"--method must be auto, otsu, ki or em, got {method!r}")
    with _status("flood mapping") as progress:
        summary = run_flood(input, out, db=db, scale=scale, bands=bands, pre=pre, dem=dem, hand=hand,
                            permanent_water=permanent_water, layover_shadow=layover_shadow, regions=regions,
                            pixel_spacing_m=pixel_spacing_m, params=FloodParameters(threshold_method=method.lower()),
                            progress=progress)
    if json_out:
        print_json(summary)
    else:
        rows = [{"class": k, **v} for k, v in summary["classes"].items()]
        print_table(rows, title=f"flood map → {out}")


@app.command("ships")
def ships_cmd(
    input: Path = typer.Argument(..., help="Single-band amplitude or σ⁰ raster (GeoTIFF or PNG), or a "
                                           "SAR-core SLC file (.h5)."),
    out: Path = typer.Option(..., "--out", help="Output GeoJSON of detections."),
    pixel_spacing_m: float | None = typer.Option(None, "--pixel-spacing-m", help="Pixel spacing (m); "
                                                    "default from the georeferencing, else 1 m."),
    scale: str | None = typer.Option(None, "--scale", help="Input values: linear (intensity) | db | grey "
                                                             "(display amplitude). Default: from the data type."),
    kind: str = typer.Option("auto", "--kind", help="amplitude | intensity | db | auto (--scale is preferred)."),
    method: str = typer.Option("ca", "--cfar", help="CFAR detector: ca (censored) | os | k."),
    pfa: float = typer.Option(1e-9, "--pfa", help="Probability of false alarm per pixel."),
    guard_m: float = typer.Option(100.0, "--guard-m", help="Guard window side (m)."),
    background_m: float = typer.Option(200.0, "--background-m", help="Background window side (m)."),
    target_m: float = typer.Option(1.0, "--target-m", help="Target window side (m)."),
    land_mask: Path | None = typer.Option(None, "--land-mask", help="Land mask raster (nonzero = land) or GeoJSON."),
    no_auto_land: bool = typer.Option(False, "--no-auto-land", help="Do not mask land automatically."),
    fixed: Path | None = typer.Option(None, "--fixed", help="Fixed structures: GeoJSON points or CSV row,col / lon,lat."),
    ambiguity_offset_m: float | None = typer.Option(None, "--ambiguity-offset-m",
                                                       help="Azimuth ambiguity displacement λR·PRF/2V (m)."),
    ais: Path | None = typer.Option(None, "--ais", help="AIS NMEA file to match (needs --time)."),
    time: str | None = typer.Option(None, "--time", help="Image acquisition time (UTC ISO 8601)."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Detect ships (CFAR), optionally match AIS and flag dark vessels."""
    from lotusar.apps.pipeline import run_ships
    from lotusar.apps.ships import ShipParameters
    from lotusar.cliutil import print_json, print_table
    from lotusar.errors import ValidationError

    if method.lower() not in ("ca", "os", "k"):
        raise ValidationError(f"--cfar must be ca, os or k, got {method!r}")
    if pixel_spacing_m is not None and pixel_spacing_m <= 0:
        raise ValidationError(f"--pixel-spacing-m must be positive, got {pixel_spacing_m}")
    if not 0 < pfa < 0.5:
        raise ValidationError(f"--pfa must be in (0, 0.5), got {pfa}")
    params = ShipParameters(method=method.lower(), pfa=pfa, target_m=target_m, guard_m=guard_m,
                            background_m=background_m, auto_land=not no_auto_land, ambiguity_offset_m=ambiguity_offset_m)
    with _status("ship detection") as progress:
        summary = run_ships(input, out, pixel_spacing_m=pixel_spacing_m, kind=kind, scale=scale, land_mask=land_mask,
                            fixed=fixed,
                            ais=ais, image_time=time, params=params, progress=progress)
    if json_out:
        print_json(summary)
    else:
        print_table(summary["ships"], ["id", "row", "col", "length_m", "heading_deg", "confidence"]
                    + (["dark", "mmsi"] if "ais" in summary else []),
                    title=f"{summary['detections']} detections → {out}")


@app.command("change")
def change_cmd(
    before: Path = typer.Argument(..., help="Reference (pre) image: σ⁰ GeoTIFF, or complex SLC with --coherence."),
    after: Path = typer.Argument(..., help="Second (post) image on the same grid (resampled if georeferenced)."),
    out: Path = typer.Option(..., "--out", help="Output change classes COG (0 none, 1 decrease, 2 increase, 255 no data)."),
    db: bool = typer.Option(False, "--db", help="Inputs are in dB."),
    method: str = typer.Option("ki", "--method", help="Automatic threshold: ki | otsu | em."),
    coherence: bool = typer.Option(False, "--coherence", help="Coherence-loss change for SLC pairs."),
    window_m: float = typer.Option(50.0, "--window-m", help="Multilook / coherence window (m)."),
    band: str | None = typer.Option(None, "--band", help="Band name to compare (default: first)."),
    pixel_spacing_m: float | None = typer.Option(None, "--pixel-spacing-m", help="Override pixel spacing (m)."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Change detection between two co-registered acquisitions."""
    from lotusar.apps.pipeline import run_change
    from lotusar.cliutil import print_json, print_table
    from lotusar.errors import ValidationError

    if method.lower() not in ("ki", "otsu", "em"):
        raise ValidationError(f"--method must be ki, otsu or em, got {method!r}")
    if window_m <= 0:
        raise ValidationError(f"--window-m must be positive, got {window_m}")
    with _status("change detection") as progress:
        summary = run_change(before, after, out, db=db, method=method.lower(), coherence=coherence,
                             window_m=window_m, pixel_spacing_m=pixel_spacing_m, band=band, progress=progress)
    if json_out:
        print_json(summary)
    else:
        print_table([{"class": k, "pixels": v} for k, v in summary["pixels"].items()],
                    title=f"change ({summary['method']}, threshold {summary['threshold']:.3f}) → {out}")


@app.command("ais")
def ais_cmd(
    nmea: Path = typer.Argument(..., help="NMEA file (!AIVDM lines; receive time in a tag block or leading field)."),
    time: str = typer.Option(..., "--time", help="Time to extrapolate to (UTC ISO 8601)."),
    detections: Path | None = typer.Option(None, "--detections", help="Ship GeoJSON to match against."),
    max_age_s: float = typer.Option(1800.0, "--max-age-s", help="Ignore reports older than this."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Decode AIS, dead-reckon to --time, and (with --detections) flag dark vessels."""
    from lotusar.apps import ais as ais_mod
    from lotusar.apps.rasterio_io import read_geojson
    from lotusar.cliutil import print_json, print_table
    from lotusar.timeutil import parse_utc

    t = parse_utc(time)
    reports, static = ais_mod.read_nmea(nmea, t)
    vessels = ais_mod.vessel_states_at(reports, t, static, max_age_s=max_age_s)
    out: dict[str, Any] = {"time": t, "reports": len(reports), "vessels": [
        {"mmsi": v.mmsi, "lat": v.lat_deg, "lon": v.lon_deg, "sog_kn": v.sog_kn, "cog_deg": v.cog_deg,
         "extrapolated_s": v.dt_s, "gate_m": v.gate_m, "name": v.name} for v in vessels]}
    if detections is not None:
        import numpy as np

        fc = read_geojson(detections)
        pts = [f["geometry"]["coordinates"][:2] for f in fc["features"]
               if f.get("geometry") and f["geometry"].get("type") == "Point" and "row" in (f.get("properties") or {})]
        res = ais_mod.match_detections(np.array(pts, dtype=float).reshape(-1, 2), vessels)
        out["match"] = res.as_dict()
    if json_out:
        print_json(out)
    else:
        print_table(out["vessels"], ["mmsi", "lat", "lon", "sog_kn", "cog_deg", "extrapolated_s"],
                    title=f"{len(out['vessels'])} vessels at {time}")
        if "match" in out:
            m = out["match"]
            print_table([{"matched": len(m["matches"]), "dark": len(m["dark"]), "ais_not_detected": len(m["undetected"])}],
                        title="AIS ↔ SAR")
