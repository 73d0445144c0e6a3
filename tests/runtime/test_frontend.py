import numpy as np
import pytest

from aeib.features import LogMelSpec, log_mel_spectrogram
from aeib.runtime.frontend import FEATURE_TOLERANCE, LogMelFrontend, fit_to_window
from tests.conftest import music_like


def _signals(n, rate):
    t = np.arange(n) / rate
    yield "music", music_like(n / rate, rate, channels=1)[:, 0]
    for level_dbfs in (0.0, -40.0, -100.0):
        yield f"tone {level_dbfs}", (10 ** (level_dbfs / 20) * np.sin(2 * np.pi * 997.0 * t)).astype(np.float32)
    yield "silence", np.zeros(n, np.float32)
    yield "noise", np.random.default_rng(1).uniform(-1, 1, n).astype(np.float32)


@pytest.mark.parametrize("spec", [LogMelSpec(), LogMelSpec(sample_rate=16_000, frame_length=512, hop_length=160, n_mels=40)])
def test_fast_features_equal_the_definition(spec):
    frontend = LogMelFrontend(spec)
    n = spec.frame_length + 50 * spec.hop_length + 17
    for name, audio in _signals(n, spec.sample_rate):
        fast = frontend(audio)
        reference = log_mel_spectrogram(audio, spec)
        assert fast.dtype == np.float32 and fast.shape == reference.shape == (51, spec.n_mels), name
        assert np.abs(fast - reference).max() <= FEATURE_TOLERANCE, name


def test_too_short_for_one_frame():
    with pytest.raises(ValueError, match="at least 1024"):
        LogMelFrontend(LogMelSpec())(np.zeros(1000, np.float32))


def test_fit_to_window_crops_the_centre_and_mirrors_short_audio():
    audio = np.arange(10, dtype=np.float32)
    np.testing.assert_array_equal(fit_to_window(audio, 4), [3, 4, 5, 6])
    padded = fit_to_window(audio[:3], 8)
    np.testing.assert_array_equal(padded, [0, 1, 2, 2, 1, 0, 0, 1])  # mirrored, repeated, no zeros added
    np.testing.assert_array_equal(fit_to_window(audio, 10), audio)


def test_mirroring_keeps_level_and_spectrum():
    spec = LogMelSpec()
    clip = music_like(0.5, spec.sample_rate, channels=1)[:, 0]
    window = fit_to_window(clip, 5 * clip.shape[0])
    rms = lambda x: np.sqrt(np.mean(np.square(x, dtype=np.float64)))  # noqa: E731
    assert abs(20 * np.log10(rms(window) / rms(clip))) < 0.5
    long_term = lambda x: log_mel_spectrogram(x, spec).mean(axis=0)  # noqa: E731
    assert np.abs(long_term(window) - long_term(clip)).max() < 0.5  # natural-log units: within ~2 dB per band


def test_reused_work_arrays_change_nothing_across_calls_lengths_and_threads():
    import threading

    spec = LogMelSpec()
    shared = LogMelFrontend(spec)
    rng = np.random.default_rng(2)
    signals = [rng.uniform(-1, 1, n).astype(np.float32) for n in (60_000, 30_000, 60_000, 1024)]
    expected = [LogMelFrontend(spec)(audio) for audio in signals]  # each from a fresh front end
    for audio, want in zip(signals, expected):
        np.testing.assert_array_equal(shared(audio), want)
    first = shared(signals[0])
    shared(signals[1])
    np.testing.assert_array_equal(first, expected[0])  # a result is not overwritten by the next call
    results: dict[int, list[np.ndarray]] = {}

    def run(worker: int) -> None:
        results[worker] = [shared(audio) for audio in signals * 3]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in range(3):
        for got, want in zip(results[worker], expected * 3):
            np.testing.assert_array_equal(got, want)
