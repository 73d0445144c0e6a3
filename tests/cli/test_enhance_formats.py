"""`aeib enhance` on what phones record (m4a, mp4 video, mp3, made here with PyAV), the summary,
the plots, folder-mode skips and the small option checks."""

import json

import numpy as np
import pytest
import soundfile as sf

from aeib import audio
from aeib.cli.main import main
from aeib.settings import load_params
from tests.io.phone_media import streams, video_packets, write_phone_file


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def _one_error(code, err):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aeib: error:"), err
    return lines[0]


@pytest.mark.parametrize("source, output, video", [("memo.m4a", "memo_fixed.m4a", False),
                                                   ("clip.mp4", "clip_fixed.mp4", True),
                                                   ("song.mp3", "song_fixed.wav", False)])
def test_phone_recordings_enhance(tmp_path, capsys, cached_bundle, source, output, video):
    src, out = tmp_path / source, tmp_path / output
    write_phone_file(src, 1.5, 48_000 if video else 44_100, 2 if video else 1, video=video)
    params = tmp_path / "p.json"
    bitrate = ["--bitrate", "160"] if out.suffix != ".wav" else []  # refused for a lossless output
    code, err = _run(capsys, "enhance", src, "-o", out, "--model", cached_bundle, "--params-out", params, *bitrate)
    assert code == 0, err
    assert f"wrote {out}" in err and "  EQ: " in err and "  compression: " in err and " LUFS, true peak " in err
    assert f"files written: {out}, {params}" in err
    info = audio.audio_info(out)
    assert (info.sample_rate, info.channels) == ((48_000, 2) if video else (44_100, 1))
    x = audio.read_audio(src, always_2d=True)[0]
    y = audio.read_audio(out, always_2d=True)[0]
    assert abs(y.shape[0] - x.shape[0]) < 0.03 * info.sample_rate
    if video:
        assert sorted(kind for kind, _ in streams(out)) == ["audio", "video"]
        assert video_packets(out) == video_packets(src)  # remuxed untouched, not re-encoded
    if out.suffix != ".wav":  # the same enhancement as a lossless output, up to the AAC coding error
        assert _run(capsys, "enhance", src, "-o", tmp_path / "lossless.wav", "--model", cached_bundle, "-q")[0] == 0
        lossless = audio.read_audio(tmp_path / "lossless.wav", always_2d=True)[0]
        rate = info.sample_rate
        np.testing.assert_allclose(_octave_levels_db(y, rate), _octave_levels_db(lossless, rate), atol=1.5)
        assert np.abs(_octave_levels_db(x, rate) - _octave_levels_db(lossless, rate)).max() > 2.0  # it did change


def _octave_levels_db(audio_2d, rate):
    """Levels of the mono downmix in octave bands 125 Hz … 8 kHz (AAC replaces noise by equal-level
    noise, so waveforms differ while these agree)."""
    spectrum = np.abs(np.fft.rfft(audio_2d.mean(axis=1))) ** 2
    freqs = np.fft.rfftfreq(audio_2d.shape[0], 1 / rate)
    return np.array([10 * np.log10(spectrum[(freqs >= f / 1.414) & (freqs < f * 1.414)].sum() + 1e-12)
                     for f in (125, 250, 500, 1000, 2000, 4000, 8000)])


def test_video_to_audio_only_and_audio_to_mp4(tmp_path, capsys, cached_bundle):
    clip = tmp_path / "clip.mov"
    write_phone_file(clip, 1.2, 48_000, 2, video=True)
    assert _run(capsys, "enhance", clip, "-o", tmp_path / "sound.m4a", "--model", cached_bundle, "-q")[0] == 0
    assert streams(tmp_path / "sound.m4a") == [("audio", "aac")]
    memo = tmp_path / "memo.m4a"
    write_phone_file(memo, 1.2)
    assert _run(capsys, "enhance", memo, "-o", tmp_path / "memo.mp4", "--model", cached_bundle, "-q")[0] == 0
    assert streams(tmp_path / "memo.mp4") == [("audio", "aac")]
    line = _one_error(*_run(capsys, "enhance", memo, "-o", tmp_path / "x.m4a", "--model", cached_bundle, "--bitrate", "9"))
    assert "bit rate must be a whole number of kbit/s from 32 to 320" in line and not (tmp_path / "x.m4a").exists()


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_plot_format_follows_the_extension(make_wav, tmp_path, capsys, cached_bundle, suffix, magic):
    src = make_wav(seconds=1.2)
    plot = tmp_path / f"p{suffix}"
    assert _run(capsys, "enhance", src, "-o", tmp_path / "o.wav", "--model", cached_bundle, "--plot", plot, "-q")[0] == 0
    assert plot.read_bytes().startswith(magic)


def test_plot_refuses_other_extensions_before_any_work(make_wav, tmp_path, capsys, cached_bundle):
    src = make_wav(seconds=1.2)
    line = _one_error(*_run(capsys, "enhance", src, "-o", tmp_path / "o.wav", "--model", cached_bundle, "--plot", tmp_path / "p.jpg"))
    assert "one of .png, .svg, .pdf" in line and not (tmp_path / "o.wav").exists()


def test_adaptive_plot_and_matched_loudness(make_wav, tmp_path, capsys, cached_bundle):
    from aeib.plots import enhancement_figure

    params = load_params("club-fix")
    freqs = np.linspace(0, 24_000, 2049)
    spectra = (freqs, -40 - freqs / 1000, -46 - freqs / 1000)
    fig = enhancement_figure(params, 48_000, spectra, loudness_lufs=(-20.0, -26.0),
                             trajectory=(np.array([0.5, 1.0, 1.5]), [params] * 3))
    labels = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
    titles = [ax.get_title() for ax in fig.axes]
    assert "after, at matched loudness (+6.0 dB)" in labels and "loudness change -6.0 LU" in labels
    assert "EQ gains over time" in titles and "compressor over time" in titles
    assert "raw level change (not loudness-matched)" in titles
    src = make_wav(seconds=3.0)
    code, _ = _run(capsys, "enhance", src, "-o", tmp_path / "o.wav", "--model", cached_bundle, "--adaptive",
                   "--hop", "0.5", "--plot", tmp_path / "a.png", "-q")
    assert code == 0 and (tmp_path / "a.png").stat().st_size > 10_000


def test_folder_mode_names_every_skipped_file_and_fails(make_wav, tmp_path, capsys, cached_bundle):
    folder = tmp_path / "in"
    folder.mkdir()
    make_wav(name="in/a.wav", seconds=1.2)
    write_phone_file(folder / "b.m4a", 1.2)
    write_phone_file(folder / "c.mp4", 1.2, channels=2, video=True)
    (folder / "notes.txt").write_text("not audio")
    (folder / "broken.m4a").write_bytes(b"\x00" * 500)
    (folder / ".hidden.wav").write_bytes(b"")
    code, err = _run(capsys, "enhance", folder, "-o", tmp_path / "out", "--model", cached_bundle, "-q")
    assert code == 2
    errors = err.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("aeib: error: ") for line in errors), err
    assert "broken.m4a: skipped: " in errors[0] and "not a readable audio file" in errors[0]
    assert "notes.txt: skipped: " in errors[1] and "not a readable audio file" in errors[1]
    assert "2 of 5 files in" in errors[2] and "2 not readable audio" in errors[2] and "the other 3 written" in errors[2]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.wav", "b.m4a", "c.mp4"]
    assert ("video", "h264") in streams(tmp_path / "out" / "c.mp4")


def test_one_file_grammar(make_wav, tmp_path, capsys, cached_bundle):
    make_wav(name="in/a.wav", seconds=1.2) if (tmp_path / "in").mkdir() is None else None
    code, err = _run(capsys, "enhance", tmp_path / "in", "-o", tmp_path / "out", "--model", cached_bundle)
    assert code == 0 and "enhanced 1 file into" in err and "1 files" not in err


def test_hop_and_smoothing_need_adaptive(make_wav, tmp_path, capsys, cached_bundle):
    src = make_wav(seconds=1.2)
    for flags, said in ((["--hop", "1"], "--hop only applies with --adaptive; add --adaptive or leave it out"),
                        (["--hop", "1", "--smoothing", "2"], "--hop and --smoothing only apply with --adaptive")):
        line = _one_error(*_run(capsys, "enhance", src, "-o", tmp_path / "o.wav", "--model", cached_bundle, *flags))
        assert said in line
    assert not (tmp_path / "o.wav").exists()


def test_bitrate_is_refused_for_a_lossless_output(make_wav, tmp_path, capsys, cached_bundle):
    src = make_wav(seconds=1.2)
    for command in (["enhance", "--model", cached_bundle], ["apply", "--params", "neutral"]):
        line = _one_error(*_run(capsys, command[0], src, "-o", tmp_path / "o.flac", *command[1:], "--bitrate", "128"))
        assert "--bitrate applies only to AAC/MP3 outputs" in line and "o.flac" in line
    assert not (tmp_path / "o.flac").exists()


def test_style_help_lists_the_shipped_styles(capsys):
    with pytest.raises(SystemExit):
        main(["enhance", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    from aeib.runtime import load_model

    model = load_model()
    assert f"The shipped model's styles: {', '.join(model.styles)}" in text or all(
        style in text for style in model.styles)
    assert model.default_style in text
    for option in ("--report", "--bitrate", "--plot"):
        assert option in text


def test_model_folder_without_a_bundle(make_wav, tmp_path, capsys):
    src = make_wav(seconds=1.2)
    (tmp_path / "models").mkdir()
    line = _one_error(*_run(capsys, "enhance", src, "-o", tmp_path / "o.wav", "--model", tmp_path / "models"))
    assert f"--model {tmp_path / 'models'} is a folder without an analyzer bundle in it" in line


@pytest.mark.parametrize("name", ["clip.wav", "clip.flac", "clip.m4a"])
def test_example_writes_any_output_format(tmp_path, capsys, name):
    code, err = _run(capsys, "example", tmp_path / name)
    assert code == 0 and f"wrote {tmp_path / name}" in err
    info = audio.audio_info(tmp_path / name)
    reference = sf.info(str(tmp_path / name)) if name != "clip.m4a" else None
    assert info.duration_s > 5 and (reference is None or reference.samplerate == info.sample_rate)


def test_example_refuses_unknown_extension(tmp_path, capsys):
    line = _one_error(*_run(capsys, "example", tmp_path / "clip.xyz"))
    assert "unsupported extension '.xyz'" in line


def test_summary_words():
    from aeib.summary import Levels, compression_text, eq_moves, levels_text

    params = load_params("neutral") | {"eq.band1.gain_db": -5.5, "eq.band1.center_hz": 118.0,
                                       "eq.band4.gain_db": 2.9, "eq.band4.center_hz": 5800.0,
                                       "eq.low_shelf.gain_db": 0.2, "comp.ratio": 3.3, "comp.threshold_db": -8.0}
    assert eq_moves(params) == ["cut 5.5 dB at 118 Hz", "boost 2.9 dB at 5.8 kHz"]
    assert compression_text(params) == "3.3:1 above -8 dBFS"
    assert compression_text(load_params("neutral")) == "none"
    assert levels_text(Levels(-23.14, -3.2), Levels(-16.0, float("-inf"))) == \
        "-23.1 → -16.0 LUFS, true peak -3.2 → silent dBTP"
    assert json.dumps(eq_moves(load_params("neutral"))) == "[]"
