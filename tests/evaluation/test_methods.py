import sys

import numpy as np
import pytest

from aeib.baselines.oracle import OracleConfig
from aeib.dsp import CHAIN_SCHEMA, process
from aeib.evaluation.datasets import EvalExample
from aeib.evaluation.inversion import eq_inversion_error_db
from aeib.evaluation.methods import MatcheringMethod, Shared, make_baselines
from aeib.evaluation.synthetic import groove
from aeib.metrics import compare, mrstft_distance

RATE = 16_000


def test_input_baseline_changes_nothing(examples):
    example = examples[0]
    output = make_baselines(["input"])[0].run(example, Shared())
    assert np.array_equal(output.audio, example.input)
    assert output.params == CHAIN_SCHEMA.defaults()


def test_rb_dsp_returns_a_valid_setting_and_shares_it(examples):
    example = examples[2]  # muffled: a high-shelf cut the rule can undo
    shared = Shared()
    output = make_baselines(["rb-dsp"])[0].run(example, shared)
    assert CHAIN_SCHEMA.complete(output.params) == output.params
    assert shared.rb_dsp_params is output.params and shared.rb_dsp_s > 0
    assert output.audio.shape == example.input.shape
    assert mrstft_distance(output.audio, example.target) < mrstft_distance(example.input, example.target)


def test_oracle_beats_the_input_on_a_known_eq_gain():
    clean = groove(1.0, RATE, seed=4)
    damage = CHAIN_SCHEMA.complete({"eq.band2.gain_db": 8.0, "eq.band2.center_hz": 400.0})
    example = EvalExample("eq", process(clean, RATE, damage), clean, groove(1.0, RATE, seed=5), RATE, None, None)
    oracle = make_baselines(["oracle"], OracleConfig(iterations=150, starts=("neutral",)))[0]
    output = oracle.run(example, Shared())
    before = compare(example.input, clean, RATE)
    after = compare(output.audio, clean, RATE)
    # The output is brought to the reference's loudness (another clip here), so compare tone at equal loudness.
    assert after["mel_distance_matched_db"] < 0.5 * before["mel_distance_matched_db"]
    # ... and it got there by undoing the bell, not by some other route.
    assert eq_inversion_error_db(damage, output.params, RATE) < 0.5 * eq_inversion_error_db(damage, None, RATE)


def test_unknown_baseline_is_refused():
    with pytest.raises(ValueError, match="unknown baseline 'eq'"):
        make_baselines(["input", "eq"])


def test_matchering_missing_is_a_skip_not_an_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matchering", None)  # makes `import matchering` raise ImportError
    method = MatcheringMethod()
    assert method.skip_reason.startswith("skipped: matchering is not installed")
    assert not method.runs_on(0)


def test_matchering_keeps_length_and_rate(examples):
    pytest.importorskip("matchering")
    example = examples[0]
    output = MatcheringMethod().run(example, Shared())
    assert output.audio.shape == example.input.shape and output.audio.dtype == np.float32
    assert output.params is None and np.isfinite(output.audio).all() and np.abs(output.audio).max() > 0
