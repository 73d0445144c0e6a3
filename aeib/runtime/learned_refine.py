"""A learned refinement with a reference: a linear map from two EQ curves to the one to run (issue 12).

The fixed refinement (:func:`aeib.runtime.refine.refine_toward_reference`) moves the analyzer's EQ
curve a quarter of the way toward the measured match (the reference's long-term spectrum over the
input's, ⅓-octave smoothed and level-aligned, :func:`aeib.baselines.rule_based.curve_from_spectra`).
One fraction for every recording and every frequency: on a clean recording whose reference is another
part of the song it moves as far as on a recording with a tonal fault.

A bundle may instead carry a :class:`LearnedRefinement`: at each frequency of the measured match's grid
at the rate it was fitted at (:func:`aeib.baselines.rule_based.curve_grid_hz`: 96, 40 Hz to 0.9 × the
Nyquist frequency), the EQ curve to run is a linear
function of the analyzer's curve and the measured match (clipped to ±6 and to ±18 dB) at every
:data:`FEATURE_STEP`-th of those frequencies. The map is fitted by ridge regression on a *training*
split of shard data (``scripts/fit_refinement.py``), predicting the curve the target asks for (target
over input; flat for a clean recording), with clean examples weighted ``identity_weight`` times the
others — the weight trades leaving a good recording alone against repairing a bad one — and shrunk
toward the fixed quarter blend. The predicted curve is refitted to the six EQ gains as the fixed
refinement's is (anchored to the analyzer's setting; frequencies, Qs and the compressor stay).

Above the map's highest frequency the analyzer's curve stays. ``strength`` blends from the analyzer's
curve (0) to the learned one (1, the default). The shipped `small-v3` bundles carry one (identity
weight 12, ridge 100; docs/TRAINING.md, "A learned refinement with a reference").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from aeib.baselines.rule_based import GRID_POINTS, curve_from_spectra, fit_eq
from aeib.dsp.eq import eq_response_db

FEATURE_STEP = 4
"""The features are the curves at every this-many grid frequencies (24 of 96)."""
MEASURED_LIMITS_DB = (6.0, 18.0)
"""The measured match enters twice, clipped to each of these (dB): the fixed refinement's limit and the EQ's range."""
LEARNED_STRENGTH = 1.0
"""Default strength with a learned map: its curve as fitted."""
FORMAT = "aeib-learned-refinement"


def feature_count(grid_points: int = GRID_POINTS, step: int = FEATURE_STEP) -> int:
    """Features per example: the analyzer's curve and the two clipped measured curves at the
    subsampled frequencies, and a constant."""
    return 3 * len(range(0, grid_points, step)) + 1


def learned_features(analyzer_db: np.ndarray, measured_db: np.ndarray, step: int = FEATURE_STEP) -> np.ndarray:
    """float64[n, :func:`feature_count`] from curves float[n, G] (or float[G]) on the map's grid."""
    analyzer_db, measured_db = np.atleast_2d(analyzer_db), np.atleast_2d(measured_db)
    sub = slice(None, None, step)
    low, high = MEASURED_LIMITS_DB
    return np.hstack([analyzer_db[:, sub], np.clip(measured_db, -low, low)[:, sub],
                      np.clip(measured_db, -high, high)[:, sub], np.ones((analyzer_db.shape[0], 1))])


def fixed_blend_map(strength: float, grid_points: int = GRID_POINTS, step: int = FEATURE_STEP) -> np.ndarray:
    """The weights of the fixed refinement's blend, ``(1 − strength) · analyzer + strength · measured
    (±6 dB)``, each frequency taking the curves interpolated between the two nearest feature
    frequencies (linearly in log frequency; held beyond the last): what the fit shrinks toward."""
    n = len(range(0, grid_points, step))
    weights = np.zeros((feature_count(grid_points, step), grid_points))
    for j in range(grid_points):
        position = min(j / step, n - 1.0)
        low = int(position)
        high, above = min(low + 1, n - 1), position - low
        for row, share in ((low, 1.0 - above), (high, above)):
            weights[row, j] += (1.0 - strength) * share
            weights[n + row, j] += strength * share
    return weights


def measured_match_map(grid_points: int = GRID_POINTS, step: int = FEATURE_STEP) -> np.ndarray:
    """The weights that give the measured match itself (clipped to the EQ's ±18 dB), interpolated between
    the feature frequencies as :func:`fixed_blend_map` does: where ``match`` pulls the map's curve
    (:meth:`LearnedRefinement.curve_db`)."""
    n = len(range(0, grid_points, step))
    blend = fixed_blend_map(1.0, grid_points, step)
    weights = np.zeros_like(blend)
    weights[2 * n:3 * n] = blend[n:2 * n]
    return weights


@dataclass(frozen=True)
class LearnedRefinement:
    """A fitted map (see the module docstring).

    Attributes:
        grid_hz: float64[G], the map's frequencies, rising.
        weights: float64[:func:`feature_count`, G].
        step: :data:`FEATURE_STEP` it was fitted with.
        fitted: How it was fitted (data, split, examples, identity weight, ridge): metadata only.
    """

    grid_hz: np.ndarray
    weights: np.ndarray
    step: int = FEATURE_STEP
    fitted: Mapping[str, Any] = field(default_factory=dict)

    def curve_db(self, analyzer_db: np.ndarray, measured_db: np.ndarray, match: float = 0.0) -> np.ndarray:
        """The EQ curve to run on :attr:`grid_hz` from the analyzer's curve and the measured match there;
        ``match`` 0…1 moves it that share of the way on to the measured match (±18 dB,
        :func:`measured_match_map`)."""
        weights = self.weights if match == 0.0 else \
            (1.0 - match) * self.weights + match * measured_match_map(self.grid_hz.size, self.step)
        curve: np.ndarray = (learned_features(analyzer_db, measured_db, self.step) @ weights)[0]
        return curve

    def to_json(self) -> dict[str, Any]:
        """The bundle JSON's ``refinement`` entry. The weights are one string per feature, its numbers to
        6 significant digits separated by spaces (a line each in an indented JSON file)."""
        return {"format": FORMAT, "grid_hz": [float(f"{f:.6g}") for f in self.grid_hz], "feature_step": self.step,
                "measured_limits_db": list(MEASURED_LIMITS_DB),
                "weights": [" ".join(f"{w:.6g}" for w in row) for row in self.weights], "fitted": dict(self.fitted)}

    @classmethod
    def from_json(cls, entry: Any, source: Path | str) -> LearnedRefinement:
        """Read and check a bundle's ``refinement`` entry.

        Raises:
            ModelError: if it is malformed (wrong format name, shapes, limits, or non-finite numbers).
        """
        from aeib.errors import ModelError

        problem = f"{source}: the bundle's learned refinement is malformed"
        if not isinstance(entry, Mapping) or entry.get("format") != FORMAT:
            raise ModelError(f"{problem} (expected an object with format {FORMAT!r})")
        try:
            grid = np.asarray(entry["grid_hz"], dtype=np.float64)
            rows = entry["weights"]
            if not isinstance(rows, list) or not all(isinstance(row, str) for row in rows):
                raise TypeError
            lengths = {len(row.split()) for row in rows}
            if len(lengths) > 1:
                raise ValueError
            weights = np.array([[float(w) for w in row.split()] for row in rows], dtype=np.float64)
            step = entry["feature_step"]
            limits = tuple(float(x) for x in entry["measured_limits_db"])
        except (KeyError, TypeError, ValueError):
            raise ModelError(f"{problem} (it needs grid_hz, weights, feature_step and measured_limits_db)") from None
        if isinstance(step, bool) or not isinstance(step, int) or step < 1:
            raise ModelError(f"{problem} (feature_step must be a positive integer)")
        if limits != MEASURED_LIMITS_DB:
            raise ModelError(f"{problem} (measured_limits_db {list(limits)}; this aeib computes {list(MEASURED_LIMITS_DB)})")
        if grid.ndim != 1 or grid.size < 2 or not np.isfinite(grid).all() or grid[0] <= 0 or np.any(np.diff(grid) <= 0):
            raise ModelError(f"{problem} (grid_hz must be rising positive frequencies)")
        if weights.shape != (feature_count(grid.size, step), grid.size) or not np.isfinite(weights).all():
            raise ModelError(f"{problem} (weights must be {feature_count(grid.size, step)} rows of {grid.size} "
                             f"finite numbers, got shape {list(weights.shape)})")
        fitted = entry.get("fitted", {})
        return cls(grid, weights, step, dict(fitted) if isinstance(fitted, Mapping) else {})


def fit_learned_refinement(analyzer_db: np.ndarray, measured_db: np.ndarray, desired_db: np.ndarray,
                           identity: np.ndarray, grid_hz: np.ndarray, identity_weight: float, ridge: float,
                           toward_strength: float, fitted: Mapping[str, Any] | None = None) -> LearnedRefinement:
    """Weighted ridge regression of the desired curves on the features.

    Args:
        analyzer_db, measured_db, desired_db: float[n, G] on ``grid_hz``: the analyzer's curve (no
            refinement), the measured match (limited to the EQ's range) and the curve the target asks
            for (target over input, the same way).
        identity: bool[n], the clean examples (desired flat).
        grid_hz: float[G].
        identity_weight: A clean example's weight (the others weigh 1).
        ridge: The penalty on the weights' distance from the fixed blend's.
        toward_strength: The fixed blend shrunk toward (:func:`fixed_blend_map`).
        fitted: Metadata to keep with the map.

    Raises:
        ValueError: for inconsistent shapes, no examples, or a non-positive weight or negative ridge.
    """
    analyzer_db, measured_db, desired_db = (np.asarray(a, dtype=np.float64) for a in (analyzer_db, measured_db, desired_db))
    identity = np.asarray(identity, dtype=bool)
    grid_hz = np.asarray(grid_hz, dtype=np.float64)
    n, points = desired_db.shape if desired_db.ndim == 2 else (0, 0)
    if n == 0 or analyzer_db.shape != (n, points) or measured_db.shape != (n, points) or identity.shape != (n,) \
            or grid_hz.shape != (points,):
        raise ValueError("fit_learned_refinement needs curves float[n, G] on one grid of G frequencies, n ≥ 1")
    if not identity_weight > 0 or not ridge >= 0:
        raise ValueError(f"identity_weight must be > 0 and ridge >= 0, got {identity_weight}, {ridge}")
    x = learned_features(analyzer_db, measured_db)
    start = fixed_blend_map(toward_strength, points)
    sample_weight = np.where(identity, identity_weight, 1.0)[:, None]
    gram = (x * sample_weight).T @ x + ridge * np.eye(x.shape[1])
    weights = start + np.linalg.solve(gram, (x * sample_weight).T @ (desired_db - x @ start))
    info = {"examples": int(n), "clean_examples": int(identity.sum()), "identity_weight": float(identity_weight),
            "ridge": float(ridge), "toward_strength": float(toward_strength), **(fitted or {})}
    return LearnedRefinement(grid_hz, weights, FEATURE_STEP, info)


def _on_log_grid(freqs_hz: np.ndarray, values: np.ndarray, at_hz: np.ndarray) -> np.ndarray:
    """``values`` given at rising ``freqs_hz``, linearly interpolated in log frequency at ``at_hz``
    (held at the end values outside)."""
    return np.asarray(np.interp(np.log(at_hz), np.log(freqs_hz), values), dtype=np.float64)


def refine_learned(params: dict[str, float], input_spectrum: tuple[np.ndarray, np.ndarray],
                   reference_spectrum: tuple[np.ndarray, np.ndarray], sample_rate: int, learned: LearnedRefinement,
                   strength: float = LEARNED_STRENGTH, match: float = 0.0) -> dict[str, float]:
    """The setting with its six EQ gains refitted to the learned map's curve.

    Args:
        params: Complete chain setting (physical units): the analyzer's.
        input_spectrum, reference_spectrum: ``(freqs_hz, level_db)`` long-term spectra
            (:func:`aeib.runtime.spectrum.long_term_spectrum_db`); the rates may differ.
        sample_rate: The input's rate, Hz (the EQ runs at it).
        learned: The bundle's map.
        strength: 0…1, from the analyzer's curve (0: ``params`` unchanged) to the learned one (1).
        match: 0…1, how far the learned curve moves on toward the measured match (:meth:`LearnedRefinement.curve_db`;
            0: the map as fitted).

    Returns:
        A complete setting; only the EQ's six gains differ from ``params``.

    Raises:
        ParameterError: if ``strength`` is outside [0, 1].
    """
    from aeib.runtime.refine import check_refine  # here: aeib.runtime.refine imports this module

    strength = check_refine(strength, "refinement strength")
    match = check_refine(match, "match")
    if strength == 0.0:
        return dict(params)
    grid, measured = curve_from_spectra(*input_spectrum, *reference_spectrum, sample_rate, MEASURED_LIMITS_DB[1])
    analyzer_on_map = eq_response_db(params, sample_rate, learned.grid_hz)
    learned_curve = learned.curve_db(analyzer_on_map, _on_log_grid(grid, measured, learned.grid_hz), match)
    analyzer = eq_response_db(params, sample_rate, grid)
    top = float(learned.grid_hz[-1])
    target = np.where(grid <= top * (1.0 + 1e-9), _on_log_grid(learned.grid_hz, learned_curve, grid), analyzer)
    curve = analyzer + strength * (target - analyzer)
    if not np.isfinite(curve).all():  # a silent input or reference: nothing to learn from
        return dict(params)
    return {**params, **fit_eq(grid, curve, sample_rate, anchor=params, frequencies=False)}


__all__ = ["FEATURE_STEP", "GRID_POINTS", "LEARNED_STRENGTH", "MEASURED_LIMITS_DB", "LearnedRefinement",
           "feature_count", "fit_learned_refinement", "fixed_blend_map", "learned_features", "measured_match_map",
           "refine_learned"]
