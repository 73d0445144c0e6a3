"""The EQ in TensorFlow: RBJ cookbook biquads applied through their frequency response.

The coefficients are the formulas of :mod:`aeib.dsp.eq`, written in TensorFlow so that gradients
reach gain, frequency and Q. Instead of running the recursions, the cascade's response
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

from aeib.dsp import CHAIN_SCHEMA
from aeib.dsp.eq import NYQUIST_FRACTION

_DTYPE = tf.float64
EQ_TAIL_S = 2.5
"""Least zero padding in seconds: about 120 dB of decay of the slowest band's impulse response."""


def column(physical: tf.Tensor, name: str) -> tf.Tensor:
    """The values of one named parameter: float64[batch] from physical float64[batch, n_params]."""
    return physical[:, CHAIN_SCHEMA.index(name)]


def _eq_bands() -> list[tuple[str, str]]:
    """(band, kind) in chain order, kind ∈ {"peak", "low_shelf", "high_shelf"}, read off the schema."""
    bands = []
    for name in CHAIN_SCHEMA.names:
        parts = name.split(".")
        if parts[0] == "eq" and parts[2] in ("center_hz", "cutoff_hz"):
            kind = "peak" if parts[2] == "center_hz" else parts[1]
            if kind not in ("peak", "low_shelf", "high_shelf"):
                raise ValueError(f"cannot tell the shelf type of EQ band {parts[1]!r}")
            bands.append((parts[1], kind))
    return bands


def biquad_coefficients(kind: str, freq_hz: tf.Tensor, gain_db: tf.Tensor, q: tf.Tensor,
                        sample_rate: float) -> tuple[tf.Tensor, tf.Tensor]:
    """RBJ cookbook biquad, normalized so that a0 = 1 (same formulas as :mod:`aeib.dsp.eq`).

    Args:
        kind: ``"peak"``, ``"low_shelf"`` or ``"high_shelf"``.
        freq_hz: float64[batch] centre or cutoff frequency (capped at 0.9 × Nyquist).
        gain_db: float64[batch].
        q: float64[batch].
        sample_rate: Hz.

    Returns:
        ``(b, a)``: float64[batch, 3] each, ``a[:, 0] == 1``.
    """
    freq_hz = tf.minimum(freq_hz, NYQUIST_FRACTION * sample_rate / 2.0)
    w0 = 2.0 * math.pi * freq_hz / sample_rate
    cos_w0, alpha = tf.cos(w0), tf.sin(w0) / (2.0 * q)
    amp = tf.pow(tf.constant(10.0, _DTYPE), gain_db / 40.0)
    if kind == "peak":
        b = [1.0 + alpha * amp, -2.0 * cos_w0, 1.0 - alpha * amp]
        a = [1.0 + alpha / amp, -2.0 * cos_w0, 1.0 - alpha / amp]
    else:
        sign = 1.0 if kind == "high_shelf" else -1.0
        c = sign * cos_w0
        root = 2.0 * tf.sqrt(amp) * alpha
        b = [amp * ((amp + 1) + (amp - 1) * c + root), -2.0 * sign * amp * ((amp - 1) + (amp + 1) * c),
             amp * ((amp + 1) + (amp - 1) * c - root)]
        a = [(amp + 1) - (amp - 1) * c + root, 2.0 * sign * ((amp - 1) - (amp + 1) * c),
             (amp + 1) - (amp - 1) * c - root]
    a0 = a[0]
    return tf.stack([v / a0 for v in b], axis=-1), tf.stack([v / a0 for v in a], axis=-1)


def eq_frequency_response(physical: tf.Tensor, sample_rate: float, n_fft: int) -> tf.Tensor:
    """Complex response of the whole EQ on the rfft grid: complex128[batch, n_fft // 2 + 1]."""
    # z⁻¹ and z⁻² on the unit circle, computed in the graph (as constants they would bloat it).
    omega = tf.range(n_fft // 2 + 1, dtype=_DTYPE) * (2.0 * math.pi / n_fft)
    z1 = tf.complex(tf.cos(omega), -tf.sin(omega))
    z2 = tf.complex(tf.cos(2.0 * omega), -tf.sin(2.0 * omega))
    response = None
    for band, kind in _eq_bands():
        freq_name = "center_hz" if kind == "peak" else "cutoff_hz"
        b, a = biquad_coefficients(kind, column(physical, f"eq.{band}.{freq_name}"),
                                   column(physical, f"eq.{band}.gain_db"), column(physical, f"eq.{band}.q"),
                                   sample_rate)
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
