"""Console summary of a scenario run (rich tables)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def print_summary(res) -> None:
    s = res.summary
    con = Console()
    acq, dl = s.get("acquisition", {}), s.get("downlink", {})
    con.rule("[bold]typhoon scenario")
    con.print(f"warning at {s.get('warning_time')}  ·  scale {s.get('scale')}")
    if acq:
        con.print(f"acquisition: {acq.get('satellite')} {acq.get('start')} → {acq.get('end')}, look {acq.get('look_side')}, "
                  f"incidence {acq.get('incidence_deg', float('nan')):.2f}°")
        eo = s.get("earliest_feasible_opportunity") or {}
        con.print(f"earliest feasible opportunity (independent, orbit stage): {eo.get('start')} → {eo.get('end')} "
                  f"({'same pass' if s.get('planned_on_earliest') else 'NOT the planned pass'})")
    if dl:
        con.print(f"downlink: {dl.get('station')} {dl.get('start')} → {dl.get('end')}")
    l0 = s.get("level0", {})
    if l0:
        con.print(f"Level-0: {l0.get('packets_sent')} packets sent, equal to sent bytes: {l0.get('level0_equals_sent')}, "
                  f"RS-corrected frames {l0.get('frames_rs_corrected')}, uncorrectable {l0.get('frames_uncorrectable')}")
    fl = s.get("flood", {})
    if fl:
        con.print(f"flood IoU {fl.get('iou'):.4f}")
        con.print(f"flooded area: mapped {fl.get('mapped_flood_km2', 0):.3f} km², truth {fl.get('truth_flood_km2', 0):.3f} km²")
    t = Table(title="latency budget: warning → map")
    for c in ("stage", "kind", "duration", "cumulative", "note"):
        t.add_column(c)
    for r in res.latency.table_rows():
        t.add_row(r["stage"], r["kind"], r["duration"], r["cumulative"], r.get("note", ""))
    con.print(t)
    p = Table(title="outputs")
    p.add_column("product")
    p.add_column("path")
    for k, v in s.get("products", {}).items():
        p.add_row(k, str(v))
    con.print(p)
    if s.get("serve_command"):
        con.print(f"web map: run  [bold]{s['serve_command']}[/bold]  and open {s.get('map_url')}")
