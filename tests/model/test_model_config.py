"""Model configs: named files load, unknown keys and bad values are refused with clear messages."""

import json
from pathlib import Path

import pytest

import aeib
from aeib.model.config import CONFIG_DIR, ConfigError, ModelConfig


@pytest.mark.parametrize("name", ["tiny", "small", "big"])
def test_named_configs_load_and_round_trip(name):
    config = ModelConfig.load(name)
    assert config.name == name
    assert config.sample_rate == 24_000
    assert ModelConfig.from_dict(config.to_dict()) == config
    assert ModelConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


@pytest.mark.parametrize("name", ["small", "big"])
def test_product_configs_use_the_issue_defaults(name):
    config = ModelConfig.load(name)
    assert config.training.crop_seconds == 2.5
    assert config.crop_samples == 60_000
    assert config.training.batch_size == 16
    assert config.log_mel_spec.frame_length == 1024 and config.log_mel_spec.n_mels == 64


def test_load_by_path(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"name": "mine", "training": {"gradient": "autodiff"}}))
    config = ModelConfig.load(path)
    assert config.training.gradient == "autodiff"
    assert config.encoder == ModelConfig(name="x").encoder  # omitted sections take defaults


def test_unknown_named_config_lists_the_known_ones():
    with pytest.raises(ConfigError, match="tiny"):
        ModelConfig.load("no-such-config")


@pytest.mark.parametrize("data, match", [
    ({"name": "x", "encodr": {}}, r"unknown key\(s\) \['encodr'\] in model config"),
    ({"name": "x", "training": {"epsilon": 0.1}}, r"unknown key\(s\) \['epsilon'\] in training"),
    ({"name": "x", "frontend": {"hop": 256}}, r"unknown key\(s\) \['hop'\] in frontend"),
    ({"training": {}}, "needs a 'name'"),
    ({"name": "x", "training": {"gradient": "adjoint"}}, "training.gradient must be one of"),
    ({"name": "x", "training": {"spsa_epsilon": 0.0}}, "spsa_epsilon"),
    ({"name": "x", "training": {"dsp_backend": "gpu"}}, "dsp_backend"),
    ({"name": "x", "encoder": {"filters": []}}, "encoder.filters must not be empty"),
    ({"name": "x", "encoder": {"filters": [8, -1]}}, "positive integers"),
    ({"name": "x", "controller": {"dropout_rate": 1.0}}, "dropout_rate"),
    ({"name": "x", "loss": {"fft_sizes": [512], "mel_bands": [32, 16]}}, "equal lengths"),
    ({"name": "x", "loss": {"mel_weight": 0, "time_weight": 0}}, "not both 0"),
    ({"name": "x", "loss": {"identity_weight": 0}}, "identity_weight must be > 0"),
    ({"name": "x", "loss": {"bound_weight": -1}}, "bound_weight must be >= 0"),
    ({"name": "x", "loss": {"bound_margin": 0.5}}, r"bound_margin must be in \(0, 0.5\)"),
    ({"name": "x", "frontend": {"n_mels": 0}}, "invalid frontend: n_mels"),
    ({"name": "x", "frontend": {"frame_length": 100_000}}, "shorter than one frame"),
    ({"name": "x", "training": "fast"}, "training must be a JSON object"),
    ([1, 2], "must be a JSON object"),
])
def test_invalid_configs_are_refused(data, match):
    with pytest.raises(ConfigError, match=match):
        ModelConfig.from_dict(data)


def test_invalid_json_is_a_config_error():
    with pytest.raises(ConfigError, match="invalid model config JSON"):
        ModelConfig.from_json("{name: tiny")


def test_replace_training_validates_and_keeps_the_rest():
    config = ModelConfig.load("tiny")
    autodiff = config.replace_training(gradient="autodiff")
    assert autodiff.training.gradient == "autodiff" and autodiff.encoder == config.encoder
    with pytest.raises(ConfigError, match="unknown key"):
        config.replace_training(gradiant="autodiff")


def test_config_files_are_all_valid():
    names = sorted(p.stem for p in CONFIG_DIR.glob("*.json"))
    assert {"tiny", "small", "big"} <= set(names)
    for name in names:
        ModelConfig.load(name)



def test_named_configs_resolve_from_the_package(monkeypatch, tmp_path):
    # Package data (aeib/configs/training/), so that a non-editable install has them; the checkout's
    # top-level training/configs/ keeps only a README pointing there (one copy).
    package = Path(aeib.__file__).resolve().parent
    assert CONFIG_DIR == package / "configs" / "training"
    monkeypatch.chdir(tmp_path)
    assert ModelConfig.load("small-v3") == ModelConfig.load(CONFIG_DIR / "small-v3.json")
    assert ModelConfig.load("small-v3").name == "small-v3"
    assert not list((package.parent / "training" / "configs").glob("*.json"))
