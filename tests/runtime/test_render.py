"""The loudness measurement of :func:`aeib.runtime.render.make_plan`: the true peak only when it matters."""

import math
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


def _tone_with_clicks(click):
    """A quiet 1 kHz tone (about −26 LUFS) with a one-sample click every 100 ms."""
    tone = 0.05 * np.sin(2 * np.pi * 1000 * np.arange(3 * RATE) / RATE)
    tone[::4800] = click
    return np.stack([tone, tone], axis=1)


def _output_lufs(audio, target, monkeypatch=None, correction_db=None):
    from aeib.runtime import render

    if correction_db is not None:
        monkeypatch.setattr(render, "LIMITER_CORRECTION_DB", correction_db)
    calls = []
    plan = make_plan(CHAIN_SCHEMA.defaults(), types.SimpleNamespace(silent=False), RATE, 2,
                     _counting_blocks(audio, calls), loudness=target)
    out = plan.processor()(audio)
    return LoudnessMeter(RATE, 2, true_peak=False).add(out).integrated_lufs(), plan.setting.loudness.gain_db, len(calls)


def test_the_limiters_loudness_loss_is_measured_and_made_up_once(monkeypatch):
    """Clicks 6 dB over the limiter's ceiling after the boost: its release costs 1.6 LU; one more pass
    measures the limited output and raises the gain by the shortfall, landing within 0.5 LU."""
    audio = _tone_with_clicks(0.5)
    uncorrected, plain_gain, _ = _output_lufs(audio, -16.0, monkeypatch, correction_db=math.inf)
    assert uncorrected < -17.0
    monkeypatch.undo()
    corrected, gain, passes = _output_lufs(audio, -16.0)
    assert abs(corrected + 16.0) < 0.5 and gain > plain_gain + 1.0
    assert passes == 3  # measuring, the true peak (the raised gain nears the ceiling rule), the limited output


def test_a_limiter_that_barely_acts_costs_no_extra_pass():
    out_lufs, _, passes = _output_lufs(_tone_with_clicks(0.3), -16.0)
    assert passes == 1 and abs(out_lufs + 16.0) < 0.05


def _long_music(seconds, rate, seed=6):
    from tests.conftest import music_like

    return music_like(seconds, rate, channels=2, seed=seed)


def test_a_long_recording_runs_the_chain_on_excerpts_only():
    from aeib.runtime.excerpts import source_whole_levels
    from aeib.runtime.windows import ArrayAudio

    rate = 8_000
    audio = _long_music(150.0, rate)
    audio[: audio.shape[0] // 3] *= 0.2  # a quiet first third: the gating must be right
    params = CHAIN_SCHEMA.defaults() | {"comp.threshold_db": -30.0, "comp.ratio": 4.0, "eq.band2.gain_db": 6.0}
    analysis = types.SimpleNamespace(silent=False)
    whole = make_plan(params, analysis, rate, 2, lambda: iter([audio]), loudness=-16.0)

    def no_whole_pass():
        raise AssertionError("the whole signal was streamed")

    source = ArrayAudio(audio, rate)
    levels = source_whole_levels(source)
    from_excerpts = make_plan(params, analysis, rate, 2, no_whole_pass, loudness=-16.0, source=source,
                              input_levels=levels)
    # The chain's loudness change on the excerpts, added to the whole input's loudness.
    assert from_excerpts.setting.loudness.gain_db == pytest.approx(whole.setting.loudness.gain_db, abs=0.03)
    out = from_excerpts.processor()(audio)
    assert LoudnessMeter(rate, 2, true_peak=False).add(out).integrated_lufs() == pytest.approx(-16.0, abs=0.05)
    # Without the levels given, one plain decoding pass measures them (no chain runs on the whole signal).
    calls = []
    measured_here = make_plan(params, analysis, rate, 2, _counting_blocks(audio, calls), loudness=-16.0,
                              source=source)
    assert len(calls) == 1 and measured_here.setting == from_excerpts.setting
    # "keep": the whole input's loudness is the target.
    kept = make_plan(params, analysis, rate, 2, no_whole_pass, loudness="keep", source=source, input_levels=levels)
    assert kept.setting.loudness.target_lufs == pytest.approx(levels.loudness_lufs, abs=0.005)


def test_a_minute_or_less_and_adaptive_mode_are_measured_whole():
    from aeib.runtime.windows import ArrayAudio

    rate = 8_000
    params = CHAIN_SCHEMA.defaults()
    short = _long_music(60.0, rate)
    plain = make_plan(params, types.SimpleNamespace(silent=False), rate, 2, lambda: iter([short]), loudness=-16.0)
    with_source = make_plan(params, types.SimpleNamespace(silent=False), rate, 2, lambda: iter([short]),
                            loudness=-16.0, source=ArrayAudio(short, rate))
    assert with_source.setting == plain.setting  # bit for bit the whole measurement
    long = _long_music(70.0, rate)
    calls = []
    analysis = types.SimpleNamespace(silent=False, params01_at=lambda t: np.tile(
        CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.default_vector()), (np.size(t), 1)))
    make_plan(params, analysis, rate, 2, _counting_blocks(long, calls), adaptive=True, loudness=-16.0,
              source=ArrayAudio(long, rate))
    assert calls  # adaptive: the gliding setting needs the whole signal in order


@pytest.mark.parametrize("click", [0.3, 0.5])  # the limiter barely acts / its correction pass runs
def test_the_kept_measuring_output_finishes_to_the_same_bits(click):
    audio = _tone_with_clicks(click).astype(np.float32)
    params = CHAIN_SCHEMA.defaults() | {"eq.band2.gain_db": 4.0, "comp.ratio": 3.0, "comp.threshold_db": -30.0}
    calls = []
    plan = make_plan(params, types.SimpleNamespace(silent=False), RATE, 2, _counting_blocks(audio, calls),
                     loudness=-16.0, keep=True)
    assert plan.kept_pre_gain is not None and len(calls) == 1  # later passes ran on the kept output
    whole = plan.processor()(audio)
    finish = plan.finisher()
    finished = np.concatenate([finish(block) for block in plan.kept_pre_gain])
    assert finished.dtype == np.float32 and np.array_equal(finished, whole)
    unkept = make_plan(params, types.SimpleNamespace(silent=False), RATE, 2, _counting_blocks(audio, []),
                       loudness=-16.0)
    assert unkept.kept_pre_gain is None and unkept.setting == plan.setting
