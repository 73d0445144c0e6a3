"""A plain-language account of what ``aeib enhance`` did: the main EQ moves, the compression, the
loudness and peak before → after, and the files written.

Loudness is measured from the audio (the input file and the output file as written, streamed block
by block, so any length fits in memory) with :class:`aeib.dsp.loudness.LoudnessMeter`: ITU-R
BS.1770-4 integrated loudness as pyloudnorm computes it, and the true peak.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Mapping

from aeib.audio import audio_info, iter_blocks
from aeib.dsp.eq import EQ_BANDS

FREQUENCY_WORDS = {"low_shelf": "below", "peak": "at", "high_shelf": "above"}
"""How a band's frequency reads in the summary, by filter type (the bands are :data:`aeib.dsp.EQ_BANDS`)."""

MIN_MOVE_DB = 0.5
"""EQ gains smaller than this are not mentioned."""

MAIN_MOVES = 3
"""The summary names at most this many EQ moves (the largest)."""


@dataclass(frozen=True)
class Levels:
    """Integrated loudness (LUFS) and true peak (dBTP) of a file; ``-inf`` for silence."""

    lufs: float
    peak_dbtp: float


def measure_levels(path: str | os.PathLike, block_frames: int = 1 << 16) -> Levels:
    """Loudness and true peak of an audio file (first audio stream), streamed.

    Raises:
        AudioError: if the file cannot be read.
    """
    from aeib.dsp.loudness import LoudnessMeter

    info = audio_info(path)
    meter = LoudnessMeter(info.sample_rate, info.channels, true_peak=True)
    for block in iter_blocks(info.path, block_frames):
        meter.add(block)
    return Levels(meter.integrated_lufs(), meter.true_peak_dbtp())


def format_hz(hz: float) -> str:
    """``118 Hz``, ``5.8 kHz``, ``12 kHz``."""
    if hz < 1000.0:
        return f"{hz:.0f} Hz"
    return f"{hz / 1000.0:.1f} kHz" if hz < 10_000.0 else f"{hz / 1000.0:.0f} kHz"


def _db(value: float, signed: bool = False) -> str:
    if not math.isfinite(value):
        return "silent" if value < 0 else str(value)
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def eq_moves(params: Mapping[str, float], most: int = MAIN_MOVES, min_db: float = MIN_MOVE_DB) -> list[str]:
    """The largest EQ gains in words, in frequency order: ``["cut 5.5 dB at 118 Hz", ...]``."""
    moves = []
    for band in EQ_BANDS:
        gain_db = params.get(band.gain_param, 0.0)
        if abs(gain_db) >= min_db:
            freq_hz = params[band.frequency_param]
            moves.append((abs(gain_db), freq_hz, f"{'boost' if gain_db > 0 else 'cut'} {abs(gain_db):.1f} dB "
                                                 f"{FREQUENCY_WORDS[band.kind]} {format_hz(freq_hz)}"))
    largest = sorted(moves, key=lambda m: -m[0])[:most]
    return [text for _, _, text in sorted(largest, key=lambda m: m[1])]


def eq_text(params: Mapping[str, float]) -> str:
    moves = eq_moves(params)
    if not moves:
        return f"no EQ change of {MIN_MOVE_DB} dB or more"
    return ", ".join(moves)


def compression_text(params: Mapping[str, float]) -> str:
    """``3.3:1 above -8 dBFS, makeup +1.0 dB`` (``none`` at a ratio of 1:1)."""
    ratio = params.get("comp.ratio", 1.0)
    makeup = params.get("comp.makeup_db", 0.0)
    text = "none" if ratio < 1.05 else f"{ratio:.1f}:1 above {params['comp.threshold_db']:.0f} dBFS"
    if abs(makeup) >= 0.05:
        text += f", makeup {makeup:+.1f} dB"
    return text


def levels_text(before: Levels, after: Levels) -> str:
    """``-23.1 → -16.0 LUFS, true peak -3.2 → -1.0 dBTP``."""
    return (f"{_db(before.lufs)} → {_db(after.lufs)} LUFS, "
            f"true peak {_db(before.peak_dbtp)} → {_db(after.peak_dbtp)} dBTP")


def other_settings(result, params: Mapping[str, float]) -> list[str]:
    """Settings beyond EQ and compressor, where the result has them: strength, loudness stage."""
    lines = []
    strength = getattr(result, "strength", None)
    if strength is not None:
        lines.append(f"strength {float(strength):.2f}")
    for name, value in params.items():
        if not name.startswith(("eq.", "comp.")):
            lines.append(f"{name} {value:g}")
    return lines


def summary_lines(result, params: Mapping[str, float], before: Levels | None, after: Levels | None,
                  files: list[os.PathLike | str]) -> list[str]:
    """The indented lines that follow ``wrote OUT: ...``: EQ, compression, loudness, files."""
    lines = [f"EQ: {eq_text(params)}", f"compression: {compression_text(params)}"]
    extra = other_settings(result, params)
    if extra:
        lines.append("also: " + ", ".join(extra))
    if before is not None and after is not None:
        lines.append(f"loudness: {levels_text(before, after)}")
    lines.append("files written: " + ", ".join(str(f) for f in files))
    return lines
