"""The raw-audio variants: the log-mel front end inside the graph, parity with numpy features + the
feature model."""

import numpy as np

from aeib.export.data import features
from aeib.export.graph import InGraphLogMel
from aeib.export.tflite_model import TfliteAnalyzer
from aeib.features import LogMelSpec, log_mel_spectrogram
from aeib.model.config import ModelConfig
from tests.conftest import music_like

TINY_SPEC = ModelConfig.load("tiny").log_mel_spec


def _variant(tiny_export, name):
    return next(r for r in tiny_export.variants if r.variant == name)


def test_in_graph_front_end_equals_the_definition():
    import keras

    spec = LogMelSpec(n_mels=16)
    audio = np.stack([music_like(0.5, 24_000, 1, seed=s)[:, 0] * g for s, g in ((0, 1.0), (1, 1e-3))]).astype(np.float32)
    audio[1, :2000] = 0.0  # silence reaches the log floor
    got = keras.ops.convert_to_numpy(InGraphLogMel(spec)(audio))
    expected = np.stack([log_mel_spectrogram(a, spec) for a in audio])
    assert got.shape == expected.shape and np.abs(got - expected).max() < 1e-4
    layer = InGraphLogMel.from_config(InGraphLogMel(spec).get_config())
    assert layer.spec == spec


def test_raw_variants_match_numpy_features_and_the_feature_model(tiny_export):
    feature_model = TfliteAnalyzer(_variant(tiny_export, "float32").tflite_path.read_bytes())
    spec = TINY_SPEC
    audio = np.stack([music_like(1.0, 24_000, 1, seed=s)[:, 0] * g for s, g in ((3, 0.5), (4, 0.01))]).astype(np.float32)
    reference = feature_model.embed(features(audio[::-1], spec))
    expected = feature_model.predict(features(audio, spec), reference)
    for name, tolerance in (("raw-float32", 1e-4), ("raw-float16", 2e-3)):
        result = _variant(tiny_export, name)
        raw = TfliteAnalyzer(result.tflite_path.read_bytes())
        assert raw.input_name == "input_audio" and raw.shape("input_audio") == (1, 24_000)
        assert np.abs(raw.predict(audio, reference) - expected).max() <= tolerance, name
        assert np.abs(raw.embed(audio) - feature_model.embed(features(audio, spec))).max() <= 10 * tolerance
        assert result.metadata["parity"]["max_abs_params01_vs_float32_feature_model"] <= tolerance


def test_the_runtime_runs_a_raw_audio_bundle(tiny_export):
    from aeib.runtime import load_model

    result = _variant(tiny_export, "raw-float32")
    model = load_model(result.json_path)
    assert model.raw_audio and model.bundle.input_name == "input_audio"
    audio = music_like(1.3, 24_000, 1, seed=9)[:, 0].astype(np.float32)
    assert model.features(audio).shape == (24_000,)
    feature_model = load_model(_variant(tiny_export, "float32").json_path)
    params = model.predict01(audio, model.style_embedding())
    assert np.abs(params - feature_model.predict01(audio, feature_model.style_embedding())).max() < 1e-3
