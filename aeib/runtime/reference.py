"""What ``aeib enhance`` measures of a reference recording, in one streamed pass.

Two whole-file measurements of the reference steer the output besides its embedding (which the
analysis takes from a few windows, :func:`aeib.runtime.analysis.reference_embedding_from_file`):

* its integrated loudness (ITU-R BS.1770, :class:`~aeib.dsp.loudness.LoudnessMeter`), the loudness
  stage's target with ``loudness="auto"`` (:mod:`aeib.runtime.render`);
* its long-term spectrum (:class:`~aeib.runtime.spectrum.LongTermSpectrum` of the mono downmix), the
  target of the test-time refinement (:mod:`aeib.runtime.refine`).

Both are taken while the file is decoded once (a 5-minute 48 kHz stereo WAV takes about 0.25 s to
decode here, docs/RUNTIME.md), in the same blocks as the two separate measurements
(:func:`aeib.runtime.render.source_loudness_lufs`, :func:`aeib.runtime.refine.long_term_spectrum_db`),
so the numbers are the same, bit for bit (tested) — except that the spectrum of a reference longer
than :data:`~aeib.runtime.spectrum.EXCERPTS_TOTAL_S` is measured on its excerpts, as the input's is
(:func:`~aeib.runtime.spectrum.excerpt_starts`). Memory does not grow with the length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aeib.dsp.loudness import LoudnessMeter
from aeib.runtime.spectrum import LongTermSpectrum, excerpt_starts, long_term_spectrum_db
from aeib.runtime.windows import AudioSource, source_blocks, source_info

BLOCK_FRAMES = 1 << 16
"""Frames decoded at a time (the block size of the separate measurements, so results are equal)."""


@dataclass(frozen=True)
class ReferenceMeasures:
    """A reference's whole-file measurements.

    Attributes:
        loudness_lufs: Integrated loudness, LUFS (``-inf``: silent).
        spectrum: ``(freqs_hz, level_db)``, its long-term spectrum
            (:meth:`~aeib.runtime.spectrum.LongTermSpectrum.level_db`).
        sample_rate: Its rate, Hz.
    """

    loudness_lufs: float
    spectrum: tuple[np.ndarray, np.ndarray]
    sample_rate: int


def measure_reference(source: AudioSource) -> ReferenceMeasures:
    """Loudness and long-term spectrum of a file path or :class:`~aeib.runtime.windows.ArrayAudio`.

    Raises:
        AudioError: if the file cannot be read.
    """
    info = source_info(source)
    meter = LoudnessMeter(info.sample_rate, info.channels, true_peak=False)
    whole = excerpt_starts(info.frames, info.sample_rate) is None
    spectrum = LongTermSpectrum(info.sample_rate)
    for block in source_blocks(source, BLOCK_FRAMES):
        meter.add(block)
        if whole:
            spectrum.add(block)
    level = spectrum.level_db() if whole else long_term_spectrum_db(source, BLOCK_FRAMES)
    return ReferenceMeasures(meter.integrated_lufs(), level, info.sample_rate)


__all__ = ["BLOCK_FRAMES", "ReferenceMeasures", "measure_reference"]
