#!/usr/bin/env python3
"""Whole-process speed and peak memory: `aeib enhance --reference` against Matchering 2.0.6.

For each length it generates a 48 kHz stereo 24-bit WAV input and a different reference of the same
length (the synthetic music of scripts/measure_memory.py, written block by block), then runs, in
fresh processes and alternating the two tools within each round (so a change of machine load hits
both alike):

* ``aeib enhance IN --reference REF -o OUT -q`` (the console script's entry point), and
* ``matchering.process(target=IN, reference=REF, results=[matchering.pcm24(OUT)])``, the three-line
  script Matchering's README gives.

Peak memory is each process's ``ru_maxrss`` (``aeib.bench.run_process``). One
untimed warm-up round comes first (numba's on-disk cache, the OS file cache). Prints a table of
medians and, with ``--json``, one JSON object. Needs the ``[eval]`` extra (``pip install -e .[eval]``).
docs/RUNTIME.md quotes its output; nothing here is asserted by the tests.

Example::

    .venv/bin/python scripts/compare_matchering.py --seconds 60 300 --runs 3
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from aeib.bench import time_processes  # noqa: E402
from aeib.cli.bench_processes import AEIB_COMMAND  # noqa: E402
from measure_memory import BLOCK_S, CHANNELS, SAMPLE_RATE, music_block  # noqa: E402

MATCHERING = """import sys
import matchering as mg
mg.log(lambda *_: None)
mg.process(target=sys.argv[1], reference=sys.argv[2], results=[mg.pcm24(sys.argv[3])])
"""


def write_music(path: Path, seconds: float, seed: int, gain: float) -> None:
    """Synthetic music, 48 kHz stereo 24-bit, written in blocks (never held whole)."""
    total, block = int(seconds * SAMPLE_RATE), int(BLOCK_S * SAMPLE_RATE)
    with sf.SoundFile(path, "w", SAMPLE_RATE, CHANNELS, "PCM_24") as out:
        for start in range(0, total, block):
            frames = min(block, total - start)
            out.write(np.clip(gain * music_block(start, frames, seed), -1.0, 1.0))


def compare(seconds: float, runs: int, folder: Path) -> dict:
    source, reference = folder / f"in_{seconds:g}s.wav", folder / f"ref_{seconds:g}s.wav"
    write_music(source, seconds, seed=0, gain=0.5)  # quieter and duller than the reference
    write_music(reference, seconds, seed=7, gain=1.6)
    commands = {
        "aeib": [sys.executable, *AEIB_COMMAND, "enhance", str(source), "--reference", str(reference),
                 "-o", str(folder / "aeib_out.wav"), "-q"],
        "matchering": [sys.executable, "-c", MATCHERING, str(source), str(reference), str(folder / "mg_out.wav")],
    }
    time_processes(commands, 1)  # warm-up round, untimed
    figures = time_processes(commands, runs)
    return {"audio_seconds": seconds, **figures,
            "speedup": figures["matchering"]["median_s"] / figures["aeib"]["median_s"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, nargs="+", default=[60.0, 300.0], help="lengths (default 60 300)")
    parser.add_argument("--runs", type=int, default=3, help="timed rounds per length (default 3; median)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if importlib.util.find_spec("matchering") is None:
        print("compare_matchering: matchering is not installed; pip install -e .[eval]", file=sys.stderr)
        return 2
    from importlib.metadata import version

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for seconds in args.seconds:
            results.append(compare(seconds, args.runs, Path(tmp)))
    report = {"matchering": version("matchering"), "runs": args.runs, "cpus": os.cpu_count(),
              "load_average": os.getloadavg(), "results": results}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"matchering {report['matchering']}, median of {args.runs} alternating runs, "
          f"load average {report['load_average'][0]:.1f} on {report['cpus']} CPUs")
    print(f"{'length':>8}  {'aeib s':>8}  {'aeib MiB':>8}  {'mg s':>8}  {'mg MiB':>8}  {'speed-up':>8}")
    for r in results:
        print(f"{r['audio_seconds']:>7g}s  {r['aeib']['median_s']:>8.2f}  {r['aeib']['peak_mib']:>8.0f}  "
              f"{r['matchering']['median_s']:>8.2f}  {r['matchering']['peak_mib']:>8.0f}  {r['speedup']:>7.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
