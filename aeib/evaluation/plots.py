"""Figures of an evaluation (matplotlib, Agg backend, PNG files written atomically).

* ``metrics.png`` — one bar chart per metric: each method's mean over all examples, with its
  standard deviation as an error bar (the oracle's bar is over its subset).
* ``spectra.png`` — for the first few examples, the long-term average spectrum (Welch, 4096-point
  Hann, averaged in ⅙-octave bands, dB) of the input, the target and every method's output.
* ``settings.png`` — where applied settings are known: for each method that sets the chain, the
  applied style's EQ shape (x) against the method's EQ shape (y) at octave probes, one point per
  example and probe, coloured by probe frequency. The dashed line y = −x is perfect inversion of
  the style (see :mod:`aeib.evaluation.inversion`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.signal

from aeib.audio import atomic_output
from aeib.evaluation.inversion import inversion_points, probe_frequencies
from aeib.evaluation.runner import SETTINGS_METRIC, EvaluationResult
from aeib.evaluation.summary import ALL_SCOPE, METRIC_LABELS, SummaryRow
from aeib.metrics import METRICS

SPECTRUM_FFT = 4096
SETTINGS_COLUMNS = 4
"""Panels per row of ``settings.png``."""


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    _pyplot().close(fig)
    return path


def _colors(names: list[str]) -> dict[str, str]:
    palette = [f"C{i}" for i in range(10)]
    return {name: palette[i % len(palette)] for i, name in enumerate(names)}


def plot_metric_bars(summary: list[SummaryRow], methods: list[str], path: Path) -> Path:
    """Bar chart per metric (overall means ± std), one bar per method."""
    plt = _pyplot()
    metrics = METRICS + (SETTINGS_METRIC,)
    colors = _colors(methods)
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5))
    for ax, metric in zip(axes.flat, metrics):
        rows = {r.method: r for r in summary if r.scope == ALL_SCOPE and r.metric == metric and r.n > 0}
        shown = [m for m in methods if m in rows]
        ax.bar(range(len(shown)), [rows[m].mean for m in shown], yerr=[rows[m].std for m in shown],
               color=[colors[m] for m in shown], capsize=3)
        ax.set_xticks(range(len(shown)), shown, rotation=30, ha="right", fontsize=8)
        ax.set_title(METRIC_LABELS[metric] + " ↓", fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    fig.suptitle("mean over examples (error bar: std); lower is better")
    fig.tight_layout()
    return _save(fig, path)


def average_spectrum_db(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Long-term spectrum in ⅙-octave bands: (band centres Hz, mean power dB).

    Welch's method (4096-point Hann) gives the power spectrum; its bins are averaged in ⅙-octave
    bands from 31.5 Hz up to 0.95 × Nyquist, so harmonics do not hide the spectral envelope.
    """
    freqs, power = scipy.signal.welch(audio, sample_rate, nperseg=min(SPECTRUM_FFT, len(audio)))
    centres = 31.5 * 2.0 ** (np.arange(0, 60) / 6.0)
    centres = centres[centres * 2 ** (1 / 12) < 0.95 * sample_rate / 2]
    levels = []
    for centre in centres:
        band = (freqs >= centre * 2 ** (-1 / 12)) & (freqs < centre * 2 ** (1 / 12))
        levels.append(power[band].mean() if band.any() else np.interp(centre, freqs, power))
    return centres, 10 * np.log10(np.asarray(levels) + 1e-20)


def plot_spectra(result: EvaluationResult, path: Path) -> Path:
    """Average spectra of input, target and each method for the kept examples."""
    plt = _pyplot()
    n = len(result.spectra)
    fig, axes = plt.subplots(n, 1, figsize=(11, 3.6 * n), squeeze=False)
    names = [r.name for r in result.methods]
    colors = _colors(names)
    for ax, item in zip(axes[:, 0], result.spectra):
        top = -np.inf
        for name, audio in item["signals"].items():
            freqs, level = average_spectrum_db(audio, result.sample_rate)
            style = {"input": dict(color="0.55", lw=1.2, ls="--"), "target": dict(color="black", lw=2.0)}.get(
                name, dict(color=colors.get(name, "C9"), lw=1.1))
            ax.semilogx(freqs, level, label=name, **style)
            top = max(top, float(level.max()))
        ax.set(xlim=(30, result.sample_rate / 2), ylim=(top - 70, top + 5), xlabel="frequency (Hz)",
               ylabel="power per ⅙ octave (dB)",
               title=f"{item['example_id']} ({item['style'] or 'style unknown'})")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, ncol=3)
    fig.tight_layout()
    return _save(fig, path)


def plot_settings(result: EvaluationResult, path: Path) -> Path | None:
    """Applied-vs-predicted EQ shape scatter, one panel per chain-setting method (``None`` if no data)."""
    panels = [(name, pairs) for name, pairs in result.settings.items() if pairs and name != "input"]
    if not panels:
        return None
    plt = _pyplot()
    probes = probe_frequencies(result.sample_rate)
    columns = min(len(panels), SETTINGS_COLUMNS)
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.6 * columns + 1.4, 4.9 * rows), squeeze=False)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    for ax, (name, pairs) in zip(axes.flat, panels):
        applied, predicted = inversion_points([(a, p) for _, _, a, p in pairs], result.sample_rate)
        colour = np.broadcast_to(np.log10(probes), applied.shape)
        points = ax.scatter(applied.ravel(), predicted.ravel(), c=colour.ravel(), cmap="viridis", s=9, alpha=0.6)
        limit = max(3.0, float(np.ceil(np.max(np.abs([applied, predicted])))))
        ax.plot([-limit, limit], [limit, -limit], color="tab:red", ls="--", lw=1, label="perfect inverse (y = −x)")
        ax.axhline(0, color="0.7", lw=0.6)
        ax.axvline(0, color="0.7", lw=0.6)
        error = float(np.mean(np.abs(applied + predicted)))
        r = np.corrcoef(applied.ravel(), -predicted.ravel())[0, 1] if applied.size > 1 and predicted.std() > 0 else np.nan
        ax.set(xlim=(-limit, limit), ylim=(-limit, limit), xlabel="applied style EQ shape (dB)",
               ylabel="predicted EQ shape (dB)")
        ax.set_title(f"{name}\nmean |pred + applied| {error:.2f} dB\nr(pred, −applied) = {r:.2f}", fontsize=9)
        ax.set_aspect("equal")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout(rect=(0, 0, 0.9, 1))
    bar = fig.colorbar(points, cax=fig.add_axes((0.92, 0.15, 0.015, 0.7)))
    ticks = np.log10(probes)
    bar.set_ticks(ticks, labels=[f"{f:g}" for f in probes])
    bar.set_label("probe frequency (Hz)")
    return _save(fig, path)


def write_figures(result: EvaluationResult, summary: list[SummaryRow], out_dir: Path) -> dict[str, Path]:
    """Every figure that has data; ``{title: path}``."""
    figures = {}
    methods = [r.name for r in result.methods if not r.skip_reason]
    if result.rows:
        figures["metrics per method"] = plot_metric_bars(summary, methods, out_dir / "metrics.png")
    if result.spectra:
        figures["example spectra"] = plot_spectra(result, out_dir / "spectra.png")
    settings = plot_settings(result, out_dir / "settings.png")
    if settings is not None:
        figures["applied vs predicted EQ shape"] = settings
    return figures
