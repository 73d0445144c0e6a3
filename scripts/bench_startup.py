#!/usr/bin/env python3
"""Start-up cost of the `aeib` command: what each command imports and how long whole processes take.

1. ``python -X importtime`` of ``aeib --help``, ``aeib apply`` and ``aeib enhance`` on a short clip,
   summed per top-level package (self time), largest first: where the start-up goes.
2. Whole-process wall time of the same commands, fresh processes, the commands alternating, median
   and minimum of ``--runs`` after one untimed warm-up round; each process's peak memory.
3. numba's first run (an empty ``NUMBA_CACHE_DIR``: everything compiled) against a warm run.

Nothing here is asserted by the tests (speed belongs in benchmarks); docs/RUNTIME.md quotes it.

Example::

    .venv/bin/python scripts/bench_startup.py --runs 5
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from aeib.bench import benchmark_signal, run_process, time_processes  # noqa: E402
from aeib.cli.bench_processes import AEIB_COMMAND  # noqa: E402


def import_times(argv: list[str], top: int) -> list[tuple[str, float]]:
    """Self import time per top-level package (aeib split by subpackage), ms, largest first."""
    done = subprocess.run([sys.executable, "-X", "importtime", *AEIB_COMMAND, *argv], capture_output=True, text=True)
    totals: collections.Counter = collections.Counter()
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line[len("import time:"):].split("|")
        parts = name.strip().split(".")
        totals[".".join(parts[:2]) if parts[0] == "aeib" else parts[0]] += int(self_us)
    return [(name, us / 1000.0) for name, us in totals.most_common(top)] + [("(all)", sum(totals.values()) / 1000.0)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (default 5; median)")
    parser.add_argument("--clip-seconds", type=float, default=6.0, help="length of the enhance clip (default 6)")
    parser.add_argument("--top", type=int, default=8, help="packages listed per command (default 8)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip.wav"
        sf.write(clip, benchmark_signal(args.clip_seconds, 48_000, 2), 48_000, subtype="PCM_24")
        argvs = {
            "help": ["--help"],
            "apply": ["apply", str(clip), "-o", str(Path(tmp) / "apply.wav"), "--params", "club-fix", "-q"],
            "enhance_clip": ["enhance", str(clip), "-o", str(Path(tmp) / "enhance.wav"), "-q"],
        }
        commands = {name: [sys.executable, *AEIB_COMMAND, *argv] for name, argv in argvs.items()}
        time_processes(commands, 1)
        imports = {name: import_times(argv, args.top) for name, argv in argvs.items()}
        figures = time_processes(commands, args.runs)
        numba_runs = []
        for _ in range(max(1, min(args.runs, 3))):
            with tempfile.TemporaryDirectory() as cache:
                env = {**os.environ, "NUMBA_CACHE_DIR": cache}
                cold = _timed(commands["enhance_clip"], env)
                warm = _timed(commands["enhance_clip"], env)
            numba_runs.append((cold, warm))
    report = {"runs": args.runs, "load_average": os.getloadavg(), "cpus": os.cpu_count(), "processes": figures,
              "numba_first_run_s": float(np.median([c for c, _ in numba_runs])),
              "numba_warm_run_s": float(np.median([w for _, w in numba_runs])),
              "import_ms": {name: dict(rows) for name, rows in imports.items()}}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"load average {report['load_average'][0]:.1f} on {report['cpus']} CPUs; median of {args.runs} fresh processes")
    for name, figure in figures.items():
        print(f"  aeib {' '.join(argvs[name][:1])}: median {figure['median_s']:.3f} s, minimum {figure['min_s']:.3f} s, "
              f"peak {figure['peak_mib']:.0f} MiB")
    print(f"  enhance, empty numba cache (first run): {report['numba_first_run_s']:.2f} s; "
          f"then warm: {report['numba_warm_run_s']:.2f} s")
    for name, rows in imports.items():
        print(f"imports of `aeib {argvs[name][0]}` (self time, ms): "
              + ", ".join(f"{package} {ms:.0f}" for package, ms in rows))
    return 0


def _timed(argv: list[str], env: dict[str, str]) -> float:
    old = dict(os.environ)
    os.environ.update(env)
    try:
        return run_process(argv)[0]
    finally:
        os.environ.clear()
        os.environ.update(old)


if __name__ == "__main__":
    sys.exit(main())
