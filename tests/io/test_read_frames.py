"""aeib.audio.read_frames on files soundfile reads: the slice of the whole decoded file, zeros outside it."""

import numpy as np
import pytest
import soundfile as sf

from aeib.audio import read_frames


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_a_segment_equals_the_slice_of_the_whole_file_zero_padded_outside(tmp_path, subtype):
    rng = np.random.default_rng(1)
    audio = (0.5 * rng.standard_normal((4_000, 2))).clip(-1, 1).astype(np.float32)
    path = tmp_path / "x.wav"
    sf.write(path, audio, 8_000, subtype=subtype)
    whole, _ = sf.read(path, dtype="float32", always_2d=True)
    for start, n in ((0, 4_000), (1_000, 500), (-300, 1_000), (3_800, 600), (-10, 5_000), (5_000, 20), (-50, 20),
                     (100, 0)):
        expected = np.zeros((n, 2), dtype=np.float32)
        first, stop = max(0, start), min(start + n, 4_000)
        if stop > first:
            expected[first - start:stop - start] = whole[first:stop]
        got = read_frames(path, start, n)
        assert got.dtype == np.float32 and got.shape == (n, 2)
        np.testing.assert_array_equal(got, expected)
