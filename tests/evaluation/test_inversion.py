import numpy as np
import pytest

from aeib.dsp import CHAIN_SCHEMA
from aeib.evaluation.inversion import PROBE_HZ, eq_inversion_error_db, eq_shape_db, inversion_points, probe_frequencies


def test_neutral_shape_is_flat():
    assert np.allclose(eq_shape_db(CHAIN_SCHEMA.defaults(), 24_000), 0.0, atol=1e-9)


def test_exact_inverse_scores_zero_and_no_eq_scores_the_applied_shape():
    applied = CHAIN_SCHEMA.complete({"eq.band2.gain_db": 6.0, "eq.band2.center_hz": 1000.0})
    inverse = CHAIN_SCHEMA.complete({"eq.band2.gain_db": -6.0, "eq.band2.center_hz": 1000.0})
    assert eq_inversion_error_db(applied, inverse, 24_000) == pytest.approx(0.0, abs=1e-6)
    shape = eq_shape_db(applied, 24_000)
    assert shape[list(PROBE_HZ).index(1000.0)] > 4.0  # the peak shows at its probe
    assert eq_inversion_error_db(applied, None, 24_000) == pytest.approx(np.mean(np.abs(shape)))
    assert eq_inversion_error_db(applied, applied, 24_000) == pytest.approx(2 * np.mean(np.abs(shape)))


def test_probes_stay_below_045_fs_and_points_have_their_shape():
    assert probe_frequencies(16_000).max() < 0.45 * 16_000
    pair = (CHAIN_SCHEMA.defaults(), CHAIN_SCHEMA.complete({"eq.high_shelf.gain_db": 6.0}))
    applied, predicted = inversion_points([pair, pair], 16_000)
    assert applied.shape == predicted.shape == (2, len(probe_frequencies(16_000)))
