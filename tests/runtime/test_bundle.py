import hashlib
import json
import shutil

import numpy as np
import pytest

from aeib.dsp import CHAIN_SCHEMA
from aeib.runtime import bundle as bundle_module
from aeib.runtime import load_model, read_bundle
from aeib.runtime.errors import ModelError
from tests.conftest import music_like


def _edit(json_path, change):
    data = json.loads(json_path.read_text())
    change(data)
    json_path.write_text(json.dumps(data))


def _rehash(json_path):
    tflite = json_path.with_suffix(".tflite")
    _edit(json_path, lambda d: d.update(tflite_sha256=hashlib.sha256(tflite.read_bytes()).hexdigest()))


def test_reads_a_valid_bundle(bundle_path):
    spec = read_bundle(bundle_path)
    assert (spec.name, spec.variant, spec.sample_rate, spec.window_samples, spec.frames) == ("aeib-test", "float32", 24_000, 24_000, 90)
    assert list(spec.styles) == ["clean-live-mix", "bright"] and spec.default_style == "clean-live-mix"
    assert spec.embedding_dim == 8 and spec.frontend.n_mels == 64


def test_a_style_may_carry_a_tonal_target(bundle_path):
    """``spectrum`` (freqs_hz, level_db) is read into ``Style.spectrum``; a style without one has None."""
    _edit(bundle_path, lambda d: d["styles"]["bright"].update(
        spectrum={"freqs_hz": [20.0, 1000.0, 10000.0], "level_db": [-20.0, -30.0, -50.0], "references": 3}))
    styles = read_bundle(bundle_path).styles
    freqs, level = styles["bright"].spectrum
    assert freqs.tolist() == [20.0, 1000.0, 10000.0] and level.tolist() == [-20.0, -30.0, -50.0]
    assert styles["clean-live-mix"].spectrum is None


def test_tflite_path_and_folder_find_the_json(bundle_path):
    assert read_bundle(bundle_path.with_suffix(".tflite")).json_path == bundle_path
    assert read_bundle(bundle_path.parent).json_path == bundle_path


def test_default_bundle_comes_from_the_package_folder(bundle_path, tmp_path, monkeypatch):
    monkeypatch.setattr(bundle_module, "DEFAULT_MODEL_DIR", bundle_path.parent)
    assert read_bundle(None).json_path == bundle_path and load_model().name == "aeib-test"
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(bundle_module, "DEFAULT_MODEL_DIR", empty)
    with pytest.raises(ModelError, match="no analyzer model is bundled"):
        load_model()
    shutil.copy(bundle_path, bundle_path.with_name("other.json"))
    with pytest.raises(ModelError, match="several model JSON files"):
        bundle_module.default_bundle_json(bundle_path.parent)


def test_the_shipped_default_bundle_is_valid():
    assert list(bundle_module.DEFAULT_MODEL_DIR.glob("*.json")), "no model in aeib/runtime/models (it is shipped)"
    model = load_model()
    assert model.schema == CHAIN_SCHEMA and model.default_style in model.styles
    params01 = model.predict01(music_like(1.0, model.sample_rate, 1)[:, 0], model.style_embedding())
    assert params01.shape == (len(CHAIN_SCHEMA),) and np.all((params01 >= 0) & (params01 <= 1))
    # board-mix's tonal target: measured on the training data's 24 kHz, up to its Nyquist frequency
    freqs, level = model.style("board-mix").spectrum
    assert freqs[0] == 20.0 and 11_000.0 < freqs[-1] <= 12_000.0 and np.isfinite(level).all()
    assert model.style("live-room").spectrum is None


def test_missing_files(bundle_path, tmp_path):
    with pytest.raises(ModelError, match="no such model file"):
        read_bundle(tmp_path / "nope.json")
    lonely = tmp_path / "lonely.tflite"
    shutil.copy(bundle_path.with_suffix(".tflite"), lonely)
    with pytest.raises(ModelError, match="has no lonely.json beside it"):
        read_bundle(lonely)
    bundle_path.with_suffix(".tflite").unlink()
    with pytest.raises(ModelError, match="is missing"):
        read_bundle(bundle_path)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(format="something-else"), "not an aeib analyzer bundle"),
    (lambda d: d.update(format_version=2), "unsupported bundle format_version 2"),
    (lambda d: d["schema"]["parameters"].pop(), "different parameter schema"),
    (lambda d: d["schema"]["parameters"][0].update(max=24.0), "different parameter schema"),
    (lambda d: d.pop("sample_rate"), "lacks 'sample_rate'"),
    (lambda d: d["analysis_window"].update(frames=91), "gives 90 frames, the JSON says 91"),
    (lambda d: d["inputs"][0].update(shape=[1, 90, 32]), "'input_features' has shape"),
    (lambda d: d["outputs"].pop(), "'outputs' lacks tensor"),
    (lambda d: d["styles"]["bright"].update(embedding=[0.0, 1.0]), "style 'bright' needs 8"),
    (lambda d: d.update(default_style="nope"), "default_style 'nope'"),
    (lambda d: d["styles"]["bright"].update(pull=0.0), "style 'bright' has pull 0.0; it must be a number in"),
    (lambda d: d["styles"]["bright"].update(pull=1.5), "has pull 1.5"),
    (lambda d: d["styles"]["bright"].update(pull="half"), "has pull 'half'"),
    (lambda d: d["frontend"].update(n_mels="x"), "invalid front end"),
    (lambda d: d["styles"]["bright"].update(spectrum={"freqs_hz": [20.0, 40.0]}), "'bright' has a malformed spectrum"),
    (lambda d: d["styles"]["bright"].update(spectrum={"freqs_hz": [20.0, 40.0], "level_db": [0.0]}), "same length"),
    (lambda d: d["styles"]["bright"].update(spectrum={"freqs_hz": [40.0, 20.0], "level_db": [0.0, 1.0]}),
     "rising positive frequencies"),
    (lambda d: d["styles"]["bright"].update(spectrum={"freqs_hz": [20.0, 40.0], "level_db": [0.0, "x"]}),
     "malformed spectrum"),
    (lambda d: d["styles"]["bright"].update(spectrum=[1, 2]), "malformed spectrum"),
])
def test_inconsistent_json_is_refused(bundle_path, change, message):
    _edit(bundle_path, change)
    with pytest.raises(ModelError, match=message):
        read_bundle(bundle_path)


def test_corrupt_json(bundle_path):
    bundle_path.write_text("{not json")
    with pytest.raises(ModelError, match="is not valid JSON"):
        read_bundle(bundle_path)


def test_hash_mismatch(bundle_path):
    tflite = bundle_path.with_suffix(".tflite")
    tflite.write_bytes(tflite.read_bytes() + b"\0")
    with pytest.raises(ModelError, match="does not match its JSON"):
        read_bundle(bundle_path)


def test_corrupt_model_with_matching_hash(bundle_path):
    tflite = bundle_path.with_suffix(".tflite")
    tflite.write_bytes(b"\0" * 64 + tflite.read_bytes()[64:])
    _rehash(bundle_path)
    with pytest.raises(ModelError, match="not a valid TFLite model"):
        load_model(bundle_path)


def test_tensor_names_are_checked_against_the_interpreter(bundle_path):
    _edit(bundle_path, lambda d: d["outputs"][0].update(tensor_name="no_such_tensor:0"))
    with pytest.raises(ModelError, match="no tensor 'no_such_tensor:0'"):
        load_model(bundle_path)


def test_swapped_legacy_tensor_names_contradict_the_signature(bundle_path):
    def swap(d):
        a, b = d["outputs"]
        a["tensor_name"], b["tensor_name"] = b["tensor_name"], a["tensor_name"]
    _edit(bundle_path, swap)
    with pytest.raises(ModelError, match="is not the model's 'params01' tensor"):
        load_model(bundle_path)


def test_tensors_are_found_by_signature_name_without_tensor_names(bundle_path):
    def drop(d):
        for entry in d["inputs"] + d["outputs"]:
            entry.pop("tensor_name")
    _edit(bundle_path, drop)
    model = load_model(bundle_path)
    assert model.predict01(np.zeros(24_000, np.float32) + 0.01, model.style_embedding()).shape == (24,)
    _edit(bundle_path, lambda d: d["outputs"][0].update(name="no_such_output"))
    with pytest.raises(ModelError, match="lacks tensor"):
        load_model(bundle_path)


def test_a_bundle_names_its_signature(bundle_path):
    def rename(d):
        for entry in d["inputs"] + d["outputs"]:
            entry.pop("tensor_name")
        d["signature_key"] = "no_such_signature"
    _edit(bundle_path, rename)
    with pytest.raises(ModelError, match="no signature 'no_such_signature'"):
        load_model(bundle_path)
