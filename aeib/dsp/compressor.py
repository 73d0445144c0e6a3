"""Feed-forward, log-domain dynamic range compressor with a soft knee, stereo-linked.

Signal flow per sample ``n`` (all levels in dBFS):

1. Detector: ``x[n] = 20·log10(max_c |audio[n, c]|)`` — the loudest channel, so one gain serves
   all channels (stereo linking; the stereo image never shifts).
2. Static gain computer (threshold ``T``, ratio ``R``, knee width ``W``)::

       y = x                                        if 2(x − T) < −W
       y = x + (1/R − 1)(x − T + W/2)² / (2W)       if 2|x − T| ≤ W
       y = T + (x − T)/R                            if 2(x − T) > W

   and the wanted gain reduction ``r[n] = y − x ≤ 0``.
3. Ballistics in the gain-reduction domain: a one-pole smoother whose coefficient is the attack
   coefficient while reduction grows and the release coefficient while it recovers,
   ``coef = exp(−1 / (time_s · sample_rate))`` — the smoothed reduction covers 1 − 1/e ≈ 63 % of a
   step in ``attack_ms`` / ``release_ms``.
4. Output ``audio · 10^((r_smoothed + makeup_db) / 20)``.

With ``ratio = 1`` and ``makeup_db = 0`` the compressor is exactly the identity.
"""

from __future__ import annotations

import math
from typing import Mapping

import numba
import numpy as np

from aeib.dsp.processor import Processor, register_processor
from aeib.dsp.schema import ParamSpec

LEVEL_FLOOR_DB = -150.0
_DB_PER_NEPER = 20.0 / math.log(10.0)
_LEVEL_FLOOR = math.exp(LEVEL_FLOOR_DB / _DB_PER_NEPER)

SPECS = (
    ParamSpec("comp.threshold_db", "dB", -60.0, 0.0, "lin", 0.0, "compressor threshold (dBFS)"),
    ParamSpec("comp.ratio", ":1", 1.0, 20.0, "log", 1.0, "compression ratio (1 = no compression)", neutral=True),
    ParamSpec("comp.attack_ms", "ms", 0.1, 100.0, "log", 5.0, "attack time constant"),
    ParamSpec("comp.release_ms", "ms", 10.0, 1000.0, "log", 100.0, "release time constant"),
    ParamSpec("comp.knee_db", "dB", 0.0, 18.0, "lin", 6.0, "soft-knee width"),
    ParamSpec("comp.makeup_db", "dB", -12.0, 24.0, "lin", 0.0, "makeup gain", neutral=True),
)


def static_gain_reduction_db(level_db: np.ndarray, threshold_db: float, ratio: float, knee_db: float) -> np.ndarray:
    """Gain reduction (dB, ≤ 0) the static curve asks for at each input level (dBFS)."""
    level_db = np.asarray(level_db, dtype=np.float64)
    over = level_db - threshold_db
    slope = 1.0 / ratio - 1.0
    hard = np.where(over > 0.0, slope * over, 0.0)
    if knee_db <= 0.0:
        return hard
    in_knee = 2.0 * np.abs(over) <= knee_db
    soft = slope * (over + knee_db / 2.0) ** 2 / (2.0 * knee_db)
    return np.where(in_knee, soft, hard)


def static_curve_db(level_db: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
    """Steady-state output level (dBFS) of the compressor for input levels ``level_db`` (dBFS)."""
    reduction = static_gain_reduction_db(
        level_db, params["comp.threshold_db"], params["comp.ratio"], params["comp.knee_db"]
    )
    level: np.ndarray = np.asarray(level_db) + reduction + params["comp.makeup_db"]
    return level


def time_constant_coef(time_ms: float, sample_rate: float) -> float:
    """One-pole coefficient for a time constant in ms at ``sample_rate`` Hz."""
    return math.exp(-1000.0 / (time_ms * sample_rate))


@numba.njit(cache=True, nogil=True)
def channel_peak(block: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """Largest |sample| across channels, and at least ``floor``, for each sample of float64[samples,
    channels]: float64[samples]."""
    n, channels = block.shape
    peak = np.empty(n)
    if channels == 2:  # the common case, written out so the compiler can vectorize it
        for i in range(n):
            peak[i] = max(max(abs(block[i, 0]), abs(block[i, 1])), floor)
        return peak
    for i in range(n):
        p = abs(block[i, 0])
        for c in range(1, channels):
            p = max(p, abs(block[i, c]))
        peak[i] = max(p, floor)
    return peak


def detector_level_db(block: np.ndarray) -> np.ndarray:
    """Stereo-linked instantaneous level: dBFS of the loudest channel per sample, float64[samples]."""
    level: np.ndarray = _DB_PER_NEPER * np.log(channel_peak(block, _LEVEL_FLOOR))
    return level


@numba.njit(cache=True, nogil=True)
def _static_reduction_db(log_level: np.ndarray, threshold_db: float, ratio: float, knee_db: float,
                         out: np.ndarray) -> None:
    """The static curve's gain reduction (dB, ≤ 0) per sample, as :func:`static_gain_reduction_db`.

    Args:
        log_level: float64[samples], natural log of the detector's linear level (dBFS = that times
            ``_DB_PER_NEPER``, as :func:`detector_level_db`).
        out: float64[samples]; a separate array (in place, the loop would not vectorize).

    Every candidate is computed and one selected: no data-dependent branches, so it vectorizes.
    """
    slope = 1.0 / ratio - 1.0
    half_knee = knee_db / 2.0
    knee_denominator = 2.0 * knee_db if knee_db > 0.0 else 1.0  # the knee formula is unused when knee_db == 0
    for i in range(log_level.shape[0]):
        over = _DB_PER_NEPER * log_level[i] - threshold_db
        d = over + half_knee
        knee = slope * d * d / knee_denominator
        out[i] = 0.0 if over <= -half_knee else knee if over < half_knee else slope * over


@numba.njit(cache=True, nogil=True)
def _smoothed_gain(reduction_db: np.ndarray, attack_coef: float, release_coef: float, makeup_db: float,
                   state_db: float, out: np.ndarray) -> float:
    """Attack/release smoothing of the wanted reduction float64[samples] (dB); returns the smoothed
    reduction after the block (dB).

    ``out`` (float64[samples], may be ``reduction_db`` itself) gets ``(smoothed + makeup_db) /
    _DB_PER_NEPER``: the output gain in nepers.
    """
    keep_attack, keep_release = 1.0 - attack_coef, 1.0 - release_coef
    s = state_db
    for i in range(reduction_db.shape[0]):
        target = reduction_db[i]
        attacked = attack_coef * s + keep_attack * target  # both candidates: the choice is not a branch
        released = release_coef * s + keep_release * target
        s = attacked if target < s else released
        out[i] = (s + makeup_db) / _DB_PER_NEPER
    return s


@numba.njit(cache=True, nogil=True)
def _apply_gain(block: np.ndarray, gain: np.ndarray, out: np.ndarray) -> None:
    """out[i, c] = block[i, c] · gain[i]."""
    if block.shape[1] == 2:
        for i in range(block.shape[0]):
            out[i, 0] = block[i, 0] * gain[i]
            out[i, 1] = block[i, 1] * gain[i]
        return
    for i in range(block.shape[0]):
        for c in range(block.shape[1]):
            out[i, c] = block[i, c] * gain[i]


@register_processor
class Compressor(Processor):
    """Stateful compressor; the smoothed gain reduction carries over between blocks."""

    name = "comp"
    specs = SPECS

    def __init__(self, sample_rate: float, channels: int):
        super().__init__(sample_rate, channels)
        self.reset()

    def reset(self) -> None:
        self._reduction_db = 0.0

    def process_block(self, block: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        ratio, makeup_db = params["comp.ratio"], params["comp.makeup_db"]
        if ratio == 1.0 and self._reduction_db == 0.0:
            # No compression and nothing left to release: a plain (possibly unity) gain.
            return block if makeup_db == 0.0 else block * math.exp(makeup_db / _DB_PER_NEPER)
        # np.log and np.exp stay numpy's (numba's math.log/exp may round differently).
        log_level = np.log(channel_peak(block, _LEVEL_FLOOR))
        gain = np.empty_like(log_level)
        _static_reduction_db(log_level, params["comp.threshold_db"], ratio, params["comp.knee_db"], gain)
        self._reduction_db = _smoothed_gain(
            gain,
            time_constant_coef(params["comp.attack_ms"], self.sample_rate),
            time_constant_coef(params["comp.release_ms"], self.sample_rate),
            makeup_db,
            self._reduction_db,
            gain,
        )
        np.exp(gain, out=gain)
        out = np.empty_like(block)
        _apply_gain(block, gain, out)
        return out
