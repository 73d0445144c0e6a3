import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aeib.dsp import CHAIN_SCHEMA, ParameterSchema, ParamSpec
from aeib.errors import ParameterError


def test_every_parameter_has_unit_in_name_and_sane_scale():
    for spec in CHAIN_SCHEMA:
        if spec.name.endswith(("_hz", ".q", "_ms")) or spec.name == "comp.ratio":
            assert spec.scale == "log", spec.name
        if spec.name.endswith("_db"):
            assert spec.scale == "lin" and spec.unit == "dB", spec.name
        assert spec.min <= spec.default <= spec.max


def test_ratio_never_below_one():
    assert CHAIN_SCHEMA["comp.ratio"].min >= 1.0
    assert np.all(CHAIN_SCHEMA.denormalize(np.zeros(len(CHAIN_SCHEMA)))[CHAIN_SCHEMA.index("comp.ratio")] >= 1.0)


def test_log_midpoint_is_geometric_mean():
    spec = CHAIN_SCHEMA["eq.band2.center_hz"]
    assert spec.from_normalized(0.5) == pytest.approx(math.sqrt(spec.min * spec.max))
    lin = CHAIN_SCHEMA["eq.band2.gain_db"]
    assert lin.from_normalized(0.5) == pytest.approx((lin.min + lin.max) / 2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=len(CHAIN_SCHEMA), max_size=len(CHAIN_SCHEMA)))
def test_normalized_round_trip(values):
    unit = np.array(values)
    physical = CHAIN_SCHEMA.denormalize(unit)
    for spec, value in zip(CHAIN_SCHEMA, physical):
        assert spec.min - 1e-9 <= value <= spec.max + 1e-9
    np.testing.assert_allclose(CHAIN_SCHEMA.normalize(physical), unit, atol=1e-9)
    back = CHAIN_SCHEMA.to_vector(CHAIN_SCHEMA.to_dict(physical))
    np.testing.assert_allclose(back, physical)


def test_vectorized_denormalize_is_bit_identical_to_each_spec():
    values = np.random.default_rng(0).uniform(-0.1, 1.1, (50, len(CHAIN_SCHEMA)))
    per_spec = np.stack([spec.from_normalized(values[:, i]) for i, spec in enumerate(CHAIN_SCHEMA)], axis=-1)
    np.testing.assert_array_equal(CHAIN_SCHEMA.denormalize(values), per_spec)
    np.testing.assert_array_equal(CHAIN_SCHEMA.denormalize(values[0]), per_spec[0])
    for spec, value in zip(CHAIN_SCHEMA, values[0]):  # one value gives a scalar
        unit = min(max(value, 0.0), 1.0)
        expected = (spec.min * math.exp(unit * math.log(spec.max / spec.min)) if spec.scale == "log"
                    else spec.min + unit * (spec.max - spec.min))
        assert np.ndim(spec.from_normalized(value)) == 0
        assert spec.from_normalized(value) == pytest.approx(expected, rel=1e-15)


def test_schema_range_arrays_are_read_only():
    assert CHAIN_SCHEMA.lows.shape == CHAIN_SCHEMA.is_log.shape == (len(CHAIN_SCHEMA),)
    np.testing.assert_array_equal(CHAIN_SCHEMA.highs, [spec.max for spec in CHAIN_SCHEMA])
    with pytest.raises(ValueError):
        CHAIN_SCHEMA.lows[0] = 0.0


def test_batched_conversion_keeps_shape():
    unit = np.random.default_rng(0).uniform(size=(4, 3, len(CHAIN_SCHEMA)))
    assert CHAIN_SCHEMA.denormalize(unit).shape == unit.shape


def test_defaults_fill_partial_settings():
    complete = CHAIN_SCHEMA.complete({"eq.band1.gain_db": -3})
    assert complete["eq.band1.gain_db"] == -3.0
    assert complete["comp.ratio"] == CHAIN_SCHEMA["comp.ratio"].default
    assert list(complete) == list(CHAIN_SCHEMA.names)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"eq.band9.gain_db": 1.0}, "unknown parameter"),
        ({"eq.band1.gain_db": "loud"}, "must be a number"),
        ({"eq.band1.gain_db": True}, "must be a number"),
        ({"eq.band1.gain_db": float("nan")}, "must be finite"),
        ({"eq.band1.gain_db": 40.0}, "outside its range"),
        ({"comp.ratio": 0.5}, "outside its range"),
        ([1, 2], "mapping"),
    ],
)
def test_invalid_values_are_rejected_clearly(values, message):
    with pytest.raises(ParameterError, match=message):
        CHAIN_SCHEMA.complete(values)


def test_json_round_trip():
    text = CHAIN_SCHEMA.to_json()
    assert ParameterSchema.from_json(text) == CHAIN_SCHEMA
    data = json.loads(text)
    assert [p["name"] for p in data["parameters"]] == list(CHAIN_SCHEMA.names)


@pytest.mark.parametrize("text", ["{", '{"format_version": 99, "parameters": []}', '{"format_version": 1}',
                                  '{"format_version": 1, "parameters": [{"name": "x"}]}'])
def test_bad_schema_json(text):
    with pytest.raises(ParameterError):
        ParameterSchema.from_json(text)


def test_spec_validation():
    with pytest.raises(ValueError):
        ParamSpec("a.b", "Hz", 0.0, 10.0, "log", 1.0)  # log needs min > 0
    with pytest.raises(ValueError):
        ParamSpec("a.b", "", 1.0, 0.0, "lin", 0.5)
    with pytest.raises(ValueError):
        ParamSpec("a.b", "", 0.0, 1.0, "cubic", 0.5)
    with pytest.raises(ValueError):
        ParameterSchema([ParamSpec("a.b", "", 0, 1, "lin", 0), ParamSpec("a.b", "", 0, 1, "lin", 0)])


# -- strength: scaling toward neutral ------------------------------------------------------------------

def test_strength_scales_only_parameters_with_a_neutral_value():
    setting = CHAIN_SCHEMA.complete({"eq.band2.gain_db": -8.0, "eq.band2.center_hz": 300.0, "comp.ratio": 4.0,
                                     "comp.makeup_db": 6.0, "comp.threshold_db": -20.0, "comp.attack_ms": 2.0})
    assert CHAIN_SCHEMA.toward_neutral(setting, 1.0) == setting
    assert {n: v for n, v in CHAIN_SCHEMA.toward_neutral(setting, 0.0).items() if CHAIN_SCHEMA[n].neutral} == \
        {n: CHAIN_SCHEMA[n].default for n in CHAIN_SCHEMA.names if CHAIN_SCHEMA[n].neutral}
    half = CHAIN_SCHEMA.toward_neutral(setting, 0.5)
    assert half["eq.band2.gain_db"] == pytest.approx(-4.0)
    assert half["comp.makeup_db"] == pytest.approx(3.0)
    assert half["comp.ratio"] == pytest.approx(2.0)  # log-scaled: half way in normalized units is √4
    for name in ("eq.band2.center_hz", "comp.threshold_db", "comp.attack_ms"):
        assert half[name] == setting[name] and CHAIN_SCHEMA.toward_neutral(setting, 0.0)[name] == setting[name]
    assert sorted(s.name.split(".")[-1] for s in CHAIN_SCHEMA if s.neutral) == ["gain_db"] * 6 + ["makeup_db", "ratio"]


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "1", True, None])
def test_strength_outside_0_1_is_refused(bad):
    with pytest.raises(ParameterError, match="strength"):
        CHAIN_SCHEMA.toward_neutral({}, bad)
