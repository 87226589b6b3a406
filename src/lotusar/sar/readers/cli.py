"""CLI commands for real raw data, mounted on ``lotusar sar`` by :func:`register` (parse and delegate only).

- ``lotusar sar s1-decode FILE [--out SAMPLES.npy] [--json]``: Sentinel-1 L0 packets → headers,
  radar parameters, decoded samples (rows = packets).
- ``lotusar sar read-raw SOURCE --format radarsat1|alos-l0b --out RAW.h5``: SAR-core raw file (then ``lotusar sar focus``).
- ``lotusar sar doppler SOURCE --format radarsat1|alos-l0b [--json]``: Doppler centroid estimate.
- ``lotusar sar gotcha DIR --out IMAGE.h5 [--quicklook PNG] [--size-m 60] [--pixel-m 0.1] [--json]``:
  Gotcha phase history → back-projected ground image.
"""

from __future__ import annotations

from pathlib import Path

import typer


def _progress():
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True)


def _refuse_existing(path: Path | None, overwrite: bool) -> None:
    if path is not None and path.exists() and not overwrite:
        from lotusar.errors import RefuseOverwriteError

        raise RefuseOverwriteError(f"{path} exists (use --overwrite)")


def s1_decode(
    file: Path = typer.Argument(..., help="Sentinel-1 Level-0 .dat file (one or more space packets)."),
    out: Path = typer.Option(None, "--out", help="Write decoded samples (complex64, packets x 2·NQ) as .npy."),
    signal_type: str = typer.Option("all", "--signal-type", help="all | echo | noise | tx_cal | ..."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    overwrite: bool = typer.Option(False, "--overwrite"),
) -> None:
    """Decode Sentinel-1 L0 packets: headers, parameters and samples (bypass, BAQ, FDBAQ)."""
    import numpy as np

    from lotusar.cliutil import print_json, print_table
    from lotusar.fileio import atomic_path
    from lotusar.sar.readers import s1_isp

    _refuse_existing(out, overwrite)
    pk, samples = s1_isp.decode_file(file, None if signal_type == "all" else signal_type)
    rows = []
    for p in pk:
        par = p.parameters()
        rows.append({
            "sequence_count": p.primary["packet_sequence_count"], "signal_type": par["signal_type"],
            "baq_mode": par["baq_mode"], "number_of_quads": par["number_of_quads"], "swath_number": par["swath_number"],
            "utc_time": par["utc_time"], "prf_hz": par["prf_hz"], "range_sampling_rate_hz": par["range_sampling_rate_hz"],
            "tx_ramp_rate_hz_per_s": par["tx_ramp_rate_hz_per_s"], "tx_pulse_length_s": par["tx_pulse_length_s"],
            "tx_pulse_start_frequency_hz": par["tx_pulse_start_frequency_hz"], "rx_gain_db": par["rx_gain_db"],
        })
    if out is not None:
        with atomic_path(out) as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, samples, allow_pickle=False)
    if json_out:
        print_json({"file": str(file), "packets": rows, "samples_shape": list(samples.shape),
                    "out": str(out) if out else None,
                    "headers": [{"primary": p.primary, "secondary": p.secondary} for p in pk]})
    else:
        print_table(rows, ["sequence_count", "signal_type", "baq_mode", "number_of_quads", "utc_time", "prf_hz"],
                    title=f"{file}: {len(rows)} packets")


def read_raw(
    source: Path = typer.Argument(..., help="RADARSAT-1 block folder or ALOS L0B .h5 file."),
    fmt: str = typer.Option(..., "--format", help="radarsat1 | alos-l0b"),
    out: Path = typer.Option(..., "--out", help="SAR-core raw file (HDF5) to write."),
    doppler: bool = typer.Option(True, "--doppler/--no-doppler",
                                 help="Estimate the Doppler centroid from the echoes and record it (with the "
                                      "zero-Doppler output grid) so `lotusar sar focus` uses it."),
    json_out: bool = typer.Option(False, "--json"),
    overwrite: bool = typer.Option(False, "--overwrite"),
) -> None:
    """Convert a real raw block to the SAR-core raw file format."""
    from lotusar.cliutil import print_json
    from lotusar.sar.io import write_raw
    from lotusar.sar.readers import apps
    from lotusar.sar.readers import doppler as dop

    _refuse_existing(out, overwrite)
    ds = apps.open_block(source, fmt)
    if doppler:
        with _progress() as pr:
            pr.add_task("Doppler centroid estimation", total=None)
            ds.attrs.update(dop.processing_attrs(ds, apps.estimate(ds)))
    write_raw(ds, out)
    a = ds.attrs
    shape = list(ds["echoes"].shape)
    info = {"out": str(out), "mission": a["mission"], "shape": shape, "orbit_source": a["orbit_source"],
            "doppler_centroid_hz": a.get("doppler_centroid_hz"),
            "near_range_m": a["near_range_m"], "prf_hz": a["prf_hz"], "chirp_rate_hz_s": a["chirp_rate_hz_s"]}
    if json_out:
        print_json(info)
    else:
        typer.echo(f"wrote {out} ({a['mission']}, {shape[0]} x {shape[1]})")


def doppler(
    source: Path = typer.Argument(..., help="RADARSAT-1 block folder or ALOS L0B .h5 file."),
    fmt: str = typer.Option(..., "--format", help="radarsat1 | alos-l0b"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Estimate the absolute Doppler centroid (ACCC per range block + ambiguity by focus contrast)."""
    from lotusar.cliutil import print_json, print_table
    from lotusar.sar.readers import apps

    ds = apps.open_block(source, fmt)
    with _progress() as pr:
        pr.add_task("Doppler centroid estimation", total=None)
        est = apps.estimate(ds)
    d = est.to_dict()
    if json_out:
        print_json(d)
    else:
        rows = [{"slant_range_m": round(r, 1), "doppler_centroid_hz": round(f, 1), "coherence": round(c, 3)}
                for r, f, c in zip(d["block_slant_range_m"], d["block_doppler_centroid_hz"], d["block_coherence"])]
        print_table(rows, ["slant_range_m", "doppler_centroid_hz", "coherence"],
                    title=f"f_dc = {d['doppler_centroid_hz']:.1f} Hz (ambiguity {d['ambiguity']}, "
                          f"confidence {d['contrast_confidence']:.2f})")


def gotcha(
    folder: Path = typer.Argument(..., help="Folder with data_3dsar_pass*_az*_*.mat files."),
    out: Path = typer.Option(..., "--out", help="Ground image (HDF5 via xarray) to write."),
    quicklook: Path = typer.Option(None, "--quicklook", help="PNG to write."),
    size_m: float = typer.Option(60.0, "--size-m", help="Square image side (m), centred on the scene centre."),
    pixel_m: float = typer.Option(0.1, "--pixel-m", help="Ground pixel (m)."),
    files: int = typer.Option(0, "--files", help="Use only the first N files (0 = all)."),
    autofocus: bool = typer.Option(False, "--autofocus", help="Apply the AFRL range/phase corrections."),
    json_out: bool = typer.Option(False, "--json"),
    overwrite: bool = typer.Option(False, "--overwrite"),
) -> None:
    """Form a Gotcha X-band image by back-projection onto the ground plane z = 0."""
    from lotusar.cliutil import print_json
    from lotusar.sar.readers import gotcha as g

    _refuse_existing(out, overwrite)
    ph = g.read_pass(folder, max_files=files or None)
    with _progress() as pr:
        pr.add_task(f"back-projection of {ph.pulses} pulses", total=None)
        img = g.backproject(ph, g.ground_grid(size_m, pixel_m), autofocus=autofocus)
    info = g.write_image(img, out, quicklook)
    if json_out:
        print_json(info)
    else:
        typer.echo(f"wrote {out} ({img.image.shape[0]} x {img.image.shape[1]} pixels of {pixel_m} m)")


def register(sar_app: typer.Typer) -> None:
    """Mount the real-data commands on the ``lotusar sar`` Typer app."""
    sar_app.command("s1-decode")(s1_decode)
    sar_app.command("read-raw")(read_raw)
    sar_app.command("doppler")(doppler)
    sar_app.command("gotcha")(gotcha)
