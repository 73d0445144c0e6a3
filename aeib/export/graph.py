"""The export graph: the trained encoder and controller re-wired to take features, not audio.

::

    input_features [1, F, n_mels] ─ encoder ─┬─────────────────────────────── input_embedding [1, E]
    reference_embedding [1, E] ──────────────┴─ concat ─ controller ─ params01 [1, P]

In the feature model the log-mel front end stays outside (the training graph's DFT kernel alone
would be 4.2 MB of constants); callers compute it with :func:`aeib.features.log_mel_spectrogram`.
The raw-audio model (:func:`build_raw_export_model`) puts the front end inside, written with
builtin-convertible ops instead — framing, a real FFT, a mel matrix product and a log
(:class:`InGraphLogMel`, about 135 KB of float32 constants) — so an app feeds audio directly::

    input_audio [1, S] ─ log-mel ─ encoder ─ … (as above)

The encoder and controller are the trained layer instances themselves, called in inference mode
(batch norm uses its moving statistics, dropout is off), so the export graph holds exactly the
trained weights.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from aeib.contract import RAW_INPUT_NAME
from aeib.features import LogMelSpec, hann_window, mel_filterbank
from aeib.model.config import ModelConfig

MEL_SCALE = 2.0 ** 14
"""Scale of the in-graph mel matrix and floor (a power of two: exact in float32)."""


@keras.saving.register_keras_serializable(package="aeib_export")
class InGraphLogMel(keras.layers.Layer):
    """Log-mel features of mono audio, from ops that convert to TFLite builtins.

    ``frame`` (GATHER/RESHAPE) → × Hann/Σw (MUL) → ``rfft`` (RFFT2D, REAL, IMAG) → re² + im² →
    × mel matrix (FULLY_CONNECTED) → + log_eps → log: the definition of
    :func:`aeib.features.log_mel_spectrogram`, in float32.

    Args:
        spec: The front-end settings.

    Input ``float32[batch, samples]``; output ``float32[batch, frames, n_mels]``.
    """

    def __init__(self, spec: LogMelSpec, **kwargs):
        super().__init__(**kwargs)
        self.spec = spec if isinstance(spec, LogMelSpec) else LogMelSpec.from_dict(spec)
        window = hann_window(self.spec.frame_length)
        self._window = (window / window.sum()).astype(np.float32)
        # The mel matrix and the floor are scaled by 2^14 (and ln 2^14 subtracted after the log) so
        # that log_eps (1e-8) stays representable when a float16 variant stores constants in half
        # precision (its smallest normal number is 6.1e-5); in float32 the scaling is exact.
        self._filterbank = (mel_filterbank(self.spec) * MEL_SCALE).astype(np.float32)

    def call(self, audio):
        import tensorflow as tf

        spec = self.spec
        frames = tf.signal.frame(audio, spec.frame_length, spec.hop_length, pad_end=False)
        spectrum = tf.signal.rfft(frames * tf.constant(self._window), fft_length=[spec.frame_length])
        power = tf.math.square(tf.math.real(spectrum)) + tf.math.square(tf.math.imag(spectrum))
        mel = tf.tensordot(power, tf.constant(self._filterbank), axes=1)
        floor = tf.constant(spec.log_eps * MEL_SCALE, tf.float32)
        return tf.math.log(mel + floor) - tf.constant(math.log(MEL_SCALE), tf.float32)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.spec.n_frames(input_shape[1]) if input_shape[1] else None, self.spec.n_mels)

    def get_config(self) -> dict:
        return {**super().get_config(), "spec": self.spec.to_dict()}


def export_shapes(config: ModelConfig, window_samples: int) -> dict[str, tuple[int, ...]]:
    """Fixed tensor shapes of the export model, by name.

    Raises:
        ValueError: if the window is shorter than one frame.
    """
    from aeib.dsp import CHAIN_SCHEMA

    spec = config.log_mel_spec
    frames = spec.n_frames(window_samples)
    if frames < 1:
        raise ValueError(f"a {window_samples}-sample window is shorter than one {spec.frame_length}-sample frame")
    embedding = config.encoder.embedding_dim
    return {
        "input_features": (1, frames, spec.n_mels),
        "reference_embedding": (1, embedding),
        "params01": (1, len(CHAIN_SCHEMA)),
        "input_embedding": (1, embedding),
    }


def build_export_model(analyzer: keras.Model, config: ModelConfig, window_samples: int) -> keras.Model:
    """Functional model ``[input_features, reference_embedding] → {params01, input_embedding}``.

    Args:
        analyzer: Trained analyzer with layers ``encoder`` and ``controller``.
        config: Its model configuration.
        window_samples: Analysis window in samples at the model rate (fixes the frame count).

    Returns:
        A ``keras.Model`` named ``aeib_analyzer_export`` with batch size 1 and a dict output.
    """
    shapes = export_shapes(config, window_samples)
    encoder = analyzer.get_layer("encoder")
    controller = analyzer.get_layer("controller")
    features = keras.Input(shapes["input_features"][1:], batch_size=1, name="input_features")
    reference = keras.Input(shapes["reference_embedding"][1:], batch_size=1, name="reference_embedding")
    embedding = encoder(features, training=False)
    joint = keras.layers.Concatenate(axis=-1, name="joint_embedding")([embedding, reference])
    params01 = controller(joint, training=False)
    outputs = {
        "params01": keras.layers.Identity(name="params01")(params01),
        "input_embedding": keras.layers.Identity(name="input_embedding")(embedding),
    }
    return keras.Model([features, reference], outputs, name="aeib_analyzer_export")


def build_raw_export_model(analyzer: keras.Model, config: ModelConfig, window_samples: int) -> keras.Model:
    """Functional model ``[input_audio, reference_embedding] → {params01, input_embedding}``.

    ``input_audio`` is float32[1, window_samples]: one analysis window of mono audio at the model
    rate; the rest is :func:`build_export_model` behind :class:`InGraphLogMel`.
    """
    shapes = export_shapes(config, window_samples)
    features_model = build_export_model(analyzer, config, window_samples)
    audio = keras.Input((window_samples,), batch_size=1, name=RAW_INPUT_NAME)
    reference = keras.Input(shapes["reference_embedding"][1:], batch_size=1, name="reference_embedding")
    features = InGraphLogMel(config.log_mel_spec, name="log_mel_in_graph")(audio)
    outputs = features_model([features, reference])
    outputs = {name: keras.layers.Identity(name=name)(tensor) for name, tensor in outputs.items()}
    return keras.Model([audio, reference], outputs, name="aeib_analyzer_raw_export")
