"""Plan outputs besides the plan JSON: Gantt PNG, command timeline per satellite, pass schedule per station."""

from __future__ import annotations

from pathlib import Path

import matplotlib.dates as mdates
from matplotlib.figure import Figure

from lotusar.fileio import atomic_path
from lotusar.timeutil import parse_utc


def _t(s: str):
    return parse_utc(s)


def gantt_png(plan: dict, path) -> Path:
    """Acquisitions and downlinks per satellite (bars), recorder level and battery state of charge."""
    sats = sorted(set(plan["memory"]) | {a["satellite"] for a in plan["acquisitions"]})
    fig = Figure(figsize=(12, 7))      # no pyplot: no global backend state
    axes = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [2, 1, 1]})
    ax = axes[0]
    rows = []
    for s in sats:
        rows += [(s, "imaging"), (s, "downlink")]
    for i, (s, kind) in enumerate(rows):
        if kind == "imaging":
            # takes last seconds on an axis of days: draw each as a tick (red: emergency)
            for a in plan["acquisitions"]:
                if a["satellite"] == s:
                    x = mdates.date2num(_t(a["start"]))
                    col = "crimson" if a["priority"] == 0 else "tab:blue"
                    ax.vlines(x, i - 0.3, i + 0.3, color=col, linewidth=2.0 if a["priority"] == 0 else 1.2,
                              zorder=3 if a["priority"] == 0 else 2)
        else:
            for d in plan["downlinks"]:
                if d["satellite"] == s:
                    t0, t1 = _t(d["start"]), _t(d["end"])
                    ax.barh(i, mdates.date2num(t1) - mdates.date2num(t0), left=mdates.date2num(t0), height=0.6,
                            color="tab:green")
                    a0, a1 = _t(d["aos"]), _t(d["los"])
                    ax.barh(i, mdates.date2num(a1) - mdates.date2num(a0), left=mdates.date2num(a0), height=0.6,
                            color="tab:green", alpha=0.2)
    ax.set_yticks(range(len(rows)), [f"{s} {k}" for s, k in rows])
    ax.set_title(f"lotusar plan: {len(plan['acquisitions'])} acquisitions (red: emergency), "
                 f"{len(plan['downlinks'])} downlinks (pale: pass)")
    for s in sats:
        m = plan["memory"].get(s, [])
        axes[1].plot([_t(p["time"]) for p in m], [p["value"] / 8e9 for p in m], label=s)
        e = plan["energy"].get(s, [])
        axes[2].plot([_t(p["time"]) for p in e], [p["value"] for p in e], label=s)
    axes[1].set_ylabel("recorder (GB)")
    axes[2].set_ylabel("battery (Wh)")
    axes[1].legend(loc="upper right", fontsize=7)
    axes[2].xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M"))
    fig.autofmt_xdate()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    return Path(path)


def command_timeline(plan: dict) -> dict:
    """Per satellite, time-ordered commands: roll slews, SAR on/off, downlink on/off."""
    out: dict[str, list] = {}
    for a in plan["acquisitions"]:
        cmds = out.setdefault(a["satellite"], [])
        cmds.append({"time": a["start"], "command": "SAR_START", "mode": a["mode"], "look_side": a["look_side"],
                     "roll_deg": a["roll_deg"], "request_id": a["request_id"]})
        cmds.append({"time": a["end"], "command": "SAR_STOP", "request_id": a["request_id"],
                     "volume_bits": a["volume_bits"]})
    for d in plan["downlinks"]:
        cmds = out.setdefault(d["satellite"], [])
        cmds.append({"time": d["start"], "command": "XBAND_DUMP_START", "station": d["station"]})
        cmds.append({"time": d["end"], "command": "XBAND_DUMP_STOP", "station": d["station"],
                     "volume_bits": d["volume_bits"]})
    for s in out:
        out[s].sort(key=lambda c: c["time"])
    return out


def station_schedule(plan: dict) -> dict:
    out: dict[str, list] = {}
    for d in plan["downlinks"]:
        out.setdefault(d["station"], []).append({k: d[k] for k in ("satellite", "aos", "start", "end", "los", "volume_bits")})
    for s in out:
        out[s].sort(key=lambda c: c["start"])
    return out
