"""Where a long recording's loudness is measured (:mod:`aeib.runtime.excerpts`)."""

import numpy as np
import pytest

from aeib.runtime import excerpts
from aeib.runtime.excerpts import loudness_excerpts, read_excerpt
from aeib.runtime.spectrum import EXCERPTS_TOTAL_S
from aeib.runtime.windows import ArrayAudio
from tests.conftest import music_like

RATE = 8_000


def test_up_to_a_minute_is_measured_whole():
    assert loudness_excerpts(int(EXCERPTS_TOTAL_S * RATE), RATE) is None
    assert loudness_excerpts(RATE, RATE) is None


def test_excerpts_spread_from_the_start_to_the_end():
    total = int(300.5 * RATE)
    starts, length, preroll = loudness_excerpts(total, RATE)
    assert starts.shape == (excerpts.EXCERPT_COUNT,) and starts.dtype == np.int64
    part = total / excerpts.EXCERPT_COUNT  # one excerpt at the centre of each equal part
    assert np.allclose(starts + length / 2, (np.arange(excerpts.EXCERPT_COUNT) + 0.5) * part, atol=1)
    assert np.all(np.diff(starts) > length)  # distinct, in order, not overlapping
    assert length == excerpts.EXCERPT_S * RATE and preroll == excerpts.PREROLL_S * RATE


def test_the_preroll_is_cut_short_at_the_start():
    audio = np.arange(10 * RATE, dtype=np.float32)[:, None]
    source = ArrayAudio(audio, RATE)
    first, before = read_excerpt(source, 100, 50, 400)
    assert before == 100 and np.array_equal(first[:, 0], audio[:150, 0])
    later, before = read_excerpt(source, 5000, 50, 400)
    assert before == 400 and np.array_equal(later[:, 0], audio[4600:5050, 0])


def test_whole_levels_are_the_plain_signals():
    from aeib.dsp.loudness import LoudnessMeter
    from aeib.runtime.excerpts import source_whole_levels

    audio = music_like(5.0, RATE, channels=2, seed=3)
    levels = source_whole_levels(ArrayAudio(audio, RATE), block_frames=3_001)
    meter = LoudnessMeter(RATE, 2, true_peak=False).add(audio)
    assert levels.loudness_lufs == pytest.approx(meter.integrated_lufs(), abs=1e-9)
    assert levels.sample_peak_dbfs == meter.sample_peak_dbfs()
