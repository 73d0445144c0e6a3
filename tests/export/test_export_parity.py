"""Parity metrics: parameter differences and what they do to the processed audio."""

import numpy as np
import pytest

from aeib.dsp import CHAIN_SCHEMA
from aeib.export.parity import DIFF_FLOOR_DB, parity_report, relative_difference_db
from tests.conftest import music_like


def test_relative_difference_is_the_error_level_in_db():
    x = music_like(0.2, 24_000, 1)[:, 0].astype(np.float64)
    assert relative_difference_db(x, x * 1.1) == pytest.approx(-20.0, abs=1e-6)
    assert relative_difference_db(x, x * 1.001) == pytest.approx(-60.0, abs=1e-6)
    assert relative_difference_db(x, x) == DIFF_FLOOR_DB


def test_parity_report_measures_params_and_audio():
    audio = np.stack([music_like(0.5, 24_000, 1, seed=s)[:, 0] for s in range(2)])
    neutral = CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.default_vector())
    keras_p = np.stack([neutral, neutral])
    same = parity_report(keras_p, keras_p.copy(), audio, 24_000, tolerance=1e-3, source="test")
    assert same["max_abs_params01_vs_keras"] == 0 and same["within_tolerance"]
    assert same["audio"]["max_output_difference_db"] == DIFF_FLOOR_DB and same["audio"]["max_mel_distance_db"] == 0
    boosted = keras_p.copy()
    boosted[:, CHAIN_SCHEMA.index("comp.makeup_db")] += 0.05  # a makeup-gain change: a level difference
    report = parity_report(keras_p, boosted, audio, 24_000, tolerance=1e-3, source="test")
    assert report["max_abs_params01_vs_keras"] == pytest.approx(0.05) and not report["within_tolerance"]
    assert -40.0 < report["audio"]["max_output_difference_db"] < -5.0
    assert report["audio"]["max_mel_distance_db"] > 0.1
    assert report["examples"] == 2 and report["source"] == "test"
