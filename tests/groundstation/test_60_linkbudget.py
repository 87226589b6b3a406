"""Link budget: the terms against hand calculations, and over a real pass from the orbit stage."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lotusar.groundstation import linkbudget as lb


def test_fspl_hand_value():
    # 1000 km at 8.1 GHz: 20 log10(4 pi 1e6 8.1e9 / c) = 170.61 dB
    assert lb.free_space_loss_db(1.0e6, 8.1e9) == pytest.approx(20 * math.log10(4 * math.pi * 1e6 * 8.1e9 / 299792458.0), abs=1e-9)
    assert lb.free_space_loss_db(1.0e6, 8.1e9) == pytest.approx(170.61, abs=0.01)
    # doubling the range adds 6.02 dB
    assert lb.free_space_loss_db(2e6, 4.37e8) - lb.free_space_loss_db(1e6, 4.37e8) == pytest.approx(6.0206, abs=1e-4)


def test_air_mass_and_gas_loss():
    assert lb.air_mass(90.0) == pytest.approx(1.0, abs=2e-3)
    assert lb.air_mass(30.0) == pytest.approx(2.0, rel=0.01)
    assert 30 < lb.air_mass(0.0) < 40  # finite at the horizon (Kasten-Young: ~38)
    assert lb.zenith_attenuation_db(8.1e9) == pytest.approx(0.07, abs=0.01)
    assert lb.zenith_attenuation_db(22.2e9) > lb.zenith_attenuation_db(8.1e9) > lb.zenith_attenuation_db(4.37e8)


def test_budget_equation():
    t = lb.link_budget(np.array([1.0e6]), np.array([90.0]), 8.1e9, 20.0, 32.0, 8e8, 6.9, other_losses_db=1.0, implementation_loss_db=1.0)
    fspl = 20 * math.log10(4 * math.pi * 1e6 * 8.1e9 / 299792458.0)
    cn0 = 20.0 - fspl - lb.zenith_attenuation_db(8.1e9) * lb.air_mass(90.0) - 1.0 + 32.0 - 10 * math.log10(1.380649e-23)
    assert t["cn0_dbhz"][0] == pytest.approx(cn0, abs=1e-3)
    assert t["ebn0_db"][0] == pytest.approx(cn0 - 10 * math.log10(8e8), abs=1e-3)
    assert t["margin_db"][0] == pytest.approx(t["ebn0_db"][0] - 7.9, abs=1e-9)


def test_over_pass_and_cli(run_cli, tmp_path):
    res = lb.link_budget_over_pass("LOTUSat-1", "Hoa Lac", "2022-10-25T00:00:00Z", "2022-10-26T00:00:00Z", link="xband")
    e = res.ebn0_db
    assert e.size > 100
    # Eb/N0 follows the geometry: highest at minimum range, and FSPL difference = 20 log10(range ratio)
    i, j = int(np.argmax(e)), int(np.argmin(e))
    assert res.slant_range_m[i] == res.slant_range_m.min()
    de = e[i] - e[j]
    dfs = 20 * np.log10(res.slant_range_m[j] / res.slant_range_m[i])
    datm = res.terms["atmospheric_loss_db"][j] - res.terms["atmospheric_loss_db"][i]
    assert de == pytest.approx(dfs + datm, abs=1e-6)
    s = res.summary()
    assert s["data_volume_bits"] == pytest.approx(s["seconds_closed"] * 8e8)
    png = tmp_path / "lb.png"
    r = run_cli("gs", "linkbudget", "--satellite", "PicoDragon", "--station", "Hoa Lac", "--start", "2022-10-25T00:00:00Z",
                "--end", "2022-10-26T00:00:00Z", "--link", "uhf", "--png", png, "--json", check=True)
    out = json.loads(r.stdout)
    assert out["link"] == "UHF text beacon" and out["carrier_hz"] == pytest.approx(4.37e8)
    assert len(out["series"]) > 60 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = run_cli(
        "gs",
        "linkbudget",
        "--satellite",
        "Nope",
        "--station",
        "Hoa Lac",
        "--start",
        "2022-10-25T00:00:00Z",
        "--end",
        "2022-10-26T00:00:00Z",
    )
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def test_doppler_over_pass():
    res = lb.link_budget_over_pass("PicoDragon", "Hoa Lac", "2022-10-25T00:00:00Z", "2022-10-26T00:00:00Z", link="uhf")
    d = res.terms["doppler_hz"]
    # receding at LOS, approaching at AOS; |Δf| ≤ f v/c with v ≈ 7.7 km/s
    assert d[0] > 0 > d[-1]
    assert np.abs(d).max() < 4.37e8 * 7.8e3 / 299792458.0
    assert res.summary()["max_abs_doppler_hz"] == pytest.approx(np.abs(d).max())
