"""`lotusar sar` commands (parse and delegate only)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("preset")
def preset(name: str = typer.Argument(..., help="lotusat1-stripmap | lotusat1-spotlight | lotusat1-scansar | sentinel1-stripmap"),
           json_out: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Print a SAR mode preset's parameters."""
    from lotusar.cliutil import print_json, print_table
    from lotusar.sar.presets import get_preset

    d = get_preset(name).to_dict()
    if json_out:
        print_json(d)
    else:
        print_table([{"parameter": k, "value": v} for k, v in d.items() if k not in ("assumptions",)], title=name)
