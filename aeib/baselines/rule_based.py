"""``rb-dsp``: a rule-based match of the input to a reference with the project's own chain.

No learning, three steps, all in physical units:

1. **EQ**: the ratio of the reference's and the input's long-term average spectra (Welch, 8192-point
   Hann, in dB, level-aligned so its power-weighted mean is 0 dB) is smoothed to ⅓ octave and
   sampled on a log-frequency grid (40 Hz to the bands' frequency cap, 0.45 × the sample rate); the
   six EQ bands' gains and frequencies are fitted to it by bounded least squares
   (``scipy.optimize.least_squares``), Q fixed at the schema defaults. (The test-time refinement
   fits the gains only, :func:`fit_eq` with ``frequencies=False``, by a Gauss–Newton in numpy.)
2. **Compressor**: if the input's short-term level spread (P95 − P10 of 50 ms peak levels, dB)
   exceeds the reference's by more than 1 dB, a soft-knee compressor with its threshold at the
   input's P10 level and 5 ms / 150 ms ballistics gets the ratio (from a grid of 13, 1–20:1) whose
   output spread is closest to the reference's; otherwise the ratio stays 1.
3. **Makeup**: the chain is run once and the makeup gain set so the output's integrated loudness
   (BS.1770) equals the reference's.

Everything is clipped into the schema's ranges, so the result is always a valid setting.
"""

from __future__ import annotations

import math

import numpy as np

from aeib.audio import to_mono
from aeib.dsp import CHAIN_SCHEMA, EQ_BANDS, band_frequency_cap_hz, process
from aeib.dsp.eq import band_responses_db, eq_response_db
from aeib.dsp.loudness import integrated_loudness_lufs

WELCH_SEGMENT = 8192
GRID_POINTS = 96
SHORT_TERM_S = 0.05
RATIO_GRID = np.geomspace(1.0, 20.0, 13)


def average_spectrum_db(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Long-term average power spectrum: (frequencies Hz, power dB)."""
    audio = to_mono(audio)
    import scipy.signal  # here, not at import: aeib enhance --reference reaches this module (start-up time)

    freqs, power = scipy.signal.welch(audio, sample_rate, nperseg=min(WELCH_SEGMENT, len(audio)))
    return freqs, 10 * np.log10(power + 1e-20)


def target_curve_db(audio: np.ndarray, reference: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """The smoothed, level-aligned reference/input spectrum ratio on a log grid: (grid Hz, dB)."""
    freqs, input_db = average_spectrum_db(audio, sample_rate)
    _, reference_db = average_spectrum_db(reference, sample_rate)
    return curve_from_spectra(freqs, input_db, freqs, reference_db, sample_rate)


def band_means(freqs_hz: np.ndarray, values: np.ndarray, grid_hz: np.ndarray, half_width_octaves: float) -> np.ndarray:
    """At each grid frequency ``f``, the mean of ``values`` over the bins within ``f`` · 2^±half_width
    (interpolated at ``f`` where no bin lies there): float64[len(grid_hz)]."""
    half = 2.0 ** half_width_octaves
    out = np.empty(len(grid_hz))
    for i, f in enumerate(grid_hz):
        band = (freqs_hz >= f / half) & (freqs_hz <= f * half)
        out[i] = values[band].mean() if band.any() else np.interp(f, freqs_hz, values)
    return out


def curve_grid_hz(sample_rate: int) -> np.ndarray:
    """The frequencies (Hz) of :func:`curve_from_spectra`'s curve at ``sample_rate``: :data:`GRID_POINTS`,
    log-spaced from 40 Hz to the EQ bands' frequency cap."""
    return np.geomspace(40.0, band_frequency_cap_hz(sample_rate), GRID_POINTS)


def curve_from_spectra(input_freqs: np.ndarray, input_db: np.ndarray, reference_freqs: np.ndarray,
                       reference_db: np.ndarray, sample_rate: int,
                       limit_db: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The smoothed, level-aligned reference/input ratio of two long-term spectra: (grid Hz, dB).

    The spectra may have different frequency axes (the reference is interpolated onto the input's).
    The ratio is smoothed to ⅓ octave on a log grid from 40 Hz to 0.45 × ``sample_rate`` (the input's
    rate), level-aligned so its power-weighted mean is 0 dB, and clipped to ±``limit_db`` (None: the
    EQ's gain range, rb-dsp's).
    """
    freqs = np.asarray(input_freqs, dtype=np.float64)
    ratio = np.interp(freqs, reference_freqs, reference_db) - np.asarray(input_db, dtype=np.float64)
    grid = curve_grid_hz(sample_rate)
    smoothed = band_means(freqs, ratio, grid, 1 / 6)  # ⅓-octave moving average around each grid frequency
    weights = 10 ** (np.interp(grid, freqs, input_db) / 10)
    smoothed -= np.sum(smoothed * weights) / np.sum(weights)  # level is the makeup's job
    limit = CHAIN_SCHEMA["eq.band1.gain_db"].max if limit_db is None else float(limit_db)
    return grid, np.clip(smoothed, -limit, limit)


def fit_eq(grid_hz: np.ndarray, curve_db: np.ndarray, sample_rate: int, anchor: dict[str, float] | None = None,
           anchor_weight_db: float = 3.0, frequencies: bool = True) -> dict[str, float]:
    """EQ gains and frequencies whose response best matches ``curve_db`` (least squares in dB).

    Args:
        grid_hz: Frequencies of the curve, Hz.
        curve_db: Wanted EQ response there, dB.
        sample_rate: Rate the EQ runs at, Hz.
        anchor: A setting to start from and stay near (the analyzer's, for the test-time
            refinement): each band's gain and frequency pays ``anchor_weight_db`` dB of residual per
            full range (normalized units) it moves away, so a band the curve does not need keeps the
            anchor's frequency instead of drifting to a range bound. The parameters not fitted (the
            Qs) are the anchor's, as in the setting the fit becomes part of. None: start at neutral,
            Qs at the schema defaults, no anchor term (rb-dsp).
        anchor_weight_db: See ``anchor``.
        frequencies: False: fit the six gains only, the frequencies staying the anchor's (or the
            defaults).

    Returns:
        The fitted parameters only (the gains, and the frequencies if fitted), each within its range.
    """
    names = [band.gain_param for band in EQ_BANDS] + ([band.frequency_param for band in EQ_BANDS] if frequencies else [])
    specs = [CHAIN_SCHEMA[name] for name in names]
    cap = band_frequency_cap_hz(sample_rate)
    lower = np.array([s.min for s in specs])
    upper = np.array([min(s.max, cap) if s.unit == "Hz" else s.max for s in specs])
    start = np.clip(np.array([s.default if anchor is None else anchor[name] for s, name in zip(specs, names)]),
                    lower, upper)
    is_freq = np.array([s.unit == "Hz" for s in specs])
    lower[is_freq], upper[is_freq], start[is_freq] = np.log(lower[is_freq]), np.log(upper[is_freq]), np.log(start[is_freq])
    span = upper - lower
    anchor_x = start.copy()
    base = CHAIN_SCHEMA.defaults() if anchor is None else {**CHAIN_SCHEMA.defaults(), **anchor}

    def setting(x: np.ndarray) -> dict[str, float]:
        values = np.where(is_freq, np.exp(x), x)
        return {**base, **dict(zip(names, values))}

    def residual(x: np.ndarray) -> np.ndarray:
        error = eq_response_db(setting(x), sample_rate, grid_hz) - curve_db
        if anchor is None:
            return error
        return np.concatenate([error, anchor_weight_db * (x - anchor_x) / span])

    if frequencies:
        import scipy.optimize  # here, not at import: 0.4 s of start-up (docs/RUNTIME.md)

        fitted = setting(scipy.optimize.least_squares(residual, start, bounds=(lower, upper), max_nfev=200).x)
    else:
        fitted = setting(_fit_gains(grid_hz, curve_db, sample_rate, base, names, start, (lower, upper),
                                    None if anchor is None else anchor_weight_db / span))
    return {name: float(np.clip(fitted[name], CHAIN_SCHEMA[name].min, CHAIN_SCHEMA[name].max)) for name in names}


GAUSS_NEWTON_STEPS = 50
"""Most iterations of the gains-only fit (it converges in a handful)."""


def _fit_gains(grid_hz: np.ndarray, curve_db: np.ndarray, sample_rate: int, base: dict[str, float], names: list[str],
               start: np.ndarray, bounds: tuple[np.ndarray, np.ndarray],
               anchor_weights: np.ndarray | None) -> np.ndarray:
    """The six gains of :func:`fit_eq` with the frequencies and Qs fixed: bounded Gauss–Newton.

    The same least-squares problem ``scipy.optimize.least_squares`` solves for :func:`fit_eq`
    (residual in dB on the grid, plus ``anchor_weights · (gain − start)`` per band), solved in numpy:
    each band's dB response depends on its own gain only and the EQ's response is their sum
    (:func:`~aeib.dsp.eq.band_responses_db`), so the Jacobian is one central difference of all six
    gains at once; a band at a bound that the gradient pushes outward is held there. The test-time
    refinement runs this on every ``aeib enhance --reference``, where importing ``scipy.optimize``
    would cost 0.4 s (docs/RUNTIME.md). It ends at ``least_squares``'s cost or lower, its gains within
    0.05 dB of that solver's (tested).

    Returns:
        The fitted gains, dB, in ``names`` order (the other parameters are ``base``'s).
    """
    lower, upper = bounds
    step_db = 1e-4

    def residual_and_jacobian(gains: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        def responses(offset: float) -> np.ndarray:
            return band_responses_db({**base, **dict(zip(names, gains + offset))}, sample_rate, grid_hz)

        residual = responses(0.0).sum(axis=0) - curve_db
        jacobian = ((responses(step_db) - responses(-step_db)) / (2 * step_db)).T   # [grid, bands]
        if anchor_weights is not None:
            residual = np.concatenate([residual, anchor_weights * (gains - start)])
            jacobian = np.vstack([jacobian, np.diag(anchor_weights)])
        return residual, jacobian

    gains = start.copy()
    residual, jacobian = residual_and_jacobian(gains)
    cost = float(residual @ residual)
    for _ in range(GAUSS_NEWTON_STEPS):
        gradient = jacobian.T @ residual
        held = ((gains <= lower) & (gradient > 0)) | ((gains >= upper) & (gradient < 0))
        step = np.zeros_like(gains)
        step[~held] = np.linalg.lstsq(jacobian[:, ~held], -residual, rcond=None)[0]
        for _halving in range(20):  # the full step, or a shorter one that lowers the cost
            trial = np.clip(gains + step, lower, upper)
            trial_residual, trial_jacobian = residual_and_jacobian(trial)
            trial_cost = float(trial_residual @ trial_residual)
            if trial_cost <= cost:
                break
            step /= 2
        else:
            break
        moved = float(np.max(np.abs(trial - gains)))
        gains, residual, jacobian, cost = trial, trial_residual, trial_jacobian, trial_cost
        if moved < 1e-7:
            break
    return gains


def short_term_levels_db(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Peak levels (dBFS) of 50 ms frames — what the compressor's peak detector follows — frames
    quieter than −70 dBFS dropped."""
    audio = to_mono(audio)
    frame = max(1, int(SHORT_TERM_S * sample_rate))
    n = len(audio) // frame
    if n == 0:
        return np.array([])
    peaks = np.max(np.abs(audio[: n * frame].reshape(n, frame)), axis=1)
    levels = 20 * np.log10(np.maximum(peaks, 1e-12))
    return levels[levels > -70.0]


def level_spread_db(audio: np.ndarray, sample_rate: int) -> float:
    """P95 − P10 of the 50 ms peak levels in dB (0 if there are too few frames)."""
    levels = short_term_levels_db(audio, sample_rate)
    return float(np.subtract(*np.percentile(levels, [95, 10]))) if levels.size >= 4 else 0.0


def fit_compressor(audio: np.ndarray, reference: np.ndarray, sample_rate: int) -> dict[str, float]:
    """Compressor settings that shrink the input's short-term level spread to the reference's.

    Threshold at the input's P10 level, 5 ms / 150 ms ballistics, 6 dB knee; the ratio is the one of
    :data:`RATIO_GRID` whose output spread comes closest to the reference's (the chain is cheap, so
    the rule simply tries them).
    """
    spread, ref_spread = level_spread_db(audio, sample_rate), level_spread_db(reference, sample_rate)
    if spread - ref_spread <= 1.0:
        return {"comp.ratio": 1.0}
    p10 = float(np.percentile(short_term_levels_db(audio, sample_rate), 10))
    base = {"comp.threshold_db": float(np.clip(p10, CHAIN_SCHEMA["comp.threshold_db"].min, 0.0)),
            "comp.attack_ms": 5.0, "comp.release_ms": 150.0, "comp.knee_db": 6.0}
    mono = to_mono(audio)
    errors = [abs(level_spread_db(process(mono, sample_rate, {**base, "comp.ratio": r}, limiter=False), sample_rate)
                  - ref_spread) for r in RATIO_GRID]
    return {**base, "comp.ratio": float(RATIO_GRID[int(np.argmin(errors))])}


def rule_based_params(audio: np.ndarray, reference: np.ndarray, sample_rate: int) -> dict[str, float]:
    """A complete chain setting that matches ``audio`` to ``reference`` by the rules above.

    Args:
        audio: float[samples] or float[samples, channels], the recording to fix.
        reference: float[samples'] or float[samples', channels], the sound to match (any length ≥ 0.4 s).
        sample_rate: Sample rate of both in Hz.
    """
    grid, curve = target_curve_db(audio, reference, sample_rate)
    params = CHAIN_SCHEMA.complete({**fit_eq(grid, curve, sample_rate), **fit_compressor(audio, reference, sample_rate)})
    processed = process(to_mono(audio), sample_rate, params, limiter=False)
    reference_lufs = integrated_loudness_lufs(to_mono(reference), sample_rate)
    gap = reference_lufs - integrated_loudness_lufs(processed, sample_rate)
    if math.isfinite(gap):
        spec = CHAIN_SCHEMA["comp.makeup_db"]
        params["comp.makeup_db"] = float(np.clip(gap, spec.min, spec.max))
    return params
