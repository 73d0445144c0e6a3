"""Test-time refinement of the analyzer's EQ toward the reference's long-term spectrum.

With a reference, the analyzer's setting is a learned guess; the reference's long-term spectrum is
a measurement. The refinement moves the EQ a fraction ``strength`` of the way from the analyzer's
curve to the measured match (the ⅓-octave-smoothed, level-aligned ratio of the reference's and the
input's long-term spectra, :func:`aeib.baselines.rule_based.curve_from_spectra`), and refits the six
EQ bands to that curve (:func:`aeib.baselines.rule_based.fit_eq`), starting from the analyzer's setting
and anchored to it, so bands the curve does not need keep their values instead of drifting to a
range bound. The compressor is left as the
analyzer set it. ``strength`` 0 keeps the analyzer's setting exactly; 1 is the measured match
(rb-dsp's EQ).

Why a fraction: on the out-of-family test set the analyzer alone leaves clean recordings nearly
untouched but reacts too little to degradations it has not seen (a GSM codec), while the full
measured match fixes those and harms clean recordings (a reference is another part of the song, not
the same sound). :data:`REFINE_STRENGTH` was chosen on the first 120 examples of that set and
checked on the other 280 (docs/TRAINING.md).

Spectra: :class:`aeib.runtime.spectrum.LongTermSpectrum` of the mono downmix, streamed block by block
(memory does not grow with length); input and reference may have different rates.
"""

from __future__ import annotations

from typing import overload

import numpy as np

from aeib.runtime.spectrum import LongTermSpectrum
from aeib.runtime.windows import AudioSource, source_blocks, source_info

REFINE_STRENGTH = 0.25
"""Default fraction of the way from the analyzer's EQ curve to the measured match (0 = off)."""

_BLOCK_FRAMES = 1 << 16


@overload
def check_refine(value: float, what: str = ...) -> float: ...
@overload
def check_refine(value: object, what: str = ...) -> float | None: ...
def check_refine(value: object, what: str = "refine") -> float | None:
    """A refinement strength (None: the default) as given by a user, checked.

    Raises:
        ParameterError: if it is not a number within 0–1 (``what`` names the option in the message).
    """
    from aeib.errors import ParameterError

    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ParameterError(f"{what} must be a number within 0–1, got {value!r}")
    return float(value)


def long_term_spectrum_db(source: AudioSource) -> tuple[np.ndarray, np.ndarray]:
    """``(freqs_hz, level_db)`` of a file path or :class:`~aeib.runtime.windows.ArrayAudio`, streamed."""
    spectrum = LongTermSpectrum(source_info(source).sample_rate)
    for block in source_blocks(source, _BLOCK_FRAMES):
        spectrum.add(block)
    return spectrum.level_db()


def refine_toward_reference(params: dict[str, float], input_spectrum: tuple[np.ndarray, np.ndarray],
                            reference_spectrum: tuple[np.ndarray, np.ndarray], sample_rate: int,
                            strength: float = REFINE_STRENGTH) -> dict[str, float]:
    """The setting with its EQ moved ``strength`` of the way toward the measured spectral match.

    Args:
        params: Complete chain setting (physical units), e.g. the analyzer's.
        input_spectrum: ``(freqs_hz, level_db)`` of the input (:func:`long_term_spectrum_db`).
        reference_spectrum: The same for the reference.
        sample_rate: The input's rate in Hz (the EQ runs at it).
        strength: 0…1; 0 returns ``params`` unchanged.

    Returns:
        A complete setting; only the EQ's gains and frequencies differ from ``params``.

    Raises:
        ParameterError: if ``strength`` is outside [0, 1].
    """
    from aeib.baselines.rule_based import curve_from_spectra, fit_eq
    from aeib.dsp.eq import eq_response_db

    strength = check_refine(strength, "refinement strength")
    if strength == 0.0:
        return dict(params)
    grid, measured = curve_from_spectra(*input_spectrum, *reference_spectrum, sample_rate)
    analyzer = eq_response_db(params, sample_rate, grid)
    curve = (1.0 - strength) * analyzer + strength * measured
    return {**params, **fit_eq(grid, curve, sample_rate, anchor=params)}


def refine_from_sources(params: dict[str, float], source: AudioSource, reference: AudioSource,
                        strength: float = REFINE_STRENGTH) -> dict[str, float]:
    """:func:`refine_toward_reference` with the spectra measured from the input and the reference
    (file paths or :class:`~aeib.runtime.windows.ArrayAudio`; one streamed pass over each)."""
    if strength == 0.0:
        return dict(params)
    return refine_toward_reference(params, long_term_spectrum_db(source), long_term_spectrum_db(reference),
                                   source_info(source).sample_rate, strength)


__all__ = ["REFINE_STRENGTH", "refine_from_sources", "check_refine", "long_term_spectrum_db", "refine_toward_reference"]
