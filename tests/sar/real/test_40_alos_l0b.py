"""ALOS PALSAR NISAR-L0B block: decode, range compression, Doppler (ACCC vs geometry), RDA focus."""

from __future__ import annotations

import numpy as np
import pytest

from lotusar.errors import InputFormatError
from lotusar.sar.model import chirp_replica, raw_near_range_m, raw_slant_range_m
from lotusar.sar.readers import apps, doppler, nisar_l0b

L0B = "ALPSRP264757150-H1.0__A_HH_LINE4000-5000_RANGE0-2200.h5"


@pytest.fixture(scope="module")
def block(shared_data):
    return nisar_l0b.read_l0b(shared_data("alos1-palsar-l0b-raw") / L0B)


def test_decode_levels_and_metadata(block):
    a = block.attrs
    raw = block["echoes"].values + np.complex64(complex(*a["dc_offset"]))
    levels = np.unique(np.round(np.concatenate([raw.real, raw.imag]) * 2) / 2)
    np.testing.assert_array_equal(levels, np.arange(-15.5, 16, 1.0))
    assert block["echoes"].shape == (1000, 2200)
    assert a["carrier_hz"] == pytest.approx(1269999750.06, abs=0.01)
    assert a["chirp_rate_hz_s"] == pytest.approx(-5.185185e11, rel=1e-6)
    assert a["range_sampling_rate_hz"] == pytest.approx(16.0e6, rel=1e-6)
    assert 1 / a["prf_hz"] == pytest.approx(465.0e-6, rel=1e-4)
    assert raw_near_range_m(block) == pytest.approx(847166.0)
    assert block["calibration_line"].values.tolist() == [0, 500]
    # orbit: 28 ECEF vectors covering the pulses; effective velocity of a 690 km LEO orbit
    ot, at = block["orbit_time"].values, block["azimuth_time"].values
    assert ot[0] < at[0] < at[-1] < ot[-1]
    assert 7000 < a["effective_velocity_m_s"] < 7400
    assert block["antenna_elevation_angle_rad"].size == 1321 and block["antenna_azimuth_angle_rad"].size == 3930


def test_range_spectrum_is_the_14mhz_chirp_band(block):
    p = np.mean(np.abs(np.fft.fft(block["echoes"].values, axis=1)) ** 2, axis=0)
    f = np.fft.fftfreq(block.sizes["fast_time"], 1 / block.attrs["range_sampling_rate_hz"])
    sm = np.convolve(np.fft.fftshift(p), np.ones(31) / 31, "same")
    fs_ = np.fft.fftshift(f)
    inband = fs_[sm > sm.max() / 4]  # −6 dB
    assert inband.min() == pytest.approx(-6.94e6, abs=0.25e6) and inband.max() == pytest.approx(6.91e6, abs=0.25e6)


def test_doppler_baseband_and_geometry_agree(block):
    est = apps.estimate(block)
    assert est.baseband_hz == pytest.approx(60.0, abs=15.0)  # README: pulse-pair +60 Hz
    assert est.geometric_hz == pytest.approx(est.centroid_hz, abs=50.0)  # yaw-steered: near zero Doppler
    assert est.ambiguity == 0
    assert np.ptp(est.block_centroid_hz) < 40.0  # homogeneous forest: flat across range


def test_range_compressed_profile_follows_elevation_pattern(block):
    """Mean range-compressed power × R³ peaks where the two-way elevation pattern peaks."""
    rc = doppler.range_compress(block)
    n = block.sizes["fast_time"] - chirp_replica(block).size + 1
    prof = np.mean(np.abs(rc[:, :n]) ** 2, axis=0) * raw_slant_range_m(block)[:n] ** 3
    prof = np.convolve(prof, np.ones(101) / 101, "valid")
    # the profile is not flat: the elevation beam shapes it by several dB over the swath
    assert 10 * np.log10(prof.max() / prof.min()) > 1.0


def test_focus_and_write_slc(block, tmp_path):
    from lotusar.sar.io import read_slc, write_slc
    from lotusar.sar.processor import focus_dataset, quicklook_png

    raw = block.isel(azimuth_time=slice(0, 512)).copy()  # half the block keeps the test fast
    raw.attrs.update(doppler.processing_attrs(raw, apps.estimate(raw)))
    slc = focus_dataset(raw, "rda")
    write_slc(slc, tmp_path / "alos.h5")
    quicklook_png(slc, tmp_path / "alos.png")
    ds = read_slc(tmp_path / "alos.h5")
    assert ds["slc"].shape == (512, 2200)
    assert ds.attrs["doppler_ambiguity"] == 0 and ds.attrs["orbit_source"] == "ephemeris"
    assert (tmp_path / "alos.png").stat().st_size > 10_000
    # homogeneous rain forest focuses to fully developed speckle: var(I)/mean(I)² = 1 (exponential
    # intensity); a defocused or mis-compressed block would show correlated/striped structure
    inten = np.abs(ds["slc"].values[50:460, :1700]).astype(np.float64) ** 2
    assert 0.9 < inten.var() / inten.mean() ** 2 < 1.3
    assert ds.attrs["algorithm"] == "rda"


def test_truncated_l0b_is_clean_error(shared_data, tmp_path):
    data = (shared_data("alos1-palsar-l0b-raw") / L0B).read_bytes()
    bad = tmp_path / "cut.h5"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFormatError) as ei:
        nisar_l0b.read_l0b(bad)
    assert "\n" not in str(ei.value) and "cut.h5" in str(ei.value)


def test_raw_dataset_round_trip(block, tmp_path):
    from lotusar.sar.io import read_raw, write_raw

    write_raw(block, tmp_path / "raw.h5")
    back = read_raw(tmp_path / "raw.h5")
    np.testing.assert_array_equal(back["echoes"].values, block["echoes"].values)
    assert back.attrs["chirp_rate_hz_s"] == block.attrs["chirp_rate_hz_s"]
    np.testing.assert_array_equal(back["attitude_euler_deg"].values, block["attitude_euler_deg"].values)
    # pulse-centre fast time: sample 0 is 2R/c − T/2
    assert back["fast_time"].values[0] == pytest.approx(2 * 847166.0 / 299792458.0 - 431 / 2 / 16e6, abs=1e-12)
