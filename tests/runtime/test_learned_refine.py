"""The learned refinement: a fitted linear map from the analyzer's curve and the measured match to the EQ curve."""

import json

import numpy as np
import pytest

import aeib
from aeib.baselines.rule_based import curve_grid_hz
from aeib.dsp import CHAIN_SCHEMA
from aeib.dsp.eq import eq_response_db
from aeib.errors import ModelError, ParameterError
from aeib.runtime.learned_refine import (
    GRID_POINTS,
    LearnedRefinement,
    feature_count,
    fit_learned_refinement,
    fixed_blend_map,
    learned_features,
    refine_learned,
)
from aeib.runtime.refine import long_term_spectrum_db
from aeib.runtime.windows import ArrayAudio
from tests.conftest import ANALYZER_LIKE_EQ, music_like

RATE = 24_000
GRID = curve_grid_hz(RATE)


def _spectrum(audio, rate=RATE):
    return long_term_spectrum_db(ArrayAudio(audio, rate))


def _bright(audio, rate=RATE):
    from aeib.dsp import process

    return process(audio, rate, {"eq.high_shelf.gain_db": 9.0, "eq.high_shelf.cutoff_hz": 3000.0}, limiter=False)


def _blend(analyzer_weight, measured_weight):
    """Weights whose curve is ``analyzer_weight`` × the analyzer's + ``measured_weight`` × the ±6 dB match."""
    return analyzer_weight * fixed_blend_map(0.0) + measured_weight * fixed_blend_map(1.0)


def test_features_have_the_documented_shape_and_the_fixed_blend_map_reproduces_the_blend():
    analyzer, measured = np.linspace(-3, 3, GRID_POINTS), np.linspace(-20, 20, GRID_POINTS)
    x = learned_features(analyzer, measured)
    assert x.shape == (1, feature_count()) and x[0, -1] == 1.0
    assert np.abs(x[0, 24:48]).max() == 6.0 and np.abs(x[0, 48:72]).max() == 18.0   # the two limits
    curve = (x @ fixed_blend_map(0.25))[0]
    at = np.arange(0, GRID_POINTS, 4)   # exact at the feature frequencies
    np.testing.assert_allclose(curve[at], 0.75 * analyzer[at] + 0.25 * np.clip(measured[at], -6, 6))


def test_the_fit_recovers_a_linear_relation_and_a_large_identity_weight_keeps_clean_examples_flat():
    rng = np.random.default_rng(0)
    n = 400
    analyzer, measured = rng.normal(0, 2, (n, GRID_POINTS)), rng.normal(0, 4, (n, GRID_POINTS))
    truth = _blend(0.5, 0.5)
    desired = learned_features(analyzer, measured) @ truth
    learned = fit_learned_refinement(analyzer, measured, desired, np.zeros(n, bool), GRID, 1.0, 1e-6, 0.25)
    np.testing.assert_allclose(learned.weights, truth, atol=1e-6)
    assert learned.fitted["examples"] == n and learned.fitted["clean_examples"] == 0
    # The same data with a tenth of the examples clean (desired flat): the more they weigh, the flatter
    # the map leaves them.
    identity = np.arange(n) % 10 == 0
    desired[identity] = 0.0
    moved = []
    for weight in (1.0, 100.0):
        fitted = fit_learned_refinement(analyzer, measured, desired, identity, GRID, weight, 1.0, 0.25)
        moved.append(np.abs(learned_features(analyzer[identity], measured[identity]) @ fitted.weights).mean())
    assert moved[1] < 0.5 * moved[0]


def test_bad_fits_are_refused():
    curves = np.zeros((3, GRID_POINTS))
    with pytest.raises(ValueError):
        fit_learned_refinement(curves, curves, curves[:2], np.zeros(3, bool), GRID, 1.0, 1.0, 0.25)
    with pytest.raises(ValueError):
        fit_learned_refinement(curves, curves, curves, np.zeros(3, bool), GRID, 0.0, 1.0, 0.25)


def test_json_round_trip_and_malformed_entries_are_refused():
    learned = LearnedRefinement(GRID, _blend(0.75, 0.25), fitted={"identity_weight": 12.0})
    again = LearnedRefinement.from_json(json.loads(json.dumps(learned.to_json())), "x.json")
    np.testing.assert_allclose(again.weights, learned.weights, rtol=1e-5)
    np.testing.assert_allclose(again.grid_hz, learned.grid_hz, rtol=1e-5)
    assert again.fitted == {"identity_weight": 12.0}
    good = learned.to_json()
    for broken in ({**good, "format": "other"}, {**good, "weights": good["weights"][:-1]},
                   {**good, "feature_step": 0}, {**good, "measured_limits_db": [3, 18]},
                   {**good, "grid_hz": good["grid_hz"][::-1]}, {k: v for k, v in good.items() if k != "weights"},
                   {**good, "weights": [" ".join(["nan"] * GRID_POINTS)] * feature_count()},
                   {**good, "weights": [[0.0] * GRID_POINTS] * feature_count()},   # numbers, not strings
                   {**good, "weights": good["weights"][:-1] + ["1 2"]}, "not an object"):
        with pytest.raises(ModelError, match="learned refinement is malformed"):
            LearnedRefinement.from_json(broken, "x.json")


def test_strength_zero_keeps_the_setting_and_bad_strengths_are_refused():
    x = music_like(4.0, RATE, channels=1)
    spectrum = _spectrum(x)
    learned = LearnedRefinement(GRID, _blend(0.75, 0.25))
    assert refine_learned(ANALYZER_LIKE_EQ, spectrum, spectrum, RATE, learned, 0.0) == ANALYZER_LIKE_EQ
    with pytest.raises(ParameterError):
        refine_learned(ANALYZER_LIKE_EQ, spectrum, spectrum, RATE, learned, 1.5)


@pytest.mark.parametrize("rate", [24_000, 48_000])
def test_a_map_that_follows_the_measurement_brightens_toward_a_brighter_reference_only_through_the_gains(rate):
    x = music_like(6.0, rate, channels=1, seed=3)
    neutral = CHAIN_SCHEMA.defaults()
    learned = LearnedRefinement(GRID, _blend(0.0, 1.0))   # the map fitted at 24 kHz, used at any rate
    refined = refine_learned(neutral, _spectrum(x, rate), _spectrum(_bright(x, rate), rate), rate, learned)
    low, high = eq_response_db(refined, rate, np.array([150.0, 8000.0]))
    assert high - low > 3.0
    assert all(refined[k] == v for k, v in neutral.items() if not k.endswith("gain_db"))
    CHAIN_SCHEMA.complete(refined)   # within every range
    # A map that keeps the analyzer's curve (sampled at the feature frequencies, ⅓ octave apart) keeps a
    # smooth EQ response, whatever the reference.
    smooth = CHAIN_SCHEMA.complete({"eq.low_shelf.gain_db": 6.0, "eq.band2.gain_db": -3.0, "eq.high_shelf.gain_db": 4.0})
    keep = refine_learned(smooth, _spectrum(x, rate), _spectrum(_bright(x, rate), rate), rate,
                          LearnedRefinement(GRID, _blend(1.0, 0.0)))
    grid = np.geomspace(60, 8000, 40)
    change = eq_response_db(keep, rate, grid) - eq_response_db(smooth, rate, grid)
    assert np.abs(change).max() < 0.5


def test_a_bundle_with_a_learned_map_is_read_and_used_with_a_reference(bundle_path):
    x = music_like(3.0, RATE, channels=1, seed=1)
    reference = _bright(music_like(3.0, RATE, channels=1, seed=2))
    fixed = aeib.enhance(x, RATE, reference=reference, reference_sample_rate=RATE, model=str(bundle_path), dead_zone_db=0.0)
    data = json.loads(bundle_path.read_text())
    data["refinement"] = LearnedRefinement(GRID, _blend(0.0, 1.0)).to_json()
    bundle_path.write_text(json.dumps(data))
    learned = aeib.enhance(x, RATE, reference=reference, reference_sample_rate=RATE, model=str(bundle_path), dead_zone_db=0.0)
    analyzer = aeib.enhance(x, RATE, reference=reference, reference_sample_rate=RATE, model=str(bundle_path), dead_zone_db=0.0, refine=0.0)
    gains = [f"eq.{b}.gain_db" for b in ("low_shelf", "band1", "band2", "band3", "band4", "high_shelf")]
    assert any(learned.setting.params[g] != fixed.setting.params[g] for g in gains)
    assert any(learned.setting.params[g] != analyzer.setting.params[g] for g in gains)
    assert all(learned.setting.params[k] == analyzer.setting.params[k] for k in analyzer.setting.params
               if k not in gains and not k.startswith("loudness"))
    # Reference-free, the map is not used (the style's own refinement is).
    free = aeib.enhance(x, RATE, model=str(bundle_path))
    data.pop("refinement")
    bundle_path.write_text(json.dumps(data))
    assert aeib.enhance(x, RATE, model=str(bundle_path)).setting.params == free.setting.params
    data["refinement"] = {"format": "aeib-learned-refinement"}
    bundle_path.write_text(json.dumps(data))
    with pytest.raises(ModelError, match="learned refinement is malformed"):
        aeib.enhance(x, RATE, reference=reference, reference_sample_rate=RATE, model=str(bundle_path))


def _write_train_shard(path, n=6, seconds=1.5):
    """A data-v2 training shard: every third example clean (input = target), the others a darker input."""
    from aeib.data.shards import encode_meta, write_npz
    from aeib.dsp import process

    inputs, targets, references, records = [], [], [], []
    for i in range(n):
        clean = music_like(seconds, RATE, channels=1, seed=10 + i)[:, 0] * 0.3
        identity = i % 3 == 0
        dark = process(clean, RATE, {"eq.high_shelf.gain_db": -9.0, "eq.high_shelf.cutoff_hz": 2000.0}, limiter=False)
        inputs.append(clean if identity else dark)
        targets.append(clean)
        references.append(music_like(seconds, RATE, channels=1, seed=100 + i)[:, 0] * 0.3)
        records.append({"recipe": "v2", "mode": "identity" if identity else "board", "index": i,
                        "source_sample_rate": 2 * RATE, "segment_frames": 2 * round(seconds * RATE),
                        "degradations": [] if identity else [{"family": "tonal", "kind": "tilt"}]})
    params = np.tile(CHAIN_SCHEMA.default_vector(), (n, 1)).astype(np.float32)
    write_npz(path, {
        "input": np.stack(inputs).astype(np.float16), "target": np.stack(targets).astype(np.float16),
        "reference": np.stack(references).astype(np.float16), "params": params,
        "params01": CHAIN_SCHEMA.normalize(params).astype(np.float32), "style": np.zeros(n, dtype=np.int16),
        "meta": encode_meta({"examples": records, "digest": "x", "format_version": 1, "split": "train"}),
    })


def test_fit_refinement_script_writes_a_map_the_runtime_reads(bundle_path, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from aeib.runtime.bundle import read_bundle

    data = tmp_path / "data"
    data.mkdir()
    _write_train_shard(data / "train-00000.npz")
    out = bundle_path.with_name("fitted.json")
    script = Path(__file__).resolve().parents[2] / "scripts" / "fit_refinement.py"
    done = subprocess.run([sys.executable, str(script), str(data), str(bundle_path), "--identity-weight", "4",
                           "--ridge", "100", "--features", str(tmp_path / "curves.npz"), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    learned = read_bundle(out).refinement
    assert learned is not None and learned.fitted["examples"] == 6 and learned.fitted["clean_examples"] == 2
    assert learned.fitted["identity_weight"] == 4.0 and learned.weights.shape == (feature_count(), GRID_POINTS)
    curves = np.load(tmp_path / "curves.npz")
    assert curves["desired"].shape == (6, GRID_POINTS) and np.all(curves["desired"][curves["identity"]] == 0.0)
    assert read_bundle(bundle_path).refinement is None   # --out: the original is untouched


def _with_tonal_target(bundle_path, style="bright"):
    """Give the tiny bundle's ``style`` a tonal target (a bright tilt); returns the bundle JSON."""
    freqs = np.geomspace(20.0, 12_000.0, 40)
    data = json.loads(bundle_path.read_text())
    data["styles"][style]["spectrum"] = {"freqs_hz": freqs.tolist(),
                                         "level_db": (-30.0 + 12.0 * np.log2(freqs / 1000.0)).tolist()}
    bundle_path.write_text(json.dumps(data))
    return data


def test_a_style_with_a_learned_map_runs_it_reference_free_and_a_bad_one_is_refused(bundle_path):
    from aeib.runtime import load_model
    from aeib.runtime.refine import STYLE_REFINE_STRENGTH, refine_toward_style, style_strength

    x = music_like(3.0, RATE, channels=1, seed=4)
    data = _with_tonal_target(bundle_path)
    fixed = aeib.enhance(x, RATE, style="bright", model=str(bundle_path), dead_zone_db=0.0)
    analyzer = aeib.enhance(x, RATE, style="bright", model=str(bundle_path), dead_zone_db=0.0, refine=0.0)
    learned = LearnedRefinement(GRID, _blend(0.0, 1.0))   # follows the match toward the tonal target
    data["styles"]["bright"]["refinement"] = learned.to_json()
    bundle_path.write_text(json.dumps(data))
    model = load_model(bundle_path)
    style = model.style("bright")
    assert style.refinement is not None and style_strength(style) == 1.0
    assert style_strength(model.style("clean-live-mix")) == STYLE_REFINE_STRENGTH and model.bundle.refinement is None
    mapped = aeib.enhance(x, RATE, style="bright", model=str(bundle_path), dead_zone_db=0.0)
    expected = refine_toward_style(analyzer.setting.params, _spectrum(x), style, RATE)
    gains = [f"eq.{b}.gain_db" for b in ("low_shelf", "band1", "band2", "band3", "band4", "high_shelf")]
    for g in gains:
        assert mapped.setting.params[g] == pytest.approx(expected[g], abs=0.01)   # the parameter file's rounding
    assert any(abs(mapped.setting.params[g] - fixed.setting.params[g]) > 0.1 for g in gains)
    low, high = eq_response_db(mapped.setting.params, RATE, np.array([150.0, 8000.0]))
    assert high - low > eq_response_db(analyzer.setting.params, RATE, np.array([8000.0]))[0] \
        - eq_response_db(analyzer.setting.params, RATE, np.array([150.0]))[0]   # brighter, toward the target
    assert all(mapped.setting.params[k] == analyzer.setting.params[k] for k in analyzer.setting.params
               if k not in gains and not k.startswith("loudness"))
    assert aeib.enhance(x, RATE, style="bright", model=str(bundle_path), refine=0.0, dead_zone_db=0.0) \
        .setting.params == analyzer.setting.params
    # Malformed, or with no tonal target to measure against: refused in one line.
    data["styles"]["bright"]["refinement"] = {"format": "aeib-learned-refinement"}
    bundle_path.write_text(json.dumps(data))
    with pytest.raises(ModelError, match="style 'bright'.*learned refinement is malformed"):
        load_model(bundle_path)
    data["styles"]["bright"]["refinement"] = learned.to_json()
    data["styles"]["bright"].pop("spectrum")
    bundle_path.write_text(json.dumps(data))
    with pytest.raises(ModelError, match="no tonal target"):
        load_model(bundle_path)


def test_fit_refinement_script_fits_a_styles_reference_free_map(bundle_path, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from aeib.runtime.bundle import read_bundle

    data = tmp_path / "data"
    data.mkdir()
    _write_train_shard(data / "train-00000.npz")
    _with_tonal_target(bundle_path)
    out = bundle_path.with_name("fitted.json")
    script = Path(__file__).resolve().parents[2] / "scripts" / "fit_refinement.py"

    def fit(*extra):
        return subprocess.run([sys.executable, str(script), str(data), str(bundle_path), "--identity-weight", "4",
                               "--ridge", "100", "--out", str(out), *extra], capture_output=True, text=True, timeout=300)

    done = fit("--style", "bright", "--features", str(tmp_path / "curves.npz"))
    assert done.returncode == 0, done.stderr[-2000:]
    spec = read_bundle(out)
    learned = spec.styles["bright"].refinement
    assert learned is not None and learned.fitted["style"] == "bright" and learned.fitted["examples"] == 6
    assert learned.fitted["toward_strength"] == 0.0 and spec.refinement is None
    assert spec.styles["clean-live-mix"].refinement is None
    out.unlink()
    for extra, message in ((("--style", "nosuch"), "nosuch"), (("--style", "clean-live-mix"), "no tonal target")):
        failed = fit(*extra)
        assert failed.returncode == 2 and message in failed.stderr and "Traceback" not in failed.stderr
        assert not out.exists()


def test_the_shipped_small_v3_bundles_carry_one_learned_map():
    """The bundled default and every small-v3 variant in tflite_models/ carry the same map (fitted once, with
    the bundled default's analyzer: docs/TRAINING.md), used with a reference at strength 1 by default."""
    from pathlib import Path

    from aeib.runtime.bundle import read_bundle
    from aeib.runtime.refine import reference_strength

    default = read_bundle(None)
    assert default.name == "aeib-small-v3" and default.refinement is not None
    assert reference_strength(default.refinement) == 1.0
    assert default.refinement.fitted["identity_weight"] == 12.0 and default.refinement.fitted["ridge"] == 100.0
    variants = sorted((Path(__file__).resolve().parents[2] / "tflite_models").glob("aeib-small-v3.*.json"))
    assert len(variants) == 5
    for path in variants:
        learned = read_bundle(path).refinement
        assert learned is not None, path
        np.testing.assert_array_equal(learned.weights, default.refinement.weights)
        np.testing.assert_array_equal(learned.grid_hz, default.refinement.grid_hz)


def test_match_moves_the_maps_curve_that_share_of_the_way_on_to_the_measured_match():
    from aeib.runtime.learned_refine import measured_match_map

    analyzer, measured = np.linspace(-3, 3, GRID_POINTS), np.linspace(-24, 24, GRID_POINTS)
    learned = LearnedRefinement(GRID, _blend(0.75, 0.25))
    at = np.arange(0, GRID_POINTS, 4)   # exact at the feature frequencies
    whole = (learned_features(analyzer, measured) @ measured_match_map())[0]
    np.testing.assert_allclose(whole[at], np.clip(measured[at], -18, 18))   # the EQ's range, not ±6
    np.testing.assert_array_equal(learned.curve_db(analyzer, measured, 0.0), learned.curve_db(analyzer, measured))
    np.testing.assert_allclose(learned.curve_db(analyzer, measured, 0.4),
                               0.6 * learned.curve_db(analyzer, measured) + 0.4 * whole, atol=1e-12)
    # The same as a map whose weights were blended beforehand (how the figures in docs/TRAINING.md were made).
    blended = LearnedRefinement(GRID, 0.6 * learned.weights + 0.4 * measured_match_map())
    np.testing.assert_allclose(blended.curve_db(analyzer, measured), learned.curve_db(analyzer, measured, 0.4),
                               atol=1e-12)


def test_match_brings_the_eq_closer_to_the_measured_match_and_is_refused_without_a_reference(bundle_path):
    from aeib.baselines.rule_based import curve_from_spectra
    from aeib.dsp import process

    x = music_like(4.0, RATE, channels=1, seed=5)
    reference = process(music_like(4.0, RATE, channels=1, seed=6), RATE,
                        {"eq.high_shelf.gain_db": -12.0, "eq.high_shelf.cutoff_hz": 2500.0}, limiter=False)
    data = json.loads(bundle_path.read_text())
    data["refinement"] = LearnedRefinement(GRID, _blend(1.0, 0.0)).to_json()   # the analyzer's curve kept
    bundle_path.write_text(json.dumps(data))
    grid, measured = curve_from_spectra(*_spectrum(x), *_spectrum(reference), RATE, 18.0)
    band = (grid > 100) & (grid < 9000)

    def distance(match):
        result = aeib.enhance(x, RATE, reference=reference, reference_sample_rate=RATE, model=str(bundle_path),
                              dead_zone_db=0.0, match=match)
        return np.sqrt(np.mean((eq_response_db(result.setting.params, RATE, grid) - measured)[band] ** 2))

    distances = [distance(m) for m in (0.0, 0.5, 1.0)]
    assert distances[0] > distances[1] > distances[2] and distances[0] - distances[2] > 3.0
    with pytest.raises(ParameterError, match="needs a reference"):
        aeib.enhance(x, RATE, model=str(bundle_path), match=0.5)
    with pytest.raises(ParameterError, match="within 0–1"):
        aeib.enhance(x, RATE, reference=reference, reference_sample_rate=RATE, model=str(bundle_path), match=1.5)
