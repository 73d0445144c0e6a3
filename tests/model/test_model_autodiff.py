"""The TensorFlow twin of the chain: matches the numpy DSP (stated tolerances) and is differentiable."""

import numpy as np
import pytest
import tensorflow as tf

from aeib.dsp import CHAIN_SCHEMA, process
from aeib.dsp.compressor import static_gain_reduction_db as numpy_static_gain_reduction_db
from aeib.model.autodiff_dsp import AutodiffDspLayer, apply_chain, denormalize, fft_size, static_gain_reduction_db
from aeib.model.autodiff_eq import EQ_TAIL_S

RATIO, MAKEUP = CHAIN_SCHEMA.index("comp.ratio"), CHAIN_SCHEMA.index("comp.makeup_db")


def _numpy_chain(audio, params01, sample_rate):
    return np.stack([process(a.astype(np.float64), sample_rate, CHAIN_SCHEMA.denormalize(p), limiter=False)
                     for a, p in zip(audio, params01)])


def _frame_levels_db(audio, frame):
    n = audio.shape[1] // frame * frame
    return 10 * np.log10(np.mean(audio[:, :n].reshape(len(audio), -1, frame) ** 2, axis=-1) + 1e-12)


def test_denormalize_matches_the_schema():
    params01 = np.random.default_rng(0).uniform(-0.1, 1.1, (5, len(CHAIN_SCHEMA)))
    np.testing.assert_allclose(denormalize(tf.constant(params01)).numpy(), CHAIN_SCHEMA.denormalize(params01),
                               rtol=1e-12)


def test_static_curve_matches_the_numpy_compressor():
    level_db = np.linspace(-80, 6, 500)
    for threshold_db, ratio, knee_db in [(-20.0, 4.0, 6.0), (-35.0, 1.5, 0.0), (-5.0, 20.0, 18.0)]:
        expected = numpy_static_gain_reduction_db(level_db, threshold_db, ratio, knee_db)
        settings = [tf.constant(v, tf.float64) for v in (threshold_db, ratio, knee_db)]
        actual = static_gain_reduction_db(tf.constant(level_db), *settings).numpy()
        np.testing.assert_allclose(actual, expected, atol=1e-9)


@pytest.mark.parametrize("sample_rate", [16_000, 24_000, 48_000])
def test_eq_matches_the_numpy_biquads_tightly(sample_rate, audio_batch):
    """EQ tolerance: max |error| ≤ 1e-6 × the example's peak (float32 output rounding is ~6e-8)."""
    audio = 2.0 * audio_batch(6, sample_rate // 4, seed=1)
    params01 = np.random.default_rng(sample_rate).uniform(0, 1, (6, len(CHAIN_SCHEMA)))
    params01[:, RATIO] = 0.0  # compressor off: ratio 1 ...
    params01[:, MAKEUP] = CHAIN_SCHEMA["comp.makeup_db"].to_normalized(0.0)  # ... and no makeup gain
    expected = _numpy_chain(audio, params01, sample_rate)
    actual = apply_chain(tf.constant(audio), tf.constant(params01), sample_rate).numpy()
    peak = np.abs(expected).max(axis=1, keepdims=True)
    assert np.all(np.abs(actual - expected) <= 1e-6 * peak)


@pytest.mark.parametrize("sample_rate", [16_000, 24_000])
def test_full_chain_matches_the_numpy_chain_within_the_compressor_tolerance(sample_rate, audio_batch):
    """Compressor tolerance, any setting: 20 ms frame levels within 0.5 dB (mean 0.02 dB), samples within 10 %
    of the peak."""
    audio = 2.0 * audio_batch(8, sample_rate // 2, seed=2)
    params01 = np.random.default_rng(sample_rate + 1).uniform(0, 1, (8, len(CHAIN_SCHEMA)))
    expected = _numpy_chain(audio, params01, sample_rate)
    actual = apply_chain(tf.constant(audio), tf.constant(params01), sample_rate).numpy()
    level_error_db = np.abs(_frame_levels_db(actual, sample_rate // 50) - _frame_levels_db(expected, sample_rate // 50))
    assert level_error_db.max() <= 0.5 and level_error_db.mean() <= 0.02
    assert np.all(np.abs(actual - expected) <= 0.1 * np.abs(expected).max(axis=1, keepdims=True))


def test_compressor_with_moderate_time_constants_matches_closely(audio_batch):
    """Attack ≥ 1 ms: the block decision is exact in practice; samples within 1e-4 of peak."""
    audio = 2.0 * audio_batch(4, 12_000, seed=3)
    settings = [{"comp.threshold_db": -30.0, "comp.ratio": 4.0, "comp.attack_ms": 1.0, "comp.release_ms": 50.0},
                {"comp.threshold_db": -20.0, "comp.ratio": 2.0, "comp.attack_ms": 10.0, "comp.release_ms": 200.0,
                 "comp.knee_db": 0.0, "comp.makeup_db": 6.0},
                {"comp.threshold_db": -40.0, "comp.ratio": 20.0, "comp.attack_ms": 30.0, "comp.release_ms": 1000.0},
                {"eq.band2.gain_db": 9.0, "comp.threshold_db": -25.0, "comp.ratio": 8.0, "comp.attack_ms": 3.0}]
    params01 = np.stack([CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.to_vector(s)) for s in settings])
    expected = _numpy_chain(audio, params01, 24_000)
    actual = apply_chain(tf.constant(audio), tf.constant(params01), 24_000).numpy()
    assert np.all(np.abs(actual - expected) <= 1e-4 * np.abs(expected).max(axis=1, keepdims=True))
    assert np.abs(expected - audio).max() > 0.05  # the settings really compress


def test_fft_size_leaves_enough_padding():
    for n_samples, sample_rate in [(1, 8000), (1000, 24_000), (60_000, 24_000), (600_000, 48_000)]:
        size = fft_size(n_samples, sample_rate)
        assert size & (size - 1) == 0
        assert size - n_samples >= max(n_samples, EQ_TAIL_S * sample_rate)


@pytest.mark.parametrize("n_samples", [2400, 60_000])
def test_eq_matches_for_the_longest_ringing_band_on_short_and_long_signals(n_samples, audio_batch):
    """The slowest-decaying setting (+18 dB, Q 8 at 40 Hz) must not wrap around the FFT."""
    audio = audio_batch(1, n_samples, seed=5)
    params01 = CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.to_vector(
        {"eq.band1.gain_db": 18.0, "eq.band1.center_hz": 40.0, "eq.band1.q": 8.0}))[None]
    expected = _numpy_chain(audio, params01, 24_000)
    actual = apply_chain(tf.constant(audio), tf.constant(params01), 24_000).numpy()
    assert np.abs(actual - expected).max() <= 1e-6 * np.abs(expected).max()


def test_gradients_reach_every_active_parameter_and_agree_with_finite_differences(audio_batch):
    audio = tf.constant(2.0 * audio_batch(1, 2400, seed=4))
    theta = np.random.default_rng(5).uniform(0.2, 0.8, (1, len(CHAIN_SCHEMA)))
    target = tf.constant(audio_batch(1, 2400, seed=6))

    @tf.function
    def loss(params01):
        return tf.reduce_mean(tf.square(apply_chain(audio, params01, 24_000) - target))

    params01 = tf.constant(theta)
    with tf.GradientTape() as tape:
        tape.watch(params01)
        value = loss(params01)
    gradient = tape.gradient(value, params01).numpy()[0]
    assert np.isfinite(gradient).all() and np.all(gradient != 0.0)
    step = 1e-4
    finite_difference = np.array([
        (loss(tf.constant(theta + step * np.eye(len(CHAIN_SCHEMA))[i])) -
         loss(tf.constant(theta - step * np.eye(len(CHAIN_SCHEMA))[i]))).numpy() / (2 * step)
        for i in range(len(CHAIN_SCHEMA))
    ])
    cosine = gradient @ finite_difference / (np.linalg.norm(gradient) * np.linalg.norm(finite_difference))
    assert cosine > 0.99, (cosine, gradient, finite_difference)


def test_layer_output_and_gradient(audio_batch):
    layer = AutodiffDspLayer(24_000, jit_compile=False)
    audio = audio_batch(2, 3000)
    params01 = tf.Variable(np.random.default_rng(7).uniform(0.1, 0.9, (2, len(CHAIN_SCHEMA))).astype(np.float32))
    with tf.GradientTape() as tape:
        out = layer([audio, params01])
        value = tf.reduce_mean(tf.abs(out))
    np.testing.assert_allclose(out.numpy(), _numpy_chain(audio, params01.numpy(), 24_000), atol=0.05)
    assert np.isfinite(tape.gradient(value, params01).numpy()).all()


def test_xla_compiled_layer_gives_the_same_output(audio_batch):
    """Training compiles the chain with XLA (``training.jit_compile``); forward only here, to stay fast."""
    audio = audio_batch(2, 2000)
    params01 = np.random.default_rng(8).uniform(0.1, 0.9, (2, len(CHAIN_SCHEMA))).astype(np.float32)
    compiled = AutodiffDspLayer(24_000, jit_compile=True)([audio, params01]).numpy()
    eager = AutodiffDspLayer(24_000, jit_compile=False)([audio, params01]).numpy()
    np.testing.assert_allclose(compiled, eager, atol=1e-6)


def test_layer_needs_a_known_length():
    layer = AutodiffDspLayer(24_000, jit_compile=False)

    @tf.function(input_signature=[tf.TensorSpec([None, None]), tf.TensorSpec([None, len(CHAIN_SCHEMA)])])
    def run(audio, params01):
        return layer([audio, params01])

    with pytest.raises(ValueError, match="known number of samples"):
        run.get_concrete_function()
