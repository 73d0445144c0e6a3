"""A tiny analyzer bundle built here, never by ``aeib export``: the model of the runtime and CLI tests.

The bundle follows the contract of ``docs/RUNTIME.md`` (inputs ``input_features`` [1, F, n_mels] and
``reference_embedding`` [1, E]; outputs ``params01`` [1, 24] and ``input_embedding`` [1, E]) with a
1-second analysis window, so those tests are fast and do not depend on a trained model or on the
export code. Building it needs TensorFlow (the ``[train]`` extra); the ``cached_bundle`` fixture of
``tests/conftest.py`` keeps the result in pytest's cache folder, keyed by this file's contents, so
only the first run pays for the conversion. The runtime under test never imports TensorFlow (checked
in a subprocess by ``test_no_tensorflow``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from aeib import __version__
from aeib.dsp import CHAIN_SCHEMA
from aeib.features import LogMelSpec, log_mel_spectrogram
from tests.conftest import music_like

BUNDLE_NAME = "aeib-test"
SPEC = LogMelSpec(sample_rate=24_000, frame_length=1024, hop_length=256, n_mels=64)
WINDOW_SECONDS = 1.0
WINDOW_SAMPLES = int(WINDOW_SECONDS * SPEC.sample_rate)
FRAMES = SPEC.n_frames(WINDOW_SAMPLES)
EMBEDDING_DIM = 8


def _keras_analyzer():
    """features [1, F, n_mels] + reference [1, E] → {params01 [1, 24], input_embedding [1, E]}.

    The "encoder" is a mean over time and a tanh layer, the "controller" one sigmoid layer; weights
    are seeded so every build gives the same model, and scaled so the outputs move with the input's
    spectrum and level instead of saturating.
    """
    import keras

    rng = np.random.default_rng(7)
    features = keras.Input((FRAMES, SPEC.n_mels), batch_size=1, name="input_features")
    reference = keras.Input((EMBEDDING_DIM,), batch_size=1, name="reference_embedding")
    pooled = keras.layers.GlobalAveragePooling1D(name="time_mean")(features)
    embed = keras.layers.Dense(EMBEDDING_DIM, activation="tanh", name="embed")
    embedding = embed(pooled)
    joint = keras.layers.Concatenate(name="joint")([embedding, reference])
    head = keras.layers.Dense(len(CHAIN_SCHEMA), activation="sigmoid", name="head")
    params01 = head(joint)
    model = keras.Model([features, reference], {"params01": params01, "input_embedding": embedding})
    kernel = rng.normal(0.0, 0.6 / np.sqrt(SPEC.n_mels), (SPEC.n_mels, EMBEDDING_DIM))
    embed.set_weights([kernel, 10.0 * kernel.sum(axis=0)])  # centres typical log-mel values (≈ −10)
    head.set_weights([rng.normal(0.0, 0.8, (2 * EMBEDDING_DIM, len(CHAIN_SCHEMA))), np.zeros(len(CHAIN_SCHEMA))])
    return model


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _embedding(interpreter, names: dict, audio: np.ndarray) -> list[float]:
    """The model's embedding of mono audio (first window), computed with the converted model."""
    features = log_mel_spectrogram(audio[:WINDOW_SAMPLES], SPEC).astype(np.float32)[None]
    interpreter.set_tensor(names["input_features"], features)
    interpreter.set_tensor(names["reference_embedding"], np.zeros((1, EMBEDDING_DIM), np.float32))
    interpreter.invoke()
    return [float(v) for v in interpreter.get_tensor(names["input_embedding"])[0]]


def build_bundle(folder: Path, variant: str = "float32") -> Path:
    """Convert the tiny analyzer to ``folder/aeib-test.<variant>.tflite`` and write its JSON.

    Returns:
        The JSON path.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    folder.mkdir(parents=True, exist_ok=True)
    converter = tf.lite.TFLiteConverter.from_keras_model(_keras_analyzer())
    tflite_path = folder / f"{BUNDLE_NAME}.{variant}.tflite"
    tflite_path.write_bytes(converter.convert())

    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(tflite_path))
    interpreter.allocate_tensors()
    names, tensor_names = {}, {}
    for detail in interpreter.get_input_details():
        key = "input_features" if len(detail["shape"]) == 3 else "reference_embedding"
        names[key], tensor_names[key] = detail["index"], detail["name"]
    for detail in interpreter.get_output_details():
        key = "params01" if detail["shape"][-1] == len(CHAIN_SCHEMA) else "input_embedding"
        names[key], tensor_names[key] = detail["index"], detail["name"]

    rate = SPEC.sample_rate
    clean = music_like(WINDOW_SECONDS, rate, channels=1, seed=3)[:, 0]
    bright = np.diff(clean, prepend=0.0).astype(np.float32) * 4.0  # a first difference tilts the spectrum up
    shapes = {"input_features": [1, FRAMES, SPEC.n_mels], "reference_embedding": [1, EMBEDDING_DIM],
              "params01": [1, len(CHAIN_SCHEMA)], "input_embedding": [1, EMBEDDING_DIM]}
    bundle = {
        "format": "aeib-analyzer", "format_version": 1,
        "name": BUNDLE_NAME, "variant": variant,
        "tflite_file": tflite_path.name,
        "tflite_sha256": _sha256(tflite_path), "tflite_bytes": tflite_path.stat().st_size,
        "aeib_version": __version__, "tensorflow_version": tf.__version__,
        "config_name": "test", "model_config": {"name": "test", "sample_rate": rate},
        "sample_rate": rate,
        "analysis_window": {"seconds": WINDOW_SECONDS, "samples": WINDOW_SAMPLES, "frames": FRAMES},
        "frontend": {**SPEC.to_dict(), "definition": "aeib.features.log_mel_spectrogram"},
        "schema": CHAIN_SCHEMA.to_json_dict(),
        "inputs": [{"name": n, "tensor_name": tensor_names[n], "shape": shapes[n], "dtype": "float32"}
                   for n in ("input_features", "reference_embedding")],
        "outputs": [{"name": n, "tensor_name": tensor_names[n], "shape": shapes[n], "dtype": "float32"}
                    for n in ("params01", "input_embedding")],
        "styles": {
            "clean-live-mix": {"description": "test style from generated music",
                               "embedding": _embedding(interpreter, names, clean)},
            "bright": {"description": "test style, tilted up", "embedding": _embedding(interpreter, names, bright)},
        },
        "default_style": "clean-live-mix",
        "training": {"run": None, "data_manifest_sha256": None, "best_val_loss": None},
        "parity": {},
    }
    json_path = folder / f"{BUNDLE_NAME}.{variant}.json"
    json_path.write_text(json.dumps(bundle, indent=2))
    return json_path
