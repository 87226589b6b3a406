"""`lotusar sar` commands (parse and delegate only)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("preset")
def preset(name: str = typer.Argument(..., help="lotusat1-<mode> (one per LOTUSat-1 SAR mode of the fleet file) or sentinel1-stripmap"),
           json_out: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print a SAR mode preset's parameters."""
    from lotusar.cliutil import print_json, print_table
    from lotusar.sar.presets import get_preset

    d = get_preset(name).to_dict()
    if json_out:
        print_json(d)
    else:
        print_table([{"parameter": k, "value": v} for k, v in d.items() if k not in ("assumptions",)], title=name)


def _progress_bar(description: str, total: float = 1.0):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(TextColumn(description), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                    transient=True)
    return prog


@app.command("simulate")
def simulate(preset: str = typer.Option("lotusat1-stripmap", "--preset", help="SAR mode preset."),
             targets: str = typer.Option(..., "--targets", help="Scene JSON (settings + targets)."),
             out: str = typer.Option(..., "--out", help="Raw output file (HDF5)."),
             json_out: bool = typer.Option(False, "--json", help="Print a JSON summary.")) -> None:
    """Simulate raw echoes (exact time-domain point targets, optional σ0 map, noise, ADC)."""
    from lotusar.cliutil import print_json
    from lotusar.sar.io import write_raw
    from lotusar.sar.presets import get_preset
    from lotusar.sar.scene import read_scene
    from lotusar.sar.simulate import simulate as run

    mode = get_preset(preset)
    scene = read_scene(targets)
    with _progress_bar("simulating") as prog:
        task = prog.add_task("sim", total=max(len(scene.targets), 1))
        ds = run(mode, scene, progress=lambda i: prog.update(task, completed=i + 1))
    write_raw(ds, out)
    summary = {"out": out, "preset": preset, "lines": ds.sizes["azimuth_time"], "samples": ds.sizes["fast_time"],
               "targets": ds.sizes.get("target", 0), "doppler_centroid_hz": ds.attrs["doppler_centroid_hz"],
               "squint_deg": ds.attrs["squint_deg"], "slc_lines": ds.attrs["slc_azimuth_lines"],
               "slc_samples": ds.attrs["slc_range_samples"]}
    if json_out:
        print_json(summary)
    else:
        typer.echo(f"wrote {out}: {summary['lines']} x {summary['samples']} raw samples, {summary['targets']} targets")


@app.command("focus")
def focus(raw: str = typer.Argument(..., help="Raw product: `lotusar sar simulate` or `lotusar sar read-raw` output."),
          algorithm: str = typer.Option("rda", "--algorithm", help="rda | csa | wk | bp"),
          out: str = typer.Option(..., "--out", help="SLC output file (HDF5)."),
          device: str = typer.Option("cpu", "--device", help="cpu | gpu"),
          window: str = typer.Option(None, "--window", help="none | hamming | taylor (default: the raw file's)."),
          doppler: str = typer.Option("auto", "--doppler", help="auto | data | geometry"),
          quicklook: str = typer.Option(None, "--quicklook", help="PNG path (default: OUT with .png)."),
          json_out: bool = typer.Option(False, "--json", help="Print a JSON summary.")) -> None:
    """Focus any raw product (simulated or real) into a zero-Doppler SLC (+ multilooked dB quicklook PNG)."""
    from pathlib import Path

    from lotusar.cliutil import print_json
    from lotusar.errors import ValidationError
    from lotusar.sar.focus import ALGORITHMS
    from lotusar.sar.io import read_raw, write_slc
    from lotusar.sar.processor import focus_dataset, quicklook_png

    if algorithm not in ALGORITHMS:
        raise ValidationError(f"--algorithm must be one of {', '.join(ALGORITHMS)}, got {algorithm!r}")
    ds = read_raw(raw)
    with _progress_bar(f"focusing ({algorithm})") as prog:
        task = prog.add_task("focus", total=1.0)
        slc = focus_dataset(ds, algorithm, device=device, window=window, doppler=doppler,
                            progress=lambda f: prog.update(task, completed=f))
    write_slc(slc, out)
    ql = quicklook or str(Path(out).with_suffix(".png"))
    quicklook_png(slc, ql)
    summary = {"out": out, "quicklook": ql, "algorithm": algorithm, "lines": slc.sizes["azimuth_time"],
               "samples": slc.sizes["slant_range"], "doppler_centroid_hz": slc.attrs["doppler_centroid_hz"],
               "doppler_source": slc.attrs["doppler_source"]}
    if json_out:
        print_json(summary)
    else:
        typer.echo(f"wrote {out} ({summary['lines']} x {summary['samples']}) and {ql}")


@app.command("irf")
def irf(slc: str = typer.Argument(..., help="SLC file."),
        png: str = typer.Option(None, "--png", help="PNG of IRF contours and cuts."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Point-target image quality: resolution, PSLR, ISLR, position error vs theory."""
    from lotusar.cliutil import print_json, print_table
    from lotusar.sar.io import read_slc
    from lotusar.sar.irf import analyse_slc, irf_png

    ds = read_slc(slc)
    recs = analyse_slc(ds)
    if png:
        irf_png(recs, png)
    clean = [{k: v for k, v in r.items() if not k.startswith("_")} for r in recs]
    if json_out:
        print_json({"slc": slc, "algorithm": ds.attrs.get("algorithm"), "targets": clean})
    else:
        print_table(clean, ["target", "range_resolution_m", "theory_range_resolution_m", "azimuth_resolution_m",
                            "theory_azimuth_resolution_m", "pslr_range_db", "pslr_azimuth_db", "islr_range_db",
                            "islr_azimuth_db", "position_error_px"], title=f"IRF {slc}")


@app.command("export")
def export(slc: str = typer.Argument(..., help="SLC file."),
           fmt: str = typer.Option("gtiff", "--format", help="gtiff"),
           out: str = typer.Option(..., "--out", help="Output file.")) -> None:
    """Export an SLC as a CFloat32 GeoTIFF (rows azimuth, columns slant range)."""
    from lotusar.errors import ValidationError
    from lotusar.sar.io import read_slc
    from lotusar.sar.processor import export_gtiff

    if fmt != "gtiff":
        raise ValidationError(f"--format must be gtiff, got {fmt!r}")
    export_gtiff(read_slc(slc), out)
    typer.echo(f"wrote {out}")
