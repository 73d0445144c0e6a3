"""The baselines ``aeib evaluate`` compares against: ``input``, ``rb-dsp``, ``matchering``, ``oracle``.

Every method turns one :class:`~aeib.evaluation.datasets.EvalExample` into an estimate of its
target at the example's rate. Methods that set the project's chain also return the setting they
used (physical units), which the settings comparison uses. The trained models are methods too
(:mod:`aeib.evaluation.models`).

* ``input`` — no processing: the input itself (the score every method should improve on); its
  "setting" is the neutral one.
* ``rb-dsp`` — :func:`aeib.baselines.rule_based.rule_based_params` from input and reference, applied
  with the product chain (safety limiter on).

Every method that uses the project's chain (``rb-dsp``, ``oracle``, the models) runs it as the product
does with a reference (:func:`chain_output`): EQ → compressor → the measured loudness stage aimed at
the *reference's* integrated loudness (the product's :func:`aeib.runtime.render.make_plan`: −1 dBTP
boost ceiling with the limiter's headroom, the limiter's loudness loss made up) → safety limiter — as Matchering matches the reference's level, so level is compared on equal terms.
* ``matchering`` — the Matchering 2 library (optional, ``pip install 'aeib[eval]'``) on the same
  input and reference, run on temporary 44.1 kHz stereo float WAV files (its required format) with
  its default limiter, the result converted back to mono at the evaluation rate. Not installed: the
  method is skipped with a note, never an error.
* ``oracle`` — :func:`aeib.baselines.oracle.oracle_params` against the *target*: the chain's ceiling.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import soundfile as sf

from aeib.audio import resample, to_mono
from aeib.baselines.oracle import OracleConfig, oracle_params
from aeib.baselines.rule_based import rule_based_params
from aeib.dsp import CHAIN_SCHEMA
from aeib.dsp.loudness import integrated_loudness_lufs
from aeib.evaluation.datasets import EvalExample

if TYPE_CHECKING:
    from aeib.runtime.analysis import FileAnalysis

BASELINES = ("input", "rb-dsp", "matchering", "oracle")
"""Baseline names in report order."""

MATCHERING_RATE = 44_100
"""Matchering works at 44.1 kHz only; its input files are written at this rate."""


@dataclass
class MethodOutput:
    """What a method made of one example.

    Attributes:
        audio: float32[samples] estimate of the target, same length and rate as the input.
        params: The chain setting used (physical units, complete), ``None`` if the method does
            not use the project's chain.
    """

    audio: np.ndarray
    params: dict[str, float] | None = None


@dataclass
class Shared:
    """Per-example results one method may reuse from another (a new one for every example).

    Attributes:
        rb_dsp_params: The ``rb-dsp`` setting, once some method has computed it.
        rb_dsp_s: Wall seconds spent computing it (the runner charges them to ``rb-dsp``).
        rb_dsp_cpu_s: Process CPU seconds spent computing it.
    """

    rb_dsp_params: dict[str, float] | None = None
    rb_dsp_s: float = 0.0
    rb_dsp_cpu_s: float = 0.0

    def rule_based(self, example: EvalExample) -> dict[str, float]:
        """The rb-dsp setting of ``example`` (computed once)."""
        if self.rb_dsp_params is None:
            started, started_cpu = time.perf_counter(), time.process_time()
            self.rb_dsp_params = rule_based_params(example.input, example.reference, example.sample_rate)
            self.rb_dsp_s = time.perf_counter() - started
            self.rb_dsp_cpu_s = time.process_time() - started_cpu
        return self.rb_dsp_params


class _Audible:
    """What :func:`~aeib.runtime.render.make_plan` asks of an analysis: the clip is not silent (a
    silent one measures no loudness, and the stage leaves it at 0 dB)."""

    silent = False


_AUDIBLE = _Audible()


def chain_output(example: EvalExample, params, target_lufs: float | None = None) -> np.ndarray:
    """The product chain on ``example.input`` with the loudness stage aimed at the reference's loudness.

    Args:
        example: The test case (its input, reference and rate are used).
        params: Chain setting (physical mapping or vector).
        target_lufs: Aim the loudness stage here instead (reference-free methods: the product's
            default target), in LUFS.

    Returns:
        float32[samples], the input's length.
    """
    from aeib.runtime.render import make_plan

    rate = example.sample_rate
    if target_lufs is None:
        target_lufs = integrated_loudness_lufs(example.reference, rate)
    signal = np.asarray(example.input, dtype=np.float64)[:, None]
    # The product's own loudness stage (aeib.runtime.render.make_plan): the measured gain, the true-peak
    # rule and the limiter's loudness made up when it takes the peaks down by several dB.
    plan = make_plan(CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.to_vector(params)), cast("FileAnalysis", _AUDIBLE), rate, 1,
                     lambda: iter([signal]), loudness=target_lufs)
    out: np.ndarray = plan.processor()(signal)[:, 0].astype(np.float32)
    return out


class Method:
    """Base class of everything ``aeib evaluate`` scores.

    Attributes:
        name: Short name used in tables and file names.
        kind: ``"baseline"`` or ``"model"``.
        description: One line for the report.
        skip_reason: Why the method cannot run here (``None`` if it can); a skipped method is
            listed in the report with this note and scored nowhere.
        subset: Indices (in dataset order) of the examples the method runs on; ``None`` = all.
    """

    name = "method"
    kind = "baseline"
    description = ""

    def __init__(self) -> None:
        self.skip_reason: str | None = None
        self.subset: frozenset[int] | None = None

    def setup(self) -> None:
        """Load what the method needs (models, libraries); timed apart from the per-example work.

        Raises:
            AeibError: if a path or file given by the user is unusable.
        """

    def runs_on(self, index: int) -> bool:
        return self.skip_reason is None and (self.subset is None or index in self.subset)

    def run(self, example: EvalExample, shared: Shared) -> MethodOutput:
        """The method's estimate of ``example.target``."""
        raise NotImplementedError


class InputMethod(Method):
    name = "input"
    description = "no processing: the recording as it is"

    def run(self, example: EvalExample, shared: Shared) -> MethodOutput:
        return MethodOutput(example.input, CHAIN_SCHEMA.defaults())


class RuleBasedMethod(Method):
    name = "rb-dsp"
    description = ("rule-based match to the reference: EQ fitted to the smoothed spectrum ratio, "
                   "compressor from level spread, makeup from loudness (no learning)")

    def run(self, example: EvalExample, shared: Shared) -> MethodOutput:
        params = shared.rule_based(example)
        return MethodOutput(chain_output(example, params), params)


def _import_matchering():
    """``import matchering``, quiet about the deprecated SciPy names it uses (not ours to fix)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import matchering
    return matchering


class MatcheringMethod(Method):
    name = "matchering"
    description = "Matchering 2 (reference-based mastering: RMS, frequency response, peak limiter)"

    def __init__(self) -> None:
        super().__init__()
        try:
            _import_matchering()
        except ImportError:
            self.skip_reason = "skipped: matchering is not installed (pip install 'aeib[eval]')"

    def run(self, example: EvalExample, shared: Shared) -> MethodOutput:
        matchering = _import_matchering()
        rate = example.sample_rate
        with tempfile.TemporaryDirectory(prefix="aeib-matchering-") as folder:
            paths = {role: Path(folder) / f"{role}.wav" for role in ("input", "reference", "result")}
            for role, audio in (("input", example.input), ("reference", example.reference)):
                mono = resample(audio, rate, MATCHERING_RATE)
                sf.write(paths[role], np.stack([mono, mono], axis=1), MATCHERING_RATE, subtype="FLOAT")
            matchering.process(target=str(paths["input"]), reference=str(paths["reference"]),
                               results=[matchering.Result(str(paths["result"]), "FLOAT")])
            result, result_rate = sf.read(paths["result"], dtype="float32", always_2d=True)
        audio = resample(to_mono(result).astype(np.float32), result_rate, rate)
        out = np.zeros(len(example.input), dtype=np.float32)
        out[: min(len(out), len(audio))] = audio[: len(out)]
        return MethodOutput(out, None)


class OracleMethod(Method):
    name = "oracle"
    description = "chain setting optimized against the target itself (Powell search): the ceiling"

    def __init__(self, config: OracleConfig = OracleConfig()) -> None:
        super().__init__()
        self.config = config
        self.description = (f"chain setting optimized against the target itself ({config.objective} objective, "
                            f"Powell from the best of {' / '.join(config.starts)}, {config.iterations} evaluations)")

    def run(self, example: EvalExample, shared: Shared) -> MethodOutput:
        starts = {"rb-dsp": shared.rule_based(example)} if "rb-dsp" in self.config.starts else {}
        result = oracle_params(example.input, example.target, example.sample_rate, self.config, start_params=starts)
        return MethodOutput(chain_output(example, result.params), result.params)


def make_baselines(names: list[str] | tuple[str, ...], oracle: OracleConfig = OracleConfig()) -> list[Method]:
    """Baseline methods by name, in the order given.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
    """
    factories = {"input": InputMethod, "rb-dsp": RuleBasedMethod, "matchering": MatcheringMethod,
                 "oracle": lambda: OracleMethod(oracle)}
    unknown = [name for name in names if name not in factories]
    if unknown:
        raise ValueError(f"unknown baseline {unknown[0]!r}; choose from {', '.join(BASELINES)}")
    return [factories[name]() for name in names]
