"""The SPSA DSP layer: forward equals the numpy chain, the gradient is a true SPSA estimate, it trains."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from aeib.dsp import CHAIN_SCHEMA, process
from aeib.model import batch_dsp
from aeib.model.batch_dsp import BatchDsp
from aeib.model.spsa import SpsaDspLayer, rademacher, spsa_gradient
from aeib.model.train_step import make_loss

SAMPLE_RATE = 24_000


def _chain(audio, params01, limiter=False):
    return np.stack([process(a.astype(np.float64), SAMPLE_RATE, CHAIN_SCHEMA.denormalize(p), limiter=limiter)
                     for a, p in zip(audio, params01)])


@pytest.mark.parametrize("limiter", [False, True])
def test_forward_is_the_numpy_chain(audio_batch, limiter):
    audio = 3.0 * audio_batch(3, 3000)  # loud enough for the limiter to act
    params01 = np.random.default_rng(0).uniform(0.1, 0.9, (3, len(CHAIN_SCHEMA))).astype(np.float32)
    out = np.asarray(SpsaDspLayer(SAMPLE_RATE, limiter=limiter)([audio, params01]))
    np.testing.assert_allclose(out, _chain(audio, params01, limiter), atol=1e-6)
    if limiter:
        assert np.abs(out).max() <= 10 ** (-0.3 / 20) + 1e-6


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_parallel_backends_match_serial(audio_batch, backend):
    audio = audio_batch(3, 2000)
    rng = np.random.default_rng(1)
    params01, upstream = rng.uniform(0, 1, (3, len(CHAIN_SCHEMA))), rng.standard_normal((3, 2000))
    serial, parallel = BatchDsp(SAMPLE_RATE, backend="serial"), BatchDsp(SAMPLE_RATE, backend=backend, workers=2)
    try:
        np.testing.assert_array_equal(parallel.process(audio, params01), serial.process(audio, params01))
        plus, minus = np.clip(params01 + 0.05, 0, 1), np.clip(params01 - 0.05, 0, 1)
        np.testing.assert_allclose(parallel.projections(audio, plus, minus, upstream),
                                   serial.projections(audio, plus, minus, upstream), rtol=1e-12)
        difference = parallel.differences(audio, plus, minus)
        np.testing.assert_array_equal(difference, serial.differences(audio, plus, minus))
        np.testing.assert_allclose(np.sum(difference * upstream, axis=1),
                                   serial.projections(audio, plus, minus, upstream), rtol=1e-10)
    finally:
        parallel.close()


def test_rademacher_draws_are_plus_or_minus_one():
    draws = rademacher(np.random.default_rng(0), (2000, 24))
    assert set(np.unique(draws)) == {-1.0, 1.0}
    assert abs(draws.mean()) < 0.02


class _LinearChain:
    """A stand-in chain y = J·θ, whose exact gradient ⟨g, J e_i⟩ is known."""

    def __init__(self, jacobian):
        self.jacobian = jacobian  # [samples, n_params]

    def projections(self, audio, plus01, minus01, upstream):
        return np.einsum("bs,sp,bp->b", upstream, self.jacobian, plus01 - minus01)


def test_spsa_estimate_is_unbiased_also_where_the_step_is_clipped():
    rng = np.random.default_rng(0)
    n_params, n_draws = 6, 40_000
    jacobian = rng.standard_normal((50, n_params))
    upstream = np.tile(rng.standard_normal(50), (n_draws, 1))
    theta = np.tile([0.0, 0.004, 0.5, 0.3, 0.998, 1.0], (n_draws, 1))  # several at or near the bounds
    estimate = spsa_gradient(_LinearChain(jacobian), np.zeros((n_draws, 1)), theta, upstream, 0.01, rng)
    exact = upstream[0] @ jacobian
    np.testing.assert_allclose(estimate.mean(axis=0), exact, atol=6 * np.abs(exact).sum() / np.sqrt(n_draws))
    # One draw is a difference quotient over the step actually taken: finite everywhere.
    assert np.isfinite(estimate).all()


@pytest.mark.parametrize("training", [False, True])
def test_backward_uses_two_chain_runs_per_example_whatever_the_parameter_count(audio_batch, monkeypatch, training):
    runs = []
    original_run = batch_dsp._run_chain
    monkeypatch.setattr(batch_dsp, "_run_chain", lambda *args: runs.append(1) or original_run(*args))
    layer = SpsaDspLayer(SAMPLE_RATE, seed=0, backend="serial")
    audio = tf.constant(audio_batch(2, 1000))
    params01 = tf.Variable(np.full((2, len(CHAIN_SCHEMA)), 0.5, np.float32))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(audio)
        loss = tf.reduce_sum(layer([audio, params01], training=training) ** 2)
    grad_audio, grad_params = tape.gradient(loss, [audio, params01])
    assert len(runs) == 2 * 3  # per example: the plain run and one +/− pair, not 2 per parameter
    assert np.all(np.asarray(grad_audio) == 0.0)  # no gradient reaches the input audio
    assert grad_params.shape == params01.shape and np.abs(np.asarray(grad_params)).max() > 0


def test_training_and_inference_modes_compute_the_same_estimate(audio_batch):
    """Training mode runs the perturbed chains in the forward pass; the estimate must not change."""
    audio = tf.constant(audio_batch(3, 1500))
    params01 = tf.Variable(np.random.default_rng(2).uniform(0, 1, (3, len(CHAIN_SCHEMA))).astype(np.float32))
    target = tf.constant(audio_batch(3, 1500, seed=9))
    gradients = []
    for training in (False, True):
        layer = SpsaDspLayer(SAMPLE_RATE, seed=5)  # same seed: same Δ draws
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.abs(layer([audio, params01], training=training) - target))
        gradients.append(np.asarray(tape.gradient(loss, params01)))
    np.testing.assert_allclose(gradients[1], gradients[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("training", [False, True])
def test_averaged_spsa_agrees_with_finite_differences(audio_batch, tiny_config, training):
    """Many examples of one case in a batch = many independent Δ draws; their mean ≈ the FD gradient."""
    n_draws, n_samples = 1000, 2400
    audio = audio_batch(1, n_samples, seed=5)[0]
    rng = np.random.default_rng(3)
    theta = rng.uniform(0.2, 0.8, len(CHAIN_SCHEMA))
    target = _chain(audio[None], rng.uniform(0.2, 0.8, (1, len(CHAIN_SCHEMA))))[0]

    def loss(y):  # mean squared error; the same function in numpy and TensorFlow
        return np.mean((y - target) ** 2)

    step = 1e-4
    finite_difference = np.empty(len(CHAIN_SCHEMA))
    for i in range(len(CHAIN_SCHEMA)):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += step
        minus[i] -= step
        finite_difference[i] = (loss(_chain(audio[None], plus[None])[0])
                                - loss(_chain(audio[None], minus[None])[0])) / (2 * step)

    layer = SpsaDspLayer(SAMPLE_RATE, epsilon=tiny_config.training.spsa_epsilon, seed=11)
    batch_audio = tf.constant(np.tile(audio, (n_draws, 1)))
    params01 = tf.Variable(np.tile(theta, (n_draws, 1)).astype(np.float32))
    with tf.GradientTape() as tape:
        out = layer([batch_audio, params01], training=training)
        value = tf.reduce_sum(tf.reduce_mean((out - target.astype(np.float32)) ** 2, axis=1))  # Σ over draws
    spsa = np.asarray(tape.gradient(value, params01)).mean(axis=0)
    cosine = spsa @ finite_difference / (np.linalg.norm(spsa) * np.linalg.norm(finite_difference))
    assert cosine >= 0.95, (cosine, spsa, finite_difference)


def test_spsa_recovers_known_eq_gains(audio_batch, tiny_config):
    """Fit three EQ gains (everything else neutral) to a target made with known gains."""
    truth = {"eq.band2.gain_db": -6.0, "eq.band3.gain_db": 5.0, "eq.high_shelf.gain_db": 4.0}
    names = list(truth)
    audio = audio_batch(8, 6000, seed=3)
    target = np.stack([process(a.astype(np.float64), SAMPLE_RATE, truth, limiter=False) for a in audio])
    neutral = CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.default_vector())
    trainable = np.zeros(len(CHAIN_SCHEMA), np.float32)
    trainable[[CHAIN_SCHEMA.index(n) for n in names]] = 1.0

    layer = SpsaDspLayer(SAMPLE_RATE, epsilon=tiny_config.training.spsa_epsilon, seed=0)
    loss_fn = make_loss(tiny_config)
    logits = tf.Variable(np.zeros(len(CHAIN_SCHEMA), np.float32))  # sigmoid(0) = 0.5 = 0 dB for the gains
    steps = 150
    optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(0.1, steps, alpha=0.02))
    audio_t, target_t = tf.constant(audio), tf.constant(target.astype(np.float32))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            params01 = trainable * tf.sigmoid(logits) + (1.0 - trainable) * neutral.astype(np.float32)
            value = loss_fn(target_t, layer([audio_t, tf.tile(params01[None], [len(audio), 1])]))
        optimizer.apply([tape.gradient(value, logits)], [logits])
        return value

    history = [float(step()) for _ in range(steps)]
    assert np.mean(history[-5:]) < history[0] / 10, history[::10]
    fitted01 = trainable * tf.sigmoid(logits).numpy() + (1 - trainable) * neutral
    fitted = CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.denormalize(fitted01))
    for name, gain_db in truth.items():
        assert fitted[name] == pytest.approx(gain_db, abs=1.0), fitted


def test_reseed_repeats_the_perturbations(audio_batch):
    layer = SpsaDspLayer(SAMPLE_RATE, seed=1, backend="serial")
    audio = tf.constant(audio_batch(2, 1000))
    params01 = tf.Variable(np.full((2, len(CHAIN_SCHEMA)), 0.4, np.float32))

    def gradient():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.abs(layer([audio, params01], training=True)))
        return np.asarray(tape.gradient(loss, params01))

    layer.reseed(3)
    first, second = gradient(), gradient()
    layer.reseed(3)
    np.testing.assert_array_equal(gradient(), first)
    assert np.any(first != second)  # without reseeding, the next step draws new Δ
