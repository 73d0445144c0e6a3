"""The controller: joint embedding of input and reference → normalized chain parameters."""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np


def neutral_output_bias(neutral01: Sequence[float], margin: float = 0.05) -> list[float]:
    """Sigmoid biases that make an untrained controller start near a given normalized setting.

    Args:
        neutral01: Target normalized values, float[n_params] in [0, 1].
        margin: Values are kept within [margin, 1 − margin] so the logits stay finite and the
            sigmoid is not saturated.

    Returns:
        ``logit(clip(neutral01, margin, 1 − margin))`` as a list of floats.
    """
    p = np.clip(np.asarray(neutral01, dtype=np.float64), margin, 1.0 - margin)
    return [float(v) for v in np.log(p / (1.0 - p))]


@keras.saving.register_keras_serializable(package="aeib")
class ParameterController(keras.layers.Layer):
    """MLP head: ``[Dense → PReLU → Dropout] × len(hidden_units) → Dense(n_params, sigmoid)``.

    Args:
        n_params: Output size; the model builder passes ``len(CHAIN_SCHEMA)``.
        hidden_units: Width of each hidden block.
        dropout_rate: Dropout rate after each hidden block.
        output_bias: Optional initial biases of the sigmoid layer (length ``n_params``), e.g. from
            :func:`neutral_output_bias`; zeros (every output 0.5) if omitted.

    Call args:
        joint_embedding: float32[batch, features] (the concatenated embeddings).

    Returns:
        float32[batch, n_params] in (0, 1).
    """

    def __init__(self, n_params: int, hidden_units=(96, 96), dropout_rate: float = 0.1,
                 output_bias: Sequence[float] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.n_params = int(n_params)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.dropout_rate = float(dropout_rate)
        self.output_bias = None if output_bias is None else [float(b) for b in output_bias]
        if self.output_bias is not None and len(self.output_bias) != self.n_params:
            raise ValueError(f"output_bias has {len(self.output_bias)} entries, expected {self.n_params}")
        self.hidden = [keras.layers.Dense(units, name=f"dense{i}") for i, units in enumerate(self.hidden_units)]
        self.activations = [keras.layers.PReLU(name=f"prelu{i}") for i in range(len(self.hidden_units))]
        self.dropouts = [keras.layers.Dropout(self.dropout_rate, name=f"dropout{i}")
                         for i in range(len(self.hidden_units))]
        bias_init = "zeros" if self.output_bias is None else keras.initializers.Constant(self.output_bias)
        self.head = keras.layers.Dense(self.n_params, activation="sigmoid", bias_initializer=bias_init, name="head")

    def build(self, input_shape):
        shape = tuple(input_shape)
        for dense, prelu in zip(self.hidden, self.activations):
            dense.build(shape)
            shape = dense.compute_output_shape(shape)
            prelu.build(shape)
        self.head.build(shape)
        self.built = True

    def call(self, joint_embedding, training=None):
        x = joint_embedding
        for dense, prelu, dropout in zip(self.hidden, self.activations, self.dropouts):
            x = dropout(prelu(dense(x)), training=training)
        return self.head(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_params)

    def get_config(self):
        return {**super().get_config(), "n_params": self.n_params, "hidden_units": list(self.hidden_units),
                "dropout_rate": self.dropout_rate, "output_bias": self.output_bias}


@keras.saving.register_keras_serializable(package="aeib")
class NeutralPrior(keras.layers.Layer):
    """Identity on the normalized setting that adds ``weight · mean((params01 − neutral01)²)`` as a loss.

    Args:
        neutral01: The neutral setting in normalized units, float[n_params].
        weight: Penalty weight (in units of the audio loss).

    Call args:
        params01: float32[batch, n_params].

    Returns:
        ``params01`` unchanged.
    """

    def __init__(self, neutral01: Sequence[float], weight: float, **kwargs):
        super().__init__(**kwargs)
        self.neutral01 = [float(v) for v in neutral01]
        self.weight = float(weight)

    def call(self, params01):
        neutral = keras.ops.convert_to_tensor(np.asarray(self.neutral01, dtype=np.float32))
        self.add_loss(self.weight * keras.ops.mean(keras.ops.square(params01 - neutral)))
        return params01

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "neutral01": self.neutral01, "weight": self.weight}
