"""From an analysis to output samples: the strength control, the measured loudness stage, the mode.

Shared by :func:`~aeib.runtime.enhance.enhance_file` (files, streamed in blocks) and the array API
(:mod:`aeib.api`). A :class:`Plan` knows the setting and how to process the signal block by block:

* ``fixed`` — the chain with one setting (scaled toward neutral by the strength), the loudness gain,
  the safety limiter;
* ``adaptive`` — the same with the setting gliding along the analysis trajectory (each point scaled
  by the strength);
* ``bypass`` — strength 0: nothing runs, not even the limiter; the output is the input bit for bit;
* ``passthrough`` — silent input, copied unchanged.

The loudness gain is measured before anything is written: one pass runs the chain without the
loudness stage and the limiter over the whole signal and measures its integrated loudness and
sample peak (:class:`~aeib.dsp.loudness.LoudnessMeter`, bounded memory); the gain that brings it to
the target (:func:`~aeib.dsp.loudness.gain_to_target_db`) is rounded as the parameter file stores
it, so ``aeib apply`` of that file reproduces the output exactly. The rule also needs the true peak
(4× oversampled, the costliest measurement), but only when a boost comes near the ceiling: the
true peak lies between the sample peak and :meth:`~aeib.dsp.loudness.LoudnessMeter.true_peak_bound_dbtp`,
and only if the rule answers differently at the two ends does a second pass measure it. Either way
the gain is the one the true peak gives. When that gain puts the sample peak more than
:data:`LIMITER_CORRECTION_DB` over the safety limiter's ceiling, one more pass measures the limited
output and the gain is raised by the loudness the limiter took, once, within the same rule.
"""

from __future__ import annotations

import math
import reprlib
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np

from aeib.dsp import ChainProcessor
from aeib.dsp.limiter import CEILING_DBFS
from aeib.dsp.loudness import DEFAULT_TARGET_LUFS, LoudnessMeter, gain_to_target_db
from aeib.dsp.schema import check_strength
from aeib.errors import ParameterError
from aeib.runtime.analysis import FileAnalysis
from aeib.runtime.background import BlockSink, prefetched
from aeib.runtime.excerpts import (
    WholeLevels,
    excerpt_block_mean_squares,
    loudness_excerpts,
    read_excerpt,
    whole_levels,
)
from aeib.runtime.glide import MIN_PIECE_SAMPLES, GlidingChain
from aeib.runtime.reference import ReferenceMeasures
from aeib.runtime.windows import AudioSource, source_blocks
from aeib.settings import LoudnessGain, Setting, rounded_setting

LOUDNESS_KEYWORDS = ("auto", "keep", "off")
"""``loudness`` choices besides a number: ``auto`` = the reference's loudness, or
:data:`~aeib.dsp.loudness.DEFAULT_TARGET_LUFS` without a reference; ``keep`` = the input's own;
``off`` = no loudness stage."""
TARGET_RANGE_LUFS = (-60.0, 0.0)
"""A loudness target given as a number must lie in this range."""
ADAPTIVE_BLOCK_S = 0.02
"""Adaptive mode: the trajectory is read every this many seconds (20 ms sub-blocks); between two
readings the setting glides in steps of at most :data:`~aeib.runtime.glide.MAX_STEP01`."""
MEASURE_BLOCK_FRAMES = 1 << 16
LIMITER_CORRECTION_DB = 3.0
"""When the loudness gain pushes the sample peak more than this many dB above the safety limiter's
ceiling, the limiter costs loudness (up to 1.4 LU on the out-of-family test set, reference-free):
one more pass measures the limited output and the gain is raised by the shortfall once, within the
true-peak rule (:func:`~aeib.dsp.loudness.gain_to_target_db`). Below it the limiter cost at most
0.37 LU there (``scripts/limiter_loudness_loss.py``, docs/TRAINING.md "Do no harm")."""

Loudness = float | str | None


def check_loudness(loudness: object) -> float | str:
    """``loudness`` as ``"auto"``, ``"keep"``, ``"off"`` (also for None) or a target in LUFS.

    Accepts numbers and their text (``"-14"``, as the command line passes them).

    Raises:
        ParameterError: for anything else, or a target outside :data:`TARGET_RANGE_LUFS`.
    """
    if loudness is None:
        return "off"
    if isinstance(loudness, str):
        if loudness.strip().lower() in LOUDNESS_KEYWORDS:
            return loudness.strip().lower()
        try:
            loudness = float(loudness)
        except ValueError:
            raise ParameterError(f"loudness must be a level in LUFS (e.g. -16) or one of "
                                 f"{', '.join(LOUDNESS_KEYWORDS)}, got {loudness!r}") from None
    if isinstance(loudness, bool) or not isinstance(loudness, (int, float, np.integer, np.floating)):
        raise ParameterError(f"loudness must be a number (LUFS) or one of {', '.join(LOUDNESS_KEYWORDS)}, "
                             f"got {reprlib.repr(loudness)}")
    value = float(loudness)
    low, high = TARGET_RANGE_LUFS
    if not low <= value <= high:  # also refuses nan
        raise ParameterError(f"loudness target {value:g} LUFS is outside {low:g}…{high:g} LUFS")
    return value


def source_loudness_lufs(source: AudioSource) -> float:
    """Integrated loudness of a file path or :class:`~aeib.runtime.windows.ArrayAudio`, in bounded memory."""
    from aeib.runtime.windows import source_info

    info = source_info(source)
    meter = LoudnessMeter(info.sample_rate, info.channels, true_peak=False)
    for block in source_blocks(source, MEASURE_BLOCK_FRAMES):
        meter.add(block)
    return meter.integrated_lufs()


@dataclass(frozen=True)
class _Measured:
    """What one measuring pass found: the integrated loudness (LUFS), sample peak (dBFS) and its
    true-peak bound (dBTP) of the processed signal, the true peak if asked (dBTP), and the input's
    loudness if asked (LUFS)."""

    loudness_lufs: float
    sample_peak_dbfs: float
    true_peak_bound_dbtp: float
    true_peak_dbtp: float | None = None
    input_loudness_lufs: float | None = None


class _Signal:
    """The signal a plan's loudness stage is measured on: the whole stream, or for a long recording in
    fixed mode (:func:`~aeib.runtime.excerpts.loudness_excerpts`) the chain's effect measured on its
    excerpts, each run through a fresh chain from its preroll, added to the whole input's levels
    (:class:`~aeib.runtime.excerpts.WholeLevels`; see :mod:`aeib.runtime.excerpts`)."""

    def __init__(self, plan: "Plan", blocks: Callable[[], Iterable[np.ndarray]], source: AudioSource | None,
                 levels: WholeLevels | Callable[[], WholeLevels] | None, keep: bool = False):
        self.plan, self.blocks, self.source = plan, blocks, source
        self.excerpts = None
        if source is not None and plan.mode == "fixed":
            from aeib.runtime.windows import source_info

            self.excerpts = loudness_excerpts(source_info(source).frames, plan.sample_rate)
        self._levels = levels
        self.keep = keep and plan.mode == "fixed" and self.excerpts is None
        self.kept: list[np.ndarray] | None = None  # the chain's output before the loudness stage, if kept

    @property
    def levels(self) -> WholeLevels:
        """The whole input's levels (measured here, in one more decoding pass, unless given)."""
        if callable(self._levels):
            self._levels = self._levels()
        if self._levels is None:
            self._levels = whole_levels(prefetched(self.blocks()), self.plan.sample_rate, self.plan.channels)
        return self._levels

    def measure(self, *, loudness: bool, limiter: bool, true_peak: bool = False,
                input_too: bool = False) -> _Measured:
        """Run the plan's chain (with or without the loudness gain and the limiter) and meter its output."""
        if self.excerpts is not None:
            return self._measure_excerpts(loudness, limiter, true_peak, input_too)
        output_meter = LoudnessMeter(self.plan.sample_rate, self.plan.channels, true_peak=true_peak)
        input_meter = LoudnessMeter(self.plan.sample_rate, self.plan.channels, true_peak=False) if input_too else None
        if self.kept is not None and not input_too:
            # The chain's output before the loudness stage was kept: only the stages after it run.
            finish = self.plan.finisher(loudness=loudness, limiter=limiter)
            with BlockSink(output_meter.add) as sink:  # type: ignore[arg-type]
                for pre in self.kept:
                    sink.put(finish(pre))
            return _Measured(output_meter.integrated_lufs(), output_meter.sample_peak_dbfs(),
                             output_meter.true_peak_bound_dbtp(), output_meter.true_peak_dbtp() if true_peak else None)
        process = self.plan.processor(loudness=loudness, limiter=limiter)
        keeping: list[np.ndarray] | None = [] if self.keep and not loudness and not limiter else None

        def meter(pair: tuple[np.ndarray, np.ndarray]) -> None:
            output_meter.add(pair[1])
            if input_meter is not None:
                input_meter.add(pair[0])
            if keeping is not None:
                keeping.append(pair[1])

        # The meter and the decoding run on worker threads beside the chain (aeib.runtime.background).
        with BlockSink(meter) as sink:  # type: ignore[arg-type]
            for block in prefetched(self.blocks()):
                sink.put((block, process(block)))
        if keeping is not None:
            self.kept = keeping
        return _Measured(output_meter.integrated_lufs(), output_meter.sample_peak_dbfs(),
                         output_meter.true_peak_bound_dbtp(),
                         output_meter.true_peak_dbtp() if true_peak else None,
                         input_meter.integrated_lufs() if input_meter is not None else None)

    def _measure_excerpts(self, loudness: bool, limiter: bool, true_peak: bool, input_too: bool) -> _Measured:
        """The whole input's levels plus what the chain does to them on the excerpts: its loudness change
        (gated over all excerpts' blocks, before and after) and its peak change (the median over the
        excerpts, so one excerpt's transient does not decide); the true peak adds the largest
        intersample overshoot seen in an excerpt."""
        from aeib.dsp.loudness import gated_loudness_lufs, true_peak_bound_dbtp, true_peak_dbtp

        assert self.excerpts is not None and self.source is not None
        starts, length, preroll = self.excerpts
        source, rate, levels = self.source, self.plan.sample_rate, self.levels
        outputs, inputs, peak_changes_db, overshoots_db = [], [], [], [0.0]
        output_peaks_dbfs = [-math.inf]

        def meter(item: tuple[np.ndarray, np.ndarray, int]) -> None:
            audio, out, before = item
            outputs.append(excerpt_block_mean_squares(out, before, rate))
            inputs.append(excerpt_block_mean_squares(audio, before, rate))
            out_peak, in_peak = _peak_dbfs(out[before:]), _peak_dbfs(audio[before:])
            output_peaks_dbfs.append(out_peak)
            if math.isfinite(out_peak) and math.isfinite(in_peak):
                peak_changes_db.append(out_peak - in_peak)
                if true_peak:
                    overshoots_db.append(true_peak_dbtp(out[before:], rate) - out_peak)

        def excerpts() -> Iterator[tuple[np.ndarray, int]]:
            for start in starts:
                yield read_excerpt(source, int(start), length, preroll)

        # Reading and metering run on worker threads beside the chain, as in the whole-signal pass.
        with BlockSink(meter) as sink:  # type: ignore[arg-type]
            for audio, before in prefetched(excerpts()):
                sink.put((audio, self.plan.processor(loudness=loudness, limiter=limiter)(audio), before))
        output_peak_dbfs = max(output_peaks_dbfs)
        change_lu = gated_loudness_lufs(np.concatenate(outputs)) - gated_loudness_lufs(np.concatenate(inputs))
        loudness_lufs = levels.loudness_lufs + change_lu if math.isfinite(change_lu) else -math.inf
        sample_peak_dbfs = output_peak_dbfs
        if peak_changes_db and math.isfinite(levels.sample_peak_dbfs):
            sample_peak_dbfs = max(output_peak_dbfs, levels.sample_peak_dbfs + float(np.median(peak_changes_db)))
        return _Measured(loudness_lufs, sample_peak_dbfs, true_peak_bound_dbtp(sample_peak_dbfs, rate),
                         sample_peak_dbfs + max(overshoots_db) if true_peak else None,
                         levels.loudness_lufs if input_too else None)


def _peak_dbfs(audio: np.ndarray) -> float:
    peak = max(float(audio.max()), -float(audio.min())) if audio.size else 0.0
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


@dataclass
class Plan:
    """How one signal is processed (see the module docstring).

    Attributes:
        sample_rate: Hz.
        channels: Channel count.
        mode: ``"fixed"``, ``"adaptive"``, ``"bypass"`` or ``"passthrough"``.
        setting: The setting as the parameter file stores it (full-strength parameters, strength,
            loudness gain); in adaptive mode its parameters are the median setting.
        analysis: The analysis the setting came from.
        kept_pre_gain: In fixed mode with ``make_plan(..., keep=True)``, the measuring pass's output
            (the chain before the loudness stage, float32 blocks in order) when the signal was
            measured whole: :meth:`finisher` turns it into the output without running the EQ and the
            compressor again. None otherwise.
    """

    sample_rate: int
    channels: int
    mode: str
    setting: Setting
    analysis: FileAnalysis
    kept_pre_gain: list[np.ndarray] | None = None

    @property
    def params(self) -> dict[str, float]:
        """The chain setting actually run (scaled by the strength), physical units."""
        return self.setting.applied_params()

    def processor(self, *, loudness: bool = True, limiter: bool = True) -> Callable[[np.ndarray], np.ndarray]:
        """A fresh stateful ``block -> processed block`` function for the whole signal in order.

        Args:
            loudness: Include the loudness gain (False for the measuring pass).
            limiter: Include the safety limiter (False for the measuring pass).
        """
        if self.mode in ("bypass", "passthrough"):
            return lambda block: block
        gain_db = self.setting.loudness.gain_db if loudness else 0.0
        if self.mode == "fixed":
            chain = ChainProcessor(self.sample_rate, self.channels, self.params, limiter=limiter,
                                   loudness_gain_db=gain_db)
            return chain.process_block
        return _AdaptiveProcessor(self, ChainProcessor(self.sample_rate, self.channels, limiter=limiter,
                                                       loudness_gain_db=gain_db))

    def finisher(self, *, loudness: bool = True, limiter: bool = True) -> Callable[[np.ndarray], np.ndarray]:
        """A fresh stateful function from :attr:`kept_pre_gain` blocks, in order, to what
        :meth:`processor` gives for the input blocks: the loudness stage and the safety limiter only.
        Equal bit for bit, because a float32 signal leaves the chain's processors as float32
        (:meth:`aeib.dsp.ChainProcessor.process_block`)."""
        gain_db = self.setting.loudness.gain_db if loudness else 0.0
        return ChainProcessor(self.sample_rate, self.channels, None, processors=(), limiter=limiter,
                              loudness_gain_db=gain_db).process_block


class _AdaptiveProcessor:
    """Adaptive mode: each sub-block glides to the (strength-scaled) trajectory at its end."""

    def __init__(self, plan: Plan, chain: ChainProcessor):
        self.plan, self.schema = plan, chain.schema
        self.glide = GlidingChain(chain, chain.schema)
        self.glide.reset(self._targets01(np.zeros(1))[0])
        self.sub_block = max(MIN_PIECE_SAMPLES, int(round(ADAPTIVE_BLOCK_S * plan.sample_rate)))
        self.position = 0

    def _targets01(self, times_s: np.ndarray) -> np.ndarray:
        return self.schema.toward_neutral01(self.plan.analysis.params01_at(times_s), self.plan.setting.strength)

    def __call__(self, block: np.ndarray) -> np.ndarray:
        starts = np.arange(0, block.shape[0], self.sub_block)
        ends = np.minimum(starts + self.sub_block, block.shape[0])
        targets = self._targets01((self.position + ends) / self.plan.sample_rate)
        out = np.empty(block.shape, dtype=np.float32 if block.dtype == np.float32 else np.float64)
        for start, end, target01 in zip(starts, ends, targets):
            out[start:end] = self.glide.process(block[start:end], target01)
        self.position += block.shape[0]
        return out


def make_plan(params: dict[str, float], analysis: FileAnalysis, sample_rate: int, channels: int,
              blocks: Callable[[], Iterable[np.ndarray]], *, adaptive: bool = False, strength: float = 1.0,
              loudness: Loudness = "auto", reference: AudioSource | ReferenceMeasures | None = None,
              source: AudioSource | None = None,
              input_levels: WholeLevels | Callable[[], WholeLevels] | None = None, keep: bool = False) -> Plan:
    """Decide the mode and measure the loudness gain.

    Args:
        params: The analyzer's full-strength setting, rounded as the parameter file stores it.
        analysis: Its analysis (silent → passthrough; adaptive trajectory).
        sample_rate, channels: Of the signal.
        blocks: Returns a fresh iterator over the signal's blocks, float[frames, channels], checked
            finite (called once more for the loudness measurement).
        adaptive: Follow the trajectory instead of one setting.
        strength: 0…1 (:meth:`~aeib.dsp.schema.ParameterSchema.toward_neutral`); 0 bypasses.
        loudness: See :func:`check_loudness`.
        reference: The reference (file path or :class:`~aeib.runtime.windows.ArrayAudio`, or its
            :class:`~aeib.runtime.reference.ReferenceMeasures`) whose loudness ``"auto"`` aims at;
            None for the reference-free target.
        source: The signal again (file path or :class:`~aeib.runtime.windows.ArrayAudio`), for random
            access: in fixed mode a recording longer than
            :data:`~aeib.runtime.spectrum.EXCERPTS_TOTAL_S` is then measured on excerpts
            (:mod:`aeib.runtime.excerpts`) instead of whole. None: always measured whole through ``blocks``.
        input_levels: The whole input's :class:`~aeib.runtime.excerpts.WholeLevels`, or a function
            returning them, called only if the excerpts need them (``aeib enhance`` measures them on a
            worker thread during the analysis); None: measured here when needed.
        keep: In fixed mode, keep the measuring pass's output when the signal is measured whole
            (:attr:`Plan.kept_pre_gain`; memory grows with the length: for short float32 signals).

    Raises:
        ParameterError: for a bad strength or loudness.
    """
    strength = check_strength(strength)
    loudness = check_loudness(loudness)
    if analysis.silent:
        mode = "passthrough"
    elif strength == 0.0:
        mode = "bypass"
    else:
        mode = "adaptive" if adaptive else "fixed"
    plan = Plan(sample_rate, channels, mode, rounded_setting(Setting(params, strength)), analysis)
    if mode in ("bypass", "passthrough") or loudness == "off":
        return plan

    target: float | None
    if loudness == "auto":
        if reference is None:
            how, target = "default", DEFAULT_TARGET_LUFS
        else:
            how = "reference"
            target = reference.loudness_lufs if isinstance(reference, ReferenceMeasures) \
                else source_loudness_lufs(reference)
    else:
        how, target = ("keep", None) if loudness == "keep" else ("lufs", float(loudness))
    signal = _Signal(plan, blocks, source, input_levels, keep)
    first = signal.measure(loudness=False, limiter=False, input_too=how == "keep")
    if first.input_loudness_lufs is not None:
        target = first.input_loudness_lufs
    assert target is not None  # "keep" has just measured it
    measured, sample_peak = first.loudness_lufs, first.sample_peak_dbfs
    true_peak: list[float] = []  # measured once, if the rule needs it

    def rule(goal_lufs: float) -> float:
        gain_db = gain_to_target_db(measured, true_peak[0] if true_peak else first.true_peak_bound_dbtp, goal_lufs)
        if not true_peak and gain_db != gain_to_target_db(measured, sample_peak, goal_lufs):
            # The true peak lies between the sample peak and that bound, and the rule's answer differs
            # between the two ends: the ceiling may hold the boost back, so measure the true peak.
            peak = signal.measure(loudness=False, limiter=False, true_peak=True).true_peak_dbtp
            assert peak is not None
            true_peak.append(peak)
            gain_db = gain_to_target_db(measured, true_peak[0], goal_lufs)
        return gain_db

    def finite(value: float) -> float | None:
        return value if math.isfinite(value) else None

    def with_gain(gain_db: float) -> Setting:
        return rounded_setting(Setting(params, strength, LoudnessGain(gain_db, how, finite(target), finite(measured))))

    gain = rule(target)
    plan.setting = with_gain(gain)
    # Room for more: the ceiling does not hold the boost back already (with the true peak if measured).
    room = gain_to_target_db(measured, true_peak[0] if true_peak else sample_peak,
                             target + LIMITER_CORRECTION_DB) > gain
    if room and sample_peak + gain > CEILING_DBFS + LIMITER_CORRECTION_DB:
        # The safety limiter will take the peaks down by several dB, and the loudness with them:
        # measure the limited output once and ask the rule for the shortfall too.
        shortfall = target - signal.measure(loudness=True, limiter=True).loudness_lufs
        if math.isfinite(shortfall) and shortfall > 0.0:
            plan.setting = with_gain(rule(target + shortfall))
    plan.kept_pre_gain = signal.kept
    return plan
