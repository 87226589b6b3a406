"""`lotusar sar calibrate|multilook|despeckle|geocode|ard` (the products stage mounts its
commands on the `sar` app; parse and delegate only)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(sar_app: typer.Typer) -> None:
    """Add the products commands to the ``sar`` Typer app."""

    @sar_app.command("calibrate")
    def calibrate(
        input: Path = typer.Argument(..., help="SAR product: S1 SAFE dir, NISAR/UAVSAR HDF5 or lotusar SLC."),
        out: Path = typer.Option(..., "--out", help="Output GeoTIFF (radar geometry, float32)."),
        quantity: str = typer.Option("sigma0", "--quantity", help="beta0 | sigma0 | gamma0"),
        remove_noise: bool = typer.Option(False, "--remove-noise", help="Subtract the thermal-noise LUT (S1)."),
        db: bool = typer.Option(False, "--db", help="Write 10·log10 values."),
        polarization: str = typer.Option(None, "--polarization"),
        swath: str = typer.Option(None, "--swath"),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Radiometric calibration to β⁰/σ⁰/γ⁰ in radar geometry (blocked, bounded memory)."""
        from lotusar.geo.products import run_calibrate

        _report(run_calibrate(input, out, quantity, remove_noise, db, polarization, swath), json_out)

    @sar_app.command("multilook")
    def multilook(
        input: Path = typer.Argument(..., help="Intensity GeoTIFF (from calibrate) or a SAR product."),
        out: Path = typer.Option(..., "--out"),
        looks_azimuth: int = typer.Option(4, "--looks-azimuth"),
        looks_range: int = typer.Option(1, "--looks-range"),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Average looks_azimuth × looks_range blocks; reports the ENL before and after."""
        from lotusar.geo.products import run_multilook

        _report(run_multilook(input, out, looks_azimuth, looks_range), json_out)

    @sar_app.command("despeckle")
    def despeckle(
        input: Path = typer.Argument(..., help="Intensity GeoTIFF (from calibrate/multilook) or a SAR product."),
        out: Path = typer.Option(..., "--out"),
        filter: str = typer.Option("refined_lee", "--filter", help="boxcar | lee | refined_lee | gamma_map | frost"),
        size: int = typer.Option(7, "--size", help="Window size (odd)."),
        looks: float = typer.Option(1.0, "--looks", help="Number of looks of the input (speckle model)."),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Adaptive speckle filtering (blocked with halo; ENL reported)."""
        from lotusar.geo.products import run_despeckle

        _report(run_despeckle(input, out, filter, size, looks), json_out)

    @sar_app.command("geocode")
    def geocode(
        input: Path = typer.Argument(..., help="SLC or GRD product (S1 SAFE, NISAR/UAVSAR HDF5, lotusar SLC)."),
        out: Path = typer.Option(..., "--out", help="Output directory (or *.tif for the backscatter COG)."),
        dem: Path = typer.Option(None, "--dem", help="DEM GeoTIFF; default: WGS84 ellipsoid (height 0)."),
        crs: str = typer.Option("UTM", "--crs", help="UTM (auto zone), EPSG:4326 or any EPSG code."),
        resolution_m: float = typer.Option(20.0, "--resolution-m"),
        quantity: str = typer.Option("sigma0", "--quantity", help="sigma0 | beta0 | gamma0 | gamma0_t"),
        polarization: str = typer.Option(None, "--polarization"),
        swath: str = typer.Option(None, "--swath"),
        dem_datum: str = typer.Option("auto", "--dem-datum", help="auto | egm96 | ellipsoid"),
        geoid: Path = typer.Option(None, "--geoid", help="Geoid grid (default: shared EGM96 15')."),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Terrain-correct to a map grid: COG + layover/shadow + local incidence + STAC item."""
        _run_ard(input, out, dem, crs, resolution_m, quantity, None, 7, polarization, swath, dem_datum, geoid, json_out)

    @sar_app.command("ard")
    def ard(
        input: Path = typer.Argument(..., help="SLC or GRD product (S1 SAFE, NISAR/UAVSAR HDF5, lotusar SLC)."),
        out: Path = typer.Option(Path("ard"), "--out", help="Output directory (or *.tif for the backscatter COG)."),
        dem: Path = typer.Option(None, "--dem", help="DEM GeoTIFF; default: WGS84 ellipsoid (height 0)."),
        crs: str = typer.Option("UTM", "--crs"),
        resolution_m: float = typer.Option(20.0, "--resolution-m"),
        quantity: str = typer.Option("gamma0_t", "--quantity", help="gamma0_t (RTC) | sigma0 | beta0 | gamma0"),
        filter: str = typer.Option(None, "--filter", help="Optional speckle filter."),
        size: int = typer.Option(7, "--size"),
        polarization: str = typer.Option(None, "--polarization"),
        swath: str = typer.Option(None, "--swath"),
        dem_datum: str = typer.Option("auto", "--dem-datum", help="auto | egm96 | ellipsoid"),
        geoid: Path = typer.Option(None, "--geoid"),
        json_out: bool = typer.Option(False, "--json"),
    ) -> None:
        """Analysis-ready data: calibrate → multilook/despeckle → RTC → COGs + STAC."""
        _run_ard(input, out, dem, crs, resolution_m, quantity, filter, size, polarization, swath, dem_datum, geoid, json_out)


def _run_ard(input, out, dem, crs, resolution_m, quantity, filter, size, polarization, swath, dem_datum, geoid, json_out):
    import sys

    from lotusar.geo.io import DEFAULT_GEOID_PATH
    from lotusar.geo.pipeline import ard

    r = ard(input, dem=str(dem) if dem else None, out=out, crs=crs, resolution_m=resolution_m, quantity=quantity,
            speckle_filter=filter, filter_size=size, polarization=polarization, swath=swath, dem_datum=dem_datum,
            geoid_path=str(geoid) if geoid else DEFAULT_GEOID_PATH, progress=sys.stderr.isatty())
    _report({"backscatter": str(r.backscatter_path), "mask": str(r.mask_path),
             "local_incidence": str(r.local_incidence_path), "stac_item": str(r.stac_path), "quantity": r.quantity, **r.stats}, json_out)


def _report(d: dict, json_out: bool) -> None:
    from lotusar.cliutil import print_json, print_table

    if json_out:
        print_json(d)
    else:
        rows = [{"key": k, "value": v} for k, v in d.items()]
        print_table(rows, ["key", "value"])
