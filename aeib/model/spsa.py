"""The SPSA DSP layer: the one place where TensorFlow calls the numpy DSP chain.

Forward: ``tf.numpy_function`` runs :func:`aeib.dsp.process` on each example of the batch (in
parallel, see :mod:`aeib.model.batch_dsp`). Backward: simultaneous-perturbation stochastic
approximation (SPSA). For each example ``b`` one Rademacher vector ``Δ_b ∈ {−1, +1}^P`` is drawn,
the chain runs twice more at

    θ⁺ = clip(θ + εΔ, 0, 1),   θ⁻ = clip(θ − εΔ, 0, 1),

and with the upstream gradient ``g = ∂L/∂y`` the parameter gradient estimate is

    ∂L/∂θ_i ≈ ⟨g, y(θ⁺) − y(θ⁻)⟩ / (θ⁺_i − θ⁻_i).

Without clipping the denominator is ``2εΔ_i``, the textbook estimate. Near the ends of [0, 1] the
clipped step is used instead (it keeps the sign of ``Δ_i`` and is at least ``ε`` long since
``ε ≤ 0.5``), so the estimate stays a difference quotient over the step actually taken. The cost is
two chain runs per example, whatever the number of parameters: this is not per-parameter finite
differences.

No gradient reaches the input audio through this layer (its gradient is zeros): the audio is data,
and the analyzer sees it through its own, separate branch. Only the parameters are trained.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from aeib.model.batch_dsp import BatchDsp


def rademacher(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Independent ±1 entries with equal probability, float64[shape]."""
    return rng.integers(0, 2, size=shape).astype(np.float64) * 2.0 - 1.0


def perturb(params01: np.ndarray, epsilon: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """θ⁺ = clip(θ + εΔ, 0, 1) and θ⁻ = clip(θ − εΔ, 0, 1), one Rademacher Δ per example (row).

    Args:
        params01: float[batch, n_params] normalized parameters θ.
        epsilon: Perturbation size in normalized units, in (0, 0.5].
        rng: Source of the Rademacher vectors.

    Returns:
        ``(plus, minus)``, float64[batch, n_params] each.
    """
    theta = np.asarray(params01, dtype=np.float64)
    delta = rademacher(rng, theta.shape)
    return np.clip(theta + epsilon * delta, 0.0, 1.0), np.clip(theta - epsilon * delta, 0.0, 1.0)


def spsa_gradient(dsp: BatchDsp, audio: np.ndarray, params01: np.ndarray, upstream: np.ndarray,
                  epsilon: float, rng: np.random.Generator) -> np.ndarray:
    """One SPSA gradient estimate per example (one Δ draw each).

    Args:
        dsp: The batch chain runner (anything with its ``projections`` method).
        audio: float[batch, samples] input audio.
        params01: float[batch, n_params] normalized parameters θ.
        upstream: float[batch, samples] gradient of the loss with respect to the chain output.
        epsilon: Perturbation size in normalized units, in (0, 0.5].
        rng: Source of the Rademacher vectors.

    Returns:
        float32[batch, n_params] estimate of ∂L/∂θ: ``⟨upstream, y⁺ − y⁻⟩ / (θ⁺ − θ⁻)``.
    """
    plus, minus = perturb(params01, epsilon, rng)
    projections = dsp.projections(audio, plus, minus, upstream)
    return (projections[:, None] / (plus - minus)).astype(np.float32)


@keras.saving.register_keras_serializable(package="aeib")
class SpsaDspLayer(keras.layers.Layer):
    """Applies the numpy chain (mono) to the input audio; trains its parameters by SPSA.

    In training mode (``training=True``, as in ``fit`` and :func:`~aeib.model.train_step.make_train_step`)
    the two perturbed runs are started in the forward pass, right after the plain run, so they
    overlap with the loss computation; the backward pass then only takes the inner product. In
    inference mode nothing extra runs forward, and the perturbed runs happen in the backward pass
    if a gradient is asked for. Both compute the same estimate.

    Args:
        sample_rate: Sample rate of the audio in Hz.
        epsilon: SPSA perturbation size in normalized parameter units, in (0, 0.5].
        limiter: Keep the safety limiter in the chain (training default: off, see docs/MODEL.md).
        backend: Parallelism of the batch: ``"threads"``, ``"processes"`` or ``"serial"``.
        workers: Workers for the batch (0: one per CPU core).
        seed: Seed of the Rademacher draws (``None``: fresh entropy).

    Call args:
        inputs: ``[audio, params01]``: float32[batch, samples] and float32[batch, n_params].
        training: Training mode (see above).

    Returns:
        float32[batch, samples], the processed audio.
    """

    def __init__(self, sample_rate: int, epsilon: float = 0.01, limiter: bool = False,
                 backend: str = "threads", workers: int = 0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 < epsilon <= 0.5:
            raise ValueError(f"epsilon must be in (0, 0.5], got {epsilon}")
        self.sample_rate = int(sample_rate)
        self.epsilon = float(epsilon)
        self.limiter = bool(limiter)
        self.backend = backend
        self.workers = int(workers)
        self.seed = seed
        self.dsp = BatchDsp(self.sample_rate, self.limiter, backend, self.workers)
        self._rng = np.random.default_rng(seed)

    def reseed(self, seed: int | None) -> None:
        """Restart the Rademacher draws from ``seed`` (e.g. once per epoch, so a resumed run repeats them)."""
        self._rng = np.random.default_rng(seed)

    def _forward(self, audio: np.ndarray, params01: np.ndarray) -> np.ndarray:
        return self.dsp.process(audio, params01)

    def _perturbed(self, audio: np.ndarray, params01: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        plus, minus = perturb(params01, self.epsilon, self._rng)
        return self.dsp.differences(audio, plus, minus), plus - minus

    def _backward(self, audio: np.ndarray, params01: np.ndarray, upstream: np.ndarray) -> np.ndarray:
        return spsa_gradient(self.dsp, audio, params01, upstream, self.epsilon, self._rng)

    def _plain_output(self, audio, params01):
        output = tf.numpy_function(self._forward, [audio, params01], tf.float32, stateful=False, name="dsp_forward")
        output.set_shape(audio.shape)
        return output

    def call(self, inputs, training=None):
        audio, params01 = inputs
        audio = tf.convert_to_tensor(audio, tf.float32)
        params01 = tf.convert_to_tensor(params01, tf.float32)

        @tf.custom_gradient
        def chain_training(audio, params01):
            output = self._plain_output(audio, params01)
            with tf.control_dependencies([output]):  # keep the critical-path run first
                difference, step = tf.numpy_function(self._perturbed, [audio, params01], [tf.float64, tf.float64],
                                                     stateful=True, name="dsp_spsa_perturbed")

            def gradient(upstream):
                projection = tf.reduce_sum(tf.cast(upstream, tf.float64) * difference, axis=1, keepdims=True)
                grad = tf.cast(projection / step, tf.float32)
                grad.set_shape(params01.shape)
                return tf.zeros_like(audio), grad

            return output, gradient

        @tf.custom_gradient
        def chain_inference(audio, params01):
            output = self._plain_output(audio, params01)

            def gradient(upstream):
                grad = tf.numpy_function(self._backward, [audio, params01, upstream], tf.float32,
                                         stateful=True, name="dsp_spsa_backward")
                grad.set_shape(params01.shape)
                return tf.zeros_like(audio), grad

            return output, gradient

        return (chain_training if training else chain_inference)(audio, params01)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "sample_rate": self.sample_rate, "epsilon": self.epsilon,
                "limiter": self.limiter, "backend": self.backend, "workers": self.workers, "seed": self.seed}
