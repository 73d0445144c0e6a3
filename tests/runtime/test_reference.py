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


def test_started_in_the_background_the_measures_are_the_same(tmp_path):
    """start_measuring_reference: a short reference in one pass, a long one's loudness on a second
    worker that ReferenceMeasures.loudness_lufs waits for — the same numbers as measure_reference."""
    from aeib.runtime.reference import start_measuring_reference

    for seconds in (3.0, 75.0):
        audio = music_like(seconds, 8_000, channels=2, seed=6)
        path = tmp_path / f"ref{seconds:g}.wav"
        sf.write(path, audio, 8_000, subtype="FLOAT")
        for source in (str(path), ArrayAudio(audio, 8_000)):
            expected = measure_reference(source)
            started = start_measuring_reference(source).result()
            assert callable(started.loudness) == (seconds > 60.0)
            assert started.loudness_lufs == expected.loudness_lufs
            assert all(np.array_equal(a, b) for a, b in zip(started.spectrum, expected.spectrum))


def test_an_error_measuring_a_long_references_loudness_is_raised_when_it_is_read(monkeypatch):
    import pytest

    from aeib.errors import AudioError
    from aeib.runtime import reference as reference_module

    def broken(source):
        raise AudioError("cannot read ref.wav: damaged or truncated")

    monkeypatch.setattr(reference_module, "source_loudness_lufs", broken)
    measures = reference_module.start_measuring_reference(
        ArrayAudio(music_like(75.0, 8_000, channels=1, seed=2), 8_000)).result()  # the spectrum is fine
    with pytest.raises(AudioError, match="damaged or truncated"):
        _ = measures.loudness_lufs
