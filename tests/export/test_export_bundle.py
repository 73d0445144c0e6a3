"""Bundle files: names, atomic writes, and installing exactly one default into the runtime folder."""

import json

import pytest

from aeib.errors import OutputError
from aeib.export.bundle import check_name, file_names, install_default, prepare_out_dir, write_bundle
from aeib.export.config import ExportError


def _meta(name, variant):
    return {"format": "aeib-analyzer", "format_version": 1, "name": name, "variant": variant,
            "tflite_file": file_names(name, variant)[0]}


def test_names():
    assert check_name("aeib-small-v1") == "aeib-small-v1"
    assert file_names("m", "dynamic-int8") == ("m.dynamic-int8.tflite", "m.dynamic-int8.json")
    for bad in ("", "../x", "a/b", "-x", "a b"):
        with pytest.raises(ExportError):
            check_name(bad)


def test_write_bundle_writes_both_files(tmp_path):
    tflite, meta_path = write_bundle(tmp_path, b"model-bytes", _meta("m", "int8"))
    assert tflite.read_bytes() == b"model-bytes"
    assert json.loads(meta_path.read_text(encoding="utf-8"))["variant"] == "int8"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.int8.json", "m.int8.tflite"]


def test_install_default_replaces_an_older_default_and_keeps_other_files(tmp_path):
    models = tmp_path / "models"
    old = install_default(b"old", _meta("m", "float32"), models_dir=models)
    (models / "notes.json").write_text('{"something": "else"}')
    new = install_default(b"new", _meta("m", "int8"), models_dir=models)
    assert not any(p.exists() for p in old)
    assert [p.read_bytes()[:3] for p in new][0] == b"new"
    assert sorted(p.name for p in models.iterdir()) == ["m.int8.json", "m.int8.tflite", "notes.json"]


def test_out_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        prepare_out_dir(tmp_path / "file")
