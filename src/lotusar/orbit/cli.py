"""`lotusar orbit` commands (parse and delegate only).

Satellites come from ``--tle FILE`` (TLE or OMM KVN/XML/JSON; ``--norad-id`` picks one) or
from the fleet (``--fleet FILE``, default the embedded one; ``--satellite NAME``). Stations
come from ``--lat/--lon/--alt-m`` or from the fleet (``--station NAME``).
"""

from __future__ import annotations

import sys
import warnings
from datetime import timedelta
from pathlib import Path

import typer

from lotusar.errors import NotFoundError, ValidationError
from lotusar.timeutil import iso_utc, parse_utc, parse_window

app = typer.Typer(no_args_is_help=True)

_TLE = typer.Option(None, "--tle", help="TLE or OMM (KVN/XML/JSON) file; default: the fleet's elements.")
_FLEET = typer.Option(None, "--fleet", help="Fleet TOML (default: the embedded fleet).")
_SAT = typer.Option(None, "--satellite", "-s", help="Fleet satellite name or NORAD id (repeatable).")
_NORAD = typer.Option(None, "--norad-id", help="NORAD catalogue number(s) to take from --tle (repeatable).")
_STATION = typer.Option(None, "--station", help="Fleet station name (repeatable).")
_LAT = typer.Option(None, "--lat", help="Site geodetic latitude (deg, WGS84).")
_LON = typer.Option(None, "--lon", help="Site longitude (deg, east positive).")
_ALT = typer.Option(0.0, "--alt-m", help="Site height above the WGS84 ellipsoid (m).")
_START = typer.Option(None, "--start", help="Window start, ISO 8601 UTC (default: near the elements' epoch).")
_END = typer.Option(None, "--end", help="Window end, ISO 8601 UTC (default: start + 24 h).")
_JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


def _warn(msgs):
    for m in msgs:
        sys.stderr.write(f"lotusar: warning: {m}\n")


def _satellites(tle, fleet_path, names, norad_ids):
    """(orbit Satellites, their fleet records or None for --tle, the fleet or None)."""
    from lotusar.fleet import load_fleet
    from lotusar.orbit.satellite import read_satellites

    if tle is not None:
        sats = read_satellites(tle)
        if norad_ids:
            by_id = {s.norad_id: s for s in sats}
            missing = [n for n in norad_ids if n not in by_id]
            if missing:
                raise NotFoundError(f"NORAD {missing[0]} not in {tle} (have: {', '.join(map(str, list(by_id)[:20]))})")
            return [by_id[n] for n in norad_ids], None, None
        if names:
            out = []
            for nm in names:
                hit = [s for s in sats if any((e.name or "").casefold() == nm.casefold() for e in s.element_sets)]
                if not hit:
                    raise NotFoundError(f"satellite {nm!r} not in {tle}")
                out.extend(hit)
            return out, None, None
        return sats, None, None
    fleet = load_fleet(fleet_path)
    if norad_ids:
        names = list(names or []) + [str(n) for n in norad_ids]
    records = [fleet.satellite(n) for n in names] if names else list(fleet.satellites)
    return [r.orbit() for r in records], records, fleet


def _sites(lat, lon, alt_m, stations, fleet_path, fleet, min_el):
    from lotusar.fleet import load_fleet
    from lotusar.orbit.passes import Site

    if lat is not None or lon is not None:
        if lat is None or lon is None:
            raise ValidationError("give both --lat and --lon")
        if not (-90 <= lat <= 90) or not (-180 <= lon <= 360):
            raise ValidationError(f"site out of range: lat {lat}, lon {lon}")
        return [Site("site", float(lat), float(lon), float(alt_m), float(min_el or 0.0))]
    if fleet is None:
        fleet = load_fleet(fleet_path)
    sts = [fleet.station(n) for n in stations] if stations else list(fleet.stations)
    return [Site.of(s) for s in sts]


def _window(start, end, sats, fleet, hours: float = 24.0):
    """[start, end] as aware UTC datetimes; the start defaults to the fleet's reference epoch
    (or the latest element epoch, to the minute) and the end to start + ``hours``."""
    if start is None:
        if fleet is not None and fleet.reference_epoch:
            start = fleet.reference_epoch
        else:
            latest = max(s.latest.epoch for s in sats)
            start = iso_utc(latest.astype("datetime64[m]").astype("datetime64[ns]"), 0)
    if end is None:
        end = parse_utc(start, "start") + timedelta(hours=hours)
    return parse_window(start, end)


def _stale(sats, t0, t1):
    from lotusar.orbit.elements import check_element_age

    msgs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in sats:
            msgs += check_element_age(list(s.element_sets), t0, t1)
    _warn(msgs)


def _carrier_hz(carrier_hz, record):
    """The given carrier, or the first radio of the satellite's fleet record."""
    if carrier_hz is not None:
        return carrier_hz
    if record is None or not record.radios:
        raise ValidationError("give --carrier-hz (no radio known for this satellite)")
    return record.radios[0].frequency_hz


@app.command("passes")
def passes_cmd(
    tle: Path | None = _TLE, fleet: Path | None = _FLEET, satellite: list[str] | None = _SAT,
    norad_id: list[int] | None = _NORAD, station: list[str] | None = _STATION,
    lat: float | None = _LAT, lon: float | None = _LON, alt_m: float = _ALT,
    min_elevation_deg: float | None = typer.Option(
        None, "--min-elevation-deg", help="Elevation mask (deg); default: the station's own (0 for --lat/--lon)."),
    start: str | None = _START, end: str | None = _END,
    refraction: bool = typer.Option(False, "--refraction", help="Apparent (refracted) elevations instead of geometric."),
    include_partial: bool = typer.Option(False, "--include-partial", help="Also passes cut by the window edges (clipped, flagged)."),
    json_out: bool = _JSON,
) -> None:
    """Station passes (AOS, TCA, LOS, max elevation, azimuths, sunlit) of satellites over sites."""
    from lotusar.cliutil import print_json, print_table
    from lotusar.orbit.passes import find_passes

    sats, _, fl = _satellites(tle, fleet, satellite, norad_id)
    sites = _sites(lat, lon, alt_m, station, fleet, fl, min_elevation_deg)
    t0, t1 = _window(start, end, sats, fl)
    _stale(sats, t0, t1)
    if len(sats) > 200:  # long catalogue runs show progress on stderr (stdout stays clean JSON)
        from rich.console import Console
        from rich.progress import Progress

        with Progress(console=Console(stderr=True), transient=True) as prog:
            task = prog.add_task("passes", total=len(sats))
            res = find_passes(sats, sites, t0, t1, min_elevation_deg=min_elevation_deg, refraction=refraction,
                              include_partial=include_partial, progress=lambda done, total: prog.update(task, completed=done))
    else:
        res = find_passes(sats, sites, t0, t1, min_elevation_deg=min_elevation_deg, refraction=refraction,
                          include_partial=include_partial)
    rows = [p.to_dict() for p in res]
    if json_out:
        print_json(rows)
    else:
        print_table(rows, ["name", "norad_id", "station", "aos", "tca", "los", "max_elevation_deg",
                           "aos_azimuth_deg", "los_azimuth_deg", "duration_s", "sunlit"],
                    title=f"{len(rows)} passes {t0:%Y-%m-%d %H:%M} – {t1:%Y-%m-%d %H:%M} UTC")


def _one_sat(tle, fleet, satellite, norad_id):
    """(orbit Satellite, its fleet record or None, the fleet or None) of one chosen satellite."""
    sats, records, fl = _satellites(tle, fleet, [satellite] if satellite else None,
                                    [norad_id] if norad_id is not None else None)
    if len(sats) != 1:
        raise ValidationError(f"choose one satellite (--norad-id or --satellite); the input holds {len(sats)}")
    return sats[0], (records[0] if records else None), fl


@app.command("doppler")
def doppler_cmd(
    tle: Path | None = _TLE, fleet: Path | None = _FLEET,
    satellite: str | None = typer.Option(None, "--satellite", "-s", help="Fleet satellite name or NORAD id."),
    norad_id: int | None = typer.Option(None, "--norad-id", help="NORAD id to take from --tle."),
    station: list[str] | None = _STATION, lat: float | None = _LAT, lon: float | None = _LON, alt_m: float = _ALT,
    carrier_hz: float | None = typer.Option(None, "--carrier-hz", help="Carrier (Hz); default: the satellite's first downlink radio."),
    start: str | None = _START, end: str | None = _END,
    step_s: float = typer.Option(1.0, "--step-s", help="Sample step (s)."),
    min_elevation_deg: float | None = typer.Option(None, "--min-elevation-deg", help="Keep only samples above this elevation."),
    out: Path | None = typer.Option(None, "--out", help="Write the antenna track (.csv or .json)."),
    json_out: bool = _JSON,
) -> None:
    """Range, range rate, Doppler and Doppler rate (antenna track) of one satellite from one site."""
    from lotusar.cliutil import print_json, print_table
    from lotusar.orbit.doppler import antenna_track, records
    from lotusar.orbit.io import write_track_csv, write_track_json

    sat, rec, fl = _one_sat(tle, fleet, satellite, norad_id)
    sites = _sites(lat, lon, alt_m, station[:1] if station else None, fleet, fl, None)[:1]
    carrier_hz = _carrier_hz(carrier_hz, rec)
    t0, t1 = _window(start, end, [sat], fl, hours=0.5)
    if step_s <= 0:
        raise ValidationError(f"--step-s must be positive, got {step_s}")
    if (t1 - t0).total_seconds() / step_s > 5_000_000:
        raise ValidationError("too many samples; use a larger --step-s or a shorter window")
    _stale([sat], t0, t1)
    series = antenna_track(sat, sites[0], t0, t1, step_s=step_s, carrier_hz=carrier_hz, min_elevation_deg=min_elevation_deg)
    if out is not None:
        (write_track_json if out.suffix.lower() == ".json" else write_track_csv)(out, series)
    rows = records(series)
    if json_out:
        print_json(rows)
    else:
        print_table(rows[:: max(1, len(rows) // 40)], ["time", "azimuth_deg", "elevation_deg", "range_m", "range_rate_m_s",
                                                       "doppler_hz", "doppler_rate_hz_s"],
                    title=f"Doppler at {carrier_hz / 1e6:.3f} MHz ({len(rows)} samples{', written to ' + str(out) if out else ''})")


@app.command("access")
def access_cmd(
    tle: Path | None = _TLE, fleet: Path | None = _FLEET,
    satellite: str | None = typer.Option(None, "--satellite", "-s", help="Fleet satellite name or NORAD id."),
    norad_id: int | None = typer.Option(None, "--norad-id", help="NORAD id to take from --tle."),
    aoi: Path = typer.Option(..., "--aoi", help="Area of interest (GeoJSON Polygon/MultiPolygon)."),
    mode: str | None = typer.Option(None, "--mode", help="SAR mode name from the fleet file (`lotusar fleet show`); "
                                       "default: the satellite's default mode."),
    incidence_min_deg: float | None = typer.Option(None, "--incidence-min-deg"),
    incidence_max_deg: float | None = typer.Option(None, "--incidence-max-deg"),
    swath_km: float | None = typer.Option(None, "--swath-km", help="Swath width for the full/partial test."),
    look: str = typer.Option("both", "--look", help="left, right or both."),
    start: str | None = _START, end: str | None = _END,
    json_out: bool = _JSON,
) -> None:
    """SAR imaging opportunities over an AOI: time, look side, direction, incidence range, coverage."""
    from lotusar.cliutil import print_json, print_table
    from lotusar.orbit.access import sar_opportunities
    from lotusar.orbit.io import read_aoi

    if look not in ("left", "right", "both"):
        raise ValidationError(f"--look must be left, right or both, got {look!r}")
    sat, rec, fl = _one_sat(tle, fleet, satellite, norad_id)
    polygon = read_aoi(aoi)
    explicit = incidence_min_deg is not None and incidence_max_deg is not None
    if mode is None and explicit:
        window = (incidence_min_deg, incidence_max_deg)
    else:
        if rec is None or rec.sar_payload() is None:
            if mode is not None:
                raise ValidationError("--mode needs a fleet satellite with a SAR payload (--satellite), not --tle")
            raise ValidationError("give --incidence-min-deg and --incidence-max-deg (or --mode)")
        mode = mode if mode is not None else rec.default_sar_mode_name()
        window = rec.sar_mode(mode)
        overrides = {k: v for k, v in (("incidence_min_deg", incidence_min_deg),
                                       ("incidence_max_deg", incidence_max_deg)) if v is not None}
        if overrides:
            window = window.model_copy(update=overrides)
    t0, t1 = _window(start, end, [sat], fl, hours=24.0 * 7)
    _stale([sat], t0, t1)
    res = sar_opportunities(sat, polygon, window, t0, t1, look=look, swath_km=swath_km, mode_name=mode)
    rows = [o.to_dict() for o in res]
    if json_out:
        print_json(rows)
    else:
        print_table(rows, ["name", "start", "end", "look_side", "direction", "incidence_min_deg", "incidence_max_deg",
                           "incidence_centroid_deg", "coverage"], title=f"{len(rows)} SAR opportunities")


@app.command("propagate")
def propagate_cmd(
    tle: Path | None = _TLE, fleet: Path | None = _FLEET,
    satellite: str | None = typer.Option(None, "--satellite", "-s"),
    norad_id: int | None = typer.Option(None, "--norad-id"),
    start: str | None = _START, end: str | None = _END,
    step_s: float = typer.Option(60.0, "--step-s"),
    frame: str = typer.Option("itrs", "--frame", help="teme, itrs, gcrs or geodetic."),
    json_out: bool = _JSON,
) -> None:
    """Satellite states on a time grid in TEME, ITRS, GCRS (m, m/s) or WGS84 geodetic."""
    from lotusar.cliutil import print_json, print_table
    from lotusar.geodesy import ecef_to_geodetic
    from lotusar.orbit import frames
    from lotusar.orbit.propagate import teme_states, time_grid

    if frame not in ("teme", "itrs", "gcrs", "geodetic"):
        raise ValidationError(f"--frame must be teme, itrs, gcrs or geodetic, got {frame!r}")
    sat, _, fl = _one_sat(tle, fleet, satellite, norad_id)
    t0, t1 = _window(start, end, [sat], fl, hours=1.5)
    if step_s <= 0:
        raise ValidationError(f"--step-s must be positive, got {step_s}")
    t = time_grid(t0, t1, step_s)
    sc = frames.time_scales(t)
    r, v, e = teme_states(sat, t, sc)
    if frame in ("itrs", "geodetic"):
        r, v = frames.teme_to_itrs(r, v, sc)
    elif frame == "gcrs":
        r, v = frames.teme_to_gcrs(r, v, t)
    rows = []
    if frame == "geodetic":
        lat, lon, h = ecef_to_geodetic(r)
        for i in range(t.size):
            rows.append({"time": iso_utc(t[i]), "lat_deg": lat[i], "lon_deg": lon[i], "height_m": h[i], "sgp4_error": int(e[i])})
    else:
        for i in range(t.size):
            rows.append({"time": iso_utc(t[i]), "x_m": r[i, 0], "y_m": r[i, 1], "z_m": r[i, 2],
                         "vx_m_s": v[i, 0], "vy_m_s": v[i, 1], "vz_m_s": v[i, 2], "sgp4_error": int(e[i])})
    if json_out:
        print_json(rows)
    else:
        print_table(rows, title=f"{frame.upper()} states")


@app.command("elements")
def elements_cmd(
    file: Path = typer.Argument(..., help="TLE or OMM file."),
    json_out: bool = _JSON,
) -> None:
    """List (and validate) the element sets in a TLE/OMM file."""
    from lotusar.cliutil import print_json, print_table
    from lotusar.orbit.elements import read_elements

    sets = read_elements(file)
    rows = [{"norad_id": e.norad_id, "name": e.name, "epoch": iso_utc(e.epoch), "mean_motion_rev_day": e.mean_motion_rev_day,
             "inclination_deg": e.inclination_deg, "eccentricity": e.eccentricity, "period_min": e.period_s / 60.0}
            for e in sets]
    if json_out:
        print_json(rows)
    else:
        print_table(rows, title=f"{len(rows)} element sets in {file}")


@app.command("quicklook")
def quicklook_cmd(
    tle: Path | None = _TLE, fleet: Path | None = _FLEET, satellite: list[str] | None = _SAT,
    norad_id: list[int] | None = _NORAD, station: list[str] | None = _STATION,
    lat: float | None = _LAT, lon: float | None = _LON, alt_m: float = _ALT,
    min_elevation_deg: float | None = typer.Option(None, "--min-elevation-deg"),
    start: str | None = _START, end: str | None = _END,
    out: Path = typer.Option(Path("out/orbit"), "--out", help="Output folder for the PNGs."),
    json_out: bool = _JSON,
) -> None:
    """Ground-track map with station visibility circles and a pass polar plot (PNG)."""
    from lotusar.cliutil import print_json
    from lotusar.orbit.passes import find_passes
    from lotusar.orbit.quicklook import ground_track_png, pass_polar_png

    sats, _, fl = _satellites(tle, fleet, satellite, norad_id)
    sites = _sites(lat, lon, alt_m, station, fleet, fl, min_elevation_deg)
    t0, t1 = _window(start, end, sats, fl, hours=3.0)
    _stale(sats, t0, t1)
    res = find_passes(sats, sites, t0, t1, min_elevation_deg=min_elevation_deg)
    gt = ground_track_png(out / "ground_track.png", sats, sites, t0, t1, passes=res)
    pp = pass_polar_png(out / "pass_polar.png", sats, sites, res)
    files = {"ground_track": str(gt), "pass_polar": str(pp), "passes": len(res)}
    if json_out:
        print_json(files)
    else:
        typer.echo(f"wrote {gt} and {pp} ({len(res)} passes)")


@app.command("track")
def track_cmd(
    tle: Path | None = _TLE, fleet: Path | None = _FLEET,
    satellite: str | None = typer.Option(None, "--satellite", "-s", help="Fleet satellite name or NORAD id."),
    norad_id: int | None = typer.Option(None, "--norad-id", help="NORAD id to take from --tle."),
    station: list[str] | None = _STATION, lat: float | None = _LAT, lon: float | None = _LON, alt_m: float = _ALT,
    carrier_hz: float | None = typer.Option(None, "--carrier-hz", help="Carrier (Hz); default: the satellite's first radio."),
    min_elevation_deg: float | None = typer.Option(None, "--min-elevation-deg", help="Mask (default: the station's)."),
    start: str | None = _START, end: str | None = _END,
    out: Path = typer.Option(..., "--out", help="Antenna track file (.csv or .json)."),
    json_out: bool = _JSON,
) -> None:
    """Antenna tracks (az/el/range/Doppler at 1 s) of every pass in the window, written to one file."""
    import numpy as np

    from lotusar.cliutil import print_json
    from lotusar.orbit.doppler import doppler_series
    from lotusar.orbit.io import write_track_csv, write_track_json
    from lotusar.orbit.passes import find_passes
    from lotusar.orbit.propagate import time_grid

    sat, rec, fl = _one_sat(tle, fleet, satellite, norad_id)
    sites = _sites(lat, lon, alt_m, station[:1] if station else None, fleet, fl, min_elevation_deg)[:1]
    carrier_hz = _carrier_hz(carrier_hz, rec)
    t0, t1 = _window(start, end, [sat], fl)
    _stale([sat], t0, t1)
    passes = find_passes([sat], sites, t0, t1, min_elevation_deg=min_elevation_deg)
    parts = [doppler_series(sat, sites[0], time_grid(p.aos, p.los, 1.0), carrier_hz) for p in passes]
    if parts:
        series = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    else:
        series = {k: np.array([], dtype="datetime64[ns]" if k == "time" else float)
                  for k in ("time", "azimuth_deg", "elevation_deg", "range_m", "range_rate_m_s", "doppler_hz",
                            "range_acceleration_m_s2", "doppler_rate_hz_s")}
    (write_track_json if out.suffix.lower() == ".json" else write_track_csv)(out, series)
    summary = {"file": str(out), "passes": len(passes), "samples": int(len(series["time"])), "carrier_hz": carrier_hz}
    if json_out:
        print_json(summary)
    else:
        typer.echo(f"wrote {out}: {len(passes)} passes, {summary['samples']} samples at 1 s")


@app.command("demo")
def demo_cmd(
    fleet: Path | None = _FLEET,
    start: str | None = typer.Option(None, "--start", help="Window start, ISO 8601 UTC (default: the fleet's reference epoch)."),
    access_days: float = typer.Option(7.0, "--access-days", help="Days searched for SAR opportunities."),
    out: Path = typer.Option(Path("out/orbit"), "--out", help="Output folder (PNGs, passes.json, opportunities.json)."),
    json_out: bool = _JSON,
) -> None:
    """24 h of fleet passes over the Vietnamese stations and LOTUSat-1 opportunities over Quang Binh–Hue."""
    from lotusar.cliutil import print_json
    from lotusar.fleet import load_fleet
    from lotusar.orbit.demo import run_orbit_demo

    if not access_days > 0:
        raise ValidationError(f"--access-days must be positive, got {access_days}")
    summary = run_orbit_demo(out, start=start, fleet=load_fleet(fleet), access_days=access_days, quiet=json_out)
    if json_out:
        print_json(summary)
