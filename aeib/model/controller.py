"""The controller: joint embedding of input and reference → normalized chain parameters."""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np

from aeib.model.config import LossConfig


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
    """Identity on the normalized setting that adds the prior's penalties to the loss.

    The penalty is ``weight · mean((params01 − neutral01)²)`` (settings stay near neutral unless the
    audio asks for more) plus ``bound_weight · mean(b(params01))``, where ``b(p) = (max(0, m − p)² +
    max(0, p − (1 − m))²) / m²`` with ``m = bound_margin``: 0 inside the margin, 1 at a range bound.
    The second term keeps settings off the bounds of their ranges (issue 12: no parameter within 2 %
    of a bound), including neutral values that sit on one (the compressor's 0 dBFS threshold and 1:1
    ratio): "leave it alone" is then learned just inside the range, where it sounds the same.

    Args:
        neutral01: The neutral setting in normalized units, float[n_params].
        weight: Weight of the neutral penalty (in units of the audio loss).
        bound_weight: Weight of the bound penalty (0 = off).
        bound_margin: Width of the penalized band at each end of a range, normalized units (0, 0.5).

    Call args:
        params01: float32[batch, n_params].

    Returns:
        ``params01`` unchanged.
    """

    def __init__(self, neutral01: Sequence[float], weight: float, bound_weight: float = 0.0,
                 bound_margin: float = LossConfig.bound_margin, **kwargs):
        super().__init__(**kwargs)
        self.neutral01 = [float(v) for v in neutral01]
        self.weight = float(weight)
        self.bound_weight = float(bound_weight)
        self.bound_margin = float(bound_margin)

    def call(self, params01):
        neutral = keras.ops.convert_to_tensor(np.asarray(self.neutral01, dtype=np.float32))
        penalty = self.weight * keras.ops.mean(keras.ops.square(params01 - neutral))
        if self.bound_weight > 0:
            margin = self.bound_margin
            below = keras.ops.relu(margin - params01)
            above = keras.ops.relu(params01 - (1.0 - margin))
            near_bound = (keras.ops.square(below) + keras.ops.square(above)) / (margin * margin)
            penalty = penalty + self.bound_weight * keras.ops.mean(near_bound)
        self.add_loss(penalty)
        return params01

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "neutral01": self.neutral01, "weight": self.weight,
                "bound_weight": self.bound_weight, "bound_margin": self.bound_margin}
