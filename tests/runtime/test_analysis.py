import numpy as np
import pytest
import soundfile as sf

from aeib.audio import audio_info
from aeib.errors import AudioError, ParameterError
from aeib.runtime.analysis import AnalysisOptions, analyze_file, reference_embedding_from_file
from aeib.runtime.windows import read_model_window, window_frames
from tests.conftest import music_like

RATE = 48_000


def _write(tmp_path, audio, name="in.wav", rate=RATE):
    path = tmp_path / name
    sf.write(path, audio, rate, subtype="FLOAT")
    return path


def _sections(*parts):
    """Concatenate (seconds, kind) sections: 'music', 'quiet', 'silence', 'bass'."""
    out = []
    for i, (seconds, kind) in enumerate(parts):
        n = int(seconds * RATE)
        if kind == "silence":
            out.append(np.zeros((n, 2), np.float32))
        elif kind == "bass":
            t = np.arange(n) / RATE
            out.append(np.repeat((0.5 * np.sin(2 * np.pi * 80 * t))[:, None], 2, axis=1).astype(np.float32))
        else:
            gain = 1e-3 if kind == "quiet" else 1.0
            out.append(gain * music_like(seconds, RATE, channels=2, seed=i))
    return np.concatenate(out)


def _collect():
    messages = []
    return messages, messages.append


def test_fixed_mode_takes_the_median_of_spread_windows(model, tmp_path):
    path = _write(tmp_path, _sections((12.0, "music")))
    ref = model.style_embedding()
    analysis = analyze_file(model, path, ref, options=AnalysisOptions(spacing_s=4.0))
    starts = [w.start_s for w in analysis.windows]
    assert starts == pytest.approx([0.0, 11 / 3, 22 / 3, 11.0], abs=1e-4) and all(w.used for w in analysis.windows)
    stacked = np.stack([w.params01 for w in analysis.windows])
    np.testing.assert_allclose(analysis.params01, np.median(stacked, axis=0))
    # Each window's prediction is the model's on that window at the model rate.
    info = audio_info(path)
    second = analysis.windows[1]
    audio = read_model_window(path, info, round(second.start_s * RATE), window_frames(24_000, 24_000, RATE), 24_000)
    np.testing.assert_allclose(second.params01, model.predict01(audio, ref), atol=1e-6)
    assert not analysis.adaptive and not analysis.silent and not analysis.short


def test_near_silent_windows_are_skipped(model, tmp_path):
    path = _write(tmp_path, _sections((3.0, "music"), (3.0, "silence"), (3.0, "quiet"), (3.0, "music")))
    analysis = analyze_file(model, path, model.style_embedding(), options=AnalysisOptions(spacing_s=1.0))
    for window in analysis.windows:
        middle = window.start_s + 0.5
        assert window.used == (middle < 3.0 or middle > 9.0), window
    assert all(w.params01 is None for w in analysis.windows if w.level_dbfs == -np.inf)
    used = np.stack([w.params01 for w in analysis.windows if w.used])
    np.testing.assert_allclose(analysis.params01, np.median(used, axis=0))


@pytest.mark.parametrize("kind, message", [("silence", "is digital silence"), ("noise", "is nearly silent")])
def test_silent_files_are_flagged(model, tmp_path, kind, message):
    audio = np.zeros((5 * RATE, 2), np.float32)
    if kind == "noise":
        audio += np.random.default_rng(0).normal(0, 1e-4, audio.shape).astype(np.float32)  # −80 dBFS
    analysis = analyze_file(model, _write(tmp_path, audio), model.style_embedding())
    assert analysis.silent and message in analysis.silence_message
    np.testing.assert_allclose(model.schema.denormalize(analysis.params01), model.schema.default_vector())


def test_sound_between_the_spread_windows_is_found_by_a_scan(model, tmp_path):
    path = _write(tmp_path, _sections((4.0, "silence"), (1.5, "music"), (4.5, "silence")))
    analysis = analyze_file(model, path, model.style_embedding(), options=AnalysisOptions(spacing_s=100, max_windows=2))
    assert not analysis.silent
    used = [w for w in analysis.windows if w.used]
    assert used and all(3.0 <= w.start_s <= 5.5 for w in used)


def test_short_input_is_padded_with_a_warning(model, tmp_path):
    messages, warn = _collect()
    analysis = analyze_file(model, _write(tmp_path, _sections((0.4, "music"))), model.style_embedding(), warn=warn)
    assert analysis.short and len(analysis.windows) == 1 and analysis.windows[0].seconds == pytest.approx(0.4, abs=1e-3)
    assert len(messages) == 1 and "shorter than the analyzer's 1 s window" in messages[0]


def test_input_shorter_than_a_frame_is_refused(model, tmp_path):
    with pytest.raises(AudioError, match="too short to analyse"):
        analyze_file(model, _write(tmp_path, np.ones((1000, 1), np.float32) * 0.1), model.style_embedding())


def test_adaptive_trajectory_is_smooth_and_follows_the_music(model, tmp_path):
    path = _write(tmp_path, _sections((8.0, "music"), (8.0, "bass")))
    ref = model.style_embedding()
    raw = analyze_file(model, path, ref, adaptive=True, options=AnalysisOptions(hop_s=0.5, smoothing_s=0.0))
    smooth = analyze_file(model, path, ref, adaptive=True, options=AnalysisOptions(hop_s=0.5, smoothing_s=2.0))
    assert smooth.adaptive and smooth.trajectory01.shape == (len(smooth.windows), 24)
    np.testing.assert_allclose(smooth.times_s, [w.start_s + 0.5 for w in smooth.windows])
    raw_steps = np.abs(np.diff(raw.trajectory01, axis=0)).max()
    smooth_steps = np.abs(np.diff(smooth.trajectory01, axis=0)).max()
    assert raw_steps > 0.05 and smooth_steps < raw_steps / 3
    # The two halves get different settings, and the trajectory moves between them.
    first, last = smooth.params01_at(0.0), smooth.params01_at(16.0)
    assert np.abs(first - last).max() > 0.05
    np.testing.assert_allclose(smooth.params01_at(smooth.times_s[3]), smooth.trajectory01[3])
    middle = smooth.params01_at((smooth.times_s[3] + smooth.times_s[4]) / 2)
    np.testing.assert_allclose(middle, (smooth.trajectory01[3] + smooth.trajectory01[4]) / 2)


def test_adaptive_fills_silent_windows_from_their_neighbours(model, tmp_path):
    path = _write(tmp_path, _sections((4.0, "music"), (3.0, "silence"), (4.0, "music")))
    analysis = analyze_file(model, path, model.style_embedding(), adaptive=True,
                            options=AnalysisOptions(hop_s=0.5, smoothing_s=0.0))
    used = np.array([w.used for w in analysis.windows])
    assert not used.all() and used.any()
    # Skipped windows get the straight line between the nearest used windows (no smoothing here).
    centres = analysis.times_s
    predictions = np.stack([w.params01 for w in analysis.windows if w.used])
    for j in range(24):
        np.testing.assert_allclose(analysis.trajectory01[:, j], np.interp(centres, centres[used], predictions[:, j]),
                                   atol=1e-6)


def test_reference_embedding_is_the_median_over_loud_windows(model, tmp_path):
    path = _write(tmp_path, _sections((3.0, "music"), (1.0, "silence"), (3.0, "music")), name="ref.wav")
    embedding = reference_embedding_from_file(model, path, AnalysisOptions(spacing_s=1.0))
    info = audio_info(path)
    frames = window_frames(24_000, 24_000, RATE)
    expected = []
    for start in np.round(np.linspace(0, info.frames - frames, 7)).astype(int):
        audio = read_model_window(path, info, start, frames, 24_000)
        if np.sqrt(np.mean(audio.astype(np.float64) ** 2)) > 1e-3:
            expected.append(model.embed(audio))
    np.testing.assert_allclose(embedding, np.median(expected, axis=0), atol=1e-6)


def test_bad_references(model, tmp_path):
    with pytest.raises(AudioError, match="reference .* is digital silence"):
        reference_embedding_from_file(model, _write(tmp_path, np.zeros((RATE, 2), np.float32), "silent.wav"))
    with pytest.raises(AudioError, match="reference .* too short to analyse"):
        reference_embedding_from_file(model, _write(tmp_path, _sections((0.01, "music")), "tiny.wav"))
    messages, warn = _collect()
    embedding = reference_embedding_from_file(model, _write(tmp_path, _sections((0.5, "music")), "short.wav"), warn=warn)
    assert embedding.shape == (8,) and "reference short.wav is 0.50 s long" in messages[0]


def test_options_are_validated():
    with pytest.raises(ParameterError, match="hop_s"):
        AnalysisOptions(hop_s=0)
    with pytest.raises(ParameterError, match="max_windows"):
        AnalysisOptions(max_windows=0)
