import json
import os

import numpy as np
import pytest
import soundfile as sf

from aeib.cli.main import main
from aeib.dsp import process
from aeib.settings import load_params


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("sample_rate, channels", [(8_000, 1), (44_100, 2), (192_000, 2), (48_000, 6)])
def test_apply_matches_the_library_and_keeps_rate_and_channels(make_wav, tmp_path, capsys, sample_rate, channels):
    src = make_wav(seconds=0.4, sample_rate=sample_rate, channels=channels, subtype="FLOAT")
    out = tmp_path / "out.wav"
    code, _, err = _run(capsys, "apply", src, "-o", out, "--params", "club-fix")
    assert code == 0, err
    info = sf.info(out)
    assert (info.samplerate, info.channels, info.subtype) == (sample_rate, channels, "FLOAT")
    x, _ = sf.read(src, dtype="float32", always_2d=True)
    y, _ = sf.read(out, dtype="float32", always_2d=True)
    np.testing.assert_allclose(y, process(x, sample_rate, load_params("club-fix")), atol=1e-6)


def test_pcm_input_gives_pcm24_and_flags_override(make_wav, tmp_path, capsys):
    src = make_wav(subtype="PCM_16")
    assert _run(capsys, "apply", src, "-o", tmp_path / "a.wav", "--params", "neutral")[0] == 0
    assert sf.info(tmp_path / "a.wav").subtype == "PCM_24"
    assert _run(capsys, "apply", src, "-o", tmp_path / "b.wav", "--params", "neutral", "--float")[0] == 0
    assert sf.info(tmp_path / "b.wav").subtype == "FLOAT"
    assert _run(capsys, "apply", src, "-o", tmp_path / "c.flac", "--params", "neutral")[0] == 0
    assert sf.info(tmp_path / "c.flac").format == "FLAC"


def test_parameter_file_with_partial_settings_and_plot(make_wav, tmp_path, capsys):
    src = make_wav()
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"eq.band2.gain_db": -6.0, "comp.ratio": 3.0}))
    code, _, err = _run(capsys, "apply", src, "-o", tmp_path / "o.wav", "--params", params, "--plot", tmp_path / "c.png")
    assert code == 0, err
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _bad(capsys, tmp_path, *argv):
    code, out, err = _run(capsys, *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aeib: error:"), err
    assert "Traceback" not in err
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]
    return lines[0]


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('{"eq.band1.gain_db": "six"}', "must be a number"),
        ('{"eq.band1.gain_db": 99}', "outside its range"),
        ('{"eq.bandX.gain_db": 1}', "unknown parameter"),
        ("[1, 2, 3]", "expected a JSON object"),
        ('{"format": "other", "params": {}}', "not an aeib parameter file"),
    ],
)
def test_bad_parameter_files(make_wav, tmp_path, capsys, content, message):
    src = make_wav()
    params = tmp_path / "p.json"
    params.write_text(content)
    line = _bad(capsys, tmp_path, "apply", src, "-o", tmp_path / "o.wav", "--params", params)
    assert message in line
    assert not (tmp_path / "o.wav").exists()


def test_bad_audio_inputs(tmp_path, capsys, make_wav):
    (tmp_path / "random.wav").write_bytes(os.urandom(3000))
    (tmp_path / "empty.wav").write_bytes(b"")
    nan = make_wav("nan.wav", audio=np.full((1000, 2), np.nan, np.float32), subtype="FLOAT")
    for name, message in [("missing.wav", "no such file"), ("random.wav", "not a readable audio"),
                          ("empty.wav", "not a readable audio"), (nan.name, "NaN")]:
        line = _bad(capsys, tmp_path, "apply", tmp_path / name, "-o", tmp_path / "o.wav", "--params", "neutral")
        assert message in line
        assert not (tmp_path / "o.wav").exists()


def test_failure_never_touches_an_existing_output(make_wav, tmp_path, capsys):
    audio = np.zeros((48000, 1), np.float32)
    audio[30000:] = np.inf  # fails in the middle of streaming
    src = make_wav("inf.wav", audio=audio, subtype="FLOAT")
    out = tmp_path / "keep.wav"
    out.write_bytes(b"precious")
    _bad(capsys, tmp_path, "apply", src, "-o", out, "--params", "neutral")
    assert out.read_bytes() == b"precious"


def test_output_equal_to_input_is_refused(make_wav, tmp_path, capsys):
    src = make_wav()
    before = src.read_bytes()
    line = _bad(capsys, tmp_path, "apply", src, "-o", src, "--params", "club-fix")
    assert "is the input" in line and src.read_bytes() == before


def test_unwritable_destinations(make_wav, tmp_path, capsys):
    src = make_wav()
    assert "does not exist" in _bad(capsys, tmp_path, "apply", src, "-o", tmp_path / "no" / "o.wav", "--params", "neutral")
    assert "unsupported extension" in _bad(capsys, tmp_path, "apply", src, "-o", tmp_path / "o.mp3", "--params", "neutral")


def test_unknown_preset(make_wav, tmp_path, capsys):
    assert "no parameter file or preset" in _bad(capsys, tmp_path, "apply", make_wav(), "-o", tmp_path / "o.wav",
                                                 "--params", "loudest")


def test_output_gets_ordinary_permissions(make_wav, tmp_path, capsys):
    old = os.umask(0o022)
    try:
        assert _run(capsys, "apply", make_wav(), "-o", tmp_path / "o.wav", "--params", "neutral")[0] == 0
    finally:
        os.umask(old)
    assert (tmp_path / "o.wav").stat().st_mode & 0o777 == 0o644
