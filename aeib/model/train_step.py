"""One optimization step, shared by the benchmark, the tests and (later) the trainer.

``model.fit`` works too once the enhancer is compiled with :func:`compile_enhancer` (it turns XLA
off: the SPSA layer's ``tf.numpy_function`` cannot be compiled by XLA).
"""

from __future__ import annotations

from typing import Callable

import keras
import tensorflow as tf

from aeib.model.config import ModelConfig
from aeib.model.losses import MultiResolutionLogMelLoss


def make_loss(config: ModelConfig) -> MultiResolutionLogMelLoss:
    """The configured loss."""
    return MultiResolutionLogMelLoss.from_config_section(config.sample_rate, config.loss, config.training.jit_compile)


def make_optimizer(config: ModelConfig) -> keras.optimizers.Optimizer:
    """Adam with the configured learning rate."""
    return keras.optimizers.Adam(learning_rate=config.training.learning_rate)


def compile_enhancer(model: keras.Model, config: ModelConfig) -> None:
    """``model.compile`` with the configured optimizer and loss, XLA off (for ``model.fit``)."""
    model.compile(optimizer=make_optimizer(config), loss=make_loss(config), jit_compile=False)


def make_train_step(model: keras.Model, loss: keras.losses.Loss,
                    optimizer: keras.optimizers.Optimizer) -> Callable[..., tf.Tensor]:
    """A compiled (``tf.function``, no XLA) training step.

    Args:
        model: The enhancer (``[input_audio, reference_audio]`` → processed audio).
        loss: Loss ``(target, output) → scalar``.
        optimizer: Keras optimizer; it is built for ``model.trainable_variables`` here.

    Returns:
        ``step(input_audio, reference_audio, target) → loss`` for float32[batch, samples] tensors.
    """
    optimizer.build(model.trainable_variables)

    @tf.function(jit_compile=False, reduce_retracing=True)
    def step(input_audio, reference_audio, target):
        with tf.GradientTape() as tape:
            output = model([input_audio, reference_audio], training=True)
            value = loss(target, output)
        gradients = tape.gradient(value, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return value

    return step
