"""Where a long recording's loudness is measured: evenly spread excerpts instead of the whole signal.

A recording longer than :data:`~aeib.runtime.spectrum.EXCERPTS_TOTAL_S` (a minute) has its integrated
loudness — the reference's (the loudness target) and, in fixed mode, the chain's output's (the loudness
gain, :mod:`aeib.runtime.render`) — measured on :data:`EXCERPT_COUNT` excerpts of :data:`EXCERPT_S`,
each read with :data:`PREROLL_S` of audio before it that is processed but not measured, so filters and
the compressor start it as they would in the whole signal. The gating blocks of all excerpts are pooled
and gated together (:func:`~aeib.dsp.loudness.gated_loudness_lufs`), as BS.1770 gates a whole signal's.
A recording of at most a minute is measured whole, exactly as before.

Why: decoding and processing a whole song a second time only to measure its loudness was the largest
cost left in ``aeib enhance`` on long files (issue 15). What it changes, measured on whole songs, is in
docs/RUNTIME.md (``scripts/compare_loudness_excerpts.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from aeib.dsp.loudness import LoudnessMeter
from aeib.runtime.windows import AudioSource, source_blocks, source_frames, source_info

EXCERPT_COUNT = 60
"""How many evenly spread excerpts a long recording's loudness is measured on."""
EXCERPT_S = 1.0
"""Length of each measured excerpt, seconds (six 400 ms gating blocks)."""
PREROLL_S = 0.25
"""Audio read (and processed) before each excerpt but not measured, seconds."""


def loudness_excerpts(total_frames: int, sample_rate: float) -> tuple[np.ndarray, int, int] | None:
    """``(start frames int64[EXCERPT_COUNT], frames per excerpt, preroll frames)``: the recording cut into
    :data:`EXCERPT_COUNT` equal parts, one excerpt at the centre of each (so the intro and the ending
    weigh what their length does); None for a recording of at most
    :data:`~aeib.runtime.spectrum.EXCERPTS_TOTAL_S` seconds."""
    from aeib.runtime import spectrum  # read at call time: the limit is one setting, spectrum's

    if total_frames <= spectrum.EXCERPTS_TOTAL_S * sample_rate:
        return None
    length = int(round(EXCERPT_S * sample_rate))
    centres = (np.arange(EXCERPT_COUNT) + 0.5) * (total_frames / EXCERPT_COUNT)
    starts = np.round(centres - length / 2).astype(np.int64)
    return starts, length, int(round(PREROLL_S * sample_rate))


def read_excerpt(source: AudioSource, start: int, length: int, preroll: int) -> tuple[np.ndarray, int]:
    """``(audio float32[before + length, channels], before)``: one excerpt with up to ``preroll`` frames
    of audio before it (fewer at the start of the signal)."""
    before = int(min(preroll, start))
    return source_frames(source, int(start) - before, before + int(length)), before


def excerpt_block_mean_squares(audio: np.ndarray, before: int, sample_rate: float) -> np.ndarray:
    """The gating blocks (:meth:`~aeib.dsp.loudness.LoudnessMeter.block_mean_squares`) of
    ``audio[before:]``, the K-weighting run from the start of ``audio``."""
    meter = LoudnessMeter(sample_rate, audio.shape[1] if audio.ndim == 2 else 1, true_peak=False)
    return meter.add(audio).block_mean_squares(before)


@dataclass(frozen=True)
class WholeLevels:
    """A whole signal's integrated loudness (LUFS, ``-inf`` for silence) and sample peak (dBFS), as
    decoded, before any processing: what the chain's effect, measured on the excerpts, is added to."""

    loudness_lufs: float
    sample_peak_dbfs: float


def whole_levels(blocks: Iterable[np.ndarray], sample_rate: float, channels: int) -> WholeLevels:
    """:class:`WholeLevels` of a signal streamed in blocks (float[frames, channels]; bounded memory)."""
    meter = LoudnessMeter(sample_rate, channels, true_peak=False)
    for block in blocks:
        meter.add(block)
    return WholeLevels(meter.integrated_lufs(), meter.sample_peak_dbfs())


def source_whole_levels(source: AudioSource, block_frames: int = 1 << 16) -> WholeLevels:
    """:func:`whole_levels` of a file path or :class:`~aeib.runtime.windows.ArrayAudio`, decoded block
    by block (NaN/inf samples are not checked here: the writing pass refuses them)."""
    info = source_info(source)
    return whole_levels(source_blocks(source, block_frames), info.sample_rate, info.channels)
