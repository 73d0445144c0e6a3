"""Long files stream through in blocks: peak memory does not grow with the file's length.

Each command runs in its own child process on a 20 s and a 120 s 48 kHz stereo float file; the
child's own peak RSS (``os.wait4``) may differ by at most ``MARGIN_MIB``. Reading the 120 s file whole
would add at least its 46 MB of float32 samples (more with the float64 copies the chain makes), so a
regression to whole-file processing cannot hide in the margin, while the run-to-run noise of the
same command is about 1 MiB. Hours-long measurements: scripts/measure_memory.py and docs/RELIABILITY.md.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import music_like
from tests.reliability.harness import run_measuring_memory

MARGIN_MIB = 20.0
SHORT_S, LONG_S = 20, 120


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("memory")
    piece = music_like(4.0, 48_000, 2, seed=7)
    paths = {}
    for seconds in (SHORT_S, LONG_S):
        paths[seconds] = folder / f"in_{seconds}s.wav"
        with sf.SoundFile(str(paths[seconds]), "w", 48_000, 2, subtype="FLOAT") as handle:
            for k in range(seconds // 4):
                handle.write(piece * np.float32(0.6 + 0.4 * np.cos(k)))
    return paths


@pytest.mark.parametrize("command", ["apply", "enhance"])
def test_peak_memory_does_not_grow_with_length(command, inputs, tmp_path):
    peaks = {}
    for seconds, source in inputs.items():
        extra = ["--params", "club-fix"] if command == "apply" else []
        outcome, peaks[seconds] = run_measuring_memory([command, source, "-o", tmp_path / f"out_{seconds}.wav", "-q",
                                                        *extra])
        assert outcome.code == 0, outcome.err
        assert sf.info(str(tmp_path / f"out_{seconds}.wav")).frames == seconds * 48_000
    assert abs(peaks[LONG_S] - peaks[SHORT_S]) < MARGIN_MIB, peaks
