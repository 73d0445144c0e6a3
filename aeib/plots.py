"""Pictures of a chain setting: the EQ magnitude curve, the compressor's static curve and, for
``aeib enhance``, the long-term spectra before and after.

matplotlib is imported lazily with the non-interactive Agg backend, so nothing here needs a display.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import numpy as np

from aeib.audio import atomic_output
from aeib.dsp.compressor import static_curve_db
from aeib.dsp.eq import eq_response_db


def plot_settings(params: Mapping[str, float], sample_rate: float, path: str | os.PathLike,
                  title: str | None = None) -> Path:
    """Draw the EQ magnitude response and the compressor static curve into a PNG.

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


def draw_spectra(ax, freqs_hz: np.ndarray, before_db: np.ndarray, after_db: np.ndarray, sample_rate: float) -> None:
    """Draw long-term spectra before and after processing (dB over log frequency) into ``ax``."""
    keep = freqs_hz >= 20.0
    ax.semilogx(freqs_hz[keep], before_db[keep], color="0.45", lw=1.2, label="before")
    ax.semilogx(freqs_hz[keep], after_db[keep], color="tab:green", lw=1.2, label="after")
    top = float(np.max(np.concatenate([before_db[keep], after_db[keep]]))) if keep.any() else 0.0
    ax.set(xlim=(20.0, sample_rate / 2.0), ylim=(top - 80.0, top + 6.0), xlabel="frequency (Hz)",
           ylabel="level (dB re full-scale sine)", title="long-term spectrum (mono downmix)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)


def plot_enhancement(params: Mapping[str, float], sample_rate: float, path: str | os.PathLike,
                     spectra: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                     title: str | None = None) -> Path:
    """Draw what ``aeib enhance`` did: EQ curve, compressor curve and before/after spectra, in a PNG.

    Args:
        params: Complete setting in physical units.
        sample_rate: The audio's rate in Hz.
        path: Output image (written atomically).
        spectra: ``(freqs_hz, before_db, after_db)`` long-term spectra; the panel is left out if None.
        title: Optional figure title.

    Returns:
        The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = 2 if spectra is not None else 1
    fig = plt.figure(figsize=(11, 4.2 * rows))
    grid = fig.add_gridspec(rows, 2, width_ratios=[1.6, 1])
    draw_eq_curve(fig.add_subplot(grid[0, 0]), params, sample_rate)
    draw_compressor_curve(fig.add_subplot(grid[0, 1]), params)
    if spectra is not None:
        draw_spectra(fig.add_subplot(grid[1, :]), *spectra, sample_rate)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path
