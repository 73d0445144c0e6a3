"""The export graph computes the analyzer's numbers from features instead of audio."""

import keras
import numpy as np
import pytest

from aeib.dsp import CHAIN_SCHEMA
from aeib.export.data import features
from aeib.export.graph import build_export_model, export_shapes
from aeib.model.analyzer import build_analyzer
from aeib.model.config import ModelConfig
from tests.conftest import tone_noise_batch


@pytest.fixture(scope="module")
def tiny():
    keras.utils.set_random_seed(1)
    config = ModelConfig.load("tiny")
    return config, build_analyzer(config)


def test_shapes_come_from_the_config(tiny):
    config, _ = tiny
    shapes = export_shapes(config, 4000)
    assert shapes == {"input_features": (1, 30, 16), "reference_embedding": (1, 8),
                      "params01": (1, len(CHAIN_SCHEMA)), "input_embedding": (1, 8)}
    with pytest.raises(ValueError, match="shorter than one"):
        export_shapes(config, 100)


def test_export_graph_matches_the_analyzer(tiny):
    config, analyzer = tiny
    audio = tone_noise_batch(2, 4000, seed=3)
    expected = keras.ops.convert_to_numpy(analyzer([audio[:1], audio[1:]], training=False))
    model = build_export_model(analyzer, config, 4000)
    feats = features(audio, config.log_mel_spec)
    reference = keras.ops.convert_to_numpy(model([feats[1:], np.zeros((1, 8), np.float32)])["input_embedding"])
    out = model([feats[:1], reference])
    assert set(out) == {"params01", "input_embedding"}
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out["params01"]), expected, atol=1e-5)
    # The same trained layer instances: no copied weights.
    assert model.get_layer("encoder") is analyzer.get_layer("encoder")
    assert model.get_layer("controller") is analyzer.get_layer("controller")
