import math

import numpy as np
import pytest
import scipy.signal

from aeib import metrics
from tests.conftest import music_like

RATE = 24_000


@pytest.fixture
def clip():
    return music_like(2.0, RATE, 1)[:, 0].astype(np.float64)


def test_identical_signals_score_zero(clip):
    scores = metrics.compare(clip, clip, RATE)
    assert set(scores) == set(metrics.METRICS)
    for name, value in scores.items():
        assert value == pytest.approx(0.0, abs=1e-9), name


@pytest.mark.parametrize("gain_db", [-6.0, 3.0, 12.0])
def test_a_pure_gain_is_measured_in_true_decibels(clip, gain_db):
    louder = clip * 10 ** (gain_db / 20)
    assert metrics.rms_error_db(louder, clip) == pytest.approx(abs(gain_db), abs=1e-9)
    assert metrics.loudness_error_lu(louder, clip, RATE) == pytest.approx(abs(gain_db), abs=0.05)
    assert metrics.mel_distance_db(louder, clip, RATE) == pytest.approx(abs(gain_db), abs=0.05)
    assert metrics.spectral_centroid_error_hz(louder, clip, RATE) == pytest.approx(0.0, abs=1e-6)


def test_centroid_tracks_brightness(clip):
    dull = scipy.signal.sosfilt(scipy.signal.butter(4, 1000, fs=RATE, output="sos"), clip)
    assert metrics.spectral_centroid_hz(dull, RATE) < metrics.spectral_centroid_hz(clip, RATE) - 300
    assert metrics.spectral_centroid_error_hz(dull, clip, RATE) > 300
    tone = np.sin(2 * np.pi * 3000 * np.arange(RATE) / RATE)
    assert metrics.spectral_centroid_hz(tone, RATE) == pytest.approx(3000, rel=0.01)


def test_distances_grow_with_the_difference(clip):
    rng = np.random.default_rng(0)
    small = clip + rng.standard_normal(clip.shape) * 0.001
    large = clip + rng.standard_normal(clip.shape) * 0.05
    for metric in (metrics.mrstft_distance,):
        assert 0 < metric(small, clip) < metric(large, clip)
    assert 0 < metrics.mel_distance_db(small, clip, RATE) < metrics.mel_distance_db(large, clip, RATE)


def test_silence_and_stereo(clip):
    silent = np.zeros_like(clip)
    assert math.isnan(metrics.loudness_error_lu(silent, clip, RATE))
    assert metrics.rms_db(silent) == metrics.LEVEL_FLOOR_DB
    stereo = np.stack([clip, clip], axis=1)
    assert metrics.mel_distance_db(stereo, clip, RATE) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="lengths differ"):
        metrics.rms_error_db(clip[:-1], clip)


# -- TargetScorer and the DeepAFx-ST-convention variants ---------------------------------------------

def test_target_scorer_equals_compare(clip):
    rng = np.random.default_rng(3)
    estimate = scipy.signal.sosfilt(scipy.signal.butter(2, 2000, fs=RATE, output="sos"), clip) * 0.7 \
        + rng.standard_normal(clip.shape) * 0.002
    scorer = metrics.TargetScorer(clip, RATE)
    expected = metrics.compare(estimate, clip, RATE)
    for name, value in scorer.compare(estimate).items():
        assert value == pytest.approx(expected[name], rel=1e-9, abs=1e-12), name
    assert scorer.mrstft(estimate) == pytest.approx(expected["mrstft"], rel=1e-9)
    assert scorer.mel_distance_db(estimate) == pytest.approx(expected["mel_distance_db"], rel=1e-9)
    assert scorer.compare_deepafx(estimate) == pytest.approx(metrics.compare_deepafx(estimate, clip, RATE))
    with pytest.raises(ValueError, match="lengths differ"):
        scorer.compare(estimate[:-1])


@pytest.mark.parametrize("gain_db", [-6.0, 9.0])
def test_deepafx_rms_uses_the_natural_log(clip, gain_db):
    scores = metrics.compare_deepafx(clip * 10 ** (gain_db / 20), clip, RATE)
    assert scores["rms_error_deepafx"] == pytest.approx(abs(gain_db) * math.log(10), rel=1e-9)
    assert scores["centroid_error_deepafx_hz"] == pytest.approx(0.0, abs=1e-6)


def test_deepafx_centroid_of_a_tone_is_its_frequency():
    tone = np.sin(2 * np.pi * 1500 * np.arange(RATE) / RATE)
    assert metrics.centroid_deepafx_hz(tone, RATE) == pytest.approx(1500, rel=0.02)
    assert metrics.centroid_deepafx_hz(np.zeros(100), RATE) == 0.0
