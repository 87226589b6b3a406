"""SAR core: simulate -> focus (rda/csa/wk/bp) -> IRF against theory and an independent IRF.

Scenes are small (SLC 256 x 256 / 96 x 96) so the whole file runs in about a minute.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from lotusar.constants import SPEED_OF_LIGHT_M_S as C

SQUINT_SCENE = {
    "azimuth_lines": 200, "range_samples": 256, "squint_deg": 2.0, "antenna_pattern": False, "noise": False,
    "quantisation": "none", "window": "none",
    "targets": [{"along_track_m": -110, "cross_track_m": -90, "height_m": 0, "rcs_m2": 1},
                {"along_track_m": 0, "cross_track_m": 0, "height_m": 30, "rcs_m2": 1},
                {"along_track_m": 100, "cross_track_m": 90, "height_m": 0, "rcs_m2": 2}],
}


def independent_irf(slc: np.ndarray, az: float, rg: float, factor: int = 32, half: int = 30):
    """Separate simple IRF tool: 1-D FFT up-sampling of the row and column through the peak."""
    k, j = int(round(az)), int(round(rg))
    win = np.abs(slc[k - 4:k + 5, j - 4:j + 5])
    dk, dj = np.unravel_index(np.argmax(win), win.shape)
    k, j = k - 4 + dk, j - 4 + dj
    out = {}
    for name, line, centre in (("range", slc[k, j - half:j + half], j), ("azimuth", slc[k - half:k + half, j], k)):
        # remove the mean phase slope (azimuth spectrum centred on the Doppler centroid)
        slope = np.angle(np.sum(line[1:] * np.conj(line[:-1])))
        line = line * np.exp(-1j * slope * np.arange(line.size))
        n = line.size
        spec = np.fft.fftshift(np.fft.fft(line))
        big = np.zeros(n * factor, complex)
        big[(n * factor - n) // 2:(n * factor + n) // 2] = spec
        p = np.abs(np.fft.ifft(np.fft.ifftshift(big))) ** 2
        m = int(np.argmax(p))
        above = np.nonzero(p >= p[m] / 2)[0]
        # contiguous -3 dB region around the peak
        lo = m
        while lo > 0 and p[lo - 1] >= p[m] / 2:
            lo -= 1
        hi = m
        while hi < p.size - 1 and p[hi + 1] >= p[m] / 2:
            hi += 1
        assert above.size > 0
        out[name + "_width_px"] = (hi - lo + 1) / factor
        out[name + "_pos_px"] = centre - half + m / factor
        # first sidelobe: maximum beyond the first nulls
        a = m
        while a > 0 and p[a - 1] < p[a]:
            a -= 1
        b = m
        while b < p.size - 1 and p[b + 1] < p[b]:
            b += 1
        out[name + "_pslr_db"] = 10 * np.log10(max(p[:a].max(), p[b + 1:].max()) / p[m])
    return out


@pytest.fixture(scope="module")
def squint_raw(tmp_path_factory, run_cli):
    d = tmp_path_factory.mktemp("sar")
    scene = d / "scene.json"
    scene.write_text(json.dumps(SQUINT_SCENE))
    raw = d / "raw.h5"
    run_cli("sar", "simulate", "--preset", "lotusat1-stripmap", "--targets", scene, "--out", raw, check=True)
    return raw


@pytest.mark.parametrize("algorithm", ["rda", "csa", "wk"])
def test_squinted_point_targets_meet_theory(squint_raw, run_cli, algorithm, tmp_path):
    from lotusar.sar.io import read_slc

    slc_path = tmp_path / f"{algorithm}.h5"
    run_cli("sar", "focus", squint_raw, "--algorithm", algorithm, "--out", slc_path, check=True)
    assert (tmp_path / f"{algorithm}.png").stat().st_size > 1000
    res = json.loads(run_cli("sar", "irf", slc_path, "--json", check=True).stdout)
    ds = read_slc(slc_path)
    slc = ds["slc"].values
    theory_rg = 0.886 * C / (2 * ds.attrs["processed_range_bandwidth_hz"])
    theory_az = 0.886 * ds.attrs["ground_velocity_m_s"] / ds.attrs["processed_azimuth_bandwidth_hz"]
    assert len(res["targets"]) == 3
    for t in res["targets"]:
        assert t["position_error_px"] < 0.1, t
        assert abs(t["theory_range_resolution_m"] / theory_rg - 1) < 1e-3
        assert abs(t["theory_azimuth_resolution_m"] / theory_az - 1) < 2e-3
        assert abs(t["range_resolution_m"] / theory_rg - 1) < 0.02, t
        assert abs(t["azimuth_resolution_m"] / theory_az - 1) < 0.02, t
        assert abs(t["pslr_range_db"] + 13.26) < 0.3 and abs(t["pslr_azimuth_db"] + 13.26) < 0.3, t
        assert abs(t["islr_range_db"] + 9.7) < 0.5 and abs(t["islr_azimuth_db"] + 9.7) < 0.5, t
        ind = independent_irf(slc, t["truth_azimuth_px"], t["truth_range_px"])
        assert abs(ind["range_pos_px"] - t["truth_range_px"]) < 0.1
        assert abs(ind["azimuth_pos_px"] - t["truth_azimuth_px"]) < 0.1
        assert abs(ind["range_width_px"] * ds.attrs["range_pixel_spacing_m"] / t["range_resolution_m"] - 1) < 0.03
        assert abs(ind["azimuth_width_px"] * ds.attrs["azimuth_pixel_spacing_m"] / t["azimuth_resolution_m"] - 1) < 0.03
        assert abs(ind["range_pslr_db"] - t["pslr_range_db"]) < 0.3
        assert abs(ind["azimuth_pslr_db"] - t["pslr_azimuth_db"]) < 0.3


@pytest.mark.parametrize("algorithm", ["bp", "csa"])
def test_window_antenna_pattern_and_back_projection(run_cli, tmp_path_factory, algorithm):
    """Squinted, Hamming-weighted, two-way antenna pattern: IRF vs the numerically predicted one."""
    d = tmp_path_factory.getbasetemp() / "weighted"
    raw = d / "raw.h5"
    if not raw.exists():
        d.mkdir(exist_ok=True)
        scene = dict(SQUINT_SCENE, azimuth_lines=96, range_samples=96, window="hamming", antenna_pattern=True,
                     targets=[{"along_track_m": 5, "cross_track_m": 3, "height_m": 0, "rcs_m2": 1}])
        (d / "s.json").write_text(json.dumps(scene))
        run_cli("sar", "simulate", "--targets", d / "s.json", "--out", raw, check=True)
    out = d / f"{algorithm}.h5"
    run_cli("sar", "focus", raw, "--algorithm", algorithm, "--out", out, check=True)
    t = json.loads(run_cli("sar", "irf", out, "--json", "--png", d / f"{algorithm}_irf.png", check=True).stdout)["targets"][0]
    assert (d / f"{algorithm}_irf.png").stat().st_size > 1000
    assert t["position_error_px"] < 0.1, t
    assert abs(t["range_resolution_m"] / t["theory_range_resolution_m"] - 1) < 0.02, t
    assert abs(t["azimuth_resolution_m"] / t["theory_azimuth_resolution_m"] - 1) < 0.02, t
    # Hamming: main lobe ~1.3 x wider than unweighted; sidelobes far below -13 dB
    assert t["theory_range_resolution_m"] > 1.25 * 0.886 * C / (2 * 1.5e8)
    assert t["pslr_range_db"] < -30 and t["pslr_azimuth_db"] < -25, t
    assert abs(t["islr_range_db"] - t["theory_islr_range_db"]) < 1.5, t
    from lotusar.sar.io import read_slc

    ds = read_slc(out)
    ind = independent_irf(ds["slc"].values, t["truth_azimuth_px"], t["truth_range_px"])
    assert abs(ind["range_pos_px"] - t["truth_range_px"]) < 0.1 and abs(ind["azimuth_pos_px"] - t["truth_azimuth_px"]) < 0.1


def test_doppler_centroid_from_data_with_ambiguity(squint_raw):
    from lotusar.sar.io import read_raw
    from lotusar.sar.processor import estimate_doppler

    ds = read_raw(squint_raw)
    est = estimate_doppler(ds)
    truth = ds.attrs["doppler_centroid_hz"]
    assert abs(truth) > ds.attrs["prf_hz"]  # 2 deg squint: ambiguity number != 0
    assert est.ambiguity == int(np.round(truth / ds.attrs["prf_hz"]))
    f_mid = float(est.at_range(ds.attrs["doppler_centroid_ref_range_m"]))
    assert abs(f_mid - truth) < 25.0


def test_slc_roundtrip_and_export(squint_raw, run_cli, tmp_path):
    import rasterio

    from lotusar.sar.io import read_slc, write_slc

    run_cli("sar", "focus", squint_raw, "--algorithm", "csa", "--out", tmp_path / "first.h5", check=True)
    ds = read_slc(tmp_path / "first.h5")
    write_slc(ds, tmp_path / "a.h5")
    back = read_slc(tmp_path / "a.h5")
    assert back["slc"].dtype == np.complex64
    np.testing.assert_array_equal(back["slc"].values, ds["slc"].values)
    assert str(back["azimuth_time_utc"].values[0]).startswith("2022-10-25T02:1")
    write_slc(back, tmp_path / "b.h5")
    np.testing.assert_array_equal(read_slc(tmp_path / "b.h5")["slc"].values, ds["slc"].values)
    run_cli("sar", "export", tmp_path / "a.h5", "--format", "gtiff", "--out", tmp_path / "a.tif", check=True)
    with rasterio.open(tmp_path / "a.tif") as r:
        assert r.dtypes[0] == "complex64" and (r.height, r.width) == ds["slc"].shape
        np.testing.assert_array_equal(r.read(1), ds["slc"].values)
        tags = r.tags()
        assert float(tags["RANGE_PIXEL_SPACING_M"]) == pytest.approx(C / (2 * 1.8e8))
        assert float(tags["AZIMUTH_PIXEL_SPACING_M"]) == pytest.approx(ds.attrs["azimuth_pixel_spacing_m"])


def test_truncated_and_corrupt_raw_exit_2_without_output(squint_raw, run_cli, tmp_path):
    data = squint_raw.read_bytes()
    trunc = tmp_path / "trunc.h5"
    trunc.write_bytes(data[: len(data) // 2])
    corrupt = tmp_path / "corrupt.h5"
    b = bytearray(data)
    mid = len(b) // 2
    b[mid:mid + 4096] = bytes((x ^ 0x5A) for x in b[mid:mid + 4096])
    corrupt.write_bytes(bytes(b))
    for bad in (trunc, corrupt, tmp_path / "missing.h5"):
        out = tmp_path / f"out_{bad.stem}.h5"
        proc = run_cli("sar", "focus", bad, "--algorithm", "rda", "--out", out)
        assert proc.returncode == 2, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
        assert not out.exists() and not out.with_suffix(".png").exists()


def test_bad_scene_and_preset_one_line(run_cli, tmp_path):
    (tmp_path / "bad.json").write_text('{"targets": [{"along_track_m": "x"}]}')
    proc = run_cli("sar", "simulate", "--targets", tmp_path / "bad.json", "--out", tmp_path / "r.h5")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r.h5").exists()
    proc = run_cli("sar", "preset", "nope", "--json")
    assert proc.returncode == 2 and "lotusat1-stripmap" in proc.stderr


def test_presets_json(run_cli):
    d = json.loads(run_cli("sar", "preset", "lotusat1-stripmap", "--json", check=True).stdout)
    for k in ("carrier_hz", "range_bandwidth_hz", "prf_hz", "range_sampling_rate_hz", "pulse_length_s"):
        assert d[k] > 0
    assert d["carrier_hz"] == pytest.approx(9.65e9)
    s1 = json.loads(run_cli("sar", "preset", "sentinel1-stripmap", "--json", check=True).stdout)
    assert s1["carrier_hz"] == pytest.approx(5.405e9, rel=1e-6)
    assert s1["range_bandwidth_hz"] == pytest.approx(4.417243e-5 * 1.344933e12, rel=1e-5)  # S3 annotation


def test_quantisation_baq_and_uniform():
    from lotusar.sar.simulate import quantise

    rng = np.random.default_rng(1)
    x = (rng.standard_normal((64, 1000)) + 1j * rng.standard_normal((64, 1000))).astype(np.complex64)
    for method, bits, max_err_db in (("uniform", 8, -30), ("baq", 4, -15)):
        q, scale, block = quantise(x, method, bits)
        rec = (q[..., 0] + 1j * q[..., 1]) * np.repeat(scale, block, axis=1)[:, :1000]
        sqnr = 10 * np.log10(np.mean(np.abs(rec - x) ** 2) / np.mean(np.abs(x) ** 2))
        assert sqnr < max_err_db, (method, sqnr)


def test_noise_level_matches_nesz():
    """Noise-only raw focused by RDA: mean intensity equals a sigma0 = NESZ distributed target."""
    from lotusar.sar.presets import get_preset
    from lotusar.sar.scene import parse_scene
    from lotusar.sar.simulate import noise_sigma, plan_acquisition

    mode = get_preset("lotusat1-stripmap")
    acq = plan_acquisition(mode, parse_scene({"azimuth_lines": 64, "range_samples": 64, "targets": [{}]}))
    s1 = noise_sigma(acq)
    scene = parse_scene({"azimuth_lines": 64, "range_samples": 64, "targets": [{}]})
    acq2 = plan_acquisition(mode.replace(nesz_db=mode.nesz_db + 10), scene)
    assert noise_sigma(acq2) / s1 == pytest.approx(10 ** 0.5, rel=1e-9)


def test_gpu_equals_cpu(squint_raw):
    from lotusar.xp import gpu_available

    if not gpu_available():
        pytest.skip("no CUDA GPU / CuPy")
    from lotusar.sar.io import read_raw
    from lotusar.sar.processor import focus_dataset

    ds = read_raw(squint_raw)
    for alg in ("rda", "csa", "wk"):
        a = focus_dataset(ds, alg, device="cpu")["slc"].values
        b = focus_dataset(ds, alg, device="gpu")["slc"].values
        assert np.max(np.abs(a - b)) <= 1e-4 * np.abs(a).max()


def test_frequency_domain_simulator_matches_time_domain():
    """Inverse omega-k raw of a unit reflector == exact time-domain raw of the same target."""
    from lotusar.sar.extended import reflectivity_to_raw
    from lotusar.sar.focus import focus
    from lotusar.sar.presets import get_preset
    from lotusar.sar.processor import params_from_raw
    from lotusar.sar.scene import parse_scene
    from lotusar.sar.simulate import plan_acquisition, simulate

    mode = get_preset("lotusat1-stripmap")
    sd = {"azimuth_lines": 96, "range_samples": 96, "squint_deg": 1.0, "antenna_pattern": False, "quantisation": "none",
          "targets": [{"along_track_m": 0, "cross_track_m": 0}]}
    ds = simulate(mode, parse_scene(sd))
    acq = plan_acquisition(mode, parse_scene(sd))
    refl = np.zeros((96, 96), np.complex64)
    refl[48, 48] = 1.0  # the target's truth is pixel (48, 48) to < 1e-6 px
    raw_f = reflectivity_to_raw(acq, refl)
    raw_t = ds["echoes"].values
    assert np.sqrt(np.mean(np.abs(raw_f) ** 2)) / np.sqrt(np.mean(np.abs(raw_t) ** 2)) == pytest.approx(1, abs=0.02)
    corr = np.abs(np.vdot(raw_f, raw_t)) / (np.linalg.norm(raw_f) * np.linalg.norm(raw_t))
    assert corr > 0.95
    p = params_from_raw(ds)
    a, _ = focus(raw_t, p, "rda")
    b, _ = focus(raw_f, p, "rda")
    assert np.unravel_index(np.argmax(np.abs(b)), b.shape) == (48, 48)
    assert 20 * np.log10(np.abs(b).max() / np.abs(a).max()) == pytest.approx(0, abs=0.5)


def test_sigma0_scene_speckle_and_contrast(run_cli, tmp_path):
    sig = np.full((40, 40), -15.0)
    sig[:, 20:] = -5.0  # far half 10 dB brighter
    np.save(tmp_path / "s0.npy", sig)
    scene = {"azimuth_lines": 128, "range_samples": 128, "antenna_pattern": False, "quantisation": "uniform",
             "sigma0_db": "s0.npy", "sigma0_spacing_m": 8.0, "seed": 3}
    (tmp_path / "s.json").write_text(json.dumps(scene))
    run_cli("sar", "simulate", "--targets", tmp_path / "s.json", "--out", tmp_path / "raw.h5", check=True)
    run_cli("sar", "focus", tmp_path / "raw.h5", "--algorithm", "csa", "--out", tmp_path / "slc.h5", check=True)
    from lotusar.sar.io import read_slc

    ds = read_slc(tmp_path / "slc.h5")
    inten = np.abs(ds["slc"].values) ** 2
    gr = (ds["slant_range"].values - ds.attrs["scene_centre_slant_range_m"]) / np.sin(np.radians(ds.attrs["incidence_angle_mid_deg"]))
    near, far = inten[16:-16, (gr < -12) & (gr > -60)], inten[16:-16, (gr > 12) & (gr < 60)]
    assert 10 * np.log10(far.mean() / near.mean()) == pytest.approx(10.0, abs=0.7)
    enl = far.mean() ** 2 / far.var()
    assert 0.7 < enl < 1.4  # single-look, fully developed speckle
