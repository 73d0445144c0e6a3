import json
import os

import numpy as np
import pytest
import soundfile as sf

from aeib.cli.main import main
from aeib.dsp import process
from aeib.settings import load_params
from tests.io.phone_media import streams, video_packets, write_phone_file


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
    assert "unsupported extension" in _bad(capsys, tmp_path, "apply", src, "-o", tmp_path / "o.xyz", "--params", "neutral")


def test_phone_video_to_mp4_keeps_the_picture_and_takes_a_bitrate(tmp_path, capsys):
    src = tmp_path / "clip.mov"
    write_phone_file(src, 1.5, 48_000, 2, video=True)
    out = tmp_path / "clip_fixed.mp4"
    code, _, err = _run(capsys, "apply", src, "-o", out, "--params", "club-fix", "--bitrate", "96", "-q")
    assert code == 0 and err == "", err
    assert sorted(kind for kind, _ in streams(out)) == ["audio", "video"]
    assert video_packets(out) == video_packets(src)  # remuxed untouched, not re-encoded
    code, _, err = _run(capsys, "apply", src, "-o", tmp_path / "audio.mp3", "--params", "neutral", "--bitrate", "8")
    assert code == 2 and err.startswith("aeib: error: bit rate must be") and len(err.splitlines()) == 1, err
    assert not (tmp_path / "audio.mp3").exists()


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


@pytest.mark.parametrize(
    "name, audio, subtype",
    [
        ("one_sample.wav", np.array([[0.5, -0.5]], np.float32), "FLOAT"),
        ("silence.wav", np.zeros((4800, 2), np.float32), "PCM_16"),
        ("dc.wav", np.full((4800, 1), 0.4, np.float32), "PCM_16"),
        ("int32.wav", np.random.default_rng(0).uniform(-0.5, 0.5, (4800, 2)).astype(np.float32), "PCM_32"),
        ("double.wav", np.random.default_rng(1).uniform(-0.5, 0.5, (4800, 2)).astype(np.float32), "DOUBLE"),
        ("hot.wav", np.random.default_rng(2).uniform(-1, 1, (4800, 2)).astype(np.float32) * 4, "FLOAT"),
    ],
)
def test_unusual_but_valid_inputs_are_processed(make_wav, tmp_path, capsys, name, audio, subtype):
    src = make_wav(name, audio=audio, subtype=subtype)
    out = tmp_path / f"out_{name}"
    code, _, err = _run(capsys, "apply", src, "-o", out, "--params", "club-fix")
    assert code == 0, err
    y, _ = sf.read(out, always_2d=True)
    assert y.shape == audio.shape and np.all(np.isfinite(y))
    assert np.max(np.abs(y)) <= 10 ** (-0.3 / 20) + 1e-6


def test_full_disk_leaves_no_partial_file(make_wav, tmp_path):
    """A file-size limit makes writes fail the way a full disk does (EFBIG instead of ENOSPC)."""
    import resource
    import signal
    import subprocess
    import sys

    src = make_wav(seconds=3.0)
    out = tmp_path / "out.wav"

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))

    done = subprocess.run([sys.executable, "-m", "aeib.cli.main", "apply", str(src), "-o", str(out),
                           "--params", "neutral", "-q"], capture_output=True, text=True, preexec_fn=limit_file_size)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("aeib: error: cannot write")
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == [src.name]


def test_directory_as_input(tmp_path, capsys):
    assert "is a directory" in _bad(capsys, tmp_path, "apply", tmp_path, "-o", tmp_path / "o.wav", "--params", "neutral")
