"""The log-mel front end as a Keras layer, built from TFLite builtin operators only.

Framing and the windowed DFT are one strided ``Conv1D`` whose fixed kernel holds the cosine and sine
DFT rows side by side; squaring and one matrix product with a stacked filterbank ``[fb; fb]`` give
``mel = re² @ fb + im² @ fb``; then ``log(mel + eps)``. The kernels come from :mod:`aeib.features`, the
same code the numpy twin uses, so both compute the same transform. The kernels are constants rebuilt
from the layer's config, not weights: the layer has no weights and adds nothing to a saved model.
"""

from __future__ import annotations

import keras
import numpy as np

from aeib.features import DEFAULT_SPEC, LogMelSpec, dft_kernels, mel_filterbank


@keras.saving.register_keras_serializable(package="aeib")
class LogMelSpectrogram(keras.layers.Layer):
    """Raw mono audio → natural-log mel power (defaults: :data:`aeib.features.DEFAULT_SPEC`).

    Args:
        sample_rate: Sample rate of the audio in Hz.
        frame_length: Samples per frame (the DFT size).
        hop_length: Samples between frame starts.
        n_mels: Mel bands.
        fmin_hz: Lowest mel band edge in Hz.
        fmax_hz: Highest mel band edge in Hz (``None``: Nyquist).
        log_eps: Floor added before the log.

    Call args:
        audio: float32[batch, samples], ``samples ≥ frame_length``.

    Returns:
        float32[batch, frames, n_mels] with ``frames = 1 + (samples − frame_length) // hop_length``.
    """

    def __init__(self, sample_rate: int = DEFAULT_SPEC.sample_rate, frame_length: int = DEFAULT_SPEC.frame_length,
                 hop_length: int = DEFAULT_SPEC.hop_length, n_mels: int = DEFAULT_SPEC.n_mels,
                 fmin_hz: float = DEFAULT_SPEC.fmin_hz, fmax_hz: float | None = DEFAULT_SPEC.fmax_hz,
                 log_eps: float = DEFAULT_SPEC.log_eps, **kwargs):
        super().__init__(**kwargs)
        self.spec = LogMelSpec(sample_rate, frame_length, hop_length, n_mels, fmin_hz, fmax_hz, log_eps)
        cos_kernel, sin_kernel = dft_kernels(frame_length)
        # Conv1D kernel layout: [width, in_channels, out_channels].
        self._dft_kernel = np.concatenate([cos_kernel, sin_kernel], axis=1)[:, None, :].astype(np.float32)
        filterbank = mel_filterbank(self.spec)
        self._stacked_filterbank = np.concatenate([filterbank, filterbank], axis=0).astype(np.float32)

    @classmethod
    def from_spec(cls, spec: LogMelSpec, **kwargs) -> "LogMelSpectrogram":
        """The layer for a :class:`~aeib.features.LogMelSpec`."""
        return cls(**spec.to_dict(), **kwargs)

    def call(self, audio):
        framed = keras.ops.expand_dims(audio, axis=-1)
        spectra = keras.ops.conv(framed, self._dft_kernel, strides=self.spec.hop_length, padding="valid")
        mel_power = keras.ops.matmul(keras.ops.square(spectra), self._stacked_filterbank)
        return keras.ops.log(mel_power + self.spec.log_eps)

    def compute_output_shape(self, input_shape):
        batch, samples = input_shape
        frames = None if samples is None else self.spec.n_frames(samples)
        return (batch, frames, self.spec.n_mels)

    def get_config(self):
        return {**super().get_config(), **self.spec.to_dict()}
