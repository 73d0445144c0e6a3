"""The Keras log-mel front end equals the numpy twin and converts to builtin-only TFLite."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from aeib.features import LogMelSpec, log_mel_spectrogram
from aeib.model import build_analyzer
from aeib.model.frontend import LogMelSpectrogram

SPECS = [
    LogMelSpec(),
    LogMelSpec(hop_length=512),
    LogMelSpec(frame_length=256, hop_length=128, n_mels=16),
    LogMelSpec(sample_rate=16_000, frame_length=400, hop_length=160, n_mels=40, fmin_hz=50.0, fmax_hz=7000.0),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.sample_rate}-{s.frame_length}-{s.hop_length}-{s.n_mels}")
def test_keras_front_end_equals_numpy_twin(spec, audio_batch):
    audio = audio_batch(3, 3 * spec.frame_length + 77)
    audio[2] *= 1e-3  # a quiet example: values near the log floor must agree too
    keras_out = np.asarray(LogMelSpectrogram.from_spec(spec)(audio))
    numpy_out = log_mel_spectrogram(audio, spec)
    assert keras_out.shape == numpy_out.shape == (3, spec.n_frames(audio.shape[1]), spec.n_mels)
    np.testing.assert_allclose(keras_out, numpy_out, atol=2e-4, rtol=0)


def test_front_end_has_no_weights_and_reports_its_shape():
    layer = LogMelSpectrogram(frame_length=256, hop_length=128, n_mels=16)
    out = layer(np.zeros((2, 1000), np.float32))
    assert layer.weights == []
    assert tuple(out.shape) == layer.compute_output_shape((2, 1000)) == (2, 6, 16)
    assert layer.compute_output_shape((None, None)) == (None, None, 16)


def test_front_end_config_round_trip():
    layer = LogMelSpectrogram(sample_rate=16_000, frame_length=512, hop_length=128, n_mels=40, fmax_hz=7000.0,
                              name="fe")
    clone = LogMelSpectrogram.from_config(layer.get_config())
    assert clone.spec == layer.spec and clone.name == "fe"
    audio = np.random.default_rng(0).standard_normal((1, 2048)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(clone(audio)), np.asarray(layer(audio)))


def test_front_end_model_save_and_reload(tmp_path, audio_batch):
    inputs = keras.Input((2048,))
    model = keras.Model(inputs, LogMelSpectrogram(frame_length=256, hop_length=128, n_mels=16)(inputs))
    path = tmp_path / "frontend.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    audio = audio_batch(2, 2048)
    np.testing.assert_array_equal(np.asarray(reloaded(audio)), np.asarray(model(audio)))


def _builtin_ops(tflite_model: bytes) -> set[str]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(model_content=tflite_model,
                              experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    return {op["op_name"] for op in interpreter._get_ops_details()}


def test_analyzer_converts_to_builtin_only_tflite_that_matches_keras(tiny_config, audio_batch):
    pytest.importorskip("ai_edge_litert")
    from ai_edge_litert.interpreter import Interpreter

    n_samples = 4000
    analyzer = build_analyzer(tiny_config, n_samples=n_samples)
    converter = tf.lite.TFLiteConverter.from_keras_model(analyzer)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # fails if a Flex op is needed
    tflite_model = converter.convert()

    ops = _builtin_ops(tflite_model)
    assert {"CONV_2D", "LOG", "LOGISTIC"} <= ops
    assert not any(op.startswith("Flex") or op in ("CUSTOM", "READ_VARIABLE", "VAR_HANDLE") for op in ops), ops

    interpreter = Interpreter(model_content=tflite_model)
    interpreter.allocate_tensors()
    audio, reference = audio_batch(1, n_samples, seed=1), audio_batch(1, n_samples, seed=2)
    for detail in interpreter.get_input_details():
        interpreter.set_tensor(detail["index"], reference if "reference" in detail["name"] else audio)
    interpreter.invoke()
    tflite_out = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    keras_out = np.asarray(analyzer([audio, reference]))
    assert np.isfinite(tflite_out).all()
    np.testing.assert_allclose(tflite_out, keras_out, atol=1e-5)
    # The inputs are really told apart (swapping them changes the prediction).
    assert np.abs(np.asarray(analyzer([reference, audio])) - keras_out).max() > 1e-6
