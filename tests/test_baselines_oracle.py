import pytest

from aeib.baselines.oracle import OracleConfig, SpectralObjective, oracle_params
from aeib.dsp import process
from aeib.metrics import mel_distance_db, mrstft_distance
from tests.conftest import music_like

RATE = 16_000


@pytest.fixture(scope="module")
def clean():
    return music_like(1.0, RATE, 1, seed=2)[:, 0]


@pytest.mark.parametrize("kind", ["mrstft", "mel"])
def test_objective_matches_the_metric(clean, kind):
    estimate = process(clean, RATE, {"eq.band2.gain_db": 6.0})
    objective = SpectralObjective(clean, RATE, kind)
    metric = mrstft_distance(estimate, clean) if kind == "mrstft" else mel_distance_db(estimate, clean, RATE)
    assert objective(estimate) == pytest.approx(metric, rel=1e-4)
    assert objective(clean) == pytest.approx(0.0, abs=1e-6)


def test_oracle_recovers_a_known_eq_gain(clean):
    damage = {"eq.band2.gain_db": 9.0, "eq.band2.center_hz": 500.0}
    damaged = process(clean, RATE, damage, limiter=False)
    result = oracle_params(damaged, clean, RATE, OracleConfig(iterations=80, starts=("neutral",)))
    assert result.evaluations <= 80
    repaired = process(damaged, RATE, result.params)
    before, after = mrstft_distance(damaged, clean), mrstft_distance(repaired, clean)
    assert after < 0.5 * before, (before, after)
    assert result.objective_value <= result.start_values["neutral"]


def test_oracle_is_never_worse_than_its_best_start(clean):
    damaged = process(clean, RATE, {"eq.high_shelf.gain_db": -10.0})
    start = {"eq.high_shelf.gain_db": 10.0}
    result = oracle_params(damaged, clean, RATE, OracleConfig(iterations=2), start_params={"rb-dsp": start})
    assert result.evaluations == 2  # both starts evaluated once, nothing left for Powell
    assert result.objective_value == min(result.start_values.values())


def test_oracle_config_is_checked():
    with pytest.raises(ValueError):
        OracleConfig(iterations=0)
    with pytest.raises(ValueError):
        OracleConfig(objective="sdr")
    with pytest.raises(ValueError):
        OracleConfig(starts=("random",))
