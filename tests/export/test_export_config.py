"""Export settings: the shipped default file, validation, variant parsing."""

import json
from pathlib import Path

import pytest

import aeib
from aeib.export.config import (
    DEFAULT_CONFIG_PATH,
    PARITY_TOLERANCES,
    VARIANTS,
    ExportConfig,
    ExportError,
    parse_variants,
)


def test_default_file_matches_the_built_in_defaults():
    assert DEFAULT_CONFIG_PATH.is_file()
    assert ExportConfig.load() == ExportConfig()
    # Every setting of a run, except the tolerances: PARITY_TOLERANCES is their one source.
    built_in = {key: value for key, value in ExportConfig().to_dict().items() if key != "tolerances"}
    assert json.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")) == built_in


def test_default_file_is_package_data(monkeypatch, tmp_path):
    # aeib/configs/export/default.json ships with the package; the checkout's export/configs/ holds a README.
    package = Path(aeib.__file__).resolve().parent
    assert DEFAULT_CONFIG_PATH == package / "configs" / "export" / "default.json"
    monkeypatch.chdir(tmp_path)
    assert ExportConfig.load() == ExportConfig.load(DEFAULT_CONFIG_PATH)
    assert not list((package.parent / "export" / "configs").glob("*.json"))


def test_window_samples_and_round_trip():
    config = ExportConfig(window_seconds=2.5, variants=("int8", "float32"))
    assert config.window_samples(24_000) == 60_000
    assert ExportConfig.from_dict(config.to_dict()) == config
    assert config.with_changes(parity_examples=3, window_seconds=None).parity_examples == 3


@pytest.mark.parametrize("data, message", [
    ({"variants": ["float32", "int4"]}, "unknown or no variant"),
    ({"variants": []}, "unknown or no variant"),
    ({"variants": ["int8", "int8"]}, "listed twice"),
    ({"window_seconds": 0}, "window_seconds"),
    ({"representative_windows": 0}, "representative_windows"),
    ({"parity_examples": 2.5}, "parity_examples"),
    ({"windows": 3}, "unknown key"),
    ([1, 2], "JSON object"),
])
def test_invalid_configs_are_refused(data, message):
    with pytest.raises(ExportError, match=message):
        ExportConfig.from_dict(data)


def test_partial_tolerances_keep_the_other_defaults():
    config = ExportConfig.from_dict({"tolerances": {"int8": 0.1}})
    assert config.tolerances == {**PARITY_TOLERANCES, "int8": 0.1}


def test_load_errors(tmp_path):
    with pytest.raises(ExportError, match="no export config"):
        ExportConfig.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ExportError, match="cannot read export config"):
        ExportConfig.load(bad)


def test_parse_variants():
    assert parse_variants("float32, int8") == ("float32", "int8")
    assert parse_variants(",".join(VARIANTS)) == VARIANTS
    with pytest.raises(ExportError, match="choose from"):
        parse_variants("float64")
    with pytest.raises(ExportError):
        parse_variants(" , ")
