"""Draw docs/architecture.svg (text, diffable): the stages, the SAR product model and the shared vocabulary.

Run from the project root: ``.venv/bin/python docs/architecture_figure.py`` (matplotlib only).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

OUT = Path(__file__).resolve().parent / "architecture.svg"

STAGES = [  # (label, package, what it hands on)
    ("fleet", "lotusar.fleet", "satellites, SAR modes,\nstations (TOML)"),
    ("orbit", "lotusar.orbit", "Satellite, passes,\nSAR opportunities"),
    ("planning", "lotusar.planning", "acquisitions,\ndownlinks (plan)"),
    ("SAR simulation", "lotusar.sar.simulate", "raw product"),
    ("ground station", "lotusar.groundstation", "frames → Level-0"),
    ("focusing", "lotusar.sar.processor", "SLC product"),
    ("geo (ARD)", "lotusar.geo", "σ⁰ / γ⁰ COG"),
    ("apps", "lotusar.apps", "flood, ships,\nchange"),
    ("catalog", "lotusar.catalog", "STAC items"),
    ("service", "lotusar.service", "HTTP API, tiles,\nweb map"),
]
ADAPTERS = ["simulator", "scenario Level-0", "RADARSAT-1", "ALOS / NISAR L0B", "Sentinel-1 ISP", "Gotcha",
            "UAVSAR / NISAR RSLC", "Sentinel-1 SAFE"]
VOCABULARY = ["constants", "geodesy", "timeutil", "errors", "fileio", "xp"]


def _box(ax, x, y, w, h, text, face, size=8.5, weight="normal"):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=face, edgecolor="0.25", lw=0.9))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size, weight=weight)


def _arrow(ax, x0, y0, x1, y1, color="0.2", style="-|>", lw=1.1):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                arrowprops={"arrowstyle": style, "color": color, "lw": lw, "shrinkA": 1, "shrinkB": 1})


def draw(path: Path = OUT) -> Path:
    fig = Figure(figsize=(15, 8.6), dpi=110)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 15)
    ax.set_ylim(0, 8.6)
    ax.axis("off")
    ax.text(0.25, 8.3, "lotusar — one system: the stages, the SAR product model, the shared vocabulary",
            fontsize=13, weight="bold", va="center")

    # the chain, left to right
    w, h, y = 1.32, 0.95, 6.3
    xs = [0.25 + i * 1.47 for i in range(len(STAGES))]
    for x, (label, pkg, out) in zip(xs, STAGES):
        _box(ax, x, y, w, h, "", "#dbe9f6")
        ax.text(x + w / 2, y + h * 0.62, label, ha="center", va="center", fontsize=8.8, weight="bold")
        ax.text(x + w / 2, y + h * 0.3, pkg, ha="center", va="center", fontsize=6.6, style="italic", color="0.2")
        ax.text(x + w / 2, y + h + 0.1, out, ha="center", va="bottom", fontsize=7.2, color="0.25")
    for a, b in zip(xs[:-1], xs[1:]):
        _arrow(ax, a + w, y + h / 2, b, y + h / 2)

    # the SAR product model, fed by every adapter, read by focusing, geo and the catalog
    mx, my, mw, mh = 4.7, 2.75, 5.6, 1.85
    _box(ax, mx, my, mw, mh, "", "#fde9c9")
    ax.text(mx + mw / 2, my + mh - 0.25, "SAR product model  (lotusar.sar.model)", ha="center", fontsize=10, weight="bold")
    ax.text(mx + mw / 2, my + mh / 2 - 0.2,
            "raw product: echoes (azimuth_time, fast_time)\n"
            "SLC product: slc (azimuth_time, slant_range)\n"
            "one Orbit interpolator · Doppler centroid f_dc(η, R) · FM rate K_a(η, R)\n"
            "one geometry: rdr2geo / geo2rdr / zero-Doppler",
            ha="center", va="center", fontsize=8.2, family="monospace")
    ax.text(0.3, 4.75, "adapters (one per source)", fontsize=8.5, weight="bold")
    for i, name in enumerate(ADAPTERS):
        ay = 4.45 - i * 0.36
        _box(ax, 0.3, ay - 0.13, 2.2, 0.29, name, "#eeeeee", 7.5)
        _arrow(ax, 2.5, ay, mx, my + mh / 2, color="0.55", lw=0.7)
    # the stages that produce and consume it
    sim_x, foc_x, geo_x, cat_x = xs[3], xs[5], xs[6], xs[8]
    _arrow(ax, sim_x + w / 2, y, mx + 0.6, my + mh, color="#b36b00")
    for x in (foc_x, geo_x, cat_x):
        _arrow(ax, min(max(x + w / 2, mx + 0.3), mx + mw - 0.3), my + mh, x + w / 2, y, color="#b36b00")
    ax.text(sim_x + w / 2 - 0.08, (y + my + mh) / 2, "writes", ha="right", fontsize=7.5, color="#8a5200")
    ax.text(mx + mw + 0.15, my + mh - 0.1, "read by focusing (rda, csa, wk, bp),\ngeo (calibration, geocoding, ARD)\n"
            "and the catalog (footprints)", fontsize=7.8, va="top", color="#8a5200")

    # the vocabulary under everything
    vy = 0.2
    _box(ax, 0.25, vy, 14.5, 1.05, "", "#e3f1e0")
    ax.text(0.45, vy + 0.78, "shared vocabulary (imported by every stage, imports no stage)", fontsize=9, weight="bold")
    for i, name in enumerate(VOCABULARY):
        _box(ax, 0.45 + i * 1.55, vy + 0.12, 1.4, 0.42, name, "white", 8)
    ax.text(10.0, vy + 0.33, "lotusar.orbit.Satellite: the one satellite type\n"
            "(TLE, OMM, fleet file) · SAR mode names only in the fleet file", fontsize=8, va="center")
    path = Path(path)
    # fixed hash salt and no date: the same script gives the same file
    with matplotlib.rc_context({"svg.hashsalt": "lotusar", "svg.fonttype": "none"}):
        fig.savefig(path, format="svg", metadata={"Date": None})
    return path


if __name__ == "__main__":
    print(draw())
