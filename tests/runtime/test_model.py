import json

import numpy as np
import pytest

from aeib.dsp import CHAIN_SCHEMA
from aeib.features import log_mel_spectrogram
from aeib.runtime import load_model
from aeib.runtime.errors import ModelError
from aeib.runtime.frontend import FEATURE_TOLERANCE, fit_to_window
from tests.conftest import music_like


def _clip(seconds, seed=0, gain=1.0):
    return gain * music_like(seconds, 24_000, channels=1, seed=seed)[:, 0]


def test_public_attributes(model):
    assert (model.sample_rate, model.window_samples, model.variant, model.name) == (24_000, 24_000, "float32", "aeib-test")
    assert model.schema == CHAIN_SCHEMA and model.styles == ("clean-live-mix", "bright")
    assert model.default_style == "clean-live-mix" and model.window_seconds == 1.0 and model.num_threads == 1


def test_features_fit_one_window_and_match_the_definition(model):
    for seconds in (0.3, 1.0, 2.7):
        audio = _clip(seconds)
        features = model.features(audio)
        assert features.shape == (90, 64) and features.dtype == np.float32
        expected = log_mel_spectrogram(fit_to_window(audio, model.window_samples), model.bundle.frontend)
        assert np.abs(features - expected).max() <= FEATURE_TOLERANCE


def test_features_refuse_less_than_a_frame_and_multichannel(model):
    with pytest.raises(ModelError, match="shorter than one analysis frame"):
        model.features(np.zeros(1000, np.float32))
    with pytest.raises(ModelError, match="mono"):
        model.features(np.zeros((24_000, 2), np.float32))


def test_embed_and_predict(model):
    audio = _clip(1.0)
    embedding = model.embed(audio)
    assert embedding.shape == (8,) and embedding.dtype == np.float32
    params01 = model.predict01(audio, model.style_embedding())
    assert params01.shape == (24,) and np.all((params01 > 0) & (params01 < 1))
    # The reference steers the prediction; the input embedding does not depend on it.
    other = model.predict01(audio, model.style_embedding("bright"))
    assert np.abs(other - params01).max() > 1e-3
    p1, e1 = model.run(model.features(audio), model.style_embedding("bright"))
    np.testing.assert_array_equal(e1, embedding)
    np.testing.assert_array_equal(p1, other)
    # The input matters too.
    assert np.abs(model.predict01(_clip(1.0, seed=5, gain=0.1), model.style_embedding()) - params01).max() > 1e-3


def test_style_embedding(model):
    np.testing.assert_array_equal(model.style_embedding(), model.style_embedding("clean-live-mix"))
    first = model.style_embedding()
    first[:] = 99.0  # a copy: the model's style stays intact
    assert model.style_embedding()[0] != 99.0
    with pytest.raises(ModelError, match="unknown style 'dark'; this model's styles: clean-live-mix, bright"):
        model.style_embedding("dark")


def test_wrong_reference_size(model):
    with pytest.raises(ModelError, match="reference embedding has 3 values"):
        model.predict01(_clip(1.0), np.zeros(3))


def test_threads_option(cached_bundle):
    assert load_model(cached_bundle, num_threads=2).num_threads == 2


def _with_partial_style(bundle_path, pull):
    data = json.loads(bundle_path.read_text())
    data["styles"]["partial"] = {**data["styles"]["bright"], "pull": pull}
    bundle_path.write_text(json.dumps(data))
    return load_model(bundle_path)


def test_a_fixed_style_steers_like_its_embedding(model):
    features = model.features(_clip(1.0))
    style = model.style("bright")
    assert not style.partial and style.pull == 1.0
    np.testing.assert_array_equal(model.run_toward(features, style)[0],
                                  model.run(features, model.style_embedding("bright"))[0])


@pytest.mark.parametrize("pull", [0.3, 0.7])
def test_a_partial_style_steers_each_window_part_of_the_way_from_itself(bundle_path, pull):
    partial = _with_partial_style(bundle_path, pull)
    style, bright = partial.style("partial"), partial.style_embedding("bright")
    assert style.partial
    for seed in (0, 3):
        audio = _clip(1.0, seed=seed)
        features = partial.features(audio)
        params01, embedding = partial.run_toward(features, style)
        np.testing.assert_array_equal(embedding, partial.embed(audio))
        expected_target = embedding + pull * (bright - embedding)
        np.testing.assert_allclose(style.target_for(embedding), expected_target, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(params01, partial.run(features, expected_target)[0], atol=1e-6)
        # Part of the way: the prediction lies between "match yourself" and the fixed style's.
        own, full = partial.run(features, embedding)[0], partial.run(features, bright)[0]
        assert np.abs(params01 - own).mean() < np.abs(full - own).mean()


@pytest.mark.parametrize("pull", [0.4, 0.65])
def test_a_reference_pull_steers_each_window_part_of_the_way_to_a_reference_embedding(bundle_path, model, pull):
    data = json.loads(bundle_path.read_text())
    data["reference_pull"] = pull
    bundle_path.write_text(json.dumps(data))
    pulled = load_model(bundle_path)
    assert pulled.bundle.reference_pull == pull and model.bundle.reference_pull == 1.0   # absent: 1
    reference = model.embed(_clip(1.0, seed=9, gain=0.3))
    for seed in (0, 3):
        audio = _clip(1.0, seed=seed)
        features = pulled.features(audio)
        params01, embedding = pulled.run_toward(features, reference)
        np.testing.assert_array_equal(embedding, pulled.embed(audio))
        np.testing.assert_allclose(params01, pulled.run(features, embedding + pull * (reference - embedding))[0],
                                   atol=1e-6)
        np.testing.assert_array_equal(pulled.predict01(audio, reference), params01)
        # Without a pull (the bundle as exported) the window is steered to the reference itself.
        np.testing.assert_array_equal(model.run_toward(features, reference)[0], model.run(features, reference)[0])
        # Built-in styles keep their own pull.
        np.testing.assert_array_equal(pulled.run_toward(features, pulled.style("bright"))[0],
                                      model.run_toward(features, model.style("bright"))[0])


@pytest.mark.parametrize("value", [0, 1.5, -0.2, "0.5", True, float("nan")])
def test_a_bad_reference_pull_is_refused_in_one_line(bundle_path, value):
    data = json.loads(bundle_path.read_text())
    data["reference_pull"] = value
    bundle_path.write_text(json.dumps(data))
    with pytest.raises(ModelError, match=r"reference_pull .* must be a number in \(0, 1\]"):
        load_model(bundle_path)
