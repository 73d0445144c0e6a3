"""The audio encoder: log-mel frames → one fixed-size embedding, for any signal length.

One instance of :class:`AudioEncoder` is applied to both the input and the reference, so both are
described in the same embedding space by the same weights.
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="aeib")
class AudioEncoder(keras.layers.Layer):
    """Small 2-D conv stack over (time, mel), averaged over time.

    Structure: per-band batch norm of the log-mel input → for each entry of ``filters``:
    ``Conv2D(k×k, same, no bias) → BatchNorm → ReLU → MaxPool 2×2 (same)`` → mean over time →
    flatten (mel × channels) → ``Dense(embedding_dim, relu)``. The time average makes the embedding
    independent of the signal length; the frequency axis is kept, since where in the spectrum energy
    sits is what an EQ must react to.

    Args:
        filters: Output channels of each conv block.
        kernel_size: Conv kernel size (square).
        embedding_dim: Embedding size.

    Call args:
        log_mel: float32[batch, frames, n_mels], frames ≥ 1.

    Returns:
        float32[batch, embedding_dim].
    """

    def __init__(self, filters=(16, 32, 48, 64), kernel_size: int = 3, embedding_dim: int = 48, **kwargs):
        super().__init__(**kwargs)
        self.filters = tuple(int(f) for f in filters)
        self.kernel_size = int(kernel_size)
        self.embedding_dim = int(embedding_dim)
        self.input_norm = keras.layers.BatchNormalization(axis=-1, name="input_norm")
        self.convs = [keras.layers.Conv2D(width, self.kernel_size, padding="same", use_bias=False, name=f"conv{i}")
                      for i, width in enumerate(self.filters)]
        self.norms = [keras.layers.BatchNormalization(name=f"norm{i}") for i in range(len(self.filters))]
        self.pools = [keras.layers.MaxPooling2D(2, padding="same", name=f"pool{i}") for i in range(len(self.filters))]
        self.flatten = keras.layers.Flatten(name="flatten")
        self.embed = keras.layers.Dense(self.embedding_dim, activation="relu", name="embed")

    def build(self, input_shape):
        batch, frames, n_mels = input_shape
        self.input_norm.build(input_shape)
        shape = (batch, frames, n_mels, 1)
        for conv, norm, pool in zip(self.convs, self.norms, self.pools):
            conv.build(shape)
            shape = conv.compute_output_shape(shape)
            norm.build(shape)
            shape = pool.compute_output_shape(shape)
        self.embed.build((batch, shape[2] * shape[3]))
        self.built = True

    def call(self, log_mel, training=None):
        x = self.input_norm(log_mel, training=training)
        x = keras.ops.expand_dims(x, axis=-1)
        for conv, norm, pool in zip(self.convs, self.norms, self.pools):
            x = pool(keras.activations.relu(norm(conv(x), training=training)))
        x = keras.ops.mean(x, axis=1)  # average over time: [batch, mel', channels]
        return self.embed(self.flatten(x))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.embedding_dim)

    def get_config(self):
        return {**super().get_config(), "filters": list(self.filters), "kernel_size": self.kernel_size,
                "embedding_dim": self.embedding_dim}
