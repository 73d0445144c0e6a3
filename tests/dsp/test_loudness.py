import math

import numpy as np
import pyloudnorm
import pytest
import scipy.signal

from aeib.dsp import process
from aeib.dsp.loudness import (
    DEFAULT_TARGET_LUFS,
    LIMITER_HEADROOM_DB,
    MAX_GAIN_DB,
    LoudnessMeter,
    LoudnessStage,
    _weighted_energy_at,
    _weighted_energy_at_stereo,
    apply_gain_db,
    gain_to_target_db,
    integrated_loudness_lufs,
    k_weighting_sos,
    loudness_gain_db,
    true_peak_dbtp,
)
from tests.conftest import music_like


def _swelling_noise(seconds, rate, channels, seed=0):
    n = int(seconds * rate)
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, channels)) * 0.1 * np.linspace(0.01, 1.0, n)[:, None]


@pytest.mark.parametrize("rate", [8_000, 44_100, 96_000])
@pytest.mark.parametrize("channels", [1, 2, 5])
def test_integrated_loudness_equals_pyloudnorm_whole_and_block_by_block(rate, channels):
    audio = _swelling_noise(2.77, rate, channels)
    expected = pyloudnorm.Meter(rate).integrated_loudness(audio)
    assert integrated_loudness_lufs(audio, rate) == pytest.approx(expected, abs=1e-9)
    meter = LoudnessMeter(rate, channels, true_peak=False)
    for start in range(0, audio.shape[0], 1234):
        meter.add(audio[start:start + 1234])
    assert meter.integrated_lufs() == pytest.approx(expected, abs=1e-9)


def test_silence_and_short_clips():
    assert integrated_loudness_lufs(np.zeros(48_000), 48_000) == -math.inf
    assert true_peak_dbtp(np.zeros(4_800), 48_000) == -math.inf
    tone = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(4_800) / 48_000)  # 100 ms, shorter than a block
    # BS.1770: a 0 dBFS 1 kHz sine in one channel reads −3.01 LUFS; this one is 6.02 dB lower.
    assert integrated_loudness_lufs(tone, 48_000) == pytest.approx(-9.03, abs=0.05)


@pytest.mark.parametrize("rate", [44_100, 96_000])
def test_true_peak_sees_intersample_peaks(rate):
    n = np.arange(rate)
    fade = np.minimum(1.0, np.minimum(n, n[::-1]) / 2_000)  # no edge ringing
    sine = 0.5 * fade * np.sin(2 * np.pi * n / 4 + np.pi / 4)  # fs/4 at 45°: samples at 0.354, true peak 0.5
    assert 20 * np.log10(np.abs(sine).max()) == pytest.approx(-9.03, abs=0.01)
    assert true_peak_dbtp(sine, rate) == pytest.approx(20 * np.log10(0.5), abs=0.1)
    audio = _swelling_noise(1.3, rate, 2)
    factor = 4 if rate < 96_000 else 2
    reference = 20 * np.log10(np.abs(scipy.signal.resample_poly(audio, factor, 1, axis=0)).max())
    meter = LoudnessMeter(rate, 2)
    for start in range(0, audio.shape[0], 999):
        meter.add(audio[start:start + 999])
    assert meter.true_peak_dbtp() == pytest.approx(reference, abs=1e-6)


def test_gain_rule():
    assert gain_to_target_db(-30.0, -20.0, -16.0) == pytest.approx(14.0)
    no_headroom = {"limiter_headroom_db": 0.0}
    assert gain_to_target_db(-30.0, -6.0, -16.0, **no_headroom) == pytest.approx(5.0)  # held at −1 dBTP
    assert gain_to_target_db(-30.0, 2.0, -16.0, **no_headroom) == 0.0  # the ceiling never turns a boost into a cut
    assert gain_to_target_db(-30.0, 2.0, -16.0) == pytest.approx(-1.0 + LIMITER_HEADROOM_DB - 2.0)  # limiter's share
    assert gain_to_target_db(-30.0, -6.0, -16.0) == pytest.approx(14.0)  # within the limiter's headroom
    assert gain_to_target_db(-8.0, 0.0, -16.0) == pytest.approx(-8.0)  # cuts are never limited
    assert gain_to_target_db(-90.0, -80.0, -16.0) == pytest.approx(MAX_GAIN_DB)  # at most ±MAX_GAIN_DB
    assert gain_to_target_db(-math.inf, -math.inf, -16.0) == 0.0
    assert gain_to_target_db(-30.0, -6.0, -16.0, true_peak_ceiling_dbtp=None) == pytest.approx(14.0)


@pytest.mark.parametrize("target", [-23.0, DEFAULT_TARGET_LUFS, -12.0])
def test_loudness_gain_reaches_the_target_through_the_chain(target):
    rate = 48_000
    audio = music_like(3.0, rate, 2)
    setting = {"eq.band2.gain_db": -6.0, "comp.ratio": 3.0, "comp.threshold_db": -30.0}
    before = process(audio, rate, setting, limiter=False)
    gain = loudness_gain_db(before, rate, target, true_peak_ceiling_dbtp=None)
    out = process(audio, rate, setting, loudness_gain_db=gain)
    assert integrated_loudness_lufs(out, rate) == pytest.approx(target, abs=0.5)
    capped = loudness_gain_db(before, rate, 0.0, limiter_headroom_db=0.0)  # 0 LUFS: −1 dBTP holds it back
    assert true_peak_dbtp(apply_gain_db(before, capped), rate) == pytest.approx(-1.0, abs=0.01)
    loud = loudness_gain_db(before, rate, 0.0)   # with the limiter's headroom: 12 dB more peak allowed
    assert true_peak_dbtp(apply_gain_db(before, loud), rate) == pytest.approx(-1.0 + LIMITER_HEADROOM_DB, abs=0.01)
    limited = process(audio, rate, setting, loudness_gain_db=loud)
    assert np.max(np.abs(limited)) <= 10 ** (-0.3 / 20) + 1e-9   # the safety limiter keeps the ceiling
    assert integrated_loudness_lufs(limited, rate) > integrated_loudness_lufs(
        process(audio, rate, setting, loudness_gain_db=capped), rate) + 3.0


def test_fixed_stage_is_exact():
    block = np.random.default_rng(1).standard_normal((1000, 2))
    assert LoudnessStage(48_000, 2).process_block(block) is block
    np.testing.assert_allclose(LoudnessStage(48_000, 2, gain_db=-6.0).process_block(block), block * 10 ** (-6 / 20))


def test_following_stage_moves_slowly_to_the_target_whatever_the_blocks():
    rate = 16_000
    audio = np.random.default_rng(2).standard_normal((25 * rate, 1)) * 0.01  # steady, about −37 LUFS
    outputs = []
    for size in (160, 4_096, audio.shape[0]):
        stage = LoudnessStage(rate, 1, target_lufs=-20.0)
        outputs.append(np.concatenate([stage.process_block(audio[i:i + size]) for i in range(0, len(audio), size)]))
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-12)
    np.testing.assert_allclose(outputs[0], outputs[2], rtol=1e-12)
    out = outputs[0]
    np.testing.assert_array_equal(out[: int(0.4 * rate)], audio[: int(0.4 * rate)])  # no lookahead: 0 dB first
    gain_db = 20 * np.log10(np.abs(out[:, 0]) / np.maximum(np.abs(audio[:, 0]), 1e-12) + 1e-30)
    per_second = np.diff([np.median(gain_db[i * rate:(i + 1) * rate]) for i in range(25)])
    assert per_second.max() <= 3.0 + 1e-6  # at most 3 dB per second
    assert integrated_loudness_lufs(out[-3 * rate:], rate) == pytest.approx(-20.0, abs=1.0)


@pytest.mark.parametrize("rate", [44_100, 96_000, 192_000])
def test_true_peak_bound_holds_and_sample_peak_is_the_largest_sample(rate):
    n = np.arange(rate // 2)
    fade = np.minimum(1.0, np.minimum(n, n[::-1]) / 2_000)
    signals = [_swelling_noise(0.5, rate, 2), np.stack([0.5 * fade * np.sin(2 * np.pi * n / 4 + np.pi / 4)] * 2, 1)]
    for audio in signals:
        meter = LoudnessMeter(rate, 2)
        for start in range(0, audio.shape[0], 777):
            meter.add(audio[start:start + 777])
        assert meter.sample_peak_dbfs() == pytest.approx(20 * np.log10(np.abs(audio).max()), abs=1e-12)
        assert meter.sample_peak_dbfs() <= meter.true_peak_dbtp() <= meter.true_peak_bound_dbtp()
    assert LoudnessMeter(rate, 1).sample_peak_dbfs() == -math.inf


@pytest.mark.parametrize("n", [1, 7, 4800, 20_000])
def test_stereo_energy_kernel_equals_the_general_one_bit_for_bit(n):
    # The registers-only stereo K-weighting kernel against the general one, state and marks included.
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 2)) * 0.3
    sos, weights = k_weighting_sos(48_000), np.array([0.7, 1.41])  # not 1: every product counts
    positions = np.sort(rng.integers(0, n + 1, size=5))
    results = []
    for kernel in (_weighted_energy_at, _weighted_energy_at_stereo):
        zi, values = np.random.default_rng(0).standard_normal((2, 2, 2)) * 0.01, np.empty(5)
        energy = kernel(x, sos, zi, weights, 1.5, positions, values)
        results.append((energy, zi, values))
    (e1, z1, v1), (e2, z2, v2) = results
    assert e1 == e2 and np.array_equal(z1, z2) and np.array_equal(v1, v2)


@pytest.mark.parametrize("channels", [1, 2, 3])
@pytest.mark.parametrize("block", [1000, 65536])
def test_meter_reads_float32_as_float64(channels, block):
    # The same blocks as float32 or float64 measure the same, bit for bit; the sample peak is exact.
    audio = music_like(1.3, 48_000, channels, seed=channels)
    meters = [LoudnessMeter(48_000, channels, true_peak=False) for _ in range(2)]
    for start in range(0, len(audio), block):
        meters[0].add(audio[start:start + block])
        meters[1].add(audio[start:start + block].astype(np.float64))
    (a, b) = [(m.integrated_lufs(), m.sample_peak_dbfs()) for m in meters]
    assert a == b and a[1] == 20.0 * np.log10(np.abs(audio).max().astype(np.float64))


def test_pooled_gating_blocks_give_the_integrated_loudness():
    from aeib.dsp.loudness import LoudnessMeter, gated_loudness_lufs

    rng = np.random.default_rng(3)
    rate = 16_000
    audio = rng.standard_normal((5 * rate, 2)) * np.linspace(0.01, 0.3, 5 * rate)[:, None]
    meter = LoudnessMeter(rate, 2, true_peak=False)
    for start in range(0, audio.shape[0], 7_001):  # blocks straddle the feeding blocks
        meter.add(audio[start:start + 7_001])
    blocks = meter.block_mean_squares()
    assert blocks.shape == (47,)  # (5 s − 0.4 s) / 0.1 s + 1
    assert gated_loudness_lufs(blocks) == meter.integrated_lufs()
    # From a frame on: only the blocks that start there or later.
    assert np.array_equal(meter.block_mean_squares(first_frame=int(1.0 * rate)), blocks[10:])
    assert np.array_equal(meter.block_mean_squares(first_frame=int(1.0 * rate) + 1), blocks[11:])
    assert gated_loudness_lufs(np.zeros(3)) == -np.inf
    assert LoudnessMeter(rate, 2).add(audio[:100]).block_mean_squares().size == 0
