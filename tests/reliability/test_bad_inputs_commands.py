"""Hostile inputs through `aeib evaluate`, `aeib train`, `aeib export` and `aeib bench`, and the checked
JSON reader (:mod:`aeib.jsonio`) that every JSON file aeib reads goes through.

Same verdicts as test_bad_inputs.py (tests/reliability/harness.py): exit code 2, exactly one
``aeib: error:`` line, no traceback, the folder byte-identical to before; or a clean success. Nearly
every case fails before TensorFlow is imported and runs in-process; only the full-disk cases run a
real process (``RLIMIT_FSIZE``), and one sweep runs every subcommand over every hostile data folder
in a single child process and requires that none exits 70 (internal error).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from aeib.errors import AeibError
from aeib.jsonio import parse_json, read_json
from tests.reliability.harness import (
    INPUT_BUILDERS,
    REPO,
    SENTINEL,
    assert_clean_failure,
    assert_clean_success,
    limit_file_size,
    run_inprocess,
    run_subprocess,
    snapshot,
)

RATE = 16_000
DEEP = "[" * 100_000

# Hostile contents for a JSON file aeib reads: name → bytes.
HOSTILE_JSON = {
    "list": b"[1, 2, 3]",
    "string": b'"manifest"',
    "number": b"42",
    "deep_nesting": DEEP.encode(),
    "other_format": b'{"format": "somebody-else", "format_version": 1, "files": []}',
    "not_json": b"{nope",
    "empty": b"",
    "binary": bytes(range(256)),
}

MANIFEST = {"format": "aeib-style-pairs", "format_version": 1, "audio": {"sample_rate": 24_000},
            "shards": [{"file": "train-00000.npz", "split": "train", "examples": 1}]}


def _noise(seconds: float, seed: int) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal((int(seconds * RATE), 1))).astype(np.float32)


def _triplets(folder: Path, names=("a", "b"), seconds: float = 0.5) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        for j, role in enumerate(("input", "target", "reference")):
            sf.write(str(folder / f"{name}_{role}.wav"), _noise(seconds, 10 * i + j), RATE)
    return folder


def _evaluate(data, out, *extra) -> list:
    return ["evaluate", "--data", data, "--baselines", "input", "--out", out, "--no-plots", "-q", *extra]


# -- the checked reader ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(HOSTILE_JSON))
def test_reader_refuses_hostile_json_naming_the_file(case, tmp_path):
    path = tmp_path / "thing.json"
    path.write_bytes(HOSTILE_JSON[case])
    with pytest.raises(AeibError) as caught:
        read_json(path, "dataset manifest", formats={"format": "aeib-style-pairs"}, kind="an aeib manifest",
                  required={"shards": list})
    assert str(path) in str(caught.value) and "\n" not in str(caught.value), caught.value


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "does not exist"),
    (lambda p: p.mkdir(), "is a folder"),
    (lambda p: p.write_text('{"format": "aeib-style-pairs"}'), "has no 'shards'"),
    (lambda p: p.write_text('{"format": "aeib-style-pairs", "shards": {}}'), "'shards' must be a JSON list"),
    (lambda p: p.write_text('{"format": "x", "shards": []}'), "is not an aeib manifest (format 'x'"),
    (lambda p: p.write_text("[]"), "must hold a JSON object at the top level, got a JSON list"),
])
def test_reader_messages(make, message, tmp_path):
    path = tmp_path / "m.json"
    make(path)
    with pytest.raises(AeibError, match=re.escape(message)):
        read_json(path, "manifest", formats={"format": "aeib-style-pairs"}, kind="an aeib manifest",
                  required={"shards": list})


def test_reader_accepts_a_byte_order_mark_and_checks_types_strictly(tmp_path):
    path = tmp_path / "c.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"rate": 2, "on": True}).encode())
    assert read_json(path, "config", required={"rate": float, "on": bool}) == {"rate": 2, "on": True}
    with pytest.raises(AeibError, match="'on' must be an integer, got true or false"):
        parse_json('{"on": true}', "config", required={"on": int})
    with pytest.raises(AeibError, match="nested too deeply"):
        parse_json(DEEP, "config")


# -- aeib evaluate ------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["list", "string", "deep_nesting", "other_format", "not_json", "binary", "folder"])
def test_evaluate_triplets_beside_a_stray_manifest(case, tmp_path, capsys):
    """The reported crash: a foreign manifest.json (a list, as many tools write) beside complete
    triplets. It is ignored with a warning and the triplets are evaluated."""
    data = _triplets(tmp_path / "data")
    if case == "folder":
        (data / "manifest.json").mkdir()
    else:
        (data / "manifest.json").write_bytes(HOSTILE_JSON[case])
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, _evaluate(data, tmp_path / "out"))
    assert_clean_success(outcome, before, snapshot(tmp_path),
                         {"out", *(f"out/{n}" for n in ("results.md", "summary.csv", "examples.csv", "results.json"))})
    assert [line for line in outcome.err_lines if line.startswith("aeib: warning: ")
            and "manifest.json" in line and "ignoring" in line], outcome.err
    assert json.loads((tmp_path / "out" / "results.json").read_text())["examples"] == 2


def _damage_triplets(case: str, data: Path) -> str:
    """Damage the good triplet folder ``data`` one way; the expected fragment of the error line."""
    if case == "missing_target":
        (data / "b_target.wav").unlink()
        return "'b' has no b_target.wav"
    if case == "two_inputs":
        sf.write(str(data / "b_input.flac"), _noise(0.5, 1), RATE)
        return "two input files"
    if case == "lengths_differ":
        sf.write(str(data / "b_target.wav"), _noise(0.7, 1), RATE)
        return "differ in length"
    if case == "too_short":
        for role in ("input", "target"):
            sf.write(str(data / f"b_{role}.wav"), _noise(0.1, 1), RATE)
        return "need ≥ 0.4 s"
    if case == "rate_4k":
        for role in ("input", "target", "reference"):
            sf.write(str(data / f"b_{role}.wav"), _noise(0.5, 1)[:2000], 4000)
        return "outside the supported"
    if case.startswith("hostile_"):
        kind = case[len("hostile_"):]
        built = INPUT_BUILDERS[kind](data)
        if built.suffix != ".wav":
            (data / "b_target.wav").unlink()
        built.replace(data / f"b_target{built.suffix}")
        return "b_target"
    if case == "foreign_manifest_without_triplets":
        for file in data.iterdir():
            file.unlink()
        (data / "manifest.json").write_text("[]")
        return "must hold a JSON object"
    if case == "our_manifest_malformed_shards":
        for file in data.iterdir():
            file.unlink()
        (data / "manifest.json").write_text(json.dumps({**MANIFEST, "shards": [1, 2]}))
        return "is malformed"
    if case == "our_manifest_other_version":
        (data / "manifest.json").write_text(json.dumps({**MANIFEST, "format_version": 99}))
        for file in data.glob("*.wav"):
            file.unlink()
        return "format_version 99"
    if case == "corrupt_shard":
        for file in data.iterdir():
            file.unlink()
        (data / "test-00000.npz").write_bytes(b"PK\x03\x04 not really a zip")
        return "cannot read shard"
    raise AssertionError(case)


# A corrupt or empty file among good triplets refuses the test set (docs/RELIABILITY.md says why).
TRIPLET_CASES = ["missing_target", "two_inputs", "lengths_differ", "too_short", "rate_4k",
                 "hostile_corrupt_header", "hostile_empty_file", "hostile_random_bytes", "hostile_header_only",
                 "hostile_all_nan", "hostile_some_inf", "hostile_truncated_flac",
                 "foreign_manifest_without_triplets", "our_manifest_malformed_shards", "our_manifest_other_version",
                 "corrupt_shard"]


@pytest.mark.parametrize("case", TRIPLET_CASES)
def test_evaluate_refuses_a_bad_test_set(case, tmp_path, capsys):
    data = _triplets(tmp_path / "data")
    message = _damage_triplets(case, data)
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.md").write_bytes(SENTINEL)  # an earlier report that a failure must not touch
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, _evaluate(data, out))
    assert_clean_failure(outcome, before, snapshot(tmp_path), message)


def _model_case(case: str, tmp_path: Path) -> tuple[Path, str]:
    if case == "folder_without_model":
        (tmp_path / "run").mkdir()
        return tmp_path / "run", "is not a model"
    if case == "bundle_json_is_a_list":
        (tmp_path / "m.json").write_text("[]")
        return tmp_path / "m.json", "must hold a JSON object"
    if case == "bundle_json_deep":
        (tmp_path / "m.json").write_text(DEEP)
        return tmp_path / "m.json", "nested too deeply"
    if case == "bundle_json_other_format":
        (tmp_path / "m.json").write_text('{"format": "aeib-params", "version": 1, "params": {}}')
        return tmp_path / "m.json", "not an aeib analyzer bundle"
    if case == "tflite_without_json":
        (tmp_path / "m.tflite").write_bytes(b"TFL3" + bytes(100))
        return tmp_path / "m.tflite", "has no m.json"
    if case == "wav_as_model":
        INPUT_BUILDERS["good"](tmp_path).replace(tmp_path / "m.json")
        return tmp_path / "m.json", "not UTF-8"
    if case == "missing":
        return tmp_path / "nope.keras", "no such model"
    raise AssertionError(case)


MODEL_PATH_CASES = ["folder_without_model", "bundle_json_is_a_list", "bundle_json_deep", "bundle_json_other_format",
                    "tflite_without_json", "wav_as_model", "missing"]


@pytest.mark.parametrize("case", MODEL_PATH_CASES)
def test_evaluate_refuses_a_bad_model_path(case, tmp_path, capsys):
    data = _triplets(tmp_path / "data")
    model, message = _model_case(case, tmp_path)
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, _evaluate(data, tmp_path / "out", "--model", model))
    assert_clean_failure(outcome, before, snapshot(tmp_path), message)


@pytest.mark.parametrize("case", ["out_is_data", "out_is_data_by_dotdot", "out_is_the_shard_folder",
                                  "out_is_the_model_folder", "out_is_a_file", "out_under_a_file"])
def test_evaluate_refuses_an_unusable_out(case, tmp_path, capsys):
    data = _triplets(tmp_path / "data")
    argv_data, extra = data, []
    out, message = data, "is the test set's folder"
    if case == "out_is_data_by_dotdot":
        (tmp_path / "sub").mkdir()
        out = tmp_path / "sub" / ".." / "data"
    elif case == "out_is_the_shard_folder":
        (tmp_path / "shards").mkdir()
        argv_data = tmp_path / "shards" / "test-00000.npz"
        argv_data.write_bytes(b"not read: refused first")
        out = tmp_path / "shards"
    elif case == "out_is_the_model_folder":
        (tmp_path / "models").mkdir()
        (tmp_path / "models" / "m.json").write_text("{}")
        extra, out, message = ["--model", tmp_path / "models" / "m.json"], tmp_path / "models", "folder of model"
    elif case == "out_is_a_file":
        out, message = tmp_path / "report.md", "is not a folder"
        out.write_bytes(SENTINEL)
    elif case == "out_under_a_file":
        (tmp_path / "notes.txt").write_text("a file")
        out, message = tmp_path / "notes.txt" / "out", "does not exist"
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, _evaluate(argv_data, out, *extra))
    assert_clean_failure(outcome, before, snapshot(tmp_path), message)


def test_evaluate_on_a_full_disk_keeps_the_old_report_whole(tmp_path):
    """The report is staged in a hidden folder and moved in only when every file is written."""
    data = _triplets(tmp_path / "data")
    out = tmp_path / "out"
    out.mkdir()
    for name in ("results.md", "summary.csv", "examples.csv", "results.json"):
        (out / name).write_bytes(SENTINEL)
    before = snapshot(tmp_path)
    outcome = run_subprocess(_evaluate(data, out), preexec_fn=limit_file_size(1_500))
    assert_clean_failure(outcome, before, snapshot(tmp_path), "File too large")


# -- aeib train (everything here is refused before TensorFlow is imported) -----------------------

TRAIN_CONFIGS = {
    "unknown_key": ('{"name": "x", "learning_rate": 0.1}', "unknown key(s) ['learning_rate']"),
    "unknown_nested_key": ('{"name": "x", "encoder": {"channels": [4]}}', "unknown key(s) ['channels'] in encoder"),
    "rate_as_string": ('{"name": "x", "sample_rate": "24000"}', "sample_rate must be a positive integer"),
    "section_as_string": ('{"name": "x", "training": "fast"}', "training must be a JSON object"),
    "crop_as_string": ('{"name": "x", "training": {"crop_seconds": "2"}}', "invalid training"),
    "name_missing": ('{"sample_rate": 24000}', "needs a 'name'"),
    "list": ("[1, 2]", "must hold a JSON object"),
    "deep_nesting": (DEEP, "nested too deeply"),
    "not_json": ("{nope", "not valid JSON"),
}


def _train(config, data, out) -> list:
    return ["train", "--config", config, "--data", data, "--out", out, "--epochs", "1", "-q"]


@pytest.mark.parametrize("case", sorted(TRAIN_CONFIGS))
def test_train_refuses_a_bad_config(case, tmp_path, capsys):
    text, message = TRAIN_CONFIGS[case]
    (tmp_path / "c.json").write_text(text)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "manifest.json").write_text(json.dumps(MANIFEST))
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, _train(tmp_path / "c.json", tmp_path / "data", tmp_path / "run"))
    line = assert_clean_failure(outcome, before, snapshot(tmp_path), message)
    assert str(tmp_path / "c.json") in line


@pytest.mark.parametrize("case", [*sorted(HOSTILE_JSON), "missing", "folder", "our_format_no_shards_key",
                                  "shard_entry_not_an_object", "no_train_split", "rate_as_string"])
def test_train_refuses_a_bad_data_manifest(case, tmp_path, capsys):
    data = _triplets(tmp_path / "data", names=("a",))  # a folder of audio is not training data
    manifest = data / "manifest.json"
    ours = {"our_format_no_shards_key": {k: v for k, v in MANIFEST.items() if k != "shards"},
            "shard_entry_not_an_object": {**MANIFEST, "shards": ["train-00000.npz"]},
            "no_train_split": {**MANIFEST, "shards": [{"file": "valid-00000.npz", "split": "valid"}]},
            "rate_as_string": {**MANIFEST, "audio": {"sample_rate": "24000"}}}
    if case == "folder":
        manifest.mkdir()
    elif case in ours:
        manifest.write_text(json.dumps(ours[case]))
    elif case != "missing":
        manifest.write_bytes(HOSTILE_JSON[case])
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, _train("tiny", data, tmp_path / "run"))
    line = assert_clean_failure(outcome, before, snapshot(tmp_path))
    assert "manifest.json" in line, line


@pytest.mark.parametrize("case", ["out_is_data", "out_is_a_file", "out_under_a_file"])
def test_train_refuses_an_unusable_out(case, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "manifest.json").write_text(json.dumps(MANIFEST))
    out, message = data, "is the data folder"
    if case == "out_is_a_file":
        out, message = tmp_path / "run", "is not a folder"
        out.write_bytes(SENTINEL)
    elif case == "out_under_a_file":
        (tmp_path / "notes.txt").write_text("a file")
        out, message = tmp_path / "notes.txt" / "run", "is not a folder"
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, _train("tiny", data, out))
    assert_clean_failure(outcome, before, snapshot(tmp_path), message)


# -- aeib export (refused before TensorFlow is imported) ------------------------------------------

def _export_data(folder: Path) -> Path:
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps(MANIFEST))
    (folder / "train-00000.npz").write_bytes(b"not read: every case here is refused first")
    return folder


EXPORT_CONFIGS = {
    "list": ("[]", "must hold a JSON object"),
    "unknown_key": ('{"variant": ["int8"]}', "unknown key(s) ['variant']"),
    "variants_string": ('{"variants": "int8"}', "unknown or no variant"),
    "window_string": ('{"window_seconds": "5"}', "window_seconds must be a positive number"),
    "tolerances_list": ('{"tolerances": [1]}', "invalid export config"),
    "tolerance_string": ('{"tolerances": {"int8": "x"}}', "parity tolerances must be positive numbers"),
    "deep_nesting": (DEEP, "nested too deeply"),
    "binary": (bytes(range(256)), "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(EXPORT_CONFIGS))
def test_export_refuses_a_bad_config(case, tmp_path, capsys):
    text, message = EXPORT_CONFIGS[case]
    config = tmp_path / "export.json"
    config.write_bytes(text if isinstance(text, bytes) else text.encode())
    data = _export_data(tmp_path / "data")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "best.keras").write_bytes(b"not read")
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, ["export", "--model", tmp_path / "run", "--data", data, "--out",
                                     tmp_path / "models", "--config", config, "-q"])
    line = assert_clean_failure(outcome, before, snapshot(tmp_path), message)
    assert str(config) in line


def _export_model_case(case: str, tmp_path: Path) -> tuple[Path, str]:
    if case == "folder_without_model":
        (tmp_path / "run").mkdir()
        return tmp_path / "run", "holds no"
    if case == "bundle_where_keras_expected":
        (tmp_path / "m.json").write_text('{"format": "aeib-analyzer"}')
        return tmp_path / "m.json", "is not a .keras model file"
    if case == "tflite_where_keras_expected":
        (tmp_path / "m.tflite").write_bytes(b"TFL3")
        return tmp_path / "m.tflite", "is not a .keras model file"
    return tmp_path / "nope", "no such model"


@pytest.mark.parametrize("case", ["folder_without_model", "bundle_where_keras_expected",
                                  "tflite_where_keras_expected", "missing"])
def test_export_refuses_a_bad_model_path(case, tmp_path, capsys):
    model, message = _export_model_case(case, tmp_path)
    data = _export_data(tmp_path / "data")
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, ["export", "--model", model, "--data", data, "--out", tmp_path / "models", "-q"])
    assert_clean_failure(outcome, before, snapshot(tmp_path), message)


@pytest.mark.parametrize("case", ["out_is_data", "out_is_the_run_folder", "out_is_a_file", "data_without_shards"])
def test_export_refuses_unusable_folders(case, tmp_path, capsys):
    data = _export_data(tmp_path / "data")
    run = tmp_path / "run"
    run.mkdir()
    (run / "best.keras").write_bytes(b"not read")
    out, message = tmp_path / "models", None
    if case == "out_is_data":
        out, message = data, "is the folder of --data"
    elif case == "out_is_the_run_folder":
        out, message = run, "is the folder of --model"
    elif case == "out_is_a_file":
        out, message = tmp_path / "models.txt", "is not a folder"
        out.write_bytes(SENTINEL)
    else:
        (data / "train-00000.npz").unlink()
        message = "holds no training shards"
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, ["export", "--model", run, "--data", data, "--out", out, "-q"])
    assert_clean_failure(outcome, before, snapshot(tmp_path), message)


def test_export_on_a_full_disk_keeps_an_existing_bundle_whole(tmp_path, monkeypatch):
    """The model file and its JSON are renamed into place together: a write that fails (ENOSPC
    simulated on the JSON) leaves the old pair, never a new model beside an old JSON."""
    import errno

    from aeib.export import bundle as bundle_module

    metadata = {"name": "m", "variant": "float32"}
    tflite, json_path = bundle_module.write_bundle(tmp_path, b"old model", {**metadata, "v": "old"})
    before = snapshot(tmp_path)
    real_write_bytes = Path.write_bytes

    def full_disk(self, data):
        if self.name.startswith(f".{json_path.name}"):
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", full_disk)
    with pytest.raises(AeibError, match="No space left"):
        bundle_module.write_bundle(tmp_path, b"new model", {**metadata, "v": "new"})
    assert snapshot(tmp_path) == before


# -- aeib bench ----------------------------------------------------------------------------------

BENCH = ["bench", "--seconds", "0.3", "--repeats", "1", "--runs", "1", "--skip", "stream", "--skip", "memory"]


@pytest.mark.parametrize("case", [*MODEL_PATH_CASES, "keras_where_bundle_expected", "models_not_a_folder"])
def test_bench_refuses_a_bad_model_path(case, tmp_path, capsys):
    if case == "keras_where_bundle_expected":
        (tmp_path / "m.keras").write_bytes(b"PK\x03\x04")
        argv, message = ["--model", tmp_path / "m.keras"], "is a Keras model, not an exported bundle"
    elif case == "models_not_a_folder":
        (tmp_path / "m.json").write_text("{}")
        argv, message = ["--models", tmp_path / "m.json"], "is not a folder"
    else:
        model, message = _model_case(case, tmp_path)
        message = {"folder_without_model": "holds no", "missing": "no such model file"}.get(case, message)
        argv = ["--model", model]
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, [*BENCH, *argv])
    assert_clean_failure(outcome, before, snapshot(tmp_path), message)


def test_bench_reports_foreign_json_in_its_models_folder(tmp_path, capsys):
    """Every JSON in --models is tried; one that is not a bundle is reported beside the timings."""
    models = tmp_path / "models"
    models.mkdir()
    for name in ("list", "deep_nesting", "other_format", "binary"):
        (models / f"{name}.json").write_bytes(HOSTILE_JSON[name])
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, [*BENCH, "--skip", "enhance", "--models", models, "--json"])
    assert_clean_success(outcome, before, snapshot(tmp_path), set())
    errors = {Path(item["path"]).stem: item["error"] for item in json.loads(outcome.out)["analyzer"] if "error" in item}
    assert sorted(errors) == ["binary", "deep_nesting", "list", "other_format"], errors


def test_bench_on_a_full_disk(tmp_path):
    """bench writes its test file in a temporary folder; a full disk there is one error line."""
    before = snapshot(tmp_path)
    outcome = run_subprocess([*BENCH, "--skip", "analyzer"], preexec_fn=limit_file_size(20_000),
                             env={"TMPDIR": str(tmp_path)})
    assert_clean_failure(outcome, before, snapshot(tmp_path), "File too large")


# -- every subcommand over every hostile data folder: never an internal error ----------------------

_SWEEP = r"""
import contextlib, io, json, sys
from aeib.cli.main import main
results = []
for argv in json.loads(sys.stdin.read()):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code
    results.append([argv, code, err.getvalue()])
print(json.dumps({"results": results, "tensorflow": "tensorflow" in sys.modules}))
"""


def test_no_subcommand_exits_70_on_any_hostile_folder(tmp_path):
    """One child process runs evaluate, train, export and bench over every hostile data folder,
    JSON file and model path of this module (about 80 runs, none reaching TensorFlow)."""
    folders = {}
    for name, content in HOSTILE_JSON.items():
        plain = tmp_path / f"plain_{name}"
        plain.mkdir()
        (plain / "manifest.json").write_bytes(content)
        folders[f"plain_{name}"] = plain
        beside = _triplets(tmp_path / f"triplets_{name}", names=("a",))
        (beside / "manifest.json").write_bytes(content)
        folders[f"triplets_{name}"] = beside
    for case in TRIPLET_CASES:
        folders[case] = _triplets(tmp_path / case)
        _damage_triplets(case, folders[case])
    jsons = {}
    for name, content in HOSTILE_JSON.items():
        jsons[name] = tmp_path / "json" / f"{name}.json"
        jsons[name].parent.mkdir(exist_ok=True)
        jsons[name].write_bytes(content)
    models = [_model_case(case, tmp_path / f"model_{case}")[0]
              for case in MODEL_PATH_CASES if (tmp_path / f"model_{case}").mkdir() is None]
    out = tmp_path / "out"
    argvs = []
    for folder in folders.values():
        argvs += [_evaluate(folder, out), _train("tiny", folder, out), _train(jsons["list"], folder, out),
                  ["export", "--model", folder, "--data", folder, "--out", out, "-q"]]
    for path in [*jsons.values(), *models]:
        argvs += [_evaluate(folders["triplets_list"], out, "--model", path), _train(path, folders["plain_list"], out),
                  ["export", "--model", path, "--data", folders["plain_list"], "--out", out, "--config", path, "-q"],
                  [*BENCH, "--skip", "analyzer", "--skip", "enhance", "--model", path]]
    argvs = [[str(a) for a in argv] for argv in argvs]
    done = subprocess.run([sys.executable, "-c", _SWEEP], input=json.dumps(argvs), capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    results = report["results"]
    assert len(results) == len(argvs)
    bad = [(argv, code, err) for argv, code, err in results
           if code == 70 or "Traceback" in err or "internal error" in err
           or (code != 0 and len([line for line in err.splitlines() if line.startswith("aeib: error:")]) != 1)]
    assert not bad, bad[:5]
    assert not report["tensorflow"], "a hostile case reached TensorFlow instead of being refused first"
