"""The EQ in TensorFlow: RBJ cookbook biquads applied through their frequency response.

The coefficients are the formulas of :mod:`aeib.dsp.cookbook` (those :mod:`aeib.dsp.eq` uses),
evaluated on tensors so that gradients reach gain, frequency and Q; the bands are
:data:`aeib.dsp.EQ_BANDS`. Instead of running the recursions, the cascade's response
``H(e^{jω}) = Π_s B_s(e^{jω}) / A_s(e^{jω})`` is evaluated on an FFT grid and multiplied with the
spectrum of the zero-padded example. Evaluating an IIR response on an ``n_fft``-point grid filters
with the impulse response folded modulo ``n_fft``; the FFT size leaves at least
max(one signal length, :data:`EQ_TAIL_S`) of zero padding, so what folds back is impulse response
beyond that, which has decayed for every band the schema allows (the slowest, an 18 dB, Q 8 boost
at 40 Hz, falls by 60 dB in 1.24 s at any sample rate), and the output equals causal filtering from
rest. Everything is float64.
"""

from __future__ import annotations

import math

import tensorflow as tf

from aeib.dsp import CHAIN_SCHEMA, EQ_BANDS, band_frequency_cap_hz, cookbook

_DTYPE = tf.float64
EQ_TAIL_S = 2.5
"""Least zero padding in seconds: about 120 dB of decay of the slowest band's impulse response."""


def column(physical: tf.Tensor, name: str) -> tf.Tensor:
    """The values of one named parameter: float64[batch] from physical float64[batch, n_params]."""
    return physical[:, CHAIN_SCHEMA.index(name)]


def biquad_coefficients(kind: str, freq_hz: tf.Tensor, gain_db: tf.Tensor, q: tf.Tensor,
                        sample_rate: float) -> tuple[tf.Tensor, tf.Tensor]:
    """RBJ cookbook biquad, normalized so that a0 = 1 (the formulas of :mod:`aeib.dsp.cookbook`).

    Args:
        kind: ``"peak"``, ``"low_shelf"`` or ``"high_shelf"``.
        freq_hz: float64[batch] centre or cutoff frequency (capped at 0.9 × Nyquist).
        gain_db: float64[batch].
        q: float64[batch].
        sample_rate: Hz.

    Returns:
        ``(b, a)``: float64[batch, 3] each, ``a[:, 0] == 1``.
    """
    freq_hz = tf.minimum(freq_hz, band_frequency_cap_hz(sample_rate))
    w0 = 2.0 * math.pi * freq_hz / sample_rate
    amp = tf.pow(tf.constant(10.0, _DTYPE), gain_db / 40.0)
    row = cookbook.biquad_coefficients(kind, tf.cos(w0), tf.sin(w0) / (2.0 * q), amp, tf.sqrt(amp))
    return tf.stack(row[:3], axis=-1), tf.stack(row[3:], axis=-1)


def eq_frequency_response(physical: tf.Tensor, sample_rate: float, n_fft: int) -> tf.Tensor:
    """Complex response of the whole EQ on the rfft grid: complex128[batch, n_fft // 2 + 1]."""
    # z⁻¹ and z⁻² on the unit circle, computed in the graph (as constants they would bloat it).
    omega = tf.range(n_fft // 2 + 1, dtype=_DTYPE) * (2.0 * math.pi / n_fft)
    z1 = tf.complex(tf.cos(omega), -tf.sin(omega))
    z2 = tf.complex(tf.cos(2.0 * omega), -tf.sin(2.0 * omega))
    response = None
    for band in EQ_BANDS:
        b, a = biquad_coefficients(band.kind, column(physical, band.frequency_param), column(physical, band.gain_param),
                                   column(physical, band.q_param), sample_rate)
        b, a = tf.cast(b[:, :, None], tf.complex128), tf.cast(a[:, :, None], tf.complex128)
        section = (b[:, 0] + b[:, 1] * z1 + b[:, 2] * z2) / (a[:, 0] + a[:, 1] * z1 + a[:, 2] * z2)
        response = section if response is None else response * section
    return response


def fft_size(n_samples: int, sample_rate: float) -> int:
    """The EQ's FFT size: the smallest power of two ≥ n_samples + max(n_samples, EQ_TAIL_S · sample_rate)."""
    padding = max(n_samples, int(math.ceil(EQ_TAIL_S * sample_rate)))
    return 1 << max(1, int(math.ceil(math.log2(n_samples + padding))))


def apply_eq(audio: tf.Tensor, physical: tf.Tensor, sample_rate: float) -> tf.Tensor:
    """EQ by frequency-domain multiplication.

    Args:
        audio: float64[batch, samples] with a static number of samples.
        physical: float64[batch, n_params] physical parameters.
        sample_rate: Hz.

    Returns:
        float64[batch, samples].
    """
    n_samples = audio.shape[-1]
    n_fft = fft_size(n_samples, sample_rate)
    spectrum = tf.signal.rfft(audio, fft_length=[n_fft])
    filtered = tf.signal.irfft(spectrum * eq_frequency_response(physical, sample_rate, n_fft), fft_length=[n_fft])
    return filtered[:, :n_samples]
