#!/usr/bin/env python3
"""Small fixed costs of an `aeib enhance` process, each measured on its own (issue 15; docs/RUNTIME.md).

* ``fft``: numpy's ``rfft`` of one 5 s analysis window's frames (465 × 1024) in float32 and float64,
  and the analyzer's front end (:class:`aeib.runtime.frontend.LogMelFrontend`) per window; median
  of ``--runs`` calls.
* ``numba``: in fresh processes (numpy and numba already imported), the command processes' numba
  start (``aeib.cli.numba_start``) and the first call of a cached DSP kernel (numba setting up its
  CPU target), with numba's CFFI support loaded as numba does it and with it left out; median of
  ``--runs`` processes each.
* ``bytecode``: in fresh processes with ``PYTHONDONTWRITEBYTECODE=1``, ``import aeib.runtime.enhance``
  from a copy of the package without its bytecode and from one compiled (``compileall``); median.
* ``rounding``: the chain's float32 rounding of the processors' output (two casts per 8192-frame
  chunk), summed over 5 minutes of 48 kHz stereo; median.

Nothing here is asserted by the tests::

    .venv/bin/python scripts/bench_startup_pieces.py --runs 7
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FIRST_CALL = """
import sys, time
import numpy as np
import numba
started = time.perf_counter()
if sys.argv[1] == "with-cffi":
    import numba.core.typing.cffi_utils  # numba's own way: cffi imported, an FFI built
from aeib.cli.numba_start import start_numba_without_blas_probe
start_numba_without_blas_probe()
from aeib.dsp.loudness import LoudnessMeter
LoudnessMeter(48000, 2, true_peak=False).add(np.zeros((4800, 2), np.float32))
print(time.perf_counter() - started)
"""

IMPORT = """
import sys, time
sys.path.insert(0, sys.argv[1])
started = time.perf_counter()
import aeib.runtime.enhance
assert aeib.__file__.startswith(sys.argv[1]), aeib.__file__
print(time.perf_counter() - started)
"""


def median_ms(values: list[float]) -> float:
    return 1000.0 * statistics.median(values)


def timed_calls(function, runs: int) -> float:
    function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return median_ms(times)


def child_seconds(code: str, argument: str, env: dict[str, str] | None = None) -> float:
    done = subprocess.run([sys.executable, "-c", code, argument], capture_output=True, text=True, env=env, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def bench_fft(runs: int) -> None:
    from aeib.runtime.model import load_model

    frames32 = np.random.default_rng(0).standard_normal((465, 1024)).astype(np.float32)
    frames64 = frames32.astype(np.float64)
    print(f"rfft of 465 x 1024: float32 {timed_calls(lambda: np.fft.rfft(frames32, axis=-1), runs):.2f} ms, "
          f"float64 {timed_calls(lambda: np.fft.rfft(frames64, axis=-1), runs):.2f} ms")
    model = load_model()
    audio = (0.1 * np.random.default_rng(1).standard_normal(model.window_samples)).astype(np.float32)
    print(f"front end, one window: {timed_calls(lambda: model.frontend(audio), runs):.2f} ms")


def bench_numba(runs: int) -> None:
    rows = {case: [child_seconds(FIRST_CALL, case) for _ in range(runs)] for case in ("with-cffi", "without-cffi")}
    print("numba start and first cached-kernel call: " + ", ".join(f"{case} {median_ms(v):.0f} ms" for case, v in rows.items()))


def bench_bytecode(runs: int) -> None:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory(prefix="aeib-pyc-") as scratch:
        trees = {}
        for name in ("source-only", "compiled"):
            root = Path(scratch) / name
            shutil.copytree(REPO / "aeib", root / "aeib", ignore=shutil.ignore_patterns("__pycache__"))
            if name == "compiled":
                compileall.compile_dir(str(root / "aeib"), quiet=1)
            trees[name] = str(root)
        rows = {name: [] for name in trees}
        for _ in range(runs):
            for name, root in trees.items():
                rows[name].append(child_seconds(IMPORT, root, env))
    print("import aeib.runtime.enhance: " + ", ".join(f"{name} {median_ms(v):.0f} ms" for name, v in rows.items()))


def bench_rounding(runs: int) -> None:
    chunk = np.random.default_rng(2).standard_normal((8192, 2))
    count = 300 * 48_000 // 8192

    def all_chunks() -> None:
        for _ in range(count):
            chunk.astype(np.float32).astype(np.float64)

    print(f"float32 rounding over 5 min of stereo: {timed_calls(all_chunks, runs):.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="calls or fresh processes per figure (default 7)")
    parser.add_argument("--only", nargs="+", choices=["fft", "numba", "bytecode", "rounding"],
                        default=["fft", "numba", "bytecode", "rounding"])
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; medians of {args.runs}")
    for name in args.only:
        globals()[f"bench_{name}"](args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
