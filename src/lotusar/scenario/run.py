"""The typhoon scenario: from a flood warning to a flood map on the operators' web map.

Stages (each writes its products under ``out_dir`` and records them in the provenance ledger):

1. **Warning → request.** The warning polygon (``data/flood_warning_quang_binh.geojson``)
   becomes an urgent stripmap tasking request beside a background of routine requests.
2. **Plan.** The routine requests are planned and committed; the urgent request is inserted by
   emergency re-planning onto the earliest feasible LOTUSat-1 pass, with its downlink on a
   Vietnamese station. The earliest opportunity is re-derived independently from the orbit stage.
3. **Raw echoes.** The beam is pointed at the area on the planned pass (real orbit from the
   fleet's elements); a synthetic coastal flood scene (stated as synthetic) is mapped into the
   simulator's ground grid and its raw echoes simulated (speckle, noise at NESZ, 4-bit BAQ).
4. **Downlink.** The echoes are packetised (CCSDS Space Packets), framed (AOS), RS-coded,
   randomised, convolutionally encoded and sent through an AWGN channel whose Eb/N0 follows the
   link budget of the downlink pass; the ground-station chain decodes them to Level-0, which is
   compared byte for byte with what was sent.
5. **Products.** Level-0 → raw → SLC (chirp scaling) → ARD (σ⁰, terrain-corrected COG) →
   flood map (COG, GeoJSON, PNG) → STAC catalog. The flood map is scored against the truth (IoU).
6. **Web map.** The catalog holds the pass, the acquisition footprint and the flood map;
   ``lotusar serve --catalog ...`` shows them at ``/map``.
7. **Provenance and latency.** ``provenance.json`` links every product to its inputs; the
   latency budget adds simulated waits (until the pass, until the downlink) to measured times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path

import numpy as np
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from lotusar.cliutil import to_json
from lotusar.constants import SPEED_OF_LIGHT_M_S
from lotusar.errors import ValidationError
from lotusar.fileio import write_text_atomic
from lotusar.fleet import Fleet, FleetSatellite, load_fleet
from lotusar.orbit.io import read_aoi
from lotusar.sar import io as sario
from lotusar.sar.presets import get_preset
from lotusar.sar.scene import PointTarget, SceneSpec
from lotusar.sar.simulate import simulate
from lotusar.scenario import channel, products, publish, tasking
from lotusar.scenario.calibration import TRIHEDRAL_RCS_M2
from lotusar.scenario.geometry import sample_scene_on_sim_grid, steer_to_target
from lotusar.scenario.latency import LatencyBudget
from lotusar.scenario.provenance import ProvenanceLedger
from lotusar.scenario.scene import build_flood_scene, write_scene
from lotusar.scenario.webmap import screenshot
from lotusar.timeutil import iso_utc, parse_datetime64, parse_utc, to_datetime64

SCALES = {
    # slc: SLC grid (lines = samples); background: routine requests; bandwidth: processed Doppler band
    "small": {"slc": 512, "background": 40, "plan_hours": 48.0, "map_pixel_m": 10.0, "azimuth_bandwidth_hz": 600.0,
              "time_limit_s": 8.0},
    "full": {"slc": 2048, "background": 300, "plan_hours": 48.0, "map_pixel_m": 10.0, "azimuth_bandwidth_hz": 600.0,
             "time_limit_s": 20.0},
}


def warning_geojson_path() -> Path:
    return Path(str(resources.files("lotusar.scenario") / "data" / "flood_warning_quang_binh.geojson"))


@dataclass
class ScenarioResult:
    out_dir: Path
    summary: dict = field(default_factory=dict)
    latency: LatencyBudget = field(default_factory=LatencyBudget)
    ledger: ProvenanceLedger = field(default_factory=ProvenanceLedger)
    products: dict[str, str] = field(default_factory=dict)


class _Progress:
    """Rich progress over the scenario's stages (quiet mode prints nothing)."""

    def __init__(self, total: int, quiet: bool):
        self.quiet = quiet
        if not quiet:
            self.p = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                              TimeElapsedColumn())
            self.task = self.p.add_task("typhoon scenario", total=total)
            self.p.start()

    def stage(self, text: str) -> None:
        if not self.quiet:
            self.p.update(self.task, description=text)
            self.p.console.log(text)

    def advance(self) -> None:
        if not self.quiet:
            self.p.advance(self.task)

    def stop(self) -> None:
        if not self.quiet:
            self.p.stop()


def _write_json(path: Path, obj) -> Path:
    return write_text_atomic(path, to_json(obj))


def run_typhoon(out_dir: str | Path, scale: str = "small", dask_address: str | None = None,
                warning_time: str | None = None, seed: int = 2020, quiet: bool = False) -> ScenarioResult:
    """Run the whole scenario; returns the summary, latency budget and provenance ledger."""
    if scale not in SCALES:
        raise ValidationError(f"unknown scale {scale!r}: expected one of {', '.join(SCALES)}")
    cfg = SCALES[scale]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    res = ScenarioResult(out)
    prog = _Progress(7, quiet)
    try:
        fleet = load_fleet()
        t_warn = parse_utc(warning_time or fleet.reference_epoch or "2022-10-25T12:00:00Z", "warning time")
        res.summary["warning_time"] = iso_utc(t_warn)
        res.summary["scale"] = scale

        prog.stage("1/7 warning → tasking requests")
        with res.latency.measure("requests", "warning polygon → urgent + routine requests"):
            req = _stage_requests(res, fleet, t_warn, cfg, seed)
        prog.advance()

        prog.stage("2/7 planning (committed plan, emergency re-plan)")
        with res.latency.measure("planning", "routine plan + emergency insertion"):
            plan = _stage_plan(res, fleet, t_warn, cfg, req)
        prog.advance()

        prog.stage("3/7 raw echo simulation")
        with res.latency.measure("simulate raw echoes", "ground processing stand-in for the satellite"):
            sim = _stage_simulate(res, fleet, plan, cfg, seed)
        prog.advance()

        prog.stage("4/7 downlink: CCSDS encode → channel → Level-0")
        with res.latency.measure("ground station: decode to Level-0"):
            l0 = channel.downlink(res, fleet, plan, sim, seed)
        prog.advance()

        prog.stage("5/7 focus → ARD → flood map")
        products.make_products(res, sim, l0, cfg, dask_address)
        prog.advance()

        prog.stage("6/7 catalog and web map")
        with res.latency.measure("catalog ingest"):
            publish.publish(res, plan)
        shot = screenshot(res.products["catalog"], out, out / "web_map.png")
        res.summary["web_map"] = shot
        if "png" in shot:
            res.products["web_map_png"] = shot["png"]
        prog.advance()

        prog.stage("7/7 provenance and latency budget")
        res.ledger.write(out / "provenance.json")
        res.products["provenance"] = str(out / "provenance.json")
        res.summary["latency"] = res.latency.table_rows()
        res.summary["warning_to_map_s"] = res.latency.total_s
        res.summary["products"] = res.products
        _write_json(out / "summary.json", res.summary)
        prog.advance()
    finally:
        prog.stop()
    return res


# --- stage 1 ----------------------------------------------------------------------------------


def _stage_requests(res: ScenarioResult, fleet: Fleet, t_warn: datetime, cfg: dict, seed: int) -> dict:
    aoi_path = warning_geojson_path()
    urgent, background = tasking.make_requests(aoi_path, fleet, t_warn, cfg["plan_hours"], cfg["background"], seed)
    res.ledger.add("warning", aoi_path, "warning", parameters={"source": "scenario warning polygon"})
    p_bg = _write_json(res.out_dir / "requests_routine.json", [r for r in background])
    p_urgent = _write_json(res.out_dir / "request_urgent.json", [urgent])
    res.ledger.add("requests_routine", p_bg, "requests", parameters={"count": len(background), "seed": seed})
    res.ledger.add("request_urgent", p_urgent, "requests", inputs=["warning"], parameters={"priority": "urgent"})
    res.summary["requests"] = {"routine": len(background), "urgent": 1}
    return {"urgent": urgent, "background": background, "aoi_path": aoi_path}


# --- stage 2 ----------------------------------------------------------------------------------


def _stage_plan(res: ScenarioResult, fleet: Fleet, t_warn: datetime, cfg: dict, req: dict) -> dict:
    plan = tasking.plan_and_insert(fleet, t_warn, cfg, req, res.out_dir)
    res.ledger.add("plan_committed", plan["committed_path"], "planning", inputs=["requests_routine"],
                   parameters={"time_limit_s": cfg["time_limit_s"]})
    res.ledger.add("plan", plan["plan_path"], "planning", inputs=["plan_committed", "request_urgent"],
                   parameters={"mode": "emergency insertion"})
    acq, dl = plan["acquisition"], plan["downlink"]
    wait_acq = (parse_utc(acq["start"]) - t_warn).total_seconds()
    wait_dl = (parse_utc(dl["start"]) - parse_utc(acq["end"])).total_seconds()
    res.latency.add_simulated("wait for the imaging pass", wait_acq, f"{acq['satellite']} {acq['start']}")
    res.latency.add_simulated("acquisition", (parse_utc(acq["end"]) - parse_utc(acq["start"])).total_seconds(), acq["look_side"])
    res.latency.add_simulated("on-board storage until downlink", wait_dl, f"{dl['station']} {dl['start']}")
    res.summary["acquisition"] = acq
    res.summary["downlink"] = dl
    res.summary["earliest_feasible_opportunity"] = plan["earliest_opportunity"]
    res.summary["plan_stability"] = plan.get("stability")
    res.summary["planned_on_earliest"] = plan.get("planned_on_earliest")
    res.products["plan"] = str(plan["plan_path"])
    return plan


# --- stage 3 ----------------------------------------------------------------------------------


def _stage_simulate(res: ScenarioResult, fleet: Fleet, plan: dict, cfg: dict, seed: int) -> dict:
    acq = plan["acquisition"]
    centroid = read_aoi(warning_geojson_path()).centroid
    lon_c, lat_c = centroid.x, centroid.y
    sat = fleet.satellite(acq["satellite"])
    tle = _tle_near(sat, acq["start"])
    base = get_preset(f"lotusat1-{acq['mode']}")  # the planned acquisition's mode (the fleet file's default)
    t_mid = to_datetime64(parse_utc(acq["start"]) + (parse_utc(acq["end"]) - parse_utc(acq["start"])) / 2)
    mode, steer = steer_to_target(base, lat_c, lon_c, t_mid, acq["look_side"], tle)
    n = cfg["slc"]
    # The SLC grid: n lines at the PRF, n slant-range samples; its ground extent sets the scene size.
    dr_ground = SPEED_OF_LIGHT_M_S / (2 * mode.range_sampling_rate_hz) / np.sin(np.deg2rad(acq["incidence_deg"]))
    extent_m = max(n * dr_ground, n * 7100.0 / mode.prf_hz)
    spacing = 2.0
    grid = int(np.ceil(1.25 * extent_m / spacing))
    scene = build_flood_scene(lon_c, lat_c, size_m=max(2.0 * extent_m, 3000.0), pixel_m=cfg["map_pixel_m"], seed=seed)
    paths = write_scene(scene, res.out_dir / "scene")
    sampled = sample_scene_on_sim_grid(mode, scene, grid, grid, spacing)
    # A trihedral corner reflector near a corner of the scene, for external calibration.
    cr = PointTarget(along_track_m=0.3 * n * 7000.0 / mode.prf_hz, cross_track_m=-0.3 * n * dr_ground, height_m=0.0,
                     rcs_m2=TRIHEDRAL_RCS_M2)
    spec = SceneSpec(azimuth_lines=n, range_samples=n, antenna_pattern=False, noise=True, quantisation="baq",
                     quantisation_bits=4, seed=seed, azimuth_bandwidth_hz=cfg["azimuth_bandwidth_hz"],
                     sigma0_db=sampled["sigma0_db"], sigma0_spacing_m=spacing, window="hamming", targets=[cr])
    raw = simulate(mode, spec)
    raw_path = res.out_dir / "raw" / "lotusat1_raw.h5"
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    sario.write_raw(raw, raw_path)
    for k in ("dem", "truth", "sigma0_vv_db", "permanent_water"):
        res.ledger.add(f"scene_{k}", paths[k], "scene", parameters={"synthetic": True, **scene.attrs})
    res.ledger.add("raw", raw_path, "sar.simulate", inputs=["plan", "scene_sigma0_vv_db"],
                   parameters={"mode": mode.name, "look_angle_deg": mode.look_angle_deg, "reference_time_utc": mode.reference_time_utc,
                               "slc_grid": n, "azimuth_bandwidth_hz": cfg["azimuth_bandwidth_hz"], "quantisation": "baq 4-bit"})
    res.summary["steering"] = steer
    res.summary["raw"] = {"lines": int(raw.sizes["azimuth_time"]), "samples": int(raw.sizes["fast_time"])}
    res.products.update({"raw": str(raw_path), **{f"scene_{k}": v for k, v in paths.items()}})
    return {"raw": raw, "raw_path": raw_path, "scene": scene, "scene_paths": paths, "mode": mode}


def _tle_near(sat: FleetSatellite, when: str) -> tuple[str, str]:
    """The satellite's element set nearest in epoch to ``when`` as (line1, line2)."""
    t = parse_datetime64(when, "acquisition start")
    best = min(sat.element_sets(), key=lambda s: abs((s.epoch - t).astype("timedelta64[s]").astype(float)))
    return best.tle_lines()
