"""Load the DSP's compiled kernels ahead of their first use, on a worker thread.

numba loads a cached kernel at its first call (and sets up its CPU target at the first call in the
process; ``scripts/bench_startup_pieces.py --only numba`` measures it). Two reasons to do that early, away from the main thread:

* **Interrupts.** A Ctrl-C that arrives while the main thread is inside numba's loader lands in a
  callback from C code, where Python can only swallow it — and a half-loaded kernel may then crash
  the process (a rare segmentation fault seen in a test that interrupts ``aeib enhance`` just as it
  starts writing). A worker thread never receives KeyboardInterrupt, so a kernel loaded there cannot
  be interrupted that way.
* **Speed.** The load overlaps the analyzer's work on the main thread instead of following it.

:func:`load_kernels` runs the chain (every processor active, the safety limiter acting) and the
loudness meter (true peak included) once on a short block of the dtype and channel count the commands
use (float32 from the decoder, float64 inside the chain), so that each kernel's signature is loaded.
"""

from __future__ import annotations

import numpy as np

WARM_UP_FRAMES = 256
"""Frames of the block the kernels are run on."""


def load_kernels(channels: int = 2, sample_rate: float = 48_000.0) -> None:
    """Run every DSP kernel once for ``channels``-channel float32 blocks (see the module docstring).

    Changes nothing and returns nothing; safe to call from any thread and more than once.
    """
    from aeib.dsp.chain import ChainProcessor
    from aeib.dsp.loudness import LoudnessMeter

    rng = np.random.default_rng(0)
    block = (0.5 * rng.standard_normal((WARM_UP_FRAMES, channels))).astype(np.float32)
    block[WARM_UP_FRAMES // 2] = 1.5  # over the ceiling: the limiter acts
    active = {"eq.band1.gain_db": 3.0, "comp.ratio": 4.0, "comp.threshold_db": -30.0}
    out = ChainProcessor(sample_rate, channels, active, loudness_gain_db=6.0).process_block(block)
    meter = LoudnessMeter(sample_rate, channels)
    for signal in (block, out, out.astype(np.float64)):
        meter.add(signal)
    meter.integrated_lufs()
    meter.true_peak_dbtp()


__all__ = ["WARM_UP_FRAMES", "load_kernels"]
