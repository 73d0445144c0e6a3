"""Pictures of a chain setting: the EQ magnitude curve, the compressor's static curve and, for
``aeib enhance``, the long-term spectra before and after (at matched loudness, and the raw level
change) and, in adaptive mode, the main parameters over time.

The image format follows the file's extension: ``.png``, ``.svg`` or ``.pdf``
(:data:`IMAGE_FORMATS`). matplotlib is imported lazily with the non-interactive Agg backend, so
nothing here needs a display.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import numpy as np

from aeib.audio import atomic_output
from aeib.dsp.compressor import static_curve_db
from aeib.dsp.eq import eq_response_db
from aeib.errors import OutputError

IMAGE_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
"""Image formats by extension."""


def image_format(path: str | os.PathLike) -> str:
    """The matplotlib format for ``path``'s extension.

    Raises:
        OutputError: for another extension.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in IMAGE_FORMATS:
        raise OutputError(f"cannot draw {Path(path).name}: the plot format follows the extension, "
                          f"one of {', '.join(IMAGE_FORMATS)} (got {suffix or 'none'!r})")
    return IMAGE_FORMATS[suffix]


def plot_settings(params: Mapping[str, float], sample_rate: float, path: str | os.PathLike,
                  title: str | None = None) -> Path:
    """Draw the EQ magnitude response and the compressor static curve (PNG, SVG or PDF by extension).

    Args:
        params: Complete setting in physical units.
        sample_rate: Sample rate (Hz) the EQ is drawn for (its curve ends at Nyquist).
        path: Output image path (written atomically).
        title: Optional figure title.

    Returns:
        The path written.
    """
    return plot_enhancement(params, sample_rate, path, spectra=None, title=title)


def draw_eq_curve(ax, params: Mapping[str, float], sample_rate: float) -> None:
    """Draw the EQ magnitude response (dB over log frequency, 20 Hz to Nyquist) into ``ax``."""
    freqs_hz = np.geomspace(20.0, sample_rate / 2.0 * 0.999, 600)
    response_db = eq_response_db(params, sample_rate, freqs_hz)
    ax.semilogx(freqs_hz, response_db, color="tab:blue", lw=2)
    ax.axhline(0.0, color="0.6", lw=0.8)
    limit = max(6.0, float(np.ceil(np.max(np.abs(response_db)) / 3.0) * 3.0))
    ax.set(xlim=(20.0, sample_rate / 2.0), ylim=(-limit, limit), xlabel="frequency (Hz)",
           ylabel="gain (dB)", title=f"EQ magnitude at {sample_rate / 1000:g} kHz")
    ax.grid(True, which="both", alpha=0.3)


def draw_compressor_curve(ax, params: Mapping[str, float]) -> None:
    """Draw the compressor's static curve (output vs input level, dBFS) into ``ax``."""
    levels_db = np.linspace(-60.0, 0.0, 241)
    ax.plot(levels_db, static_curve_db(levels_db, params), color="tab:red", lw=2, label="compressor")
    ax.plot(levels_db, levels_db, color="0.6", lw=0.8, ls="--", label="unity")
    ax.axvline(params["comp.threshold_db"], color="tab:red", lw=0.8, ls=":", label="threshold")
    ax.set(xlabel="input level (dBFS)", ylabel="output level (dBFS)",
           title=f"compressor {params['comp.ratio']:.1f}:1, knee {params['comp.knee_db']:.0f} dB, "
           f"makeup {params['comp.makeup_db']:+.1f} dB")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)


def draw_spectra(ax, freqs_hz: np.ndarray, before_db: np.ndarray, after_db: np.ndarray, sample_rate: float,
                 offset_db: float = 0.0) -> None:
    """Draw long-term spectra before and after processing (dB over log frequency) into ``ax``.

    Args:
        offset_db: Added to the "after" curve; with the loudness difference (before − after) it
            draws both at matched loudness, and the legend says so.
    """
    keep = freqs_hz >= 20.0
    shifted = after_db[keep] + offset_db
    label = "after" if offset_db == 0.0 else f"after, at matched loudness ({offset_db:+.1f} dB)"
    ax.semilogx(freqs_hz[keep], before_db[keep], color="0.45", lw=1.2, label="before")
    ax.semilogx(freqs_hz[keep], shifted, color="tab:green", lw=1.2, label=label)
    top = float(np.max(np.concatenate([before_db[keep], shifted]))) if keep.any() else 0.0
    title = "long-term spectrum (mono downmix)" + (", matched loudness" if offset_db != 0.0 else "")
    ax.set(xlim=(20.0, sample_rate / 2.0), ylim=(top - 80.0, top + 6.0), xlabel="frequency (Hz)",
           ylabel="level (dB re full-scale sine)", title=title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)


def draw_level_change(ax, freqs_hz: np.ndarray, before_db: np.ndarray, after_db: np.ndarray, sample_rate: float,
                      params: Mapping[str, float], loudness_change_db: float | None = None) -> None:
    """Draw the raw level change after − before per frequency (no loudness matching) into ``ax``,
    with the EQ curve and the overall loudness change for comparison."""
    keep = (freqs_hz >= 20.0) & (before_db > -150.0)
    change = after_db[keep] - before_db[keep]
    ax.semilogx(freqs_hz[keep], change, color="tab:purple", lw=1.2, label="measured change (after − before)")
    ax.semilogx(freqs_hz[keep], eq_response_db(params, sample_rate, freqs_hz[keep]), color="tab:blue", lw=1,
                ls="--", label="EQ curve")
    if loudness_change_db is not None and np.isfinite(loudness_change_db):
        ax.axhline(loudness_change_db, color="tab:orange", lw=1, ls=":",
                   label=f"loudness change {loudness_change_db + 0.0:+.1f} LU")
    ax.axhline(0.0, color="0.6", lw=0.8)
    span = float(np.nanmax(np.abs(change))) if change.size else 6.0
    limit = min(40.0, max(6.0, float(np.ceil(span / 3.0) * 3.0)))
    ax.set(xlim=(20.0, sample_rate / 2.0), ylim=(-limit, limit), xlabel="frequency (Hz)", ylabel="change (dB)",
           title="raw level change (not loudness-matched)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)


def draw_trajectory(ax_eq, ax_comp, times_s: np.ndarray, settings: list[Mapping[str, float]]) -> None:
    """Adaptive mode: the EQ gains and the compressor's threshold, makeup and ratio over time."""
    from aeib.dsp.eq import EQ_BANDS

    for band in EQ_BANDS:
        ax_eq.plot(times_s, [s[band.gain_param] for s in settings], lw=1.2, label=band.name.replace("_", " "))
    span = max([6.0] + [abs(s[band.gain_param]) + 1.0 for s in settings for band in EQ_BANDS])
    ax_eq.set(xlabel="time (s)", ylabel="gain (dB)", title="EQ gains over time", ylim=(-span, span))
    ax_eq.grid(True, alpha=0.3)
    ax_eq.legend(loc="best", fontsize=7, ncol=2)
    ax_comp.plot(times_s, [s["comp.threshold_db"] for s in settings], color="tab:red", lw=1.2, label="threshold (dBFS)")
    ax_comp.plot(times_s, [s["comp.makeup_db"] for s in settings], color="tab:orange", lw=1.2, label="makeup (dB)")
    ax_comp.set(xlabel="time (s)", ylabel="dB", title="compressor over time")
    ax_comp.grid(True, alpha=0.3)
    ratio_ax = ax_comp.twinx()
    ratio_ax.plot(times_s, [s["comp.ratio"] for s in settings], color="tab:brown", lw=1.2, ls="--", label="ratio (:1)")
    ratio_ax.set(ylabel="ratio (:1)", ylim=(1.0, max([4.0] + [1.2 * s["comp.ratio"] for s in settings])))
    lines = ax_comp.get_lines() + ratio_ax.get_lines()
    ax_comp.legend(lines, [line.get_label() for line in lines], loc="best", fontsize=7)


def enhancement_figure(params: Mapping[str, float], sample_rate: float,
                       spectra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                       title: str | None = None, loudness_lufs: tuple[float, float] | None = None,
                       trajectory: tuple[np.ndarray, list[Mapping[str, float]]] | None = None):
    """The matplotlib figure of :func:`plot_enhancement` (close it with ``matplotlib.pyplot.close``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    offset_db = 0.0
    if loudness_lufs is not None and all(np.isfinite(loudness_lufs)):
        offset_db = float(loudness_lufs[0] - loudness_lufs[1])
    rows = 1 + (2 if spectra is not None else 0) + (1 if trajectory is not None else 0)
    fig = plt.figure(figsize=(11, 4.2 * rows))
    grid = fig.add_gridspec(rows, 2, width_ratios=[1.6, 1])
    draw_eq_curve(fig.add_subplot(grid[0, 0]), params, sample_rate)
    draw_compressor_curve(fig.add_subplot(grid[0, 1]), params)
    row = 1
    if spectra is not None:
        draw_spectra(fig.add_subplot(grid[1, :]), *spectra, sample_rate, offset_db=offset_db)
        draw_level_change(fig.add_subplot(grid[2, :]), *spectra, sample_rate, params,
                          None if offset_db == 0.0 and loudness_lufs is None else -offset_db)
        row = 3
    if trajectory is not None:
        draw_trajectory(fig.add_subplot(grid[row, 0]), fig.add_subplot(grid[row, 1]), *trajectory)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0.0, 0.0, 1.0, 1.0 - 0.4 / fig.get_figheight()) if title else None)
    return fig


def plot_enhancement(params: Mapping[str, float], sample_rate: float, path: str | os.PathLike,
                     spectra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                     title: str | None = None, loudness_lufs: tuple[float, float] | None = None,
                     trajectory: tuple[np.ndarray, list[Mapping[str, float]]] | None = None) -> Path:
    """Draw what ``aeib enhance`` did into an image whose format follows the extension (PNG/SVG/PDF).

    Panels: EQ curve and compressor curve; with ``spectra``, the long-term spectra before and after
    (the "after" curve shifted to the "before" loudness when ``loudness_lufs`` is given, as its
    legend says) and the raw level change per frequency; with ``trajectory``, the EQ gains and the
    compressor over time (adaptive mode).

    Args:
        params: Complete setting in physical units.
        sample_rate: The audio's rate in Hz.
        path: Output image (written atomically).
        spectra: ``(freqs_hz, before_db, after_db)`` long-term spectra; the panels are left out if None.
        title: Optional figure title.
        loudness_lufs: ``(before, after)`` integrated loudness of the input and the output.
        trajectory: ``(times_s float[T], settings)``: T complete settings in physical units.

    Returns:
        The path written.

    Raises:
        OutputError: for an extension other than .png/.svg/.pdf, or if the file cannot be written.
    """
    fmt = image_format(path)
    fig = enhancement_figure(params, sample_rate, spectra, title, loudness_lufs, trajectory)
    import matplotlib.pyplot as plt  # after enhancement_figure has chosen the Agg backend

    path = Path(path)
    try:
        with atomic_output(path) as tmp:
            fig.savefig(tmp, dpi=110, format=fmt)
    finally:
        plt.close(fig)
    return path
