"""How ``aeib enhance`` places, skips and combines analysis windows: :class:`AnalysisOptions`.

Standard library only, so that the command line takes its defaults from here (for its help text)
without importing the runtime; :mod:`aeib.runtime.analysis` uses it and re-exports it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from aeib.errors import ParameterError


@dataclass(frozen=True)
class AnalysisOptions:
    """How windows are placed, skipped and combined (defaults are what ``aeib enhance`` uses).

    Attributes:
        spacing_s: Fixed mode: largest distance between consecutive window starts, seconds.
        max_windows: Fixed mode: most windows per file (longer files get wider spacing).
        hop_s: Adaptive mode: distance between window starts, seconds.
        smoothing_s: Adaptive mode: standard deviation of the Gaussian smoothing over time, seconds.
        silence_dbfs: Windows quieter than this RMS level (dBFS) are skipped.
        relative_silence_db: Windows this many dB below the loudest analysed window are skipped.
    """

    spacing_s: float = 15.0
    max_windows: int = 16
    hop_s: float = 2.5
    smoothing_s: float = 5.0
    silence_dbfs: float = -60.0
    relative_silence_db: float = 30.0

    def __post_init__(self) -> None:
        for name in ("spacing_s", "hop_s", "relative_silence_db"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ParameterError(f"{name} must be a positive number, got {value!r}")
        if not (math.isfinite(self.smoothing_s) and self.smoothing_s >= 0):
            raise ParameterError(f"smoothing_s must be ≥ 0, got {self.smoothing_s!r}")
        if not math.isfinite(self.silence_dbfs):
            raise ParameterError(f"silence_dbfs must be a number, got {self.silence_dbfs!r}")
        if isinstance(self.max_windows, bool) or not isinstance(self.max_windows, int) or self.max_windows < 1:
            raise ParameterError(f"max_windows must be an integer ≥ 1, got {self.max_windows!r}")
