"""Pictures of a chain setting: the EQ magnitude curve and the compressor's static curve.

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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    freqs_hz = np.geomspace(20.0, sample_rate / 2.0 * 0.999, 600)
    response_db = eq_response_db(params, sample_rate, freqs_hz)
    levels_db = np.linspace(-60.0, 0.0, 241)
    output_db = static_curve_db(levels_db, params)

    fig, (ax_eq, ax_comp) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1.6, 1]})
    ax_eq.semilogx(freqs_hz, response_db, color="tab:blue", lw=2)
    ax_eq.axhline(0.0, color="0.6", lw=0.8)
    limit = max(6.0, float(np.ceil(np.max(np.abs(response_db)) / 3.0) * 3.0))
    ax_eq.set(xlim=(20.0, sample_rate / 2.0), ylim=(-limit, limit), xlabel="frequency (Hz)",
              ylabel="gain (dB)", title=f"EQ magnitude at {sample_rate / 1000:g} kHz")
    ax_eq.grid(True, which="both", alpha=0.3)

    ax_comp.plot(levels_db, output_db, color="tab:red", lw=2, label="compressor")
    ax_comp.plot(levels_db, levels_db, color="0.6", lw=0.8, ls="--", label="unity")
    ax_comp.axvline(params["comp.threshold_db"], color="tab:red", lw=0.8, ls=":", label="threshold")
    ax_comp.set(xlabel="input level (dBFS)", ylabel="output level (dBFS)",
                title=f"compressor {params['comp.ratio']:.1f}:1, knee {params['comp.knee_db']:.0f} dB")
    ax_comp.grid(True, alpha=0.3)
    ax_comp.legend(loc="upper left", fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path
