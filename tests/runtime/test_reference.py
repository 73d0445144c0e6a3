import math

import numpy as np
import soundfile as sf

from aeib.runtime.reference import measure_reference
from aeib.runtime.refine import long_term_spectrum_db
from aeib.runtime.render import source_loudness_lufs
from aeib.runtime.windows import ArrayAudio
from tests.conftest import music_like


def test_one_pass_equals_the_separate_measurements_bit_for_bit(tmp_path):
    audio = music_like(3.3, 44_100, channels=2, seed=4)  # not a whole number of blocks or frames
    path = tmp_path / "ref.wav"
    sf.write(path, audio, 44_100, subtype="PCM_24")
    for source in (str(path), ArrayAudio(audio, 44_100)):
        measures = measure_reference(source)
        assert measures.sample_rate == 44_100
        assert measures.loudness_lufs == source_loudness_lufs(source)
        freqs, level = long_term_spectrum_db(source)
        assert np.array_equal(measures.spectrum[0], freqs) and np.array_equal(measures.spectrum[1], level)


def test_a_silent_reference_measures_minus_infinity():
    measures = measure_reference(ArrayAudio(np.zeros((48_000, 2), dtype=np.float32), 48_000))
    assert measures.loudness_lufs == -math.inf


def test_a_long_reference_is_decoded_whole_for_loudness_and_measured_on_excerpts(tmp_path):
    rate = 8_000
    audio = music_like(75.0, rate, channels=2, seed=5)  # longer than EXCERPTS_TOTAL_S
    path = tmp_path / "long.flac"
    sf.write(path, audio, rate)
    for source in (str(path), ArrayAudio(audio, rate)):
        measures = measure_reference(source)
        assert measures.loudness_lufs == source_loudness_lufs(source)
        freqs, level = long_term_spectrum_db(source)
        assert np.array_equal(measures.spectrum[0], freqs) and np.array_equal(measures.spectrum[1], level)
