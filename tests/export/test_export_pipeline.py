"""The whole export on a random-weight tiny analyzer: files, JSON contract, parity, styles, install."""

import hashlib
import json

import numpy as np
import pytest

from aeib import __version__
from aeib.dsp import CHAIN_SCHEMA
from aeib.export import ExportError, ExportRequest, export_model
from aeib.export.config import PARITY_TOLERANCES, VARIANTS
from aeib.export.tflite_model import TfliteAnalyzer
from aeib.features import LogMelSpec
from aeib.model.config import ModelConfig
from tests.export.tiny_data import EXPORT_CONFIG

TINY = ModelConfig.load("tiny")
FRAMES = TINY.log_mel_spec.n_frames(24_000)  # 1 s window


def test_every_variant_is_written_with_its_json(tiny_export):
    assert [r.variant for r in tiny_export.variants] == list(VARIANTS)
    for result in tiny_export.variants:
        assert result.tflite_path.name == f"aeib-tiny-test.{result.variant}.tflite"
        assert result.json_path.name == f"aeib-tiny-test.{result.variant}.json"
        assert json.loads(result.json_path.read_text(encoding="utf-8")) == result.metadata
    for folder in {r.tflite_path.parent for r in tiny_export.variants}:   # --out and the installed default's
        assert not [p for p in folder.iterdir() if "partial" in p.name or p.name.startswith(".")]


def test_json_follows_the_contract(tiny_export):
    for result in tiny_export.variants:
        meta = result.metadata
        data = result.tflite_path.read_bytes()
        assert meta["format"] == "aeib-analyzer" and meta["format_version"] == 1
        assert meta["name"] == "aeib-tiny-test" and meta["variant"] == result.variant
        assert meta["tflite_file"] == result.tflite_path.name
        assert meta["tflite_sha256"] == hashlib.sha256(data).hexdigest()
        assert meta["tflite_bytes"] == len(data)
        assert meta["aeib_version"] == __version__ and meta["tensorflow_version"]
        assert meta["config_name"] == "tiny" and ModelConfig.from_dict(meta["model_config"]) == TINY
        assert meta["sample_rate"] == 24_000
        assert meta["analysis_window"] == {"seconds": 1.0, "samples": 24_000, "frames": FRAMES}
        frontend = {k: v for k, v in meta["frontend"].items() if k != "definition"}
        assert LogMelSpec.from_dict(frontend) == TINY.log_mel_spec
        assert "log_mel_spectrogram" in meta["frontend"]["definition"]
        assert meta["schema"] == CHAIN_SCHEMA.to_json_dict()
        assert meta["training"]["best_val_loss"] == 0.5 and meta["training"]["data_manifest_sha256"] == "ab" * 32
        assert meta["default_style"] in meta["styles"]


def test_json_names_the_signature_tensors_with_the_interpreters_shapes(tiny_export):
    from ai_edge_litert.interpreter import Interpreter

    expected = {"input_features": [1, FRAMES, 16], "input_audio": [1, 24_000], "reference_embedding": [1, 8],
                "params01": [1, len(CHAIN_SCHEMA)], "input_embedding": [1, 8]}
    for result in tiny_export.variants:
        meta = result.metadata
        raw = result.variant.startswith("raw-")
        assert meta["model_input"] == ("audio" if raw else "log_mel_features") and meta["frontend_in_graph"] == raw
        assert [t["name"] for t in meta["inputs"]] == ["input_audio" if raw else "input_features", "reference_embedding"]
        assert [t["name"] for t in meta["outputs"]] == ["params01", "input_embedding"]
        assert meta["signature_key"] == "serving_default"
        runner = Interpreter(model_path=str(result.tflite_path)).get_signature_runner(meta["signature_key"])
        details = {**runner.get_input_details(), **runner.get_output_details()}
        for tensor in meta["inputs"] + meta["outputs"]:
            assert "tensor_name" not in tensor  # signature names only
            assert tensor["shape"] == expected[tensor["name"]] and tensor["dtype"] == "float32"
            assert list(details[tensor["name"]]["shape"]) == tensor["shape"]
            assert details[tensor["name"]]["dtype"] == np.float32  # full int8 keeps float32 I/O


def test_full_int8_is_marked_not_recommended_with_its_measured_reason(tiny_export):
    for result in tiny_export.variants:
        meta = result.metadata
        assert meta["recommended"] == (result.variant != "int8")
        if result.variant == "int8":
            assert "tflite-runtime 2.14" in meta["recommendation"] and "this export: max" in meta["recommendation"]
        else:
            assert "recommendation" not in meta


def test_parity_within_each_variants_tolerance(tiny_export):
    for result in tiny_export.variants:
        parity = result.metadata["parity"]
        assert parity["tolerance"] == PARITY_TOLERANCES[result.variant]
        assert parity["within_tolerance"] and parity["max_abs_params01_vs_keras"] <= parity["tolerance"], result.variant
        assert parity["examples"] == EXPORT_CONFIG.parity_examples and parity["source"].startswith("generated")
        audio = parity["audio"]
        assert audio["max_output_difference_db"] >= audio["median_output_difference_db"]
        assert audio["max_mel_distance_db"] >= audio["mean_mel_distance_db"] >= 0
    by_variant = {r.variant: r.metadata["parity"]["max_abs_params01_vs_keras"] for r in tiny_export.variants}
    assert by_variant["float32"] < 1e-5  # float32 is the same arithmetic as Keras, up to rounding


def test_styles_are_this_variants_own_embeddings(tiny_export):
    embeddings = {}
    for result in tiny_export.variants:
        style = result.metadata["styles"]["clean-live-mix"]
        assert style["description"] and len(style["embedding"]) == 8
        assert all(np.isfinite(style["embedding"]))
        embeddings[result.variant] = np.array(style["embedding"])
    # Same data, different arithmetic: close, and not copied from one variant to another.
    assert np.allclose(embeddings["float16"], embeddings["float32"], atol=0.05 * np.abs(embeddings["float32"]).max() + 1e-6)
    assert not np.array_equal(embeddings["int8"], embeddings["float32"])
    assert np.allclose(embeddings["raw-float32"], embeddings["float32"], atol=1e-4)


def test_the_model_embeds_a_reference_and_uses_it(tiny_export):
    runner = TfliteAnalyzer(tiny_export.variants[0].tflite_path.read_bytes())
    rng = np.random.default_rng(0)
    features = rng.normal(-8.0, 3.0, (2, FRAMES, 16)).astype(np.float32)
    emb = runner.embed(features)
    assert emb.shape == (2, 8)
    params = runner.predict(features[:1].repeat(2, axis=0), np.stack([emb[0], emb[1] + 1.0]))
    assert params.shape == (2, len(CHAIN_SCHEMA)) and ((params > 0) & (params < 1)).all()


def test_install_default_writes_exactly_one_bundle_once(tiny_export):
    installed = tiny_export.installed
    assert [p.name for p in installed] == ["aeib-tiny-test.float32.tflite", "aeib-tiny-test.float32.json"]
    source = tiny_export.variants[0]
    assert installed[0].read_bytes() == source.tflite_path.read_bytes()
    assert installed[1].read_bytes() == source.json_path.read_bytes()
    assert sorted(p.name for p in installed[0].parent.iterdir()) == sorted(p.name for p in installed)
    # The installed variant's one copy is the package folder's: --out holds the other variants only.
    out = tiny_export.variants[1].tflite_path.parent
    assert [source.tflite_path, source.json_path] == installed and out != installed[0].parent
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".json") == sorted(
        r.json_path.name for r in tiny_export.variants[1:])


def test_bad_requests_fail_before_writing(tiny_run, train_only_data, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ExportError, match="not among the exported variants"):
        export_model(ExportRequest(tiny_run, train_only_data, out, "x", EXPORT_CONFIG.with_changes(variants=["float32"]),
                                   install_default="int8"), progress=False)
    with pytest.raises(ExportError, match="no such data folder"):
        export_model(ExportRequest(tiny_run, tmp_path / "nope", out, "x", EXPORT_CONFIG), progress=False)
    with pytest.raises(ExportError, match="invalid model name"):
        export_model(ExportRequest(tiny_run, train_only_data, out, "../evil", EXPORT_CONFIG), progress=False)
    with pytest.raises(ExportError, match="no such model"):
        export_model(ExportRequest(tmp_path / "missing.keras", train_only_data, out, "x", EXPORT_CONFIG), progress=False)
    assert not out.exists()
