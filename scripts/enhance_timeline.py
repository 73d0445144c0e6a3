#!/usr/bin/env python3
"""When each stage of one `aeib enhance` starts and ends, seconds since the interpreter began importing.

Runs the command in this process with the stage functions of ``aeib.runtime.enhance`` wrapped, and
prints one line per stage to stderr (the stages on worker threads overlap the others). Analysis
only; a fresh process per run, as the console script, e.g.::

    .venv/bin/python scripts/enhance_timeline.py enhance IN.wav --reference REF.wav -o OUT.wav -q
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import gc  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
gc.disable()

import aeib.runtime.enhance as enhance  # noqa: E402
from aeib.cli.main import main  # noqa: E402

STAGES = ("check_input", "target_embedding", "analyze_file", "measure_reference", "long_term_spectrum_db",
          "predicted_setting", "make_plan")


def timed(name: str, function):
    def run(*args, **kwargs):
        begin = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            end = time.perf_counter()
            print(f"  {name:24s} {begin - STARTED:6.3f} -> {end - STARTED:6.3f} s ({end - begin:.3f})", file=sys.stderr)
    return run


def started() -> None:
    gc.freeze()
    gc.enable()
    print(f"  imported and started     {time.perf_counter() - STARTED:6.3f} s", file=sys.stderr)


for stage in STAGES:
    setattr(enhance, stage, timed(stage, getattr(enhance, stage)))
try:
    code = main(sys.argv[1:], on_started=started)
finally:
    print(f"  end                      {time.perf_counter() - STARTED:6.3f} s", file=sys.stderr)
sys.exit(code)
