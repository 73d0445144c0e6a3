"""Battery of hostile inputs through `aeib apply`, `aeib enhance` (file and folder mode) and `aeib make-data`.

Every case ends one of two ways, checked by the same helpers (tests/reliability/harness.py):

* a correct output — finite, the input's rate, channels and length, within the limiter ceiling; or
* exit code 2 with exactly one ``aeib: error: ...`` line on stderr and no traceback, and the folder the
  command ran in byte-identical to before: the input untouched, an existing output untouched (every
  failing case starts with one in place), no partial or temporary file.

Most cases run in-process through ``aeib.cli.main.main`` for speed; the ``subprocess`` cases run the
real console entry point to prove real exit codes (and are the only way to impose a file-size limit).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from aeib.audio import WRITABLE_SUFFIXES
from tests.reliability.harness import (
    AEIB,
    INPUT_BUILDERS,
    REPO,
    SENTINEL,
    assert_audio_like,
    assert_clean_failure,
    assert_clean_success,
    limit_file_size,
    run_inprocess,
    run_subprocess,
    snapshot,
    unwritable_folder,
)

OK = None
"""Expectation meaning "processed correctly" (otherwise: a fragment of the one error line)."""

# What `aeib apply` must do with each input of INPUT_BUILDERS.
APPLY_EXPECT = {
    "corrupt_header": "not a readable audio file",
    "truncated_wav": OK,  # libsndfile reads the frames present; aeib warns and processes them
    "truncated_flac": "damaged or truncated",
    "random_bytes": "not a readable audio file",
    "empty_file": "not a readable audio file",
    "header_only": "holds no audio samples",
    "one_sample": OK,
    "all_nan": "NaN or infinite",
    "some_inf": "NaN or infinite",  # found after the first blocks were written: the partial file must go
    "silence": OK,
    "dc_only": OK,
    "six_channels": OK,
    "rate_8k": OK,
    "rate_192k": OK,
    "rate_4k": "outside the supported",
    "pcm32": OK,
    "float64": OK,
    "hot_float": OK,
    "good": OK,
}
# `aeib enhance` differs where the analyzer needs audio: one sample is too short to analyse.
ENHANCE_EXPECT = {**APPLY_EXPECT, "one_sample": "too short to analyse"}


def _argv(command: str, source, output, *extra) -> list:
    if command == "apply":
        return ["apply", source, "-o", output, "--params", "club-fix", "-q", *extra]
    return ["enhance", source, "-o", output, "-q", *extra]


def _check_ok_output(output, source) -> None:
    info = sf.info(str(source))
    assert_audio_like(output, info.samplerate, info.channels, info.frames)


# -- the inputs, file by file -------------------------------------------------------------------

@pytest.mark.parametrize("command", ["apply", "enhance"])
@pytest.mark.parametrize("kind", sorted(APPLY_EXPECT))
def test_input_file(command, kind, tmp_path, capsys):
    expect = (APPLY_EXPECT if command == "apply" else ENHANCE_EXPECT)[kind]
    source = INPUT_BUILDERS[kind](tmp_path)
    output = tmp_path / "out.wav"
    if expect is not OK:
        output.write_bytes(SENTINEL)  # an earlier result that a failure must not touch
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, _argv(command, source, output))
    after = snapshot(tmp_path)
    if expect is OK:
        assert_clean_success(outcome, before, after, {"out.wav"})
        _check_ok_output(output, source)
    else:
        assert_clean_failure(outcome, before, after, expect)


def test_truncated_wav_is_processed_with_a_warning(tmp_path, capsys):
    source = INPUT_BUILDERS["truncated_wav"](tmp_path)
    outcome = run_inprocess(capsys, ["apply", source, "-o", tmp_path / "out.wav", "--params", "neutral"])
    assert outcome.code == 0
    assert any(line.startswith("aeib: warning:") and "truncated" in line for line in outcome.err_lines), outcome.err
    assert sf.info(str(tmp_path / "out.wav")).frames == sf.info(str(source)).frames  # the 3 s present


@pytest.mark.parametrize("kind", sorted(k for k in ENHANCE_EXPECT if k != "good"))
def test_input_in_a_folder(kind, tmp_path, capsys):
    """Folder mode: a bad file is reported on its own line and skipped; the good file is still written."""
    expect = ENHANCE_EXPECT[kind]
    source_dir, out_dir = tmp_path / "in", tmp_path / "out"
    source_dir.mkdir()
    out_dir.mkdir()
    good, bad = INPUT_BUILDERS["good"](source_dir), INPUT_BUILDERS[kind](source_dir)
    bad_output = out_dir / (bad.name if bad.suffix.lower() in WRITABLE_SUFFIXES else bad.name + ".wav")
    if expect is not OK:
        bad_output.write_bytes(SENTINEL)
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, ["enhance", source_dir, "-o", out_dir, "-q"])
    after = snapshot(tmp_path)
    assert "Traceback" not in outcome.err
    _check_ok_output(out_dir / good.name, good)
    if expect is OK:
        assert_clean_success(outcome, before, after, {f"out/{good.name}", f"out/{bad_output.name}"})
        _check_ok_output(bad_output, bad)
        return
    assert outcome.code == 2, outcome.err
    lines = outcome.err_lines
    assert len(lines) == 2 and all(line.startswith("aeib: error: ") for line in lines), outcome.err
    assert bad.name in lines[0] and expect in lines[0], lines[0]
    assert "1 of 2 files" in lines[1], lines[1]
    assert {k: v for k, v in after.items() if k != f"out/{good.name}"} == before  # bad output and input untouched


# -- where the output goes ----------------------------------------------------------------------

def _destination(case: str, tmp_path):
    """(output path, expected error fragment) for a destination case, using tmp_path/in.wav as input."""
    source = tmp_path / "in.wav"
    if case == "output_is_input":
        return source, "is the input file"
    if case == "output_is_input_by_symlink":
        (tmp_path / "link.wav").symlink_to(source)
        return tmp_path / "link.wav", "is the input file"
    if case == "output_is_input_by_dotdot":
        (tmp_path / "sub").mkdir()
        return tmp_path / "sub" / ".." / "in.wav", "is the input file"
    if case == "folder_is_a_regular_file":
        (tmp_path / "notes.txt").write_text("a file, not a folder")
        return tmp_path / "notes.txt" / "out.wav", "not a directory"
    if case == "folder_missing":
        return tmp_path / "missing" / "out.wav", "does not exist"
    if case == "output_is_a_folder":
        (tmp_path / "folder.wav").mkdir()
        return tmp_path / "folder.wav", "folder"
    if case == "unsupported_extension":
        return tmp_path / "out.xyz", "unsupported extension"
    raise AssertionError(case)


DESTINATIONS = ["output_is_input", "output_is_input_by_symlink", "output_is_input_by_dotdot",
                "folder_is_a_regular_file", "folder_missing", "output_is_a_folder", "unsupported_extension"]


@pytest.mark.parametrize("command", ["apply", "enhance"])
@pytest.mark.parametrize("case", DESTINATIONS)
def test_unusable_destination(command, case, tmp_path, capsys):
    INPUT_BUILDERS["good"](tmp_path).rename(tmp_path / "in.wav")
    output, message = _destination(case, tmp_path)
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, _argv(command, tmp_path / "in.wav", output))
    assert_clean_failure(outcome, before, snapshot(tmp_path), message)


@pytest.mark.parametrize("command", ["apply", "enhance"])
def test_unwritable_folder(command, tmp_path, capsys):
    source = INPUT_BUILDERS["good"](tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "out.wav").write_bytes(SENTINEL)
    before = snapshot(tmp_path)
    with unwritable_folder(locked):
        outcome = run_inprocess(capsys, _argv(command, source, locked / "out.wav"))
    assert_clean_failure(outcome, before, snapshot(tmp_path), "cannot write")


@pytest.mark.parametrize("command", ["apply", "enhance"])
def test_full_disk_in_a_real_process(command, tmp_path):
    """RLIMIT_FSIZE makes the write fail mid-file (EFBIG, as ENOSPC would); the old output survives."""
    source = INPUT_BUILDERS["good"](tmp_path)  # 3 s stereo → about 800 kB of 24-bit output
    output = tmp_path / "out.wav"
    output.write_bytes(SENTINEL)
    before = snapshot(tmp_path)
    outcome = run_subprocess(_argv(command, source, output), preexec_fn=limit_file_size(200_000))
    assert_clean_failure(outcome, before, snapshot(tmp_path), "File too large")


def test_full_tmpfs_in_a_real_process(tmp_path):
    """A real 64 kB tmpfs (ENOSPC), where the machine allows a private mount (root with CAP_SYS_ADMIN)."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("no private mount namespace here (needs root with CAP_SYS_ADMIN and util-linux unshare)")
    source = INPUT_BUILDERS["good"](tmp_path)
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    script = (f'mount -t tmpfs -o size=64k tmpfs "{tiny}" || exit 99; printf precious > "{tiny}/out.wav"; '
              f'{" ".join(AEIB)} apply "{source}" -o "{tiny}/out.wav" --params neutral -q; code=$?; '
              f'ls -A "{tiny}" >&2; cat "{tiny}/out.wav" >&2; exit $code')
    done = subprocess.run([unshare, "-m", "sh", "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    if done.returncode == 99:
        pytest.skip("cannot mount a tmpfs here")
    lines = done.stderr.splitlines()
    assert done.returncode == 2, done.stderr
    assert lines == [f"aeib: error: cannot write {tiny}/out.wav: No space left on device", "out.wav", "precious"]


def test_real_exit_code_for_unreadable_input(tmp_path):
    source = INPUT_BUILDERS["random_bytes"](tmp_path)
    (tmp_path / "out.wav").write_bytes(SENTINEL)
    before = snapshot(tmp_path)
    outcome = run_subprocess(_argv("apply", source, tmp_path / "out.wav"))
    assert_clean_failure(outcome, before, snapshot(tmp_path), "not a readable audio file")


# -- parameter files (`aeib apply --params`) ------------------------------------------------------

PARAMETER_FILES = {
    "string_value": (b'{"eq.band1.gain_db": "-6"}', "must be a number"),
    "list_value": (b'{"comp.ratio": [2.0]}', "must be a number"),
    "null_value": (b'{"comp.ratio": null}', "must be a number"),
    "bool_value": (b'{"comp.ratio": true}', "must be a number"),
    "object_value": (b'{"comp.ratio": {"value": 2}}', "must be a number"),
    "nan_value": (b'{"comp.ratio": NaN}', "must be finite"),
    "huge_integer": (b'{"comp.ratio": 1' + b"0" * 400 + b"}", "far outside its range"),
    "params_not_object": (b'{"format": "aeib-params", "version": 1, "params": [1, 2]}', "expected a JSON object"),
    "version_string": (b'{"format": "aeib-params", "version": "1", "params": {}}',
                       "unsupported parameter file version"),
    "top_level_number": (b"42", "expected a JSON object"),
    "empty_file": (b"", "not valid JSON"),
    "truncated_json": (b'{"comp.ratio": 2.', "not valid JSON"),
    "binary": (bytes(range(256)), "not UTF-8"),
    "deep_nesting": (b"[" * 100_000, "not usable JSON"),
}


@pytest.mark.parametrize("case", sorted(PARAMETER_FILES))
def test_bad_parameter_file(case, tmp_path, capsys):
    content, message = PARAMETER_FILES[case]
    source = INPUT_BUILDERS["good"](tmp_path)
    (tmp_path / "p.json").write_bytes(content)
    (tmp_path / "out.wav").write_bytes(SENTINEL)
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, ["apply", source, "-o", tmp_path / "out.wav", "--params", tmp_path / "p.json"])
    assert_clean_failure(outcome, before, snapshot(tmp_path), message)


def test_parameter_file_with_a_byte_order_mark_is_accepted(tmp_path, capsys):
    source = INPUT_BUILDERS["good"](tmp_path)
    (tmp_path / "p.json").write_bytes(b"\xef\xbb\xbf" + json.dumps({"comp.ratio": 2.0}).encode())
    before = snapshot(tmp_path)
    argv = ["apply", source, "-o", tmp_path / "out.wav", "--params", tmp_path / "p.json", "-q"]
    outcome = run_inprocess(capsys, argv)
    assert_clean_success(outcome, before, snapshot(tmp_path), {"out.wav"})


# -- model bundles (`aeib enhance --model`) --------------------------------------------------------

def _copy_default_bundle(folder):
    from aeib.runtime.bundle import default_bundle_json

    json_path = default_bundle_json()
    data = json.loads(json_path.read_text())
    shutil.copy(json_path, folder / json_path.name)
    shutil.copy(json_path.parent / data["tflite_file"], folder / data["tflite_file"])
    return folder / json_path.name, folder / data["tflite_file"]


def _rehash(json_path, tflite_path) -> None:
    data = json.loads(json_path.read_text())
    data["tflite_sha256"] = hashlib.sha256(tflite_path.read_bytes()).hexdigest()
    json_path.write_text(json.dumps(data))


def _edit_json(json_path, change) -> None:
    data = json.loads(json_path.read_text())
    change(data)
    json_path.write_text(json.dumps(data))


def _garbage_model(j, t):
    t.write_bytes(np.random.default_rng(0).bytes(t.stat().st_size))
    _rehash(j, t)


def _truncated_model(j, t):
    t.write_bytes(t.read_bytes()[:t.stat().st_size // 2])
    _rehash(j, t)


def _flipped_model(j, t):
    raw = bytearray(t.read_bytes())
    for i in np.random.default_rng(1).integers(0, len(raw), 200):
        raw[i] ^= 0xFF
    t.write_bytes(bytes(raw))
    _rehash(j, t)


def _window_mismatch(j, t):
    def change(data):
        data["analysis_window"] = {"seconds": 2.5, "samples": 60_000, "frames": 231}
        next(e for e in data["inputs"] if e["name"] == "input_features")["shape"][1] = 231
    _edit_json(j, change)


def _short_styles(j, t):
    def change(data):
        for style in data["styles"].values():
            style["embedding"] = style["embedding"][:10]
    _edit_json(j, change)


MODEL_CASES = {
    "corrupt_tflite_hash_mismatch": (lambda j, t: t.write_bytes(t.read_bytes()[:-100] + b"\0" * 100),
                                     "does not match its JSON"),
    "corrupt_tflite": (_garbage_model, "not a valid TFLite model"),
    "truncated_tflite": (_truncated_model, "not a valid TFLite model"),
    "bit_flipped_tflite": (_flipped_model, "cannot load model"),
    "tflite_missing": (lambda j, t: t.unlink(), "is missing"),
    "json_window_differs_from_model": (_window_mismatch, "in the model but"),
    "json_tensor_name_unknown": (lambda j, t: _edit_json(j, lambda d: d["inputs"][0].update(tensor_name="nope")),
                                 "has no tensor"),
    "json_styles_wrong_size": (_short_styles, "finite numbers"),
    "json_sample_rate_string": (lambda j, t: _edit_json(j, lambda d: d.update(sample_rate="24000")), "wrong type"),
    "json_shape_string": (lambda j, t: _edit_json(j, lambda d: d["inputs"][0].update(shape="abc")), "malformed"),
    "json_schema_wrong_type": (lambda j, t: _edit_json(j, lambda d: d["schema"]["parameters"][0].update(min="x")),
                               "invalid parameter schema"),
    "json_front_end_string": (lambda j, t: _edit_json(j, lambda d: d["frontend"].update(n_mels="64")),
                              "invalid front end"),
    "json_is_a_list": (lambda j, t: j.write_text("[]"), "must hold a JSON object"),
    "json_not_json": (lambda j, t: j.write_text("{nope"), "not valid JSON"),
    "json_binary": (lambda j, t: j.write_bytes(bytes(range(256))), "cannot read model JSON"),
    "json_deep_nesting": (lambda j, t: j.write_text("[" * 100_000), "JSON"),
    "json_default_style_list": (lambda j, t: _edit_json(j, lambda d: d.update(default_style=["x"])), "default_style"),
}
@pytest.mark.parametrize("case", list(MODEL_CASES))
def test_bad_model_bundle(case, tmp_path, capsys):
    damage, message = MODEL_CASES[case]
    models = tmp_path / "model"
    models.mkdir()
    json_path, tflite_path = _copy_default_bundle(models)
    damage(json_path, tflite_path)
    source = INPUT_BUILDERS["good"](tmp_path)
    (tmp_path / "out.wav").write_bytes(SENTINEL)
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, _argv("enhance", source, tmp_path / "out.wav", "--model", json_path))
    assert_clean_failure(outcome, before, snapshot(tmp_path), message)


def test_tflite_without_its_json(tmp_path, capsys):
    json_path, tflite_path = _copy_default_bundle(tmp_path)
    json_path.unlink()
    source = INPUT_BUILDERS["good"](tmp_path)
    before = snapshot(tmp_path)
    outcome = run_inprocess(capsys, _argv("enhance", source, tmp_path / "out.wav", "--model", tflite_path))
    assert_clean_failure(outcome, before, snapshot(tmp_path), "has no")


# -- make-data ------------------------------------------------------------------------------------

def _make_data_argv(music, out, cache, *extra) -> list:
    return ["make-data", "--music", music, "--out", out, "--examples", "6", "--seed", "1", "--sample-rate", "16000",
            "--segment-s", "0.5", "--rooms", "1", "--mics-per-room", "1", "--room-max-order", "2", "--phones", "1",
            "--shard-size", "3", "--splits", "0.5,0.25,0.25", "--cache-dir", cache, "-q", *extra]


@pytest.fixture(scope="module")
def room_cache(tmp_path_factory):
    """One cache for the module (the tiny simulated room is made once); outside the snapshots."""
    return tmp_path_factory.mktemp("make_data_cache")


def _partly_nan(folder):
    from tests.conftest import music_like

    audio = music_like(6.0, 44_100, 2, seed=4)
    audio[np.arange(10, 60, 10) * 4_410 + 100] = np.nan  # one NaN sample every 10th 100 ms energy frame
    sf.write(str(folder / "partly_nan.wav"), audio, 44_100, subtype="FLOAT")


# Where each hostile file of INPUT_BUILDERS must end up in the manifest of a make-data run.
MAKE_DATA_SKIPS = {"corrupt_header": "unreadable", "random_bytes": "unreadable", "empty_file": "unreadable",
                   "header_only": "too_short", "one_sample": "too_short", "all_nan": "unreadable",
                   "some_inf": "unreadable", "truncated_flac": "unreadable", "silence": "silent",
                   "rate_8k": "low_sample_rate", "rate_4k": "low_sample_rate"}


def test_make_data_skips_every_hostile_file_and_renders_finite_examples(tmp_path, room_cache, capsys):
    music = tmp_path / "music"
    music.mkdir()
    files = {kind: build(music).name for kind, build in INPUT_BUILDERS.items()}
    _partly_nan(music)
    before = snapshot(music)
    outcome = run_inprocess(capsys, _make_data_argv(music, tmp_path / "out", room_cache))
    assert outcome.code == 0 and "Traceback" not in outcome.err, outcome.err
    assert snapshot(music) == before
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    skipped = {path: reason for reason, paths in manifest["corpus"]["skipped"].items() for path in paths}
    assert {files[kind]: reason for kind, reason in MAKE_DATA_SKIPS.items()} | {"partly_nan.wav": "unreadable"} \
        == skipped
    used = {track["file"] for track in manifest["corpus"]["tracks"]}
    assert used == {name for kind, name in files.items() if kind not in MAKE_DATA_SKIPS}
    for shard in manifest["shards"]:
        with np.load(tmp_path / "out" / shard["file"]) as data:
            for signal in ("input", "target", "reference"):
                assert np.isfinite(data[signal].astype(np.float32)).all(), (shard["file"], signal)


def _only_out_folder(rel: str) -> bool:
    return rel == "out"  # make-data may have created the (empty) output folder before it failed


@pytest.mark.parametrize("case", ["only_bad_files", "music_missing", "out_is_a_file", "out_under_a_file",
                                  "ir_dir_unreadable", "out_unwritable"])
def test_make_data_refuses(case, tmp_path, room_cache, capsys):
    music, out = tmp_path / "music", tmp_path / "out"
    music.mkdir()
    extra, message = [], None
    if case == "only_bad_files":
        for kind in MAKE_DATA_SKIPS:
            INPUT_BUILDERS[kind](music)
        message = "no usable track"
    else:
        INPUT_BUILDERS["good"](music)
    if case == "music_missing":
        shutil.rmtree(music)
        message = "does not exist"
    elif case == "out_is_a_file":
        out.write_bytes(SENTINEL)
        message = "not a folder"
    elif case == "out_under_a_file":
        (tmp_path / "notes.txt").write_text("a file")
        out = tmp_path / "notes.txt" / "out"
    elif case == "ir_dir_unreadable":
        (tmp_path / "irs").mkdir()
        INPUT_BUILDERS["random_bytes"](tmp_path / "irs")
        INPUT_BUILDERS["all_nan"](tmp_path / "irs")
        extra, message = ["--ir-dir", tmp_path / "irs"], "no readable impulse response"
    elif case == "out_unwritable":
        out.mkdir()
    before = snapshot(tmp_path)
    if case == "out_unwritable":
        with unwritable_folder(out):
            outcome = run_inprocess(capsys, _make_data_argv(music, out, room_cache))
        message = "cannot"
    else:
        outcome = run_inprocess(capsys, _make_data_argv(music, out, room_cache, *extra))
    assert_clean_failure(outcome, before, snapshot(tmp_path), message, ignore=_only_out_folder)


def test_make_data_with_a_nan_impulse_response_skips_it(tmp_path, room_cache, capsys):
    music, irs = tmp_path / "music", tmp_path / "irs"
    music.mkdir()
    irs.mkdir()
    INPUT_BUILDERS["good"](music)
    INPUT_BUILDERS["all_nan"](irs)
    decay = np.exp(-np.arange(4_000) / 400.0) * np.random.default_rng(0).standard_normal(4_000)
    sf.write(str(irs / "hall.wav"), decay.astype(np.float32), 16_000)
    outcome = run_inprocess(capsys, _make_data_argv(music, tmp_path / "out", room_cache, "--ir-dir", irs))
    assert outcome.code == 0, outcome.err
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["corpus"]["skipped"]["unreadable_ir"] == ["all_nan.wav"]


def test_make_data_on_a_full_disk_leaves_no_shard_or_manifest(tmp_path, room_cache):
    music, out = tmp_path / "music", tmp_path / "out"
    music.mkdir()
    INPUT_BUILDERS["good"](music)
    before = snapshot(tmp_path)
    # A shard of 3 examples is 3 × 3 × 8 000 float16 samples (144 kB): 60 kB stops the first one.
    outcome = run_subprocess(_make_data_argv(music, out, room_cache), preexec_fn=limit_file_size(60_000))
    assert_clean_failure(outcome, before, snapshot(tmp_path), "File too large", ignore=_only_out_folder)


# -- a read-only installation ---------------------------------------------------------------------

def _as_nobody() -> tuple[list[str], object]:
    """(command prefix, preexec_fn) that run a command as the unprivileged user 65534 (nobody)."""
    setpriv = shutil.which("setpriv")
    if setpriv:
        return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"], None

    def drop() -> None:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)

    return [], drop


def test_read_only_install_used_by_an_account_without_a_home(tmp_path):
    """numba's on-disk cache needs a writable folder; without one, `import aeib.dsp` used to crash with a
    traceback. Run as the unprivileged `nobody` (HOME=/nonexistent) on this root-owned checkout."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a command as another user")
    prefix, preexec_fn = _as_nobody()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent", "PYTHONPATH": str(REPO)}
    try:
        probe = subprocess.run([*prefix, sys.executable, "-c", "import numpy, soundfile"], preexec_fn=preexec_fn,
                               env=env, capture_output=True, cwd="/")
    except OSError:
        probe = None
    if probe is None or probe.returncode != 0:
        pytest.skip("the interpreter and its packages are not usable by nobody here")
    folder = Path(tempfile.mkdtemp(prefix="aeib-nobody-"))  # outside pytest's 0700 folders, so nobody can enter
    try:
        folder.chmod(0o777)
        source = INPUT_BUILDERS["good"](folder)
        source.chmod(0o644)
        done = subprocess.run([*prefix, *AEIB, "apply", str(source), "-o", str(folder / "out.wav"), "--params",
                               "club-fix", "-q"], preexec_fn=preexec_fn, env=env, capture_output=True, text=True,
                              cwd=folder)
        assert (done.returncode, done.stderr) == (0, "")
        _check_ok_output(folder / "out.wav", source)
    finally:
        shutil.rmtree(folder)
