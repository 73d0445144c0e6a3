"""Do predicted settings undo the applied style? The EQ-shape comparison behind the settings scatter.

A shard's input is ``capture(style(A))`` and its target ``capture(A)``: the recorded style setting
was applied to the *clean* music, and a method is asked to go the other way. So a predicted
setting should not *equal* the applied one — it should **invert** it. Parameter by parameter
that is ill-posed (a +6 dB bell at 180 Hz can be undone by a −6 dB bell of another band, or
partly by a shelf), so the comparison is made on what the EQ does to the spectrum:

* the EQ **shape** of a setting is its magnitude response in dB at :data:`PROBE_HZ` minus the mean
  over those probes (the level is left to the makeup gain, which may trade against the EQ; the
  compressor is not part of the shape);
* perfect inversion puts the predicted shape at minus the applied shape at every probe: in the
  scatter (x = applied, y = predicted) the points lie on the line y = −x;
* ``eq_inversion_error_db`` = mean over probes of ``|predicted + applied|`` (dB, 0 = perfect);
  ``input`` (no EQ at all) scores the mean absolute applied shape, the number to beat.

It is a diagnostic, not a score of sound: the room and phone filter both signals alike and cancel
out, but the compressor of a style sits *after* its EQ, so a compressed style is not exactly
undone by an EQ that mirrors its curve.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from aeib.dsp import band_frequency_cap_hz
from aeib.dsp.eq import eq_response_db

PROBE_HZ = np.array([63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0])
"""Octave-band probe frequencies (Hz) of the EQ shape; those above 0.45 × the rate are dropped."""


def probe_frequencies(sample_rate: float) -> np.ndarray:
    """The probes usable at ``sample_rate``: below the bands' frequency cap (0.45 × the rate), where the
    EQ is defined (:func:`aeib.dsp.band_frequency_cap_hz`)."""
    return PROBE_HZ[PROBE_HZ < band_frequency_cap_hz(sample_rate)]


def eq_shape_db(params: Mapping[str, float], sample_rate: float) -> np.ndarray:
    """The EQ response of ``params`` at the probes, minus its mean: float64[n_probes], dB."""
    response = eq_response_db(params, sample_rate, probe_frequencies(sample_rate))
    return response - response.mean()


def eq_inversion_error_db(applied: Mapping[str, float], predicted: Mapping[str, float] | None,
                          sample_rate: float) -> float:
    """Mean |predicted shape + applied shape| over the probes, dB (``predicted=None``: no EQ)."""
    applied_shape = eq_shape_db(applied, sample_rate)
    predicted_shape = np.zeros_like(applied_shape) if predicted is None else eq_shape_db(predicted, sample_rate)
    return float(np.mean(np.abs(predicted_shape + applied_shape)))


def inversion_points(pairs: list[tuple[Mapping[str, float], Mapping[str, float]]],
                     sample_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Scatter points of (applied, predicted) setting pairs.

    Returns:
        ``(applied_db, predicted_db)``, each float64[len(pairs), n_probes].
    """
    n = len(probe_frequencies(sample_rate))
    applied = np.array([eq_shape_db(a, sample_rate) for a, _ in pairs]).reshape(-1, n)
    predicted = np.array([eq_shape_db(p, sample_rate) for _, p in pairs]).reshape(-1, n)
    return applied, predicted
