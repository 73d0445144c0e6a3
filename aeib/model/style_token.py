"""A learned reference-free style: one trainable embedding that stands in for a reference.

Reference-free, the product steers the analyzer with a built-in style embedding instead of a
reference recording's. A style computed *after* training (the mean of the training references'
embeddings) is one the controller never saw in place of a reference, so it had to be applied only
part of the way (a "pull"; docs/TRAINING.md). With ``training.style_token_prob > 0`` the analyzer
learns the style instead: for a share of the examples whose target is a board mix or the input
itself (a clean recording), the reference's embedding is replaced by this token during training, so
the controller learns what to do with the input alone — including leaving a clean recording alone —
and the export ships the token as the ``board-mix`` style at full pull.
"""

from __future__ import annotations

import keras
import numpy as np


@keras.saving.register_keras_serializable(package="aeib")
class StyleToken(keras.layers.Layer):
    """Replace the reference embedding by a trainable token where a flag says so.

    Args:
        embedding_dim: Size of the embedding (the encoder's ``embedding_dim``).

    Call args:
        inputs: ``[reference_embedding float32[batch, E], use_token float32[batch, 1]]``; where
            ``use_token`` is above 0.5 the row becomes the token.

    Returns:
        float32[batch, E].
    """

    def __init__(self, embedding_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.embedding_dim = int(embedding_dim)
        self.token = self.add_weight(shape=(self.embedding_dim,), initializer="zeros", name="token")

    def call(self, inputs):
        reference_embedding, use_token = inputs
        use = keras.ops.cast(use_token > 0.5, reference_embedding.dtype)
        token = keras.ops.broadcast_to(self.token[None, :], keras.ops.shape(reference_embedding))
        return use * token + (1.0 - use) * reference_embedding

    def set_token(self, values: np.ndarray) -> None:
        """Set the token (float[E])."""
        values = np.asarray(values, dtype=np.float32).reshape(self.embedding_dim)
        self.token.assign(values)

    def get_token(self) -> np.ndarray:
        """The token as float32[E]."""
        return np.asarray(keras.ops.convert_to_numpy(self.token), dtype=np.float32)

    def get_config(self) -> dict:
        return {**super().get_config(), "embedding_dim": self.embedding_dim}


STYLE_TOKEN_LAYER = "style_token"
"""Name of the :class:`StyleToken` layer in an analyzer trained with one."""
STYLE_TOKEN_INPUT = "use_style_token"
"""Name of the analyzer's third input (float32[batch, 1]) when it has a style token."""


def has_style_token(analyzer: keras.Model) -> bool:
    """Whether an analyzer was built with a style token (and so takes the third input)."""
    return any(layer.name == STYLE_TOKEN_LAYER for layer in analyzer.layers)


def style_token_of(analyzer: keras.Model) -> np.ndarray | None:
    """The learned token of an analyzer (float32[E]), or None if it was trained without one."""
    return analyzer.get_layer(STYLE_TOKEN_LAYER).get_token() if has_style_token(analyzer) else None


def analyzer_inputs(analyzer: keras.Model, input_audio, reference_audio) -> list:
    """The inputs to call ``analyzer`` with on a reference (the token off where it has one)."""
    if has_style_token(analyzer):
        return [input_audio, reference_audio, np.zeros((len(input_audio), 1), dtype=np.float32)]
    return [input_audio, reference_audio]
