import pytest

from aeib.dsp import CHAIN_SCHEMA
from aeib.dsp.eq import EQ_BANDS
from aeib.errors import ParameterError
from aeib.runtime.dead_zone import MAX_DEAD_ZONE_DB, check_dead_zone, default_dead_zone_db, eq_dead_zone

GAINS_DB = (-3.0, -0.5, 0.0, 0.7, 1.0, 4.25)


def setting():
    params = CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.to_vector({"comp.ratio": 3.0, "comp.threshold_db": -20.0,
                                                         "eq.band2.center_hz": 900.0}))
    params.update({band.gain_param: gain for band, gain in zip(EQ_BANDS, GAINS_DB)})
    return params


@pytest.mark.parametrize("dead_zone_db, expected", [
    (1.0, (-2.0, 0.0, 0.0, 0.0, 0.0, 3.25)),
    (0.5, (-2.5, 0.0, 0.0, 0.2, 0.5, 3.75)),
    (5.0, (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
])
def test_each_eq_gain_moves_toward_flat_and_stops_there(dead_zone_db, expected):
    params = setting()
    settled = eq_dead_zone(params, dead_zone_db)
    assert [settled[band.gain_param] for band in EQ_BANDS] == pytest.approx(expected)
    # frequencies, Qs and the compressor are untouched; the input is not modified
    assert {k: v for k, v in settled.items() if not k.endswith("gain_db")} == \
        {k: v for k, v in params.items() if not k.endswith("gain_db")}
    assert params == setting()


def test_zero_is_off_and_the_default_is_one_db_reference_free_only():
    assert eq_dead_zone(setting(), 0.0) == setting()
    assert default_dead_zone_db(with_reference=False) == 1.0 and default_dead_zone_db(with_reference=True) == 0.0


def test_a_settled_setting_is_inside_the_schema():
    settled = eq_dead_zone(setting(), 2.0)
    CHAIN_SCHEMA.to_vector(settled)  # raises for a value out of range


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), MAX_DEAD_ZONE_DB + 0.1, True, "1", [1.0]])
def test_bad_dead_zones_are_refused_with_one_clear_message(bad):
    with pytest.raises(ParameterError, match="--dead-zone must be a number of dB within 0–18"):
        check_dead_zone(bad, "--dead-zone")


def test_good_dead_zones_pass():
    assert check_dead_zone(None) is None
    assert check_dead_zone(0) == 0.0 and check_dead_zone(2.5) == 2.5 and check_dead_zone(MAX_DEAD_ZONE_DB) == 18.0
