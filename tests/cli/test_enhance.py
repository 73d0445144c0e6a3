import hashlib
import json

import numpy as np
import pytest
import soundfile as sf

import aeib
from aeib.cli.enhance import folder_outputs
from aeib.cli.main import main
from tests.conftest import music_like


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _bad(capsys, tmp_path, *argv):
    code, _, err = _run(capsys, *argv)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aeib: error:") and "Traceback" not in err, err
    assert not [p for p in tmp_path.rglob("*") if ".partial" in p.name]
    return lines[0]


def test_enhance_writes_audio_settings_and_plot(make_wav, tmp_path, capsys, cached_bundle):
    src = make_wav(seconds=2.5, sample_rate=44_100, channels=2, subtype="FLOAT")
    out, params, plot = tmp_path / "out.wav", tmp_path / "p.json", tmp_path / "p.png"
    code, _, err = _run(capsys, "enhance", src, "-o", out, "--model", cached_bundle, "--params-out", params, "--plot", plot)
    assert code == 0, err
    assert "wrote" in err and "median of 2 analysis windows, target style clean-live-mix" in err
    assert sf.info(out).samplerate == 44_100 and sf.info(out).channels == 2 and sf.info(out).subtype == "FLOAT"
    assert json.loads(params.read_text())["format"] == "aeib-params"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    x, _ = sf.read(src, dtype="float32", always_2d=True)
    y, _ = sf.read(out, dtype="float32", always_2d=True)
    np.testing.assert_array_equal(y, aeib.apply(x, 44_100, params))  # strength and loudness gain included


def test_apply_with_params_out_reproduces_enhance(make_wav, tmp_path, capsys, cached_bundle):
    src = make_wav(seconds=3.0, sample_rate=48_000, channels=2, subtype="PCM_16")
    params = tmp_path / "p.json"
    assert _run(capsys, "enhance", src, "-o", tmp_path / "e.flac", "--model", cached_bundle, "--params-out", params, "-q")[0] == 0
    assert _run(capsys, "apply", src, "-o", tmp_path / "a.flac", "--params", params, "-q")[0] == 0
    np.testing.assert_array_equal(sf.read(tmp_path / "e.flac")[0], sf.read(tmp_path / "a.flac")[0])


def test_style_and_reference_choose_the_target(make_wav, tmp_path, capsys, cached_bundle):
    src = make_wav(seconds=1.5)
    ref = make_wav(name="ref.flac", seconds=1.5, sample_rate=22_050, channels=1)
    code, _, err = _run(capsys, "enhance", src, "-o", tmp_path / "s.wav", "--model", cached_bundle, "--style", "bright")
    assert code == 0 and "target style bright" in err
    code, _, err = _run(capsys, "enhance", src, "-o", tmp_path / "r.wav", "--model", cached_bundle, "--reference", ref, "--adaptive")
    assert code == 0 and "target reference ref.flac" in err and "adaptive over" in err
    line = _bad(capsys, tmp_path, "enhance", src, "-o", tmp_path / "x.wav", "--model", cached_bundle, "--style", "dark")
    assert "unknown style 'dark'; this model's styles: clean-live-mix, bright" in line
    with pytest.raises(SystemExit):  # argparse: --reference and --style exclude each other
        main(["enhance", str(src), "-o", str(tmp_path / "x.wav"), "--reference", str(ref), "--style", "bright"])


def _rehash(json_path):
    data = json.loads(json_path.read_text())
    data["tflite_sha256"] = hashlib.sha256(json_path.with_suffix(".tflite").read_bytes()).hexdigest()
    json_path.write_text(json.dumps(data))


def test_bad_models(make_wav, tmp_path, capsys, bundle_path):
    src = make_wav()
    out = tmp_path / "out.wav"
    line = _bad(capsys, tmp_path, "enhance", src, "-o", out, "--model", tmp_path / "nope.json")
    assert "no such model file" in line
    tflite = bundle_path.with_suffix(".tflite")
    tflite.write_bytes(tflite.read_bytes()[:-10] + b"0123456789")
    assert "does not match its JSON" in _bad(capsys, tmp_path, "enhance", src, "-o", out, "--model", bundle_path)
    tflite.write_bytes(b"garbage" * 100)
    _rehash(bundle_path)
    assert "not a valid TFLite model" in _bad(capsys, tmp_path, "enhance", src, "-o", out, "--model", bundle_path)
    bundle_path.write_text("{")
    assert "is not valid JSON" in _bad(capsys, tmp_path, "enhance", src, "-o", out, "--model", bundle_path)
    assert not out.exists()


def test_bad_inputs(make_wav, tmp_path, capsys, cached_bundle):
    src = make_wav()
    silent_ref = make_wav(name="silent.wav", audio=np.zeros((48_000, 2), np.float32))
    model = ("--model", cached_bundle)
    assert "digital silence; give a reference with music in it" in _bad(
        capsys, tmp_path, "enhance", src, "-o", tmp_path / "o.wav", "--reference", silent_ref, *model)
    assert "is the input file" in _bad(capsys, tmp_path, "enhance", src, "-o", src, *model)
    assert "no such file" in _bad(capsys, tmp_path, "enhance", tmp_path / "missing.wav", "-o", tmp_path / "o.wav", *model)
    assert "is an input file" in _bad(capsys, tmp_path, "enhance", src, "-o", tmp_path / "o.wav", "--params-out", src, *model)
    assert "does not exist" in _bad(capsys, tmp_path, "enhance", src, "-o", tmp_path / "o.wav", "--plot",
                                    tmp_path / "no" / "p.png", *model)
    tiny = make_wav(name="tiny.wav", seconds=0.01)
    assert "too short to analyse" in _bad(capsys, tmp_path, "enhance", tiny, "-o", tmp_path / "o.wav", *model)
    assert not (tmp_path / "o.wav").exists()


def test_short_input_and_silence_warn_but_succeed(make_wav, tmp_path, capsys, cached_bundle):
    short = make_wav(name="short.wav", seconds=0.4)
    code, _, err = _run(capsys, "enhance", short, "-o", tmp_path / "a.wav", "--model", cached_bundle)
    assert code == 0 and "aeib: warning: short.wav is 0.40 s long, shorter than the analyzer's 1 s window" in err
    silence = np.zeros((96_000, 2), np.float32)
    quiet = make_wav(name="quiet.wav", audio=silence)
    code, _, err = _run(capsys, "enhance", quiet, "-o", tmp_path / "b.wav", "--model", cached_bundle)
    assert code == 0 and "is digital silence; it is copied through unchanged" in err and "silence copied through" in err
    np.testing.assert_array_equal(sf.read(tmp_path / "b.wav", dtype="float32")[0], silence)


def test_folder_mode_skips_a_bad_file_and_finishes_the_rest(make_wav, tmp_path, capsys, cached_bundle):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.wav", "b.flac"):
        make_wav(name=f"in/{name}", seconds=1.2)
    (folder / "broken.wav").write_bytes(b"RIFF....WAVEnot really")
    (folder / "notes.txt").write_text("not audio: named and skipped")
    out = tmp_path / "out"
    code, _, err = _run(capsys, "enhance", folder, "-o", out, "--model", cached_bundle, "--params-out", tmp_path / "params")
    assert code == 2
    errors = [line for line in err.splitlines() if line.startswith("aeib: error:")]
    assert len(errors) == 3 and "broken.wav: skipped" in errors[0] and "notes.txt: skipped" in errors[1]
    assert "2 of 4 files" in errors[2]
    assert sorted(p.name for p in out.iterdir()) == ["a.wav", "b.flac"]
    assert sorted(p.name for p in (tmp_path / "params").iterdir()) == ["a.wav.json", "b.flac.json"]
    assert sorted(p.name for p in folder.iterdir()) == ["a.wav", "b.flac", "broken.wav", "notes.txt"]  # inputs untouched
    (folder / "broken.wav").unlink()
    (folder / "notes.txt").unlink()
    code, _, err = _run(capsys, "enhance", folder, "-o", out, "--model", cached_bundle, "-q")
    assert code == 0 and err == ""


def test_folder_mode_refuses_to_write_into_its_input(make_wav, tmp_path, capsys, cached_bundle):
    make_wav(name="a.wav")
    assert "is the input folder" in _bad(capsys, tmp_path, "enhance", tmp_path, "-o", tmp_path, "--model", cached_bundle)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "holds no audio files" in _bad(capsys, tmp_path, "enhance", empty, "-o", tmp_path / "o", "--model", cached_bundle)


def test_folder_output_names(tmp_path):
    for name in ("song.mp3", "take.flac", ".hidden.wav", "readme.md"):
        (tmp_path / name).write_bytes(b"")
    pairs = folder_outputs(tmp_path, tmp_path / "out")
    assert [(a.name, b.name) for a, b in pairs] == [("readme.md", "readme.md.wav"), ("song.mp3", "song.mp3"),
                                                    ("take.flac", "take.flac")]
    (tmp_path / "clip.webm").write_bytes(b"")
    assert ("clip.webm", "clip.webm.wav") in [(a.name, b.name) for a, b in folder_outputs(tmp_path, tmp_path / "o")]


def test_help_lists_every_option(capsys):
    with pytest.raises(SystemExit) as done:
        main(["enhance", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for option in ("--reference", "--style", "--params-out", "--plot", "--model", "--adaptive", "--threads"):
        assert option in text


def test_strength_zero_writes_the_input_bit_for_bit(make_wav, tmp_path, capsys, cached_bundle):
    x = music_like(2.0, 48_000, 2)
    src = make_wav(audio=x / np.abs(x).max(), subtype="PCM_16")  # peaks at full scale: the limiter would act
    out, params = tmp_path / "out.wav", tmp_path / "p.json"
    assert _run(capsys, "enhance", src, "-o", out, "--model", cached_bundle, "--strength", "0", "--params-out", params,
                "-q")[0] == 0
    np.testing.assert_array_equal(sf.read(out, dtype="int32")[0], sf.read(src, dtype="int32")[0])
    assert json.loads(params.read_text())["strength"] == 0.0
    assert _run(capsys, "apply", src, "-o", tmp_path / "a.wav", "--params", params, "-q")[0] == 0
    np.testing.assert_array_equal(sf.read(tmp_path / "a.wav", dtype="int32")[0], sf.read(src, dtype="int32")[0])


def test_loudness_target_strength_and_params_out(make_wav, tmp_path, capsys, cached_bundle):
    from aeib.dsp.loudness import integrated_loudness_lufs

    src = make_wav(seconds=3.0, sample_rate=44_100, subtype="FLOAT")
    out, params = tmp_path / "out.wav", tmp_path / "p.json"
    assert _run(capsys, "enhance", src, "-o", out, "--model", cached_bundle, "--loudness", "-20", "--strength", "0.5",
                "--params-out", params, "-q")[0] == 0
    y, rate = sf.read(out, dtype="float32")
    assert integrated_loudness_lufs(y, rate) == pytest.approx(-20.0, abs=0.5)
    saved = json.loads(params.read_text())
    assert saved["strength"] == 0.5 and saved["loudness"]["mode"] == "lufs" and saved["loudness"]["target_lufs"] == -20.0
    assert _run(capsys, "apply", src, "-o", tmp_path / "a.wav", "--params", params, "-q")[0] == 0
    np.testing.assert_array_equal(sf.read(tmp_path / "a.wav", dtype="float32")[0], y)


@pytest.mark.parametrize("flag, value, message", [("--strength", "1.5", "strength must be from 0 to 1"),
                                                  ("--strength", "nan", "strength must be from 0 to 1"),
                                                  ("--loudness", "loud", "loudness must be a level in LUFS"),
                                                  ("--loudness", "-80", "outside -60…0 LUFS"),
                                                  ("--dead-zone", "-1", "--dead-zone must be a number of dB within 0–18"),
                                                  ("--dead-zone", "nan", "--dead-zone must be a number of dB within 0–18"),
                                                  ("--refine", "2", "--refine must be a number within 0–1"),
                                                  ("--match", "2", "--match must be a number within 0–1"),
                                                  ("--match", "0.5", "--match moves the EQ toward a reference's "
                                                   "spectrum: it needs a reference")])
def test_bad_strength_or_loudness_is_one_error_line(make_wav, tmp_path, capsys, cached_bundle, flag, value, message):
    line = _bad(capsys, tmp_path, "enhance", make_wav(), "-o", tmp_path / "o.wav", "--model", cached_bundle, flag, value)
    assert message in line


def test_match_with_a_reference_moves_the_eq_and_not_with_adaptive(make_wav, tmp_path, capsys, cached_bundle):
    from aeib.dsp import process
    from tests.conftest import music_like

    src = make_wav(seconds=4.0)   # a reference 15 dB darker above 2.5 kHz: beyond the fixed refinement's ±6 dB
    dark = process(music_like(4.0, 48_000, 2, seed=7), 48_000,
                   {"eq.high_shelf.gain_db": -15.0, "eq.high_shelf.cutoff_hz": 2500.0}, limiter=False)
    ref = make_wav("ref.wav", seconds=4.0, audio=0.5 * dark)
    gains = []
    for match in ("0", "1"):
        params = tmp_path / f"p{match}.json"
        assert _run(capsys, "enhance", src, "--reference", ref, "-o", tmp_path / f"o{match}.wav", "--model",
                    cached_bundle, "--match", match, "--params-out", params, "-q")[0] == 0
        saved = json.loads(params.read_text())["params"]
        gains.append([saved[k] for k in sorted(saved) if k.startswith("eq.") and k.endswith("gain_db")])
    assert gains[0] != gains[1]
    line = _bad(capsys, tmp_path, "enhance", src, "--reference", ref, "-o", tmp_path / "a.wav", "--model",
                cached_bundle, "--match", "0.5", "--adaptive")
    assert "--match moves the refined EQ, and --adaptive is not refined" in line
    assert not (tmp_path / "a.wav").exists()


def test_dead_zone_zero_keeps_the_small_eq_moves(make_wav, tmp_path, capsys, cached_bundle):
    """--dead-zone 0 writes the setting without the dead zone; the default (reference-free) is it moved
    1 dB toward flat."""
    import json

    from aeib.runtime.dead_zone import eq_dead_zone

    src = make_wav()
    settings = {}
    for name, extra in (("off", ["--dead-zone", "0"]), ("default", []), ("wide", ["--dead-zone", "3"])):
        params = tmp_path / f"{name}.json"
        code, _, err = _run(capsys, "enhance", src, "-o", tmp_path / f"{name}.wav", "--model", cached_bundle, "-q",
                            "--params-out", params, *extra)
        assert code == 0, err
        settings[name] = json.loads(params.read_text())["params"]
    assert settings["default"] == pytest.approx(eq_dead_zone(settings["off"], 1.0), abs=2e-6)
    assert settings["wide"] == pytest.approx(eq_dead_zone(settings["off"], 3.0), abs=2e-6)
