"""Tables of an evaluation: mean ± std per method and metric, overall and per style, paired reductions.

**Statistics.** For a method, a metric and a group of examples (all, or one style), the pairs are
the examples where the method ran and both its value and the input's value are finite (loudness is
undefined for silence). Over those pairs: ``mean`` and ``std`` (population, ddof 0) of the method's
values, ``input_mean`` of the input's values on the *same* examples, and the reduction
``100 · (1 − mean / input_mean)`` in % — positive is better than doing nothing, 100 % is a perfect
match, negative is worse than the input; undefined when ``input_mean`` ≤ 1e-6 (nothing to reduce). Because pairs are per method, a method run on a subset
(the oracle) is compared with the input on that subset.

Files written by :func:`write_report` (each atomically): ``results.md``, ``summary.csv`` (long
format: one line per scope, method and metric), ``examples.csv`` (one line per example and
method), ``results.json`` (summary, timings, notes) and the figures of :mod:`aeib.evaluation.plots`.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np

from aeib.audio import atomic_output
from aeib.evaluation.runner import ALL_METRICS, SETTINGS_METRIC, EvaluationResult
from aeib.evaluation.summary import ALL_SCOPE, METRIC_LABELS, SummaryRow
from aeib.metrics import DEEPAFX_METRICS, METRICS

MIN_REDUCIBLE = 1e-6
"""Input means at or below this (in the metric's unit) get no reduction (shown as –)."""


def _stats(result: EvaluationResult, rows: list[dict], scope: str, method: str, metric: str) -> SummaryRow:
    values, inputs = [], []
    for row in rows:
        value = row[metric]
        reference = result.input_scores[row["example_id"]][metric]
        if math.isfinite(value) and math.isfinite(reference):
            values.append(value)
            inputs.append(reference)
    if not values:
        return SummaryRow(scope, method, metric, 0, math.nan, math.nan, math.nan, math.nan)
    mean, input_mean = float(np.mean(values)), float(np.mean(inputs))
    # A reduction of (nearly) nothing is undefined: e.g. the EQ inversion of a style without EQ.
    reduction = 100.0 * (1.0 - mean / input_mean) if input_mean > MIN_REDUCIBLE else math.nan
    return SummaryRow(scope, method, metric, len(values), mean, float(np.std(values)), input_mean, reduction)


def scopes(result: EvaluationResult) -> list[str]:
    """``"all"``, every style present (first-seen order), then every group (data v2: modes, families,
    kinds; sorted)."""
    styles = []
    for row in result.rows:
        if row["style"] is not None and row["style"] not in styles:
            styles.append(row["style"])
    groups = sorted({g for row in result.rows for g in row.get("groups", ())})
    return [ALL_SCOPE] + styles + groups


def in_scope(row: dict, scope: str) -> bool:
    """Whether a result row belongs to a scope (all, its style, or one of its groups)."""
    return scope in (ALL_SCOPE, row["style"]) or scope in row.get("groups", ())


def summarize(result: EvaluationResult) -> list[SummaryRow]:
    """Every (scope, method, metric) statistic, methods in run order, metrics in :data:`ALL_METRICS` order."""
    out = []
    for scope in scopes(result):
        for record in result.methods:
            rows = [r for r in result.rows if r["method"] == record.name and in_scope(r, scope)]
            if not rows:
                continue
            out.extend(_stats(result, rows, scope, record.name, metric) for metric in ALL_METRICS)
    return out


# -- formatting ----------------------------------------------------------------------------------

def _decimals(value: float) -> int:
    magnitude = abs(value)
    return 0 if magnitude >= 100 else 2 if magnitude >= 1 else 3


def _number(value: float, decimals: int | None = None) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.{_decimals(value) if decimals is None else decimals}f}"


def _cell(row: SummaryRow, is_input: bool) -> str:
    if row.n == 0:
        return "–"
    decimals = _decimals(row.mean)  # the std is shown to the mean's precision
    text = f"{_number(row.mean, decimals)} ± {_number(row.std, decimals)}"
    if not is_input and math.isfinite(row.reduction_pct):
        text += f" ({row.reduction_pct:+.0f} %)"
    return text


def markdown_table(summary: list[SummaryRow], scope: str, metrics: tuple[str, ...]) -> str:
    """A markdown table for one scope: a line per method, a column per metric.

    Each cell is ``mean ± std (reduction vs input %)``; the ``n`` column is the largest pair count
    of the method's metrics in this scope.
    """
    by_method: dict[str, dict[str, SummaryRow]] = {}
    for row in summary:
        if row.scope == scope and row.metric in metrics:
            by_method.setdefault(row.method, {})[row.metric] = row
    lines = ["| method | n | " + " | ".join(METRIC_LABELS.get(m, m) for m in metrics) + " |",
             "|---|---:|" + "---:|" * len(metrics)]
    for method, cells in by_method.items():
        if all(cells[m].n == 0 for m in metrics):
            continue
        n = max(cells[m].n for m in metrics)
        lines.append(f"| {method} | {n} | " + " | ".join(_cell(cells[m], method == "input") for m in metrics) + " |")
    return "\n".join(lines)


def style_reduction_table(summary: list[SummaryRow], metric: str) -> str:
    """Reductions (%) of one metric, a line per scope (all, then each style), a column per method.

    The ``input`` column holds the input's mean (the number the reductions are relative to).
    """
    methods = list(dict.fromkeys(r.method for r in summary if r.method != "input"))
    rows: dict[str, dict[str, SummaryRow]] = {}
    for row in summary:
        if row.metric == metric:
            rows.setdefault(row.scope, {})[row.method] = row
    lines = [f"| {METRIC_LABELS.get(metric, metric)} | input | " + " | ".join(methods) + " |",
             "|---|---:|" + "---:|" * len(methods)]
    for scope, cells in rows.items():
        inp = cells.get("input")
        first = _number(inp.mean) if inp is not None and inp.n else "–"
        values = [f"{cells[m].reduction_pct:+.0f} %" if m in cells and math.isfinite(cells[m].reduction_pct) else "–"
                  for m in methods]
        lines.append(f"| {scope} | {first} | " + " | ".join(values) + " |")
    return "\n".join(lines)


def timing_table(result: EvaluationResult) -> str:
    """Time per method (per-example work only; loading and scoring excluded) as a markdown table."""
    lines = ["| method | examples | set-up (s) | wall (s) | wall per example (ms) | CPU per example (ms) | "
             "real-time factor (wall) | failures |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result.methods:
        if r.skip_reason:
            lines.append(f"| {r.name} | – | – | – | – | – | – | {r.skip_reason} |")
            continue
        failures = f"{r.failures} ({r.first_failure})" if r.failures else "0"
        lines.append(f"| {r.name} | {r.examples} | {r.setup_s:.1f} | {r.run_s:.1f} | {_number(r.ms_per_example)} | "
                     f"{_number(r.cpu_ms_per_example)} | {_number(r.real_time_factor)} | {failures} |")
    return "\n".join(lines)


def markdown_report(result: EvaluationResult, summary: list[SummaryRow], command: str | None = None,
                    figures: dict[str, str] | None = None) -> str:
    """The whole ``results.md``."""
    parts = ["# aeib evaluation", "",
             f"Test set: {result.dataset}; {result.n_examples} examples at {result.sample_rate} Hz. "
             f"Wall time of the run: {result.wall_s:.0f} s."]
    if command:
        parts += ["", "```", command, "```"]
    parts += ["", "Cells: mean ± std over examples (reduction of the mean versus no processing on the same "
              "examples, %; higher is better). Every metric: lower is better. "
              "Definitions: docs/EVALUATION.md.", "", "## Methods", ""]
    parts += [f"* **{r.name}** — {r.skip_reason or r.description}" for r in result.methods]
    parts += ["", "## Overall", "", markdown_table(summary, ALL_SCOPE, METRICS)]
    parts += ["", "## Settings: does the predicted EQ undo the applied style?", "",
              "Mean |predicted + applied| EQ shape over octave probes 63 Hz – 8 kHz (dB; 0 = exact inverse; "
              "only for examples whose applied setting is known and methods that use the chain).", "",
              markdown_table(summary, ALL_SCOPE, (SETTINGS_METRIC,))]
    parts += ["", "## DeepAFx-ST-convention variants", "",
              "For comparison with Steinmetz et al. (2022) only; see docs/EVALUATION.md.", "",
              markdown_table(summary, ALL_SCOPE, DEEPAFX_METRICS)]
    parts += ["", "## Time", "", "Time spent in each method's own work (loading and scoring excluded). CPU time "
              "counts every thread of the process and excludes waiting for a core on a busy machine.", "",
              timing_table(result)]
    styles = [s for s in scopes(result) if s != ALL_SCOPE]
    if styles:
        parts += ["", "## Per style at a glance", "",
                  "Reduction of each style's mean versus no processing (input column: the input's mean; the "
                  "oracle's reductions are over its own examples).", ""]
        for metric in ("mel_distance_db", "mrstft", "loudness_error_lu", SETTINGS_METRIC):
            parts += [style_reduction_table(summary, metric), ""]
        parts += ["## Per style"]
        for style in styles:
            parts += ["", f"### {style}", "", markdown_table(summary, style, METRICS + (SETTINGS_METRIC,))]
    if figures:
        parts += ["", "## Figures", ""] + [f"![{title}]({name})" for title, name in figures.items()]
    return "\n".join(parts) + "\n"


def summary_csv(summary: list[SummaryRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["scope", "method", "metric", "n", "mean", "std", "input_mean", "reduction_pct"])
    for row in summary:
        writer.writerow([row.scope, row.method, row.metric, row.n] +
                        [f"{v:.6g}" for v in (row.mean, row.std, row.input_mean, row.reduction_pct)])
    return buffer.getvalue()


def examples_csv(result: EvaluationResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["example_id", "style", "method", *ALL_METRICS])
    for row in result.rows:
        writer.writerow([row["example_id"], row["style"] or "", row["method"]] + [f"{row[m]:.6g}" for m in ALL_METRICS])
    return buffer.getvalue()


def _write_text(path: Path, text: str) -> None:
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def write_report(result: EvaluationResult, out_dir: str | Path, command: str | None = None,
                 config: dict | None = None, plots: bool = True) -> dict[str, Path]:
    """Write every table, the raw rows and the figures into ``out_dir`` (created if missing).

    Returns:
        ``{file kind: path}`` of what was written.

    Raises:
        OutputError: if ``out_dir`` cannot be created or written.
    """
    from aeib.errors import OutputError

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {out}: {exc.strerror or exc}") from None
    summary = summarize(result)
    written: dict[str, Path] = {}
    figures: dict[str, str] = {}
    if plots:
        from aeib.evaluation.plots import write_figures

        for title, path in write_figures(result, summary, out).items():
            figures[title] = path.name
            written[f"figure:{path.stem}"] = path
    files = {
        "markdown": ("results.md", markdown_report(result, summary, command, figures)),
        "summary": ("summary.csv", summary_csv(summary)),
        "examples": ("examples.csv", examples_csv(result)),
        "json": ("results.json", json.dumps(_json_safe({
            "dataset": result.dataset, "sample_rate": result.sample_rate, "examples": result.n_examples,
            "wall_s": result.wall_s, "command": command, "config": config or {},
            "methods": [asdict(r) for r in result.methods],
            "summary": [asdict(r) for r in summary],
        }), indent=2) + "\n"),
    }
    for kind, (name, text) in files.items():
        _write_text(out / name, text)
        written[kind] = out / name
    return written
