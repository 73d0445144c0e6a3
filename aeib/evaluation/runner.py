"""Run every method over a test set and score it: the loop behind ``aeib evaluate``.

For each example (read once), each method makes its estimate, which is scored against the target
with :class:`aeib.metrics.TargetScorer` (the target analysed once per example). The input is
always scored too, even when ``input`` is not a listed method, because reductions are *paired*:
a method's reduction is computed against the input's scores on the same examples the method ran
on (the oracle may run on a subset).

A method that raises on one example is recorded as a failure there (with its first message) and
the run goes on; only the user's own errors at set-up (a bad model path) stop the run.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm import tqdm

from aeib.evaluation.datasets import EvalDataset
from aeib.evaluation.inversion import eq_inversion_error_db
from aeib.evaluation.methods import Method, Shared
from aeib.metrics import DEEPAFX_METRICS, METRICS, TargetScorer

SETTINGS_METRIC = "eq_inversion_error_db"
ALL_METRICS = METRICS + DEEPAFX_METRICS + (SETTINGS_METRIC,)
"""Every per-example number a row may hold, in report order (all: lower is better)."""


@dataclass
class MethodRecord:
    """How one method fared over the run.

    Attributes:
        name: The method's name.
        kind: ``"baseline"`` or ``"model"``.
        description: One line.
        skip_reason: Why it did not run (``None`` if it ran).
        setup_s: Seconds spent loading it.
        run_s: Wall seconds spent in its per-example work (scoring excluded).
        cpu_s: Process CPU seconds (all threads) spent in the same work — the fairer number on a
            busy machine, where wall time includes waiting for a core.
        examples: Examples it produced an estimate for.
        audio_s: Seconds of input audio in those examples.
        failures: Examples it raised on.
        first_failure: The first such message.
    """

    name: str
    kind: str
    description: str
    skip_reason: str | None = None
    setup_s: float = 0.0
    run_s: float = 0.0
    cpu_s: float = 0.0
    examples: int = 0
    audio_s: float = 0.0
    failures: int = 0
    first_failure: str = ""

    @property
    def ms_per_example(self) -> float:
        return 1000.0 * self.run_s / self.examples if self.examples else math.nan

    @property
    def cpu_ms_per_example(self) -> float:
        return 1000.0 * self.cpu_s / self.examples if self.examples else math.nan

    @property
    def real_time_factor(self) -> float:
        """Wall processing seconds per second of audio."""
        return self.run_s / self.audio_s if self.audio_s else math.nan


@dataclass
class EvaluationResult:
    """Everything a report needs.

    Attributes:
        dataset: One line describing the test set.
        sample_rate: Evaluation rate, Hz.
        n_examples: Examples read.
        methods: One record per method, in the order given.
        rows: One dict per (example, method that ran): ``example_id``, ``style``, ``method`` and
            the metrics of :data:`ALL_METRICS` (``nan`` where not defined).
        input_scores: The input's metrics by example id (the reduction baseline).
        settings: Per method, ``(example_id, style, applied, predicted)`` for every example with a
            known applied setting where the method returned one.
        spectra: The first few examples' signals, ``{"example_id", "style", "signals": {name: audio}}``
            with ``input``, ``target`` and one entry per method.
        wall_s: Wall time of the whole loop, seconds.
    """

    dataset: str
    sample_rate: int
    n_examples: int = 0
    methods: list[MethodRecord] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    input_scores: dict[str, dict[str, float]] = field(default_factory=dict)
    settings: dict[str, list[tuple]] = field(default_factory=dict)
    spectra: list[dict] = field(default_factory=list)
    wall_s: float = 0.0


def _blas_single_thread():
    """Limit BLAS to one thread if threadpoolctl is installed: the per-example matrix products are
    small, and on a busy machine multithreaded BLAS spins for far longer than it saves."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def run_evaluation(dataset: EvalDataset, methods: list[Method], spectra_examples: int = 3,
                   progress: bool = True) -> EvaluationResult:
    """Set up, run and score every method on every example of ``dataset``.

    Args:
        dataset: The test set (examples at its evaluation rate).
        methods: Methods in report order; skipped ones (``skip_reason``) are recorded, not run.
        spectra_examples: How many leading examples keep their signals for the spectra plot.
        progress: Show a tqdm progress bar on stderr.

    Returns:
        The raw results (see :mod:`aeib.evaluation.report` for tables).

    Raises:
        AeibError: from a method's set-up (e.g. a model file that cannot be loaded).
    """
    result = EvaluationResult(dataset.description, dataset.sample_rate)
    records = {}
    for method in methods:
        record = MethodRecord(method.name, method.kind, method.description, method.skip_reason)
        if method.skip_reason is None:
            started = time.perf_counter()
            method.setup()
            record.setup_s = time.perf_counter() - started
            record.description = method.description
        records[method.name] = record
        result.methods.append(record)
        result.settings[method.name] = []
    started_all = time.perf_counter()
    with _blas_single_thread(), tqdm(total=len(dataset), desc="evaluate", unit="example",
                                     disable=not progress or None) as bar:
        for index, example in enumerate(dataset):
            _evaluate_example(index, example, methods, records, result, spectra_examples)
            result.n_examples += 1
            bar.update(1)
    result.wall_s = time.perf_counter() - started_all
    return result


def _evaluate_example(index, example, methods, records, result, spectra_examples) -> None:
    scorer = TargetScorer(example.target, example.sample_rate)
    input_scores = {**scorer.compare(example.input), **scorer.compare_deepafx(example.input), SETTINGS_METRIC: math.nan}
    if example.applied_params is not None:
        input_scores[SETTINGS_METRIC] = eq_inversion_error_db(example.applied_params, None, example.sample_rate)
    result.input_scores[example.example_id] = input_scores
    keep = index < spectra_examples
    signals = {"input": example.input, "target": example.target} if keep else {}
    shared = Shared()
    for method in methods:
        if not method.runs_on(index):
            continue
        record = records[method.name]
        rb_before, rb_cpu_before = shared.rb_dsp_s, shared.rb_dsp_cpu_s
        started, started_cpu = time.perf_counter(), time.process_time()
        try:
            output = method.run(example, shared)
        except Exception as exc:  # one bad example must not end a long run
            record.failures += 1
            record.first_failure = record.first_failure or f"{example.example_id}: {_message(exc)}"
            continue
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        borrowed, borrowed_cpu = shared.rb_dsp_s - rb_before, shared.rb_dsp_cpu_s - rb_cpu_before
        if borrowed and method.name != "rb-dsp" and "rb-dsp" in records:
            # The rb-dsp setting was computed here for the first time; it is rb-dsp's cost.
            elapsed, elapsed_cpu = elapsed - borrowed, elapsed_cpu - borrowed_cpu
            records["rb-dsp"].run_s += borrowed
            records["rb-dsp"].cpu_s += borrowed_cpu
        record.run_s += elapsed
        record.cpu_s += elapsed_cpu
        record.examples += 1
        record.audio_s += example.duration_s
        audio = np.asarray(output.audio, dtype=np.float32)
        unchanged = output.audio is example.input or np.array_equal(audio, example.input)
        scores = input_scores if unchanged else {**scorer.compare(audio), **scorer.compare_deepafx(audio)}
        row = {"example_id": example.example_id, "style": example.style, "groups": list(example.groups),
               "method": method.name,
               **{name: scores[name] for name in METRICS + DEEPAFX_METRICS}}
        row[SETTINGS_METRIC] = math.nan
        if example.applied_params is not None and output.params is not None:
            row[SETTINGS_METRIC] = eq_inversion_error_db(example.applied_params, output.params,
                                                                 example.sample_rate)
            result.settings[method.name].append((example.example_id, example.style,
                                                 example.applied_params, output.params))
        result.rows.append(row)
        if keep:
            signals[method.name] = audio
    if keep:
        result.spectra.append({"example_id": example.example_id, "style": example.style, "signals": signals})
