"""Whole-file enhancement: analyse a few windows, then stream the file through the chain.

::

    from aeib.runtime import enhance_file, load_model
    result = enhance_file("club.flac", "club_fixed.wav", load_model())
    print(result.params)          # the setting used, physical units

The analysis (:mod:`aeib.runtime.analysis`) reads only its windows, at the model rate. The DSP runs
at the file's own rate and channel count, block by block (read → process → write), into a
temporary file renamed over the output only when complete, so memory does not grow with the file's
length and a failure leaves no partial output. Before that, one pass measures the loudness of the
chain's output for the loudness stage (:mod:`aeib.runtime.render`). In fixed mode the setting
(strength and loudness gain included) is rounded exactly as ``--params-out`` writes it, so
``aeib apply --params`` of that file reproduces the output bit for bit.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from aeib.audio import AtomicAudioWriter, AudioInfo, audio_info, check_finite, iter_blocks, output_format, same_file
from aeib.dsp.processor import MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ
from aeib.dsp.warmup import load_kernels
from aeib.errors import AudioError, OutputError, ParameterError
from aeib.progress import progress_bar
from aeib.runtime.analysis import AnalysisOptions, FileAnalysis, analyze_file, reference_embedding_from_file
from aeib.runtime.background import BlockSink, in_background, prefetched
from aeib.runtime.bundle import Style
from aeib.runtime.errors import WarnFn, default_warn
from aeib.runtime.excerpts import loudness_excerpts, source_whole_levels
from aeib.runtime.model import AnalyzerModel
from aeib.runtime.reference import ReferenceMeasures, measure_reference
from aeib.runtime.refine import long_term_spectrum_db
from aeib.runtime.render import Loudness, make_plan
from aeib.runtime.spectrum import LongTermSpectrum, excerpt_starts
from aeib.runtime.windows import AudioSource, source_info
from aeib.settings import Setting, params_to_json, parse_params

BLOCK_FRAMES = 1 << 16
"""Frames read, processed and written at a time (as ``aeib apply``)."""

KEEP_DECODED_BYTES = 32 << 20
"""An input whose decoded samples take at most this many bytes (float32; a minute of 48 kHz stereo
takes 23 MB) is decoded once and kept for the spectrum, measuring and writing passes, and in fixed
mode the measuring pass's output (the chain before the loudness stage, as much again) is kept for the
writing pass, which then runs only the loudness stage and the limiter; a larger input is decoded and
processed again for each pass, so memory does not grow with the length (issue 15)."""



@dataclass
class EnhanceResult:
    """What :func:`enhance_file` did.

    Attributes:
        params: The (fixed, or in adaptive mode the median) chain setting run, physical units
            (scaled toward neutral by the strength).
        analysis: Windows, combined and per-time normalized parameters.
        mode: ``"fixed"``, ``"adaptive"``, ``"bypass"`` (strength 0: the input copied bit for bit) or
            ``"passthrough"`` (silent input, copied unchanged).
        target: What the output was steered towards, e.g. ``style clean-live-mix`` or a file name.
        info: The input's header.
        output: The path written.
        seconds: Wall-clock time of the whole call.
        spectra: With ``spectra=True``: ``(freqs_hz, before_db, after_db)`` long-term spectra.
        setting: What ``--params-out`` writes (full-strength parameters, strength, loudness gain);
            :func:`aeib.settings.setting_to_json` of it reproduces the output with ``aeib apply``.
    """

    params: dict[str, float]
    analysis: FileAnalysis
    mode: str
    target: str
    info: AudioInfo
    output: Path
    seconds: float = 0.0
    spectra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    setting: Setting | None = None


def rounded_setting(model: AnalyzerModel, params01: np.ndarray) -> dict[str, float]:
    """Physical setting for normalized values, rounded exactly as the parameter file stores it."""
    physical = model.schema.to_dict(model.schema.denormalize(params01))
    return parse_params(json.loads(params_to_json(physical, model.schema)), "predicted setting", model.schema)


def predicted_setting(model: AnalyzerModel, analysis: FileAnalysis, source: AudioSource,
                      reference: AudioSource | ReferenceMeasures | None = None, adaptive: bool = False,
                      refine: float | None = None,
                      input_spectrum: tuple[np.ndarray, np.ndarray] | None = None,
                      dead_zone_db: float | None = None, match: float = 0.0) -> dict[str, float]:
    """The setting to run: the analyzer's, refined toward the reference's spectrum, or reference-free
    toward the style's tonal target, then its EQ gains through the dead zone
    (:func:`aeib.runtime.dead_zone.eq_dead_zone`).

    Args:
        model: The analyzer.
        analysis: Its analysis of the input.
        source: The input (file path or :class:`~aeib.runtime.windows.ArrayAudio`).
        reference: The reference (path or array audio, or its measures,
            :func:`aeib.runtime.reference.measure_reference`), or None (reference-free: refined toward
            ``analysis.style``'s tonal target when it has one, :func:`aeib.runtime.refine.refine_toward_style`).
        adaptive: Adaptive mode follows the analyzer over time and is not refined.
        refine: Refinement strength 0…1 (:mod:`aeib.runtime.refine`; None: its default,
            :data:`~aeib.runtime.refine.REFINE_STRENGTH` with a reference — or, when the bundle carries a
            learned refinement (:mod:`aeib.runtime.learned_refine`), that map's curve at
            :data:`~aeib.runtime.learned_refine.LEARNED_STRENGTH` —,
            :data:`~aeib.runtime.refine.STYLE_REFINE_STRENGTH` without, or a style's learned map at
            :func:`~aeib.runtime.refine.style_strength`).
        input_spectrum: The input's :func:`~aeib.runtime.refine.long_term_spectrum_db`, if measured
            already (None: measured here when needed).
        dead_zone_db: The EQ's dead zone in dB (None: :func:`~aeib.runtime.dead_zone.default_dead_zone_db`,
            1 dB reference-free, off with a reference; 0: off). Adaptive mode, which follows the
            analyzer over time, has none.
        match: With a reference, how far the refinement's curve moves on to the measured match
            (:data:`aeib.runtime.refine.MATCH`, 0…1); unused without one.

    Returns:
        The setting, rounded as the parameter file stores it.
    """
    from aeib.runtime.dead_zone import default_dead_zone_db, eq_dead_zone
    from aeib.runtime.refine import reference_strength, style_strength

    params = rounded_setting(model, analysis.params01)
    if adaptive or analysis.silent:
        return params
    style = analysis.style
    default = reference_strength(model.bundle.refinement) if reference is not None else style_strength(style)
    strength = default if refine is None else float(refine)
    refined = params
    if strength > 0.0 and (reference is not None or (style is not None and style.spectrum is not None)):
        # (reference-free without a tonal target, bundles before it: not refined)
        from aeib.runtime.refine import long_term_spectrum_db, refine_toward_reference, refine_toward_style

        rate = source_info(source).sample_rate
        spectrum = long_term_spectrum_db(source) if input_spectrum is None else input_spectrum
        if reference is None:
            assert style is not None  # checked above
            refined = refine_toward_style(params, spectrum, style, rate, strength)
        else:
            measures = reference if isinstance(reference, ReferenceMeasures) else measure_reference(reference)
            refined = refine_toward_reference(params, spectrum, measures.spectrum, rate, strength,
                                              learned=model.bundle.refinement, match=match)
    dead_zone = default_dead_zone_db(reference is not None) if dead_zone_db is None else float(dead_zone_db)
    if refined is params and dead_zone == 0.0:
        return params
    settled = eq_dead_zone(refined, dead_zone)
    return rounded_setting(model, model.schema.normalize(model.schema.to_vector(settled)))


def target_embedding(model: AnalyzerModel, reference: str | os.PathLike[str] | None = None, style: str | None = None,
                     options: AnalysisOptions = AnalysisOptions(),
                     warn: WarnFn | None = None) -> tuple[np.ndarray | Style, str]:
    """What to steer towards — a reference's embedding or a built-in :class:`Style` — and a label for it.

    Args:
        reference: A reference recording (any rate/channels), or None.
        style: A built-in style name, or None (the model's default style when ``reference`` is None).

    Raises:
        ParameterError: if both are given. AudioError/ModelError: bad reference or unknown style.
    """
    if reference is not None and style is not None:
        raise ParameterError("give either a reference recording or a style, not both")
    if reference is not None:
        return reference_embedding_from_file(model, reference, options, warn), f"reference {Path(reference).name}"
    name = model.default_style if style is None else style
    return model.style(name), f"style {name}"


def check_input(input_path: str | os.PathLike[str], output_path: str | os.PathLike[str]) -> AudioInfo:
    """Header of a processable input, refusing an output that is the input itself.

    Raises:
        AudioError: unreadable, empty, or at an unsupported sample rate. OutputError: output == input.
    """
    info = audio_info(input_path)
    if same_file(input_path, output_path):
        raise OutputError(f"output {output_path} is the input file; choose another path "
                          "(aeib never overwrites its input)")
    if not MIN_SAMPLE_RATE_HZ <= info.sample_rate <= MAX_SAMPLE_RATE_HZ:
        raise AudioError(f"{info.path}: sample rate {info.sample_rate} Hz is outside the supported "
                         f"{MIN_SAMPLE_RATE_HZ}–{MAX_SAMPLE_RATE_HZ} Hz")
    if info.frames == 0:
        raise AudioError(f"{info.path} holds no audio samples")
    return info


def fits_in_memory(info: AudioInfo) -> bool:
    """Whether the input's decoded samples (float32) take at most :data:`KEEP_DECODED_BYTES`."""
    return bool(info.frames * info.channels * 4 <= KEEP_DECODED_BYTES)


def _input_blocks(info: AudioInfo) -> Callable[[], Iterator[np.ndarray]]:
    """A function returning a fresh iterator over the input's blocks (float32[frames, channels], checked
    finite). When the decoded input takes at most :data:`KEEP_DECODED_BYTES`, the first complete pass
    keeps its blocks and later passes replay them instead of decoding again (nothing downstream
    writes into a block)."""
    keep = fits_in_memory(info)
    kept: list[np.ndarray] | None = None  # set once a pass has decoded the whole input

    def blocks() -> Iterator[np.ndarray]:
        nonlocal kept
        if kept is not None:
            yield from kept
            return
        fresh: list[np.ndarray] = []
        for block in iter_blocks(info.path, BLOCK_FRAMES):
            check_finite(block, info.path)
            if keep:
                fresh.append(block)
            yield block
        if keep:
            kept = fresh

    return blocks


def _input_spectrum(info: AudioInfo, blocks: Callable[[], Iterator[np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The input's long-term spectrum (:func:`~aeib.runtime.spectrum.long_term_spectrum_db`): up to
    :data:`~aeib.runtime.spectrum.EXCERPTS_TOTAL_S` from ``blocks`` (the same blocks, so the same
    numbers, and a kept input is decoded once), a longer input on its excerpts."""
    if excerpt_starts(info.frames, info.sample_rate) is not None:
        return long_term_spectrum_db(info.path, BLOCK_FRAMES)
    spectrum = LongTermSpectrum(info.sample_rate)
    for block in blocks():
        spectrum.add(block)
    return spectrum.level_db()


def _kernels_then_reference(reference: AudioSource, channels: int, sample_rate: int) -> ReferenceMeasures:
    """:func:`~aeib.dsp.warmup.load_kernels` for the input's channels and rate, then
    :func:`~aeib.runtime.reference.measure_reference` (both on one worker thread)."""
    load_kernels(channels, float(sample_rate))
    return measure_reference(reference)


def enhance_file(input_path: str | os.PathLike[str], output_path: str | os.PathLike[str], model: AnalyzerModel, *,
                 reference: str | os.PathLike[str] | None = None, style: str | None = None, adaptive: bool = False,
                 options: AnalysisOptions = AnalysisOptions(), float_output: bool | None = None,
                 bitrate_kbps: int | None = None, strength: float = 1.0, loudness: Loudness = "auto",
                 spectra: bool = False, progress: bool = False, warn: WarnFn | None = None,
                 refine: float | None = None, dead_zone_db: float | None = None,
                 match: float | None = None) -> EnhanceResult:
    """Enhance one file of any length, rate and channel count.

    Args:
        input_path: Audio file to repair (read only).
        output_path: Where to write the result; the container follows its extension (as ``aeib apply``).
        model: The loaded analyzer.
        reference: Optional reference recording to sound like.
        style: Optional built-in style name (default: the model's default style).
        adaptive: Let the setting follow the music over time (smoothed) instead of one fixed setting.
        options: Window placement, silence and smoothing rules.
        float_output: Force float (True) or 24-bit PCM (False) WAV/AIFF; None follows the input.
        bitrate_kbps: AAC/MP3 bit rate of an ``.m4a``/``.mp3``/``.mp4``/``.mov``/``.mkv`` output
            (default :data:`aeib.avio.DEFAULT_BITRATE_KBPS`). A video input written to
            ``.mp4``/``.mov``/``.mkv`` keeps its video stream, copied untouched.
        strength: 0…1, how far from neutral the setting goes (1: as predicted; 0: the output is the
            input, bit for bit); see :meth:`aeib.dsp.schema.ParameterSchema.toward_neutral`.
        loudness: The loudness stage's target: ``"auto"`` (the reference's loudness, or −16 LUFS
            without one), a number in LUFS, ``"keep"`` (the input's) or ``"off"``; see
            :mod:`aeib.dsp.loudness`. The gain is measured in a first pass over the file.
        spectra: Also measure the long-term spectra before and after (for the plot).
        progress: Show a tqdm bar on stderr.
        warn: Receives one-line warnings (short input, silence, short reference).
        refine: With a reference, how far the EQ moves toward the measured spectral match, 0…1
            (None: :data:`aeib.runtime.refine.REFINE_STRENGTH`; 0: the analyzer's setting as it is).
        dead_zone_db: The EQ's dead zone, dB (None: 1 dB reference-free, off with a reference,
            :func:`aeib.runtime.dead_zone.default_dead_zone_db`; 0: off).
        match: With a reference, how far the refinement's curve moves on to the reference's measured
            spectral match, 0…1 (None: :data:`aeib.runtime.refine.MATCH`, 0).

    Returns:
        What was done (:class:`EnhanceResult`).

    Raises:
        AudioError, OutputError, ModelError, ParameterError: bad input, output, model or options;
        the output is then left untouched.
    """
    from aeib.runtime.refine import check_match

    started = time.perf_counter()
    warn = warn or default_warn
    match = check_match(match, reference is not None)
    info = check_input(input_path, output_path)
    container, subtype = output_format(output_path, info, float_output)
    # The DSP's compiled kernels are loaded on a worker thread while the analyzer runs: a Ctrl-C can
    # then never land inside numba's loader on the main thread (aeib.dsp.warmup). With a reference,
    # on the thread that then measures the reference's loudness and spectrum (one pass over it) while
    # the analyzer runs and the input's long-term spectrum (the refinement's) is measured; a second
    # thread loading kernels beside it was slower (docs/RUNTIME.md).
    measuring = None if reference is None else \
        in_background(_kernels_then_reference, reference, info.channels, info.sample_rate)
    kernels = measuring if measuring is not None else in_background(load_kernels, info.channels, float(info.sample_rate))
    # A long input in fixed mode has its loudness gain measured on excerpts against its whole levels
    # (aeib.runtime.excerpts): those are decoded and metered on a worker thread while the analyzer runs.
    levels = None
    loudness_on = loudness is not None and str(loudness).strip().lower() != "off"
    if not adaptive and strength != 0.0 and loudness_on and loudness_excerpts(info.frames, info.sample_rate) is not None:
        levels = in_background(source_whole_levels, info.path)
    blocks = _input_blocks(info)
    embedding, target = target_embedding(model, reference, style, options, warn)
    # Reference-free toward a style with a tonal target, the input's spectrum is measured on a worker
    # thread while the analyzer runs (the refinement's; aeib.runtime.refine.refine_toward_style).
    tonal = isinstance(embedding, Style) and embedding.spectrum is not None and not adaptive and refine != 0.0
    style_spectrum = in_background(_input_spectrum, info, blocks) if tonal else None
    analysis = analyze_file(model, info.path, embedding, adaptive, options, warn)

    if analysis.silent:
        warn(f"{analysis.silence_message}; it is copied through unchanged")

    input_spectrum = None
    if measuring is not None and not analysis.silent and not adaptive and refine != 0.0:
        input_spectrum = _input_spectrum(info, blocks)
    elif style_spectrum is not None and not analysis.silent:
        input_spectrum = style_spectrum.result()
    measures = measuring.result() if measuring is not None and not analysis.silent else None
    setting = predicted_setting(model, analysis, info.path, measures, adaptive, refine, input_spectrum, dead_zone_db,
                                match)
    kernels.result()
    plan = make_plan(setting, analysis, info.sample_rate, info.channels, blocks,
                     adaptive=adaptive, strength=strength, loudness=loudness, reference=measures,
                     source=info.path, input_levels=levels.result if levels is not None else None,
                     keep=fits_in_memory(info))
    # A kept input's measuring pass kept the chain's output too: only the loudness stage and the
    # limiter run again (Plan.finisher), bit for bit the same output.
    kept = plan.kept_pre_gain
    process = plan.processor() if kept is None else plan.finisher()
    before = LongTermSpectrum(info.sample_rate) if spectra else None
    after = LongTermSpectrum(info.sample_rate) if spectra else None

    def pairs() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if kept is None:
            for block in blocks():
                yield block, block
        else:
            yield from zip(blocks(), kept)

    position = 0
    with AtomicAudioWriter(output_path, info.sample_rate, info.channels, container, subtype,
                           bitrate_kbps=bitrate_kbps, video_from=info.path if info.video_codec else None) as writer, \
            progress_bar(total=info.frames, unit="frame", unit_scale=True, desc=f"enhance {info.path.name}",
                         leave=False, disable=not progress) as bar, BlockSink(writer.write) as sink:
        # Decoding and encoding run on worker threads beside the chain (aeib.runtime.background).
        for block, chain_input in prefetched(pairs()):
            out = process(chain_input)
            sink.put(out)
            if before is not None and after is not None:  # spectra
                before.add(block)
                after.add(out)
            position += block.shape[0]
            bar.update(block.shape[0])
        if position == 0:
            raise AudioError(f"{info.path} holds no audio samples")

    measured = None
    if before is not None and after is not None:  # spectra
        freqs_hz, before_db = before.level_db()
        measured = (freqs_hz, before_db, after.level_db()[1])
    return EnhanceResult(plan.params, analysis, plan.mode, target, info, Path(output_path),
                         time.perf_counter() - started, measured, plan.setting)
