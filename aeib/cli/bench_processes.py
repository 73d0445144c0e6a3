"""Benchmarks of whole ``aeib`` command processes, as a user runs them: the peak memory of an
``aeib enhance`` process (``bench_memory``) and the wall time of ``aeib --help`` and ``aeib enhance``
(``bench_process``: Python start-up, imports, model load and the work; median of fresh processes,
with each process's peak memory). Speed only, never asserted in unit tests.

These run the command line itself (:func:`aeib.cli.main.main`), which is why they live under
:mod:`aeib.cli`; the library benchmarks and the process timers they use are in :mod:`aeib.bench`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from aeib.bench import run_process, time_processes, write_benchmark_file

AEIB_COMMAND = ("-c", "from aeib.cli.main import console_main; console_main()")
"""Arguments after ``sys.executable`` that run the ``aeib`` console script's entry point."""


_MEMORY_CHILD = """
import sys
argv = sys.argv[1:]
if argv[0] == "enhance":
    from aeib.cli.main import main
    rc = main(argv)
else:  # "load": import what enhance imports, load the model, compile the DSP; process no file
    from aeib.cli.numba_start import import_numba_without_scipy, start_numba_without_blas_probe
    import_numba_without_scipy()  # as `aeib enhance` starts numba
    start_numba_without_blas_probe()
    import numpy as np
    from aeib.cli.main import build_parser
    from aeib.dsp import ChainProcessor
    from aeib.runtime import load_model
    build_parser(["enhance"])
    load_model(argv[1] or None)
    ChainProcessor(48000, 2, {"comp.ratio": 2.0, "eq.band1.gain_db": 1.0}).process_block(np.zeros((64, 2)))
    rc = 0
sys.exit(rc)
"""


def _child_peak_mib(argv: list[str]) -> float:
    """Peak memory in MiB of a fresh process running :data:`_MEMORY_CHILD` (through
    :func:`aeib.bench.run_process`, so that this process's own size is not counted)."""
    try:
        return run_process([sys.executable, "-c", _MEMORY_CHILD, *argv])[1]
    except RuntimeError as exc:
        raise RuntimeError(f"memory probe failed: {exc}") from None


def bench_memory(seconds: float = 60.0, sample_rate: int = 48_000, channels: int = 2,
                 json_path: str | os.PathLike | None = None) -> dict:
    """Peak resident memory of a whole ``aeib enhance`` process, and of one that only loads the model.

    Measured as the ``ru_maxrss`` of a fresh Python process, started by a small intermediate one
    (:func:`aeib.bench.run_process`; a child forked from this process would inherit its size as its
    peak). The difference is what enhancing the file costs beyond importing aeib and loading the
    model; it does not grow with the file's length.
    """
    model_arg = "" if json_path is None else str(json_path)
    with tempfile.TemporaryDirectory() as tmp:
        source = write_benchmark_file(Path(tmp), seconds, sample_rate, channels)
        argv = ["enhance", str(source), "-o", str(Path(tmp) / "out.wav"), "-q"]
        if json_path is not None:
            argv += ["--model", model_arg]
        peak = _child_peak_mib(argv)
        baseline = _child_peak_mib(["load", model_arg])
    return {
        "benchmark": "peak_memory", "method": "ru_maxrss of a fresh process (os.wait4 in a small intermediate process)",
        "audio_seconds": seconds, "sample_rate_hz": sample_rate, "channels": channels,
        "enhance_peak_mib": peak, "load_only_peak_mib": baseline, "enhance_extra_mib": peak - baseline,
    }


def bench_process(seconds: float = 60.0, sample_rate: int = 48_000, channels: int = 2,
                  json_path: str | os.PathLike | None = None, repeats: int = 3, clip_seconds: float = 6.0) -> dict:
    """Whole-process figures: ``aeib --help``, ``aeib enhance`` on a ``clip_seconds`` clip and on the
    ``seconds`` benchmark file (24-bit WAV → WAV), each the median of ``repeats`` fresh processes
    after one untimed warm-up round (which fills the numba cache if it is empty)."""
    aeib = [sys.executable, *AEIB_COMMAND]
    model = [] if json_path is None else ["--model", str(json_path)]
    with tempfile.TemporaryDirectory() as tmp:
        clip = write_benchmark_file(Path(tmp), clip_seconds, sample_rate, channels)
        long = write_benchmark_file(Path(tmp), seconds, sample_rate, channels)
        commands = {
            "help": [*aeib, "--help"],
            "enhance_clip": [*aeib, "enhance", str(clip), "-o", str(Path(tmp) / "clip_out.wav"), "-q", *model],
            "enhance": [*aeib, "enhance", str(long), "-o", str(Path(tmp) / "out.wav"), "-q", *model],
        }
        time_processes(commands, 1)
        figures = time_processes(commands, repeats)
    return {"benchmark": "whole_process", "method": "fresh processes, median of runs; ru_maxrss via os.wait4",
            "clip_seconds": clip_seconds, "audio_seconds": seconds, "sample_rate_hz": sample_rate,
            "channels": channels, **figures}
