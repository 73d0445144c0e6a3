"""Whole-file analysis: which windows the analyzer sees and how their predictions are combined.

Fixed mode (the default) spreads windows evenly over the file (first at the start, last at the
end, at most :attr:`AnalysisOptions.spacing_s` apart, at most :attr:`AnalysisOptions.max_windows`),
skips near-silent ones and takes the per-parameter **median** of the normalized predictions: a
robust single setting that a few unusual windows (a pause, a crowd shout) cannot drag away.

Adaptive mode places windows on a regular hop, fills skipped (near-silent) windows by interpolating
between their neighbours, smooths each normalized parameter over time with a Gaussian of
:attr:`AnalysisOptions.smoothing_s` and is read per DSP block by linear interpolation
(:meth:`FileAnalysis.params01_at`), so parameters glide instead of jumping.

A window is *near-silent* if its RMS level is below :attr:`AnalysisOptions.silence_dbfs` or more
than :attr:`AnalysisOptions.relative_silence_db` below the loudest window analysed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from aeib.analysis_options import AnalysisOptions as AnalysisOptions  # re-exported from here
from aeib.audio import AudioInfo, check_finite
from aeib.errors import AudioError
from aeib.runtime.bundle import Style
from aeib.runtime.errors import WarnFn, default_warn
from aeib.runtime.model import AnalyzerModel
from aeib.runtime.windows import (
    AudioSource,
    hop_starts,
    level_dbfs,
    mono_float32,
    read_model_window,
    source_blocks,
    source_info,
    spread_starts,
    window_frames,
)


@dataclass(frozen=True)
class WindowResult:
    """One analysed window.

    Attributes:
        start_s: Start time in the file, seconds.
        seconds: Length actually read (shorter than the model window only for short files).
        level_dbfs: RMS level of the mono window.
        used: Whether it entered the combination (False: near-silent).
        params01: float32[P] prediction, None if the window was not run through the model.
    """

    start_s: float
    seconds: float
    level_dbfs: float
    used: bool
    params01: np.ndarray | None


@dataclass
class FileAnalysis:
    """What the analyzer concluded about one file.

    Attributes:
        windows: Every window looked at, in time order.
        params01: float64[P] combined (median) normalized setting; the neutral setting if silent.
        silent: True if no window was loud enough: the file should pass through unchanged.
        short: True if the file is shorter than one analysis window (it was mirror-padded).
        times_s: Adaptive mode: float64[T] times of the trajectory points (window centres).
        trajectory01: Adaptive mode: float64[T, P] smoothed normalized parameters.
        silence_message: Why the file counts as silent (empty otherwise).
        style: The built-in style the analysis was steered towards (None: a reference embedding);
            reference-free, its tonal target refines the setting (:func:`aeib.runtime.enhance.predicted_setting`).
    """

    windows: list[WindowResult]
    params01: np.ndarray
    silent: bool = False
    short: bool = False
    times_s: np.ndarray | None = None
    trajectory01: np.ndarray | None = None
    silence_message: str = ""
    style: Style | None = None

    @property
    def adaptive(self) -> bool:
        return self.trajectory01 is not None

    def params01_at(self, time_s: float | np.ndarray) -> np.ndarray:
        """Normalized setting at ``time_s`` seconds: float64[P], or float64[n, P] for an array of
        times (linear interpolation of the trajectory, held constant beyond its ends; fixed mode:
        :attr:`params01` everywhere)."""
        times = np.asarray(time_s, dtype=np.float64)
        if self.trajectory01 is None:
            held: np.ndarray = np.broadcast_to(self.params01, times.shape + self.params01.shape).copy()
            return held
        assert self.times_s is not None  # set together with trajectory01
        return np.stack([np.interp(times, self.times_s, column) for column in self.trajectory01.T], axis=-1)


def _check_long_enough(info: AudioInfo, model: AnalyzerModel, what: str) -> None:
    model_samples = info.frames * model.sample_rate / info.sample_rate
    if model_samples < model.min_samples:
        raise AudioError(f"{what} {info.path} is too short to analyse ({info.duration_s * 1000:.0f} ms; "
                         f"the analyzer needs at least {model.min_samples / model.sample_rate * 1000:.0f} ms)")


def _scan_loudest(source: AudioSource, info: AudioInfo, window: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Stream the whole file in window-sized blocks; the ``count`` loudest blocks' starts and levels."""
    starts: list[int] = []
    levels: list[float] = []
    start = 0
    for block in source_blocks(source, window):
        check_finite(block, info.path)
        starts.append(start)
        levels.append(level_dbfs(mono_float32(block)))
        start += block.shape[0]
    order = np.argsort(levels)[::-1][:count]
    return np.asarray(starts, dtype=np.int64)[np.sort(order)], np.asarray(levels)[np.sort(order)]


Row = tuple[int, float, float, "np.ndarray | None"]
"""One analysed window: (start frame, seconds read, level dBFS, model output or None)."""


def _run_windows(model: AnalyzerModel, source: AudioSource, info: AudioInfo, starts: np.ndarray, window: int,
                 reference_embedding: np.ndarray | Style | None, options: AnalysisOptions,
                 embed: bool = False) -> list[Row]:
    """(start, seconds, level, output) per window; output is params01 (or the embedding if ``embed``)
    for windows above the absolute silence threshold, None otherwise."""
    rows: list[Row] = []
    for start in starts:
        audio = read_model_window(source, info, int(start), window, model.sample_rate)
        check_finite(audio, info.path)
        level = level_dbfs(audio)
        output: np.ndarray | None = None
        if level >= options.silence_dbfs:
            params01, embedding = model.run_toward(model.features(audio), reference_embedding)
            output = embedding if embed else params01
        rows.append((int(start), audio.shape[0] / model.sample_rate, level, output))
    return rows


def _select(rows: Sequence[Row], options: AnalysisOptions) -> np.ndarray:
    """Boolean mask of rows loud enough (absolute and relative thresholds)."""
    levels = np.array([row[2] for row in rows])
    loudest = levels.max() if levels.size else -math.inf
    return np.array([row[3] is not None and level >= loudest - options.relative_silence_db
                     for row, level in zip(rows, levels)], dtype=bool)


def _silence_message(what: str, path: Path, loudest_dbfs: float, options: AnalysisOptions) -> str:
    if loudest_dbfs == -math.inf:
        return f"{what} {path} is digital silence"
    return (f"{what} {path} is nearly silent (loudest window {loudest_dbfs:.0f} dBFS RMS, "
            f"below the {options.silence_dbfs:.0f} dBFS analysis threshold)")


def _fixed_rows(model: AnalyzerModel, source: AudioSource, info: AudioInfo, window: int,
                reference_embedding: np.ndarray | Style | None, options: AnalysisOptions,
                embed: bool = False) -> tuple[list[Row], np.ndarray, float]:
    """Rows of the spread windows; if all are near-silent, the loudest blocks of a full scan."""
    rate = info.sample_rate
    starts = spread_starts(info.frames, window, int(options.spacing_s * rate), options.max_windows)
    rows = _run_windows(model, source, info, starts, window, reference_embedding, options, embed)
    used = _select(rows, options)
    loudest = max(row[2] for row in rows)
    if not used.any() and info.frames > window * len(starts):
        # The spread windows missed whatever sound there is: look at every block of the file.
        scan_starts, scan_levels = _scan_loudest(source, info, window, len(starts))
        loudest = max(loudest, float(scan_levels.max()))
        if loudest >= options.silence_dbfs:
            rows = _run_windows(model, source, info, scan_starts, window, reference_embedding, options, embed)
            used = _select(rows, options)
    return rows, used, loudest


def _results(rows: Sequence[Row], used: np.ndarray, rate: int) -> list[WindowResult]:
    return [WindowResult(start / rate, seconds, level, bool(flag), out)
            for (start, seconds, level, out), flag in zip(rows, used)]


def _open_for_analysis(model: AnalyzerModel, path: AudioSource, role: str, warn: WarnFn,
                       short_note: str) -> tuple[AudioInfo, int, bool]:
    """Checks shared by input and reference analysis: the file's info, its window length in its own
    frames, and whether it is shorter than one window (warned about, ending with ``short_note``)."""
    label = "" if role == "input" else f"{role} "
    info = source_info(path)
    if info.frames == 0:
        raise AudioError(f"{label}{info.path} holds no audio samples")
    _check_long_enough(info, model, role)
    window = window_frames(model.window_samples, model.sample_rate, info.sample_rate)
    short = info.frames < window
    if short:
        warn(f"{label}{info.path.name} is {info.duration_s:.2f} s long, shorter than the analyzer's "
             f"{model.window_seconds:g} s window: {short_note}")
    return info, window, short


def analyze_file(model: AnalyzerModel, path: AudioSource, reference_embedding: np.ndarray | Style,
                 adaptive: bool = False, options: AnalysisOptions = AnalysisOptions(),
                 warn: WarnFn | None = None) -> FileAnalysis:
    """Predict the chain setting for a whole file (any rate, channels, length ≥ one frame).

    Args:
        model: The loaded analyzer.
        path: Audio file, or in-memory audio (:class:`~aeib.runtime.windows.ArrayAudio`).
        reference_embedding: What to steer towards: a built-in style (``model.style(...)``; a partial
            style is applied per window) or a float[E] embedding such as ``model.style_embedding(...)`` or
            :func:`reference_embedding_from_file`.
        adaptive: Also return a smoothed parameter trajectory over time.
        options: Window placement and silence rules.
        warn: Receives one-line warnings (short input); default :func:`warnings.warn`.

    Returns:
        The analysis; ``silent`` is set (and the neutral setting returned) when nothing is loud
        enough to analyse — the caller passes such a file through unchanged.

    Raises:
        AudioError: unreadable file, NaN/inf samples, or shorter than one analysis frame.
    """
    info, window, short = _open_for_analysis(model, path, "input", warn or default_warn,
                                             "it is analysed once, extended by mirroring")
    neutral01 = model.schema.normalize(model.schema.default_vector())

    if adaptive:
        starts = hop_starts(info.frames, window, max(1, int(round(options.hop_s * info.sample_rate))))
        rows = _run_windows(model, path, info, starts, window, reference_embedding, options)
        used = _select(rows, options)
        loudest = max(row[2] for row in rows)
    else:
        rows, used, loudest = _fixed_rows(model, path, info, window, reference_embedding, options)
    windows = _results(rows, used, info.sample_rate)
    style = reference_embedding if isinstance(reference_embedding, Style) else None
    if not used.any():
        message = _silence_message("input", info.path, loudest, options)
        return FileAnalysis(windows, neutral01, silent=True, short=short, silence_message=message, style=style)

    # A used window always has a prediction (_select): the None test only narrows the type.
    predictions = np.stack([w.params01 for w in windows if w.used and w.params01 is not None]).astype(np.float64)
    combined = np.median(predictions, axis=0)
    if not adaptive:
        return FileAnalysis(windows, combined, short=short, style=style)

    centres_s = np.array([w.start_s + w.seconds / 2.0 for w in windows])
    used_centres = centres_s[used]
    filled = np.stack([np.interp(centres_s, used_centres, column) for column in predictions.T], axis=1)
    sigma = options.smoothing_s / options.hop_s
    import scipy.ndimage  # adaptive mode only: not worth its import time for every run

    smoothed = scipy.ndimage.gaussian_filter1d(filled, sigma, axis=0, mode="nearest") if sigma > 0 else filled
    return FileAnalysis(windows, combined, short=short, times_s=centres_s, trajectory01=np.clip(smoothed, 0.0, 1.0),
                        style=style)


def reference_embedding_from_file(model: AnalyzerModel, path: AudioSource,
                                  options: AnalysisOptions = AnalysisOptions(),
                                  warn: WarnFn | None = None) -> np.ndarray:
    """Embedding of a reference recording: the per-dimension median over its loud windows.

    Windows are placed as in fixed-mode analysis. A reference shorter than one window is extended by
    mirroring (with a warning).

    Returns:
        float32[E].

    Raises:
        AudioError: unreadable, shorter than one analysis frame, or silent/nearly silent.
    """
    info, window, _ = _open_for_analysis(model, path, "reference", warn or default_warn,
                                         "it is extended by mirroring")
    rows, used, loudest = _fixed_rows(model, path, info, window, None, options, embed=True)
    if not used.any():
        raise AudioError(_silence_message("reference", info.path, loudest, options)
                         + "; give a reference with music in it")
    embeddings = np.stack([row[3] for row, flag in zip(rows, used) if flag and row[3] is not None])  # used: not None
    embedding: np.ndarray = np.median(embeddings, axis=0).astype(np.float32)
    return embedding
