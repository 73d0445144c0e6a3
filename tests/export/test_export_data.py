"""Export data: features equal the reference front end; shard windows are spread, cropped, checked."""

import numpy as np
import pytest

from aeib.export.config import ExportError
from aeib.export.data import check_data_dir, features, generated_windows, manifest_sha256, shard_windows
from aeib.features import LogMelSpec, log_mel_spectrogram
from tests.conftest import music_like
from tests.export.tiny_data import write_shards


@pytest.mark.parametrize("spec", [LogMelSpec(), LogMelSpec(frame_length=256, hop_length=128, n_mels=16),
                                  LogMelSpec(sample_rate=16_000, frame_length=512, hop_length=160, n_mels=40, fmax_hz=7000.0)])
def test_features_equal_the_reference_definition(spec):
    audio = music_like(0.5, spec.sample_rate, 2).T  # two windows, one per channel
    audio[1] *= 1e-3  # a quiet one: values near the log floor
    reference = log_mel_spectrogram(audio, spec)
    fast = features(audio, spec)
    assert fast.dtype == np.float32 and fast.shape == reference.shape
    # float32 rounding of values of magnitude ≤ ~20 is the only difference.
    assert np.max(np.abs(fast - reference)) < 4e-6


def test_shard_windows_spread_over_shards_and_centre_crop(tmp_path):
    data = write_shards(tmp_path / "d", "train", n_shards=3, per_shard=4, seconds=0.5)
    full = 12_000
    windows = shard_windows(data, "train", 6, 10_000)
    assert windows.input.shape == (6, 10_000) and windows.reference.shape == (6, 10_000)
    assert windows.input.dtype == np.float32 and windows.source == "train shards"
    marks = windows.input[:, full // 2 - (full - 10_000) // 2]  # the marker sample, after the centre crop
    picked = np.round(marks * 1000).astype(int)
    assert list(picked) == [0, 2, 4, 7, 9, 11]  # evenly spread over all 12 examples in 3 shards
    assert len(shard_windows(data, "train", 100, 10_000)) == 12  # no more than there are
    assert shard_windows(data, "valid", 4, 10_000) is None


def test_short_examples_and_bad_folders_are_refused(tmp_path):
    data = write_shards(tmp_path / "d", "train", n_shards=1, per_shard=2, seconds=0.5)
    with pytest.raises(ExportError, match="fewer than"):
        shard_windows(data, "train", 2, 24_000)
    with pytest.raises(ExportError, match="no such data folder"):
        check_data_dir(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExportError, match="no training shards"):
        check_data_dir(tmp_path / "empty")
    (data / "train-00001.npz").write_bytes(b"PK not a zip")
    with pytest.raises(ExportError, match="cannot read shard"):
        shard_windows(data, "train", 2, 10_000)
    assert manifest_sha256(data) is None


def test_generated_windows_are_music_at_varied_levels():
    windows = generated_windows(4, 12_000, 24_000, seed=1)
    assert windows.input.shape == windows.reference.shape == (4, 12_000)
    peaks_db = 20 * np.log10(np.abs(windows.input).max(axis=1))
    assert (peaks_db <= -3.0 + 1e-3).all() and (peaks_db >= -30.0 - 1e-3).all() and np.ptp(peaks_db) > 1.0
    assert not np.allclose(windows.input[0], windows.reference[0])
    again = generated_windows(4, 12_000, 24_000, seed=1)
    assert np.array_equal(again.input, windows.input)
