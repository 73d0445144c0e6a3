"""Parity of an exported variant with the Keras analyzer, in parameters and in audio.

Parameters: ``|params01_tflite − params01_keras|`` in normalized units (0–1), where Keras runs the
whole analyzer on raw audio (its own in-graph front end) and TFLite runs on numpy features with the
reference embedded by the same ``.tflite`` model — exactly the path an app takes.

Audio: each input window is processed by the chain (EQ → compressor → limiter) once with the Keras
setting and once with the TFLite setting; the report gives the level of the difference relative to
the Keras output (dB; −60 dB means the difference is a thousandth of the signal's RMS) and the
mean log-mel distance (dB) between the two outputs. This module imports no TensorFlow.
"""

from __future__ import annotations

import math

import numpy as np

from aeib.dsp import process_normalized
from aeib.metrics import mel_distance_db

DIFF_FLOOR_DB = -200.0
"""Reported when two outputs are bit-identical."""


def relative_difference_db(reference: np.ndarray, other: np.ndarray) -> float:
    """``20·log10(rms(other − reference) / rms(reference))``, floored at :data:`DIFF_FLOOR_DB`."""
    reference = np.asarray(reference, dtype=np.float64)
    diff = np.sqrt(np.mean((np.asarray(other, dtype=np.float64) - reference) ** 2))
    level = np.sqrt(np.mean(reference ** 2))
    if diff == 0.0 or level == 0.0:
        return DIFF_FLOOR_DB
    return max(DIFF_FLOOR_DB, 20.0 * math.log10(diff / level))


def parity_report(keras_params01: np.ndarray, tflite_params01: np.ndarray, inputs: np.ndarray,
                  sample_rate: int, tolerance: float, source: str) -> dict:
    """The bundle's ``parity`` block for one variant.

    Args:
        keras_params01: float[n, P] from the Keras analyzer.
        tflite_params01: float[n, P] from the ``.tflite`` model.
        inputs: float[n, samples] mono input windows the settings were predicted for.
        sample_rate: Their rate in Hz.
        tolerance: Allowed maximum absolute difference in normalized units.
        source: Where the examples came from.

    Returns:
        ``max_abs_params01_vs_keras``, ``mean_abs_params01_vs_keras``, ``tolerance``, ``within_tolerance``,
        ``examples``, ``source``, and ``audio``: ``{max,median}_output_difference_db`` (difference relative
        to the Keras-set output), ``{max,mean}_mel_distance_db`` between the two outputs, and
        ``mean_keras_effect_mel_distance_db`` (Keras output vs the unprocessed input: how much the
        chain changes the sound, the scale to judge the other numbers against).
    """
    keras_params01 = np.asarray(keras_params01, dtype=np.float64)
    tflite_params01 = np.asarray(tflite_params01, dtype=np.float64)
    error = np.abs(tflite_params01 - keras_params01)
    diffs_db, mel_db, effect_db = [], [], []
    for audio, p_keras, p_tflite in zip(inputs, keras_params01, tflite_params01):
        audio = np.asarray(audio, dtype=np.float64)
        out_keras = process_normalized(audio, sample_rate, p_keras)
        out_tflite = process_normalized(audio, sample_rate, np.clip(p_tflite, 0.0, 1.0))
        diffs_db.append(relative_difference_db(out_keras, out_tflite))
        mel_db.append(mel_distance_db(out_tflite, out_keras, sample_rate))
        effect_db.append(mel_distance_db(out_keras, audio, sample_rate))
    return {
        "max_abs_params01_vs_keras": float(error.max()),
        "mean_abs_params01_vs_keras": float(error.mean()),
        "tolerance": float(tolerance),
        "within_tolerance": bool(error.max() <= tolerance),
        "examples": int(keras_params01.shape[0]),
        "source": source,
        "audio": {
            "max_output_difference_db": float(max(diffs_db)),
            "median_output_difference_db": float(np.median(diffs_db)),
            "max_mel_distance_db": float(max(mel_db)),
            "mean_mel_distance_db": float(np.mean(mel_db)),
            "mean_keras_effect_mel_distance_db": float(np.mean(effect_db)),
        },
    }
