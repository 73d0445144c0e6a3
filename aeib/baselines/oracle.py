"""``oracle``: the chain setting optimized directly against the target — the ceiling of the chain.

For one example the 24 chain parameters are searched, in the schema's normalized [0, 1] units,
to minimize a spectral distance between ``process(input, setting)`` and the *target* itself (which
no real method can see). Whatever the analyzer or a rule predicts, one fixed setting of this chain
cannot get closer to the target than this — up to the search's own imperfection, so the oracle is a
*lower bound on the ceiling*: a method that beats it on the optimized metric has found a better
setting than the search did.

The search is derivative-free (the compressor makes the objective non-smooth): every start point
(``rb-dsp``'s setting and the neutral one by default) is evaluated, then scipy's bounded Powell
method runs from the better one with the rest of the budget; the best setting seen anywhere is
kept. (Splitting the budget between two Powell runs did clearly worse at 300 evaluations: one
Powell sweep over 24 coordinates alone costs about that much.) The budget caps the chain
evaluations — each is one run of the chain over the whole example plus one distance — except that
every start point is evaluated once even if the budget is smaller.

The objectives are float32 twins of :func:`aeib.metrics.mel_distance_db` and
:func:`aeib.metrics.mrstft_distance` (same definitions; they agree to 1e-4 relative), with the target
analysed once. The mel distance is the default: on real test examples (boomy, bright) it was about
twice as cheap per evaluation and, at 300 evaluations, reached a *lower* MR-STFT distance than
searching on the MR-STFT distance itself, whose landscape stalls Powell (see docs/EVALUATION.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.optimize

from aeib.audio import to_mono
from aeib.dsp import CHAIN_SCHEMA, process
from aeib.features import LogMelSpec, frame_signal, mel_filterbank
from aeib.metrics import MEL_BANDS, MEL_FFT, MEL_HOP, MRSTFT_SIZES, POWER_FLOOR

OBJECTIVES = ("mel", "mrstft")
STARTS = ("rb-dsp", "neutral")
XTOL = 1e-2
"""Powell's line-search tolerance in normalized units (1 % of a range: finer buys nothing audible)."""


@dataclass(frozen=True)
class OracleConfig:
    """How hard the oracle searches.

    Attributes:
        iterations: Chain evaluations per example, all starts together (≥ 1).
        objective: ``"mel"`` (mel distance, dB; the default) or ``"mrstft"`` (multi-resolution
            STFT distance).
        starts: Start points, any of ``"rb-dsp"`` and ``"neutral"``, searched in this order.
        limiter: Keep the product's safety limiter in the chain while searching.
    """

    iterations: int = 300
    objective: str = "mel"
    starts: tuple[str, ...] = STARTS
    limiter: bool = True

    def __post_init__(self) -> None:
        if self.iterations < 1:
            raise ValueError(f"oracle iterations must be ≥ 1, got {self.iterations}")
        if self.objective not in OBJECTIVES:
            raise ValueError(f"oracle objective must be one of {OBJECTIVES}, got {self.objective!r}")
        if not self.starts or any(start not in STARTS for start in self.starts):
            raise ValueError(f"oracle starts must be a non-empty subset of {STARTS}, got {self.starts}")


@dataclass(frozen=True)
class OracleResult:
    """The best setting found and how it was found.

    Attributes:
        params: Complete setting in physical units.
        objective_value: The objective at ``params`` (lower is better).
        start_values: The objective at each start point, by start name.
        evaluations: Chain evaluations spent.
    """

    params: dict[str, float]
    objective_value: float
    start_values: dict[str, float]
    evaluations: int


class SpectralObjective:
    """A spectral distance to one fixed target, in float32, the target analysed once.

    Args:
        target: float[samples] (or [samples, channels], averaged) target signal.
        sample_rate: Sample rate in Hz.
        kind: ``"mrstft"`` or ``"mel"`` (definitions of :mod:`aeib.metrics`).
    """

    def __init__(self, target: np.ndarray, sample_rate: int, kind: str = "mrstft"):
        if kind not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {kind!r}")
        self.kind = kind
        self.n_samples = len(to_mono(target))
        if kind == "mrstft":
            self._sizes = MRSTFT_SIZES
            self._reference = {}
            for n_fft in self._sizes:
                mag = np.sqrt(self._power(target, n_fft))
                self._reference[n_fft] = (mag, np.log(mag + np.float32(1e-7)),
                                          max(float(np.sqrt(np.sum(mag * mag, dtype=np.float64))), 1e-12))
        else:
            spec = LogMelSpec(sample_rate=int(sample_rate), frame_length=MEL_FFT, hop_length=MEL_HOP, n_mels=MEL_BANDS)
            self._filterbank = mel_filterbank(spec).astype(np.float32)
            self._log_mel = self._log_mel_of(target)

    def _power(self, audio: np.ndarray, n_fft: int) -> np.ndarray:
        audio = to_mono(audio).astype(np.float32)
        hop = n_fft // 4
        n_frames = max(1, math.ceil(max(len(audio) - n_fft, 0) / hop) + 1)
        padded = np.zeros((n_frames - 1) * hop + n_fft, dtype=np.float32)
        padded[: len(audio)] = audio
        window = np.hanning(n_fft + 2)[1:-1].astype(np.float32)
        spectrum = scipy.fft.rfft(frame_signal(padded, n_fft, hop) * window, axis=-1)
        return spectrum.real ** 2 + spectrum.imag ** 2

    def _log_mel_of(self, audio: np.ndarray) -> np.ndarray:
        return 10 * np.log10(self._power(audio, MEL_FFT) @ self._filterbank + np.float32(POWER_FLOOR))

    def __call__(self, estimate: np.ndarray) -> float:
        """The distance of ``estimate`` (same length as the target) to the target."""
        if self.kind == "mel":
            return float(np.mean(np.abs(self._log_mel_of(estimate) - self._log_mel), dtype=np.float64))
        total = 0.0
        for n_fft in self._sizes:
            mag_ref, log_ref, norm_ref = self._reference[n_fft]
            mag = np.sqrt(self._power(estimate, n_fft))
            diff = mag - mag_ref
            total += float(np.sqrt(np.sum(diff * diff, dtype=np.float64))) / norm_ref
            total += float(np.mean(np.abs(np.log(mag + np.float32(1e-7)) - log_ref), dtype=np.float64))
        return total / len(self._sizes)


class _BudgetExhausted(Exception):
    pass


class _Tracker:
    """Counts chain evaluations, remembers the best point, stops the optimizer at ``limit``."""

    def __init__(self, loss):
        self.loss = loss
        self.limit = 0
        self.evaluations = 0
        self.best_x: np.ndarray | None = None
        self.best_value = math.inf

    def __call__(self, x01: np.ndarray) -> float:
        if self.evaluations >= self.limit:
            raise _BudgetExhausted
        self.evaluations += 1
        x01 = np.clip(np.asarray(x01, dtype=np.float64), 0.0, 1.0)
        value = self.loss(x01)
        if value < self.best_value:
            self.best_value, self.best_x = value, x01.copy()
        return value


def oracle_params(audio: np.ndarray, target: np.ndarray, sample_rate: int, config: OracleConfig = OracleConfig(),
                  start_params: dict[str, dict[str, float]] | None = None,
                  reference: np.ndarray | None = None) -> OracleResult:
    """Search the chain setting that brings ``audio`` closest to ``target``.

    Args:
        audio: float[samples] mono input (the recording to fix).
        target: float[samples] mono target (what the fix should sound like).
        sample_rate: Sample rate of both in Hz.
        config: Budget, objective and start points.
        start_params: Optional ready-made start settings by start name (e.g. an ``rb-dsp`` setting
            already computed); missing ones are computed (``rb-dsp`` needs ``reference``).
        reference: float[samples'] reference audio for the ``rb-dsp`` start (else the start is
            computed from the target, which is what rb-dsp would match at best).

    Returns:
        The best setting found; never worse than the best start point.
    """
    from aeib.baselines.rule_based import rule_based_params

    audio = to_mono(audio).astype(np.float32)
    objective = SpectralObjective(target, sample_rate, config.objective)
    if len(audio) != objective.n_samples:
        raise ValueError(f"input and target lengths differ: {len(audio)} vs {objective.n_samples}")

    def loss(x01: np.ndarray) -> float:
        return objective(process(audio, sample_rate, CHAIN_SCHEMA.denormalize(x01), limiter=config.limiter))

    starts = dict(start_params or {})
    if "neutral" in config.starts:
        starts.setdefault("neutral", CHAIN_SCHEMA.defaults())
    if "rb-dsp" in config.starts and "rb-dsp" not in starts:
        starts["rb-dsp"] = rule_based_params(audio, target if reference is None else reference, sample_rate)

    tracker = _Tracker(loss)
    tracker.limit = len(config.starts)
    start_values = {name: tracker(CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.to_vector(starts[name]))) for name in config.starts}
    tracker.limit = max(config.iterations, tracker.evaluations)
    try:
        scipy.optimize.minimize(tracker, tracker.best_x, method="Powell", bounds=[(0.0, 1.0)] * len(CHAIN_SCHEMA),
                                options={"maxfev": tracker.limit, "xtol": XTOL, "ftol": 1e-6})
    except _BudgetExhausted:
        pass
    if tracker.best_x is None:  # budget 0 cannot happen (config checks ≥ 1); keep the type checker honest
        raise RuntimeError("oracle evaluated nothing")
    params = CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.denormalize(tracker.best_x))
    return OracleResult(params, tracker.best_value, start_values, tracker.evaluations)
