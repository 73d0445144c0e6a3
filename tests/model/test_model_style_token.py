"""The learned reference-free style token: the layer, the analyzer's third input, saving and loading."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from aeib.model.analyzer import build_analyzer, build_enhancer
from aeib.model.config import ConfigError, ModelConfig
from aeib.model.saving import load_keras_model
from aeib.model.style_token import STYLE_TOKEN_LAYER, StyleToken, analyzer_inputs, style_token_of


def _token_config(prob: float = 0.5) -> ModelConfig:
    return ModelConfig.load("tiny").replace_training(style_token_prob=prob)


def test_the_token_replaces_only_flagged_rows():
    layer = StyleToken(3)
    layer.build(None)
    layer.set_token(np.array([1.0, 2.0, 3.0]))
    reference = np.array([[9.0, 9.0, 9.0], [7.0, 7.0, 7.0]], dtype=np.float32)
    out = np.asarray(layer([reference, np.array([[1.0], [0.0]], dtype=np.float32)]))
    np.testing.assert_array_equal(out, [[1.0, 2.0, 3.0], [7.0, 7.0, 7.0]])


def test_an_analyzer_without_a_token_keeps_two_inputs():
    analyzer = build_analyzer(ModelConfig.load("tiny"))
    assert len(analyzer.inputs) == 2 and style_token_of(analyzer) is None


def test_the_flag_switches_the_reference_off(tmp_path):
    keras.utils.set_random_seed(0)
    analyzer = build_analyzer(_token_config())
    assert len(analyzer.inputs) == 3
    rng = np.random.default_rng(0)
    audio = rng.normal(0, 0.1, (2, 24_000)).astype(np.float32)
    other = rng.normal(0, 0.3, (2, 24_000)).astype(np.float32)
    analyzer.get_layer(STYLE_TOKEN_LAYER).set_token(np.linspace(-1, 1, analyzer.get_layer("encoder").embedding_dim))
    on = np.ones((2, 1), np.float32)
    # With the token on, the reference no longer matters; off, it does.
    np.testing.assert_allclose(analyzer.predict_on_batch([audio, audio, on]), analyzer.predict_on_batch([audio, other, on]),
                               atol=1e-6)
    off = analyzer.predict_on_batch(analyzer_inputs(analyzer, audio, other))
    assert np.abs(off - analyzer.predict_on_batch([audio, other, on])).max() > 1e-4
    analyzer.save(tmp_path / "analyzer.keras")
    loaded = load_keras_model(tmp_path / "analyzer.keras")
    np.testing.assert_array_equal(style_token_of(loaded), style_token_of(analyzer))


def test_the_enhancer_passes_the_flag_through():
    enhancer = build_enhancer(_token_config())
    assert [t.name for t in enhancer.inputs][-1].startswith("use_style_token")
    assert len(enhancer.inputs) == 3


@pytest.mark.parametrize("prob", [-0.1, 1.5])
def test_the_share_is_checked(prob):
    data = json.loads(json.dumps(ModelConfig.load("tiny").to_dict()))
    data["training"]["style_token_prob"] = prob
    with pytest.raises(ConfigError, match="style_token_prob"):
        ModelConfig.from_dict(data)
