import numpy as np
import pytest
import soundfile as sf

from aeib.audio import audio_info, resample
from aeib.runtime.windows import hop_starts, level_dbfs, read_model_window, spread_starts, window_frames
from tests.conftest import music_like


def test_window_frames_round_up():
    assert window_frames(120_000, 24_000, 48_000) == 240_000
    assert window_frames(120_000, 24_000, 44_100) == 220_500
    assert window_frames(24_000, 24_000, 22_050) == 22_050


@pytest.mark.parametrize("total, window, spacing, cap", [(1000, 100, 150, 16), (1000, 100, 10, 16), (5000, 300, 700, 4)])
def test_spread_starts_cover_the_file(total, window, spacing, cap):
    starts = spread_starts(total, window, spacing, cap)
    assert starts[0] == 0 and starts[-1] == total - window and len(starts) <= cap
    assert np.all(np.diff(starts) > 0)
    if len(starts) < cap:
        assert np.diff(starts).max() <= spacing


def test_spread_and_hop_starts_for_short_files():
    assert list(spread_starts(50, 100, 10, 16)) == [0] and list(hop_starts(100, 100, 10)) == [0]


def test_hop_starts_are_regular_and_end_at_the_end():
    starts = hop_starts(1000, 100, 250)
    assert list(starts) == [0, 250, 500, 750, 900]
    assert list(hop_starts(1100, 100, 250)) == [0, 250, 500, 750, 1000]


@pytest.mark.parametrize("rate", [24_000, 44_100, 48_000])
def test_read_model_window_equals_resampling_the_whole_file(tmp_path, rate):
    audio = music_like(3.0, rate, channels=2)
    path = tmp_path / "x.wav"
    sf.write(path, audio, rate, subtype="FLOAT")
    info = audio_info(path)
    whole = resample(audio.mean(axis=1), rate, 24_000)
    start = rate  # 1 s in
    window = read_model_window(path, info, start, rate // 2, 24_000)
    assert window.shape == (12_000,) and window.dtype == np.float32
    expected = whole[24_000:36_000]
    inner = slice(200, -200)  # away from the resampler's edges
    assert np.abs(window[inner] - expected[inner]).max() < 1e-3
    # Clipped to the file: a range past the end returns only what exists.
    tail = read_model_window(path, info, int(2.5 * rate), rate, 24_000)
    assert tail.shape == (12_000,)


def test_level_dbfs():
    t = np.arange(48_000) / 48_000
    assert level_dbfs(np.sin(2 * np.pi * 1000 * t)) == pytest.approx(-3.01, abs=0.01)
    assert level_dbfs(np.zeros(10)) == -np.inf and level_dbfs(np.zeros(0)) == -np.inf
