"""Styles: per-example distributions inside the schema, with the physics each name promises."""

import numpy as np
import pytest

from aeib.data.styles import LIVE_STYLES, PRODUCTION_STYLES, STYLE_NAMES, STYLE_TABLES, sample_style, style_index
from aeib.dsp import CHAIN_SCHEMA, process
from aeib.dsp.eq import eq_response_db
from aeib.errors import ParameterError
from data_helpers import synthetic_music

RATE = 24_000


def _response_db(settings, freqs_hz):
    return eq_response_db(settings, RATE, np.asarray(freqs_hz, dtype=float))


def test_style_set_is_complete():
    assert set(PRODUCTION_STYLES) == {"neutral", "broadcast", "telephone", "bright", "warm"}
    assert set(LIVE_STYLES) == {"boomy", "harsh", "muffled", "squashed"}
    assert "random" in STYLE_NAMES and len(STYLE_NAMES) == 10


@pytest.mark.parametrize("style", STYLE_NAMES)
def test_every_draw_is_a_valid_complete_setting(style):
    rng = np.random.default_rng(0)
    for _ in range(50):
        settings = sample_style(style, rng)
        assert list(settings) == list(CHAIN_SCHEMA.names)
        assert CHAIN_SCHEMA.complete(settings) == settings  # in range, nothing missing


@pytest.mark.parametrize("style", STYLE_NAMES)
def test_settings_are_drawn_per_example_not_fixed(style):
    rng = np.random.default_rng(1)
    first, second = sample_style(style, rng), sample_style(style, rng)
    assert first != second


def test_same_generator_state_gives_same_setting():
    assert sample_style("warm", np.random.default_rng(5)) == sample_style("warm", np.random.default_rng(5))


def test_warm_cuts_highs_and_boosts_lows():
    rng = np.random.default_rng(2)
    for _ in range(200):
        settings = sample_style("warm", rng)
        assert settings["eq.high_shelf.gain_db"] < 0
        assert settings["eq.low_shelf.gain_db"] > 0
        low, high = _response_db(settings, [60.0, 11_000.0])
        assert low > 2.0 and high < -3.0


def test_bright_lifts_highs_and_muffled_cuts_them():
    rng = np.random.default_rng(3)
    for _ in range(100):
        assert _response_db(sample_style("bright", rng), [10_000.0])[0] > 4.0
        assert _response_db(sample_style("muffled", rng), [8_000.0])[0] < -6.0


def test_telephone_is_a_band_pass():
    rng = np.random.default_rng(4)
    for _ in range(100):
        low, mid, high = _response_db(sample_style("telephone", rng), [100.0, 1_500.0, 8_000.0])
        assert mid - low > 12.0 and mid - high > 12.0


def test_boomy_and_harsh_boost_their_bands():
    rng = np.random.default_rng(5)
    for _ in range(100):
        boomy = sample_style("boomy", rng)
        assert _response_db(boomy, [boomy["eq.band1.center_hz"]])[0] > 5.0
        assert 100.0 <= boomy["eq.band1.center_hz"] <= 250.0
        harsh = sample_style("harsh", rng)
        assert 2_000.0 <= harsh["eq.band3.center_hz"] <= 5_000.0
        assert _response_db(harsh, [harsh["eq.band3.center_hz"]])[0] > 5.0


def test_squashed_is_heavy_compression():
    rng = np.random.default_rng(6)
    for _ in range(100):
        s = sample_style("squashed", rng)
        assert s["comp.threshold_db"] <= -24.0 and s["comp.ratio"] >= 8.0 and s["comp.attack_ms"] <= 3.0


def test_neutral_is_nearly_transparent():
    rng = np.random.default_rng(7)
    freqs = np.geomspace(30.0, 11_000.0, 64)
    for _ in range(100):
        assert np.max(np.abs(_response_db(sample_style("neutral", rng), freqs))) < 3.0


def test_random_is_uniform_in_normalized_space():
    rng = np.random.default_rng(8)
    draws = np.stack([CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.to_vector(sample_style("random", rng))) for _ in range(3000)])
    assert np.all(np.abs(draws.mean(axis=0) - 0.5) < 0.03)
    assert np.all(np.abs(draws.std(axis=0) - np.sqrt(1 / 12)) < 0.02)


def test_tables_only_name_schema_parameters():
    for table in STYLE_TABLES.values():
        for name in table:
            assert name in CHAIN_SCHEMA


def test_unknown_style_is_a_parameter_error():
    with pytest.raises(ParameterError, match="unknown style"):
        sample_style("lofi", np.random.default_rng(0))
    assert style_index("neutral") == 0


@pytest.mark.parametrize("rate", [16_000, 24_000, 48_000])
@pytest.mark.parametrize("style", STYLE_NAMES)
def test_every_style_output_is_finite_and_within_a_sane_level(style, rate):
    rng = np.random.default_rng(9)
    music = synthetic_music(1.0, rate, seed=1, channels=1)[:, 0]
    music *= np.float32(10 ** (-12 / 20) / np.max(np.abs(music)))  # the dataset's source level
    source_rms_db = 10 * np.log10(np.mean(music.astype(np.float64) ** 2))
    # Named styles move the level by tens of dB at most; "random" is uniform over the whole schema
    # (every band and the makeup at -18/-12 dB is possible), so its floor is lower.
    floor_db = -60.0 if style == "random" else -20.0
    for _ in range(5 if style == "random" else 3):
        out = process(music, rate, sample_style(style, rng))
        assert np.all(np.isfinite(out))
        peak_dbfs = 20 * np.log10(np.max(np.abs(out)))
        change_db = 10 * np.log10(np.mean(out.astype(np.float64) ** 2)) - source_rms_db
        assert peak_dbfs <= -0.3 + 1e-3  # the safety limiter's ceiling
        assert floor_db < change_db < 30.0
