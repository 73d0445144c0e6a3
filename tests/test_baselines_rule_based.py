import numpy as np
import pytest

from aeib.baselines.rule_based import level_spread_db, rule_based_params
from aeib.dsp import CHAIN_SCHEMA, process
from aeib.dsp.loudness import integrated_loudness_lufs
from aeib.metrics import mel_distance_db
from tests.conftest import ANALYZER_LIKE_EQ, music_like

RATE = 24_000


@pytest.fixture(scope="module")
def clean():
    return music_like(4.0, RATE, 1, seed=5)[:, 0].astype(np.float64) * 0.5


@pytest.mark.parametrize("damage", [
    {"eq.band1.gain_db": 10.0, "eq.band1.center_hz": 180.0},          # boomy
    {"eq.band3.gain_db": 9.0, "eq.band3.center_hz": 3000.0, "eq.band3.q": 2.0},  # harsh
    {"eq.high_shelf.gain_db": -12.0, "eq.high_shelf.cutoff_hz": 3000.0},  # muffled
])
def test_rule_based_eq_undoes_a_coloration(clean, damage):
    damaged = process(clean, RATE, damage, limiter=False)
    params = rule_based_params(damaged, clean, RATE)
    assert set(params) == set(CHAIN_SCHEMA.names)
    repaired = process(damaged, RATE, params)
    before, after = mel_distance_db(damaged, clean, RATE), mel_distance_db(repaired, clean, RATE)
    assert after < 0.5 * before, (before, after)


def test_makeup_matches_loudness(clean):
    quiet = clean * 10 ** (-9 / 20)
    params = rule_based_params(quiet, clean, RATE)
    assert params["comp.makeup_db"] == pytest.approx(9.0, abs=0.5)
    after = integrated_loudness_lufs(process(quiet, RATE, params), RATE)
    assert after == pytest.approx(integrated_loudness_lufs(clean, RATE), abs=0.5)


def test_compressor_only_when_the_input_is_peakier(clean):
    squashed = process(clean, RATE, {"comp.threshold_db": -30.0, "comp.ratio": 6.0, "comp.attack_ms": 5.0,
                                     "comp.makeup_db": 8.0})
    assert rule_based_params(clean, clean, RATE)["comp.ratio"] == 1.0
    params = rule_based_params(clean, squashed, RATE)
    assert params["comp.ratio"] > 1.5
    out = process(clean, RATE, params)
    gap_before = abs(level_spread_db(clean, RATE) - level_spread_db(squashed, RATE))
    assert abs(level_spread_db(out, RATE) - level_spread_db(squashed, RATE)) < 0.5 * gap_before


def test_an_anchored_fit_keeps_unneeded_bands_at_the_anchor():
    """A flat curve asks for nothing: anchored to a setting, the fit stays there instead of drifting."""
    import numpy as np

    from aeib.baselines.rule_based import fit_eq
    from aeib.dsp import CHAIN_SCHEMA

    grid = np.geomspace(40.0, 10_000.0, 96)
    anchor = CHAIN_SCHEMA.complete({"eq.band2.center_hz": 700.0, "eq.band4.center_hz": 5000.0})
    fitted = fit_eq(grid, np.zeros_like(grid), 24_000, anchor=anchor)
    assert abs(fitted["eq.band2.center_hz"] / 700.0 - 1.0) < 0.05 and abs(fitted["eq.band4.center_hz"] / 5000.0 - 1.0) < 0.05
    assert all(abs(fitted[f"eq.{band}.gain_db"]) < 0.5 for band in ("low_shelf", "band1", "band2", "band3", "band4", "high_shelf"))




@pytest.mark.parametrize("frequencies", [True, False])
def test_an_anchored_fit_of_the_anchors_own_response_is_the_anchor(frequencies):
    """The anchored fit models the EQ with the anchor's Qs (not the schema defaults), so the anchor's
    own response needs no change."""
    from aeib.baselines.rule_based import fit_eq
    from aeib.dsp.eq import eq_response_db

    grid = np.geomspace(40.0, 10_000.0, 96)
    fitted = fit_eq(grid, eq_response_db(ANALYZER_LIKE_EQ, RATE, grid), RATE, anchor=ANALYZER_LIKE_EQ, frequencies=frequencies)
    assert set(fitted) == {k for k in ANALYZER_LIKE_EQ if k.startswith("eq.") and (k.endswith("gain_db") or
                                                                       (frequencies and k.endswith("_hz")))}
    for name, value in fitted.items():
        assert value == pytest.approx(ANALYZER_LIKE_EQ[name], rel=0.01, abs=0.05), name


def test_the_measured_curve_is_clipped_to_the_asked_limit_and_by_default_to_the_eq_range(clean):
    from aeib.baselines.rule_based import average_spectrum_db, curve_from_spectra

    shelf = {"eq.high_shelf.gain_db": -18.0, "eq.high_shelf.cutoff_hz": 2000.0}
    muffled = process(process(clean, RATE, shelf, limiter=False), RATE, shelf, limiter=False)   # −36 dB
    freqs, input_db = average_spectrum_db(muffled, RATE)
    _, reference_db = average_spectrum_db(clean, RATE)
    _, unlimited = curve_from_spectra(freqs, input_db, freqs, reference_db, RATE, np.inf)
    _, default = curve_from_spectra(freqs, input_db, freqs, reference_db, RATE)
    _, limited = curve_from_spectra(freqs, input_db, freqs, reference_db, RATE, 6.0)
    assert unlimited.max() > 18.0
    assert np.array_equal(default, np.clip(unlimited, -18.0, 18.0))
    assert np.array_equal(limited, np.clip(unlimited, -6.0, 6.0))


@pytest.mark.parametrize("seed", range(6))
def test_the_gains_only_fit_solves_the_least_squares_problem_scipy_solves(seed):
    """fit_eq(frequencies=False) runs its own Gauss–Newton (no scipy.optimize import on the enhance
    path); it must reach scipy.optimize.least_squares's cost or lower, at nearly the same gains, for
    anchored fits like the refinement's and for curves beyond the gains' range (bounds held)."""
    import scipy.optimize

    from aeib.baselines.rule_based import band_frequency_cap_hz, fit_eq
    from aeib.dsp import CHAIN_SCHEMA, EQ_BANDS
    from aeib.dsp.eq import eq_response_db

    rng = np.random.default_rng(seed)
    rate = 48_000
    grid = np.geomspace(40.0, band_frequency_cap_hz(rate), 96)
    anchor = CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.denormalize(rng.uniform(0, 1, len(CHAIN_SCHEMA))))
    tilt_db = np.clip(rng.normal(0, 6) * np.log2(grid / 1000) + rng.normal(0, 3, grid.size).cumsum() / 5, -6, 6)
    curve = 0.75 * eq_response_db(anchor, rate, grid) + 0.25 * tilt_db
    if seed % 2:
        curve *= 3.0   # asks for more than ±18 dB somewhere: gains end on their bounds
    anchored = seed % 3 != 2
    fitted = fit_eq(grid, curve, rate, anchor=anchor if anchored else None, frequencies=False)

    names = [band.gain_param for band in EQ_BANDS]
    lower = np.array([CHAIN_SCHEMA[n].min for n in names])
    upper = np.array([CHAIN_SCHEMA[n].max for n in names])
    base = {**CHAIN_SCHEMA.defaults(), **anchor} if anchored else CHAIN_SCHEMA.defaults()
    start = np.clip([base[n] for n in names], lower, upper)

    def residual(gains):
        error = eq_response_db({**base, **dict(zip(names, gains))}, rate, grid) - curve
        return np.concatenate([error, 3.0 * (gains - start) / (upper - lower)]) if anchored else error

    expected = scipy.optimize.least_squares(residual, start, bounds=(lower, upper), max_nfev=200).x
    ours = np.array([fitted[n] for n in names])
    assert set(fitted) == set(names)
    assert np.sum(residual(ours) ** 2) <= np.sum(residual(expected) ** 2) * (1 + 1e-9)
    np.testing.assert_allclose(ours, expected, atol=0.05)
    assert np.all((ours >= lower) & (ours <= upper))
