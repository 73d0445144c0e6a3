"""Reading and writing through FFmpeg (PyAV): m4a/mp4/mp3 in, AAC/MP3 out, segments, errors."""

import numpy as np
import pytest
import soundfile as sf

from aeib import audio
from aeib.errors import AudioError, OutputError
from tests.io.phone_media import streams, write_phone_file


def _tones(seconds, rate, channels):
    t = np.arange(int(seconds * rate)) / rate
    return np.stack([0.3 * np.sin(2 * np.pi * (330 + 220 * c) * t) for c in range(channels)], 1).astype(np.float32)


@pytest.mark.parametrize("suffix, rate, channels", [(".m4a", 48_000, 1), (".mp4", 44_100, 2), (".mov", 48_000, 2)])
def test_ffmpeg_files_read_in_blocks_and_segments(tmp_path, suffix, rate, channels):
    path = tmp_path / f"phone{suffix}"
    original = write_phone_file(path, 2.0, rate, channels, video=suffix != ".m4a", audio=_tones(2.0, rate, channels))
    info = audio.audio_info(path)
    assert (info.backend, info.sample_rate, info.channels, info.frames) == ("av", rate, channels, original.shape[0])
    assert info.exact_frames and info.subtype == "AAC" and (info.video_codec == "h264") == (suffix != ".m4a")
    whole = np.concatenate(list(audio.iter_blocks(path, 10_000)))
    assert whole.shape == original.shape and whole.dtype == np.float32
    middle = slice(4096, -4096)  # away from the codec's onset and end
    assert np.sqrt(np.mean((whole[middle] - original[middle]) ** 2)) < 0.05  # aligned (a shift would give ~0.3)
    segment = audio.read_frames(path, 50_000, 20_000)  # seeks, then decodes 0.5 s early
    np.testing.assert_allclose(segment, whole[50_000:70_000], atol=1e-4)
    edge = audio.read_frames(path, info.frames - 100, 300)
    np.testing.assert_allclose(edge[:100], whole[-100:], atol=5e-3)
    assert not edge[100:].any()
    np.testing.assert_array_equal(audio.read_audio(path, always_2d=True)[0], whole)


def test_mp3_stays_with_soundfile(tmp_path):
    path = tmp_path / "memo.mp3"
    write_phone_file(path, 1.0, 44_100, 2)
    assert audio.audio_info(path).backend == "soundfile"


@pytest.mark.parametrize("suffix, rate, channels", [(".m4a", 48_000, 2), (".mp3", 44_100, 1), (".mp4", 32_000, 1),
                                                    (".mkv", 48_000, 2)])
def test_encoded_outputs_round_trip(tmp_path, suffix, rate, channels):
    signal = _tones(1.5, rate, channels)
    source = audio.AudioInfo(tmp_path / "x.wav", rate, channels, signal.shape[0], "WAV", "FLOAT")
    container, subtype = audio.output_format(tmp_path / f"o{suffix}", source)
    audio.write_audio(tmp_path / f"o{suffix}", signal, rate, container, subtype, bitrate_kbps=256)
    back, back_rate = audio.read_audio(tmp_path / f"o{suffix}", always_2d=True)
    assert back_rate == rate and back.shape[1] == channels
    assert abs(back.shape[0] - signal.shape[0]) <= 0.03 * rate  # mkv declares ms; mp3 pads a frame
    n = min(back.shape[0], signal.shape[0])
    assert np.sqrt(np.mean((back[4096:n - 4096] - signal[4096:n - 4096]) ** 2)) < 0.01
    assert streams(tmp_path / f"o{suffix}") == [("audio", {".mp3": "mp3float"}.get(suffix, "aac"))]
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]


def test_bitrate_changes_the_size(tmp_path):
    signal = np.random.default_rng(0).standard_normal((96_000, 2)).astype(np.float32) * 0.1
    sizes = []
    for kbps in (64, 256):
        audio.write_audio(tmp_path / f"b{kbps}.m4a", signal, 48_000, "M4A", "AAC", bitrate_kbps=kbps)
        sizes.append((tmp_path / f"b{kbps}.m4a").stat().st_size)
    assert sizes[1] > 2.5 * sizes[0]
    with pytest.raises(OutputError, match="bit rate must be"):
        audio.write_audio(tmp_path / "x.m4a", signal, 48_000, "M4A", "AAC", bitrate_kbps=1000)
    assert not (tmp_path / "x.m4a").exists()


def test_encoders_refuse_what_they_cannot_hold(tmp_path):
    six = audio.AudioInfo(tmp_path / "x.wav", 48_000, 6, 10, "WAV", "PCM_24")
    hi = audio.AudioInfo(tmp_path / "x.wav", 192_000, 2, 10, "WAV", "PCM_24")
    with pytest.raises(OutputError, match="at most 2 channels"):
        audio.output_format(tmp_path / "o.mp3", six)
    with pytest.raises(OutputError, match="at most 5 channels"):
        audio.output_format(tmp_path / "o.m4a", six)
    with pytest.raises(OutputError, match="192 kHz; choose a .wav or .flac"):
        audio.output_format(tmp_path / "o.mp3", hi)
    with pytest.raises(OutputError, match="unsupported extension '.xyz'"):
        audio.output_format(tmp_path / "o.xyz", hi)


def test_unreadable_files_say_so(tmp_path):
    (tmp_path / "junk.m4a").write_bytes(b"\x00\x01not an mp4" * 50)
    with pytest.raises(AudioError, match="not a readable audio file"):
        audio.audio_info(tmp_path / "junk.m4a")
    silent_video = tmp_path / "silent.mp4"
    import av

    with av.open(str(silent_video), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    with pytest.raises(AudioError, match="a video without sound"):
        audio.audio_info(silent_video)
    truncated = tmp_path / "cut.m4a"
    write_phone_file(tmp_path / "whole.m4a", 2.0)
    truncated.write_bytes((tmp_path / "whole.m4a").read_bytes()[:3000])
    with pytest.raises(AudioError, match="cut.m4a"):
        list(audio.iter_blocks(truncated, 4096))
    sf.write(tmp_path / "ok.wav", np.zeros((10, 1), np.float32), 8000)
    assert audio.audio_info(tmp_path / "ok.wav").backend == "soundfile"


def test_a_stream_without_a_decoder_is_an_audio_error(tmp_path, monkeypatch):
    """A damaged header can leave FFmpeg with an audio stream but no codec context (found by the
    loader fuzz test): one AudioError, not an AttributeError."""
    import contextlib
    import types

    from aeib import avio

    stream = types.SimpleNamespace(codec_context=None)
    container = types.SimpleNamespace(streams=types.SimpleNamespace(audio=[stream], video=[]))
    monkeypatch.setattr(avio, "_open", lambda path: contextlib.nullcontext(container))
    with pytest.raises(AudioError, match="no decoder for its audio stream"):
        avio.probe(tmp_path / "damaged.wav")
