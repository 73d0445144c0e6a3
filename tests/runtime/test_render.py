"""The loudness measurement of :func:`aeib.runtime.render.make_plan`: the true peak only when it matters."""

import types

import numpy as np
import pytest

from aeib.dsp import CHAIN_SCHEMA, ChainProcessor
from aeib.dsp.loudness import LoudnessMeter, gain_to_target_db
from aeib.runtime.render import make_plan

RATE = 48_000


def _counting_blocks(audio, calls):
    def blocks():
        calls.append(1)
        for start in range(0, audio.shape[0], 10_000):
            yield audio[start:start + 10_000]
    return blocks


def _exact_gain(audio, params, target):
    """The rule with the true peak always measured (the definition make_plan must equal)."""
    meter = LoudnessMeter(RATE, audio.shape[1])
    meter.add(ChainProcessor(RATE, audio.shape[1], params, limiter=False).process_block(audio))
    return gain_to_target_db(meter.integrated_lufs(), meter.true_peak_dbtp(), target)


def _plan_gain(audio, target):
    calls = []
    params = CHAIN_SCHEMA.defaults()
    plan = make_plan(params, types.SimpleNamespace(silent=False), RATE, audio.shape[1],
                     _counting_blocks(audio, calls), loudness=target)
    return plan.setting.loudness.gain_db, len(calls), _exact_gain(audio, params, target)


def test_a_cut_needs_no_true_peak_pass():
    rng = np.random.default_rng(1)
    audio = 0.3 * rng.standard_normal((3 * RATE, 2))  # loud noise: the target asks for a cut
    gain, passes, exact = _plan_gain(audio, -20.0)
    assert gain < 0 and passes == 1
    assert gain == pytest.approx(exact, abs=0.006)  # the parameter file rounds gains to 0.01 dB


def test_a_boost_held_back_by_the_ceiling_measures_the_true_peak():
    n = np.arange(3 * RATE)
    # 10 ms fs/4 bursts at 45° once a second: quiet overall (about −19 LUFS), samples at 0.707 of
    # the true peak, so a boost to 0 LUFS is held back by the ceiling, on the true peak.
    burst = np.sin(2 * np.pi * n / 4 + np.pi / 4) * ((n // 480) % 100 == 0)
    audio = np.stack([0.5 * burst, 0.5 * burst], axis=1)
    gain, passes, exact = _plan_gain(audio, 0.0)
    assert passes == 2
    assert gain == pytest.approx(exact, abs=0.006)
    meter = LoudnessMeter(RATE, 2).add(audio)
    held_by_sample_peak = gain_to_target_db(meter.integrated_lufs(), meter.sample_peak_dbfs(), 0.0)
    assert 0 < gain < held_by_sample_peak - 1.0  # the true peak, 3 dB above the samples, held it back
