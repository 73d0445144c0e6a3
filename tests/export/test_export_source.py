"""Finding and loading the model to export: run folders, .keras files, and clear errors for bad ones."""

import json
import shutil

import pytest

from aeib.export.config import ExportError
from aeib.export.source import load_trained_analyzer, resolve_model_path, training_info


def test_run_folder_and_file_give_the_same_analyzer(tiny_run):
    from_folder = load_trained_analyzer(tiny_run)
    from_file = load_trained_analyzer(tiny_run / "analyzer.keras")
    assert from_folder.path == from_file.path == tiny_run / "analyzer.keras"
    assert from_folder.config.name == "tiny"  # from config.json beside the model
    assert from_folder.training == {"run": str(tiny_run), "data_manifest_sha256": "ab" * 32, "best_val_loss": 0.5}


def test_enhancer_file_without_config_is_understood(tiny_run, tmp_path):
    import keras

    from aeib.model.analyzer import build_enhancer

    analyzer = load_trained_analyzer(tiny_run).model
    enhancer = build_enhancer(load_trained_analyzer(tiny_run).config, analyzer)
    enhancer.save(tmp_path / "best.keras")
    loaded = load_trained_analyzer(tmp_path)  # run folder holding only best.keras
    assert loaded.model.name == "analyzer" and loaded.config.name == "custom"
    assert loaded.config.encoder.embedding_dim == 8 and loaded.config.frontend.n_mels == 16
    assert loaded.training["best_val_loss"] is None
    w_saved = keras.ops.convert_to_numpy(analyzer.get_layer("controller").weights[0])
    w_loaded = keras.ops.convert_to_numpy(loaded.model.get_layer("controller").weights[0])
    assert (w_saved == w_loaded).all()


def test_training_info_falls_back_to_state_json(tmp_path):
    (tmp_path / "state.json").write_text(json.dumps({"data_manifest_sha256": "cd", "callbacks": {"checkpoint": {"best": 0.7}}}))
    assert training_info(tmp_path) == {"run": str(tmp_path), "data_manifest_sha256": "cd", "best_val_loss": 0.7}


def test_bad_paths_and_files(tmp_path, tiny_run):
    with pytest.raises(ExportError, match="no such model file"):
        resolve_model_path(tmp_path / "missing.keras")
    with pytest.raises(ExportError, match="holds no analyzer.keras or best.keras"):
        resolve_model_path(tmp_path)
    (tmp_path / "model.h5").write_bytes(b"x")
    with pytest.raises(ExportError, match="not a .keras model file"):
        resolve_model_path(tmp_path / "model.h5")
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes((tiny_run / "analyzer.keras").read_bytes()[:500])
    with pytest.raises(ExportError, match="cannot load .*corrupt.keras"):
        load_trained_analyzer(corrupt)


def test_config_json_that_does_not_match_is_refused(tiny_run, tmp_path):
    from aeib.model.config import ModelConfig

    shutil.copy(tiny_run / "analyzer.keras", tmp_path / "analyzer.keras")
    (tmp_path / "config.json").write_text(json.dumps(ModelConfig.load("small").to_dict()))
    with pytest.raises(ExportError, match="does not describe the model"):
        load_trained_analyzer(tmp_path)


def test_a_keras_model_that_is_not_an_analyzer_is_refused(tmp_path):
    import keras

    inputs = keras.Input((4,))
    keras.Model(inputs, keras.layers.Dense(2)(inputs)).save(tmp_path / "other.keras")
    with pytest.raises(ExportError, match="not an aeib analyzer or enhancer"):
        load_trained_analyzer(tmp_path / "other.keras")
