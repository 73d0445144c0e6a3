"""A differentiable TensorFlow twin of the chain (EQ → compressor), for ``gradient = "autodiff"``.

The EQ is in :mod:`aeib.model.autodiff_eq`, the compressor in :mod:`aeib.model.autodiff_compressor`;
this module maps normalized parameters to physical ones, chains the two and wraps them in a layer.
There is no limiter: training runs without it in both gradient modes (see ``docs/MODEL.md``).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from aeib.dsp import CHAIN_SCHEMA
from aeib.model.autodiff_compressor import apply_compressor, check_block_size, static_gain_reduction_db
from aeib.model.autodiff_eq import apply_eq, fft_size

__all__ = ["AutodiffDspLayer", "apply_chain", "denormalize", "fft_size", "static_gain_reduction_db"]

_DTYPE = tf.float64


def denormalize(params01: tf.Tensor) -> tf.Tensor:
    """TensorFlow twin of ``CHAIN_SCHEMA.denormalize``: float[batch, n_params] → float64 physical.

    The expression of :func:`aeib.dsp.schema.denormalize_arrays`, on the schema's own ``lows``,
    ``highs``, ``log_ratios`` and ``is_log`` arrays.
    """
    u = tf.clip_by_value(tf.cast(params01, _DTYPE), 0.0, 1.0)
    lows, highs = CHAIN_SCHEMA.lows, CHAIN_SCHEMA.highs
    linear = lows + u * (highs - lows)
    geometric = lows * tf.exp(u * CHAIN_SCHEMA.log_ratios)
    return tf.where(CHAIN_SCHEMA.is_log, geometric, linear)


def apply_chain(audio: tf.Tensor, params01: tf.Tensor, sample_rate: float, block_size: int = 64) -> tf.Tensor:
    """EQ → compressor (no limiter), differentiable with respect to ``params01``.

    Args:
        audio: float[batch, samples] with a static number of samples.
        params01: float[batch, n_params] normalized parameters in ``CHAIN_SCHEMA`` order.
        sample_rate: Hz.
        block_size: Compressor ballistics block length in samples.

    Returns:
        float32[batch, samples].
    """
    physical = denormalize(params01)
    x = tf.cast(audio, _DTYPE)
    y = apply_compressor(apply_eq(x, physical, sample_rate), physical, sample_rate, block_size)
    return tf.cast(y, tf.float32)


@keras.saving.register_keras_serializable(package="aeib")
class AutodiffDspLayer(keras.layers.Layer):
    """The TensorFlow twin of the chain as a layer (no limiter).

    Args:
        sample_rate: Sample rate of the audio in Hz.
        compressor_block_size: Block length of the compressor ballistics in samples.
        jit_compile: Compile the chain (forward and gradient) with XLA; about twice as fast on
            CPU, at the price of a compilation of a few seconds per new input shape.

    Call args:
        inputs: ``[audio, params01]``: float32[batch, samples] (samples must be known when the
            graph is traced) and float32[batch, n_params].

    Returns:
        float32[batch, samples].
    """

    def __init__(self, sample_rate: int, compressor_block_size: int = 64, jit_compile: bool = True, **kwargs):
        super().__init__(**kwargs)
        check_block_size(compressor_block_size, sample_rate)
        self.sample_rate = int(sample_rate)
        self.compressor_block_size = int(compressor_block_size)
        self.jit_compile = bool(jit_compile)
        self._compiled_chain = tf.function(self._chain, jit_compile=True) if self.jit_compile else self._chain

    def _chain(self, audio, params01):
        return apply_chain(audio, params01, self.sample_rate, self.compressor_block_size)

    def call(self, inputs):
        audio, params01 = inputs
        if audio.shape[-1] is None:
            raise ValueError("the autodiff chain needs a known number of samples when traced")
        return self._compiled_chain(tf.convert_to_tensor(audio, tf.float32), tf.convert_to_tensor(params01, tf.float32))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "sample_rate": self.sample_rate,
                "compressor_block_size": self.compressor_block_size, "jit_compile": self.jit_compile}
