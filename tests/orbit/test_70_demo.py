"""The orbit part of `make demo`: passes over the Vietnamese stations and SAR opportunities."""

from __future__ import annotations

import json


def test_run_orbit_demo(tmp_path):
    from lotusar.orbit.demo import run_orbit_demo

    out = run_orbit_demo(tmp_path, quiet=True, access_days=3.0)
    passes = json.loads((tmp_path / "passes.json").read_text())
    assert out["passes"] == len(passes) > 10
    assert {p["station"] for p in passes} == {"Hoa Lac", "Ho Chi Minh City"}
    assert {p["name"] for p in passes} == {"LOTUSat-1", "MicroDragon", "NanoDragon", "PicoDragon"}
    opps = json.loads((tmp_path / "opportunities.json").read_text())
    assert out["opportunities"] == len(opps) >= 1
    for o in opps:
        assert o["incidence_max_deg"] >= 20.0 and o["incidence_min_deg"] <= 50.0  # stripmap window overlap
    for k in ("ground_track_png", "pass_polar_png", "access_png"):
        assert open(out["files"][k], "rb").read(4) == b"\x89PNG"


def test_orbit_demo_cli(run_cli, tmp_path):
    proc = run_cli("orbit", "demo", "--out", tmp_path, "--access-days", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["passes"] == len(json.loads((tmp_path / "passes.json").read_text())) > 10
    assert summary["opportunities"] == len(json.loads((tmp_path / "opportunities.json").read_text()))
    assert run_cli("orbit", "demo", "--out", tmp_path, "--access-days", "0").returncode == 2
