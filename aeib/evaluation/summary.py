"""The summary statistics shared by the tables (:mod:`aeib.evaluation.report`) and the figures
(:mod:`aeib.evaluation.plots`): one :class:`SummaryRow` per scope, method and metric, the scope name
of the whole set and the metric labels.

It imports neither of them, so both import it without a circle.
"""

from __future__ import annotations

from dataclasses import dataclass

from aeib.evaluation.runner import SETTINGS_METRIC

ALL_SCOPE = "all"
"""The scope of every example (the other scopes are styles and groups)."""

METRIC_LABELS = {
    "mel_distance_db": "mel distance (dB)",
    "mel_distance_matched_db": "loudness-matched mel (dB)",
    "centroid_error_hz": "centroid error (Hz)",
    "rms_error_db": "RMS error (dB)",
    "loudness_error_lu": "loudness error (LU)",
    "mrstft": "MR-STFT",
    "rms_error_deepafx": "RMS error (DeepAFx-ST 20·ln)",
    "centroid_error_deepafx_hz": "centroid error (DeepAFx-ST, Hz)",
    SETTINGS_METRIC: "EQ inversion error (dB)",
}
"""Table and figure labels by metric name, with units."""


@dataclass(frozen=True)
class SummaryRow:
    """One cell group of the tables: a method's statistics for one metric over one scope.

    Attributes:
        scope: :data:`ALL_SCOPE`, a style or a group.
        method: The method's name.
        metric: The metric's name (a key of :data:`METRIC_LABELS`).
        n: Number of pairs (examples where both the method's and the input's value are finite).
        mean: Mean of the method's values, in the metric's unit.
        std: Population standard deviation (ddof 0) of the method's values, in the metric's unit.
        input_mean: Mean of the input's values on the same examples, in the metric's unit.
        reduction_pct: ``100 · (1 − mean / input_mean)`` in %; NaN when undefined.
    """

    scope: str
    method: str
    metric: str
    n: int
    mean: float
    std: float
    input_mean: float
    reduction_pct: float
