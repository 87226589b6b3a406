"""`lotusar gs` commands (parse and delegate only)."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(no_args_is_help=True)

# frame formats default to layout detection (the standard profile when the stream matches it)
_DEFAULT_PROFILE = {"packets": "ccsds-packets", "aos-cadus": "auto", "tm-frames": "auto", "soft-symbols": "auto"}


def _read_input(path: Path) -> bytes:
    from lotusar.errors import ValidationError

    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    if path.is_dir():
        raise ValidationError(f"{path}: is a directory, expected a file")
    return path.read_bytes()


@app.command("level0")
def level0_cmd(
    input: Path = typer.Argument(..., help="input file"),
    input_format: str = typer.Option(..., "--input-format", help="packets | tm-frames | aos-cadus | soft-symbols"),
    profile: str | None = typer.Option(None, "--profile", help="built-in profile name or YAML path"),
    out: Path = typer.Option(..., "--out", help="output directory for apid<NNNNN>.pkt and report.json"),
    json_out: bool = typer.Option(False, "--json", help="print the quality report as JSON"),
) -> None:
    """Level-0: per-APID, time-ordered, duplicate-free packet files + quality report."""
    from lotusar.errors import ValidationError
    from lotusar.groundstation.level0 import INPUT_FORMATS, level0, write_level0
    from lotusar.groundstation.profile import load_profile

    if input_format not in INPUT_FORMATS:
        raise ValidationError(f"--input-format must be one of {', '.join(INPUT_FORMATS)}, not {input_format!r}")
    prof = load_profile(profile or _DEFAULT_PROFILE[input_format])
    if input_format != "packets" and prof.frame is None and prof.name != "auto":
        raise ValidationError(f"profile {prof.name!r} describes bare packets; use --input-format packets")
    if prof.kind == "beacon":
        raise ValidationError(f"profile {prof.name!r} is a beacon profile; use `lotusar gs beacon`")
    if out.exists() and not out.is_dir():
        raise ValidationError(f"--out {out} exists and is not a directory")
    data = _read_input(input)
    res = level0(data, input_format, prof)
    res.report["input"] = str(input)
    write_level0(res, out)
    if json_out:
        from lotusar.cliutil import print_json

        print_json(res.report)
    else:
        from lotusar.cliutil import print_table

        rows = [
            {"apid": a, "packets": n, "gaps": len(res.report["sequence_gaps"].get(a, []))}
            for a, n in res.report["packets_per_apid"].items()
        ]
        print_table(rows, title=f"Level-0 {input.name}: {len(res.report['defects'])} defects, {res.report['frames_total']} frames")


@app.command("beacon")
def beacon_cmd(
    input: Path = typer.Argument(..., help="recording (WAV audio, IQ: SigMF/cf32/ci16), KISS file or soft symbols (float32)"),
    input_format: str = typer.Option(..., "--input-format", help="wav | iq | kiss | soft-symbols"),
    profile: str | None = typer.Option(None, "--profile", help="beacon profile (picodragon, qb50-se01, ao73, or a YAML path)"),
    satyaml: Path | None = typer.Option(None, "--satyaml", help="gr-satellites SatYAML file: demodulate and deframe per its transmitters"),
    sample_rate_hz: float | None = typer.Option(None, "--sample-rate-hz", help="sample rate of raw IQ (overrides SigMF/WAV headers)"),
    json_out: bool = typer.Option(False, "--json", help="one JSON object per decoded frame"),
    include_rejected: bool = typer.Option(False, "--include-rejected", help="also print rejected fragments"),
) -> None:
    """Decode small-satellite beacons: real recordings per a SatYAML file, or KISS/audio/soft symbols per a profile."""
    import sys

    from lotusar.errors import ValidationError
    from lotusar.groundstation.beacon import decode_beacons, profile_needs_receiver
    from lotusar.groundstation.profile import load_profile
    from lotusar.groundstation.receiver import decode_recording
    from lotusar.groundstation.recording import read_recording
    from lotusar.groundstation.satyaml import load_satyaml, satellite_from_dict

    if (profile is None) == (satyaml is None):
        raise ValidationError("give exactly one of --profile and --satyaml")
    if sample_rate_hz is not None and not sample_rate_hz > 0:
        raise ValidationError(f"--sample-rate-hz must be positive, not {sample_rate_hz:g}")
    prof = load_profile(profile) if profile is not None else None
    receiver_path = (
        satyaml is not None or input_format == "iq" or (prof is not None and input_format == "wav" and profile_needs_receiver(prof))
    )
    if receiver_path:
        if input_format not in ("wav", "iq"):
            raise ValidationError(f"--satyaml decodes recordings: --input-format wav or iq, not {input_format!r}")
        sat = load_satyaml(satyaml) if satyaml is not None else satellite_from_dict(prof.raw if prof else {}, f"profile {profile}")
        res = decode_recording(read_recording(input, input_format, sample_rate_hz), sat)
        for n in res.notices:
            sys.stderr.write(f"lotusar: {n}\n")
        frames = res.frames
        shown = frames
    else:
        if sample_rate_hz is not None:
            raise ValidationError("--sample-rate-hz applies to wav and iq recordings")
        assert prof is not None
        frames = decode_beacons(_read_input(input), input_format, prof, source=str(input))
        shown = [f for f in frames if include_rejected or f.get("status") == "ok"]
        for f in frames:  # rejected fragments: one line each on stderr (exit status stays 0)
            if f.get("status") != "ok":
                sys.stderr.write(
                    f"lotusar: beacon frame {f.get('index')} at offset {f.get('offset')} rejected: {f.get('reason', 'not decodable')}\n"
                )
    if json_out:
        from lotusar.cliutil import print_json

        print_json(shown)
    else:
        from lotusar.cliutil import print_table

        if receiver_path:
            cols = [c for c in ("index", "offset_s", "framing", "length", "crc_ok", "rs_corrected", "hex") if any(c in f for f in shown)]
        else:
            cols = sorted({k for f in shown for k in f if not isinstance(f[k], (dict, list))}, key=lambda c: (c != "index", c))
        print_table(shown, cols[:10], title=f"{input.name}: {sum(f.get('status', 'ok') == 'ok' for f in frames)} frames decoded")


@app.command("decode")
def decode_cmd(
    input: Path = typer.Argument(..., help="packets / frames / soft symbols"),
    defs: Path | None = typer.Option(
        None,
        "--defs",
        help="telemetry dictionary (CSV/YAML file or folder of CSVs): decode values; without it, list frames or packet headers",
    ),
    input_format: str = typer.Option("packets", "--input-format", help="packets | tm-frames | aos-cadus | soft-symbols"),
    profile: str | None = typer.Option(None, "--profile"),
    apid: int | None = typer.Option(None, "--apid", help="only this APID"),
    out: Path | None = typer.Option(
        None, "--out", help="write the table (.parquet or .csv); for frames without --defs, .bin writes the decoded frames"
    ),
    json_out: bool = typer.Option(False, "--json", help="print rows as JSON"),
    limit: int = typer.Option(0, "--limit", help="print at most this many rows (0: all)"),
) -> None:
    """Decode: telemetry values (with --defs), else frame headers/RS status or packet headers."""
    import pandas as pd

    from lotusar.errors import ValidationError
    from lotusar.groundstation.level0 import INPUT_FORMATS, decode_frames, level0
    from lotusar.groundstation.profile import load_profile
    from lotusar.groundstation.telemetry import decode_packets, load_dictionary, write_table

    if input_format not in INPUT_FORMATS:
        raise ValidationError(f"--input-format must be one of {', '.join(INPUT_FORMATS)}, not {input_format!r}")
    prof = load_profile(profile or _DEFAULT_PROFILE[input_format])
    data = _read_input(input)
    if defs is None and input_format != "packets":
        recs, frames, layout = decode_frames(data, input_format, prof)
        if out is not None:
            if out.suffix == ".bin":
                from lotusar.fileio import write_bytes_atomic

                write_bytes_atomic(out, frames.tobytes())
            else:
                write_table({"frames": pd.DataFrame(recs)}, out)
        rows = recs
        title = f"{len(recs)} frames ({layout.get('profile')})"
    else:
        res = level0(data, input_format, prof)
        pk = [p for a in sorted(res.packets) for p in res.packets[a] if apid is None or a == apid]
        if defs is not None:
            tables = decode_packets(pk, load_dictionary(defs))
        else:
            tables = {"packets": pd.DataFrame([{"apid": p.apid, "seq_count": p.seq_count, "seq_flags": p.seq_flags, "length": p.length,
                                                "type": p.ptype, "sec_hdr": p.sec_hdr, "offset": p.offset} for p in pk])}
        if out is not None:
            write_table(tables, out)
        rows = []
        for name, df in tables.items():
            for r in df.to_dict(orient="records"):
                r["packet"] = name
                rows.append(r)
        title = f"{len(rows)} rows"
    if json_out:
        from lotusar.cliutil import print_json

        print_json(rows[:limit] if limit else rows)
    else:
        from lotusar.cliutil import print_table

        shown = rows[:limit] if limit else rows[:50]
        cols = list(shown[0].keys())[:10] if shown else []
        print_table(shown, cols, title=title)


@app.command("linkbudget")
def linkbudget_cmd(
    satellite: str = typer.Option(..., "--satellite"),
    station: str = typer.Option(..., "--station"),
    start: str = typer.Option(..., "--start", help="UTC start of the search window"),
    end: str = typer.Option(..., "--end", help="UTC end of the search window"),
    link: str = typer.Option("xband", "--link", help="xband | uhf | a profile name"),
    pass_index: int = typer.Option(0, "--pass", help="which pass in the window (0 = first)"),
    step_s: float = typer.Option(1.0, "--step-s"),
    png: Path | None = typer.Option(None, "--png", help="write Eb/N0, margin and elevation curves"),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Link budget per second over a pass: EIRP, FSPL, atmosphere, G/T, Eb/N0, margin, data volume."""
    from lotusar.groundstation.linkbudget import link_budget_over_pass, plot_link_budget
    from lotusar.timeutil import parse_window

    t0, t1 = parse_window(start, end)
    lb = link_budget_over_pass(satellite, station, t0, t1, link=link, pass_index=pass_index, step_s=step_s)
    if png is not None:
        plot_link_budget(lb, png)
    summary = lb.summary()
    if json_out:
        from lotusar.cliutil import print_json

        print_json({**summary, "series": lb.series()})
    else:
        from lotusar.cliutil import print_table

        print_table([summary], list(summary.keys())[:9], title=f"{link} link budget {satellite} → {station}")


@app.command("profiles")
def profiles_cmd(json_out: bool = typer.Option(False, "--json")) -> None:
    """List the built-in link and beacon profiles."""
    from lotusar.groundstation.profile import builtin_profiles, load_profile

    rows = []
    for n in builtin_profiles():
        p = load_profile(n)
        rows.append({"name": n, "kind": p.kind, "description": p.description})
    if json_out:
        from lotusar.cliutil import print_json

        print_json(rows)
    else:
        from lotusar.cliutil import print_table

        print_table(rows, ["name", "kind", "description"], title="ground-station profiles")
