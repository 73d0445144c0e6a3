"""The numpy log-mel front end (aeib.features): the reference the Keras layer is checked against."""

import subprocess
import sys

import numpy as np
import pytest

from aeib.features import (
    LogMelSpec,
    dft_kernels,
    frame_signal,
    hann_window,
    hz_to_mel,
    log_mel_spectrogram,
    mel_filterbank,
    mel_to_hz,
)


def test_features_module_does_not_import_tensorflow():
    code = "import sys, aeib.features; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_model_config_and_batch_dsp_do_not_import_tensorflow():
    code = ("import sys, aeib.model.config, aeib.model.batch_dsp; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("frame_length", [64, 256, 1024])
def test_dft_kernels_equal_windowed_rfft(frame_length):
    frame = np.random.default_rng(0).standard_normal(frame_length)
    cos_kernel, sin_kernel = dft_kernels(frame_length)
    window = hann_window(frame_length)
    expected = np.fft.rfft(frame * window) / window.sum()
    np.testing.assert_allclose(frame @ cos_kernel, expected.real, atol=1e-12)
    np.testing.assert_allclose(frame @ sin_kernel, expected.imag, atol=1e-12)


@pytest.mark.parametrize("sample_rate", [16_000, 24_000, 48_000])
def test_full_scale_sine_at_a_bin_centre_has_magnitude_one_half(sample_rate):
    frame_length = 1024
    k = 37
    n = np.arange(frame_length)
    frame = np.sin(2 * np.pi * k * n / frame_length)
    cos_kernel, sin_kernel = dft_kernels(frame_length)
    magnitude = np.hypot(frame @ cos_kernel, frame @ sin_kernel)
    assert magnitude[k] == pytest.approx(0.5, abs=1e-12)
    assert np.argmax(magnitude) == k


def test_hann_window_is_periodic():
    window = hann_window(8)
    assert window[0] == 0.0 and window[4] == pytest.approx(1.0)
    np.testing.assert_allclose(window[1:4], window[7:4:-1])


def test_mel_scale_round_trip():
    freqs = np.array([0.0, 100.0, 1000.0, 11_000.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(freqs)), freqs, atol=1e-9)
    assert hz_to_mel(1000.0) == pytest.approx(1000.0, rel=1e-3)  # the HTK scale's anchor


@pytest.mark.parametrize("spec", [LogMelSpec(), LogMelSpec(frame_length=256, hop_length=128, n_mels=16),
                                  LogMelSpec(sample_rate=16_000, frame_length=512, n_mels=40, fmax_hz=7600.0)])
def test_mel_filterbank_is_a_set_of_nonempty_triangles(spec):
    fb = mel_filterbank(spec)
    assert fb.shape == (spec.n_bins, spec.n_mels)
    assert fb.min() >= 0.0 and fb.max() <= 1.0
    assert (fb.max(axis=0) > 0.0).all(), "every band must see at least one DFT bin"
    peaks_hz = np.argmax(fb, axis=0) * spec.sample_rate / spec.frame_length
    assert np.all(np.diff(peaks_hz) >= 0)
    bins_hz = np.arange(spec.n_bins) * spec.sample_rate / spec.frame_length
    outside = (bins_hz < spec.fmin_hz) | (bins_hz > spec.upper_hz)
    assert not fb[outside].any()


def test_frame_signal_counts_and_contents():
    audio = np.arange(10.0)
    frames = frame_signal(audio, 4, 3)
    np.testing.assert_array_equal(frames, [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])
    assert LogMelSpec(frame_length=4, hop_length=3, n_mels=1, fmin_hz=0.0).n_frames(10) == 3
    with pytest.raises(ValueError, match="at least 4 samples"):
        frame_signal(np.zeros(3), 4, 1)


def test_log_mel_of_a_tone_peaks_in_the_band_holding_it():
    spec = LogMelSpec()
    t = np.arange(spec.sample_rate // 2) / spec.sample_rate
    log_mel = log_mel_spectrogram(0.5 * np.sin(2 * np.pi * 1000.0 * t), spec)
    assert log_mel.shape == (spec.n_frames(len(t)), spec.n_mels)
    fb = mel_filterbank(spec)
    band = np.argmax(log_mel.mean(axis=0))
    bin_1k = int(round(1000.0 * spec.frame_length / spec.sample_rate))
    assert fb[bin_1k, band] > 0.0


def test_log_mel_scales_with_level_and_floors_silence():
    spec = LogMelSpec()
    audio = np.random.default_rng(0).standard_normal(8192) * 0.5  # loud enough that log_eps is negligible
    louder = log_mel_spectrogram(2.0 * audio, spec) - log_mel_spectrogram(audio, spec)
    np.testing.assert_allclose(louder, np.log(4.0), atol=1e-3)  # ×2 amplitude = ×4 power
    np.testing.assert_allclose(log_mel_spectrogram(np.zeros(4096), spec), np.log(spec.log_eps))


def test_log_mel_handles_batches():
    spec = LogMelSpec(frame_length=256, hop_length=128, n_mels=16)
    audio = np.random.default_rng(1).standard_normal((2, 3, 2000))
    batched = log_mel_spectrogram(audio, spec)
    assert batched.shape == (2, 3, spec.n_frames(2000), 16)
    np.testing.assert_allclose(batched[1, 2], log_mel_spectrogram(audio[1, 2], spec))


@pytest.mark.parametrize("bad, match", [
    (dict(frame_length=1), "frame_length"),
    (dict(n_mels=0), "n_mels"),
    (dict(fmin_hz=5000.0, fmax_hz=4000.0), "fmin_hz < fmax_hz"),
    (dict(fmax_hz=20_000.0), "sample_rate/2"),
    (dict(log_eps=0.0), "log_eps"),
])
def test_log_mel_spec_rejects_bad_settings(bad, match):
    with pytest.raises(ValueError, match=match):
        LogMelSpec(**bad)


def test_log_mel_spec_dict_round_trip_and_unknown_keys():
    spec = LogMelSpec(hop_length=512, fmax_hz=11_000.0)
    assert LogMelSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(ValueError, match="unknown log-mel setting"):
        LogMelSpec.from_dict({"hop": 256})
