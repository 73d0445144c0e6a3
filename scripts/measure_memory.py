#!/usr/bin/env python3
"""Peak memory and wall time of `aeib apply` / `aeib enhance` on long files (streaming check).

For each length it writes a 48 kHz stereo 16-bit WAV of synthetic music block by block (the file is
never held in memory; 60 min is 691 MB on disk), runs each command on it in a fresh child process
and reads that child's own peak resident set size from ``os.wait4`` (``ru_maxrss``), taken by a small
intermediate process so that the parent's own size cannot leak into the figure. If the
processing streams, the peak is the same for every length. Nothing here is asserted by the tests;
docs/RELIABILITY.md quotes its output.

Example (the figures in docs/RELIABILITY.md)::

    .venv/bin/python scripts/measure_memory.py --minutes 10 60

Prints a table and, with ``--json``, one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
SAMPLE_RATE = 48_000
CHANNELS = 2
BLOCK_S = 10.0

COMMANDS = {
    "apply": lambda src, out: ["apply", src, "-o", out, "--params", "club-fix", "-q"],
    "enhance": lambda src, out: ["enhance", src, "-o", out, "-q"],
    "enhance-adaptive": lambda src, out: ["enhance", src, "-o", out, "--adaptive", "-q"],
}


def music_block(start_frame: int, frames: int, seed: int = 0) -> np.ndarray:
    """Deterministic 'music' for frames [start, start + frames): chords changing every 2 s, a 2 Hz
    loud/quiet pulse and noise; float32[frames, 2], peak below 0.5. Phase-continuous across blocks."""
    t = (start_frame + np.arange(frames)) / SAMPLE_RATE
    chord = (t // 2.0).astype(np.int64)
    root_hz = 110.0 * 2.0 ** ((chord * 7 % 12) / 12.0)
    tones = sum(np.sin(2 * np.pi * root_hz * ratio * t) / (1 + k) for k, ratio in enumerate((1.0, 1.25, 1.5, 2.0)))
    envelope = 0.3 + 0.7 * (np.sin(2 * np.pi * 2.0 * t) > 0)
    rng = np.random.default_rng([seed, start_frame])
    noise = rng.standard_normal((frames, CHANNELS)) * 0.03
    audio = 0.1 * (tones * envelope)[:, None] + noise * envelope[:, None]
    audio[:, 1] *= 0.9
    return audio.astype(np.float32)


def write_long_file(path: Path, minutes: float) -> None:
    """A ``minutes``-long WAV written in 10 s blocks (memory: one block)."""
    total = int(minutes * 60 * SAMPLE_RATE)
    block = int(BLOCK_S * SAMPLE_RATE)
    with sf.SoundFile(str(path), "w", SAMPLE_RATE, CHANNELS, subtype="PCM_16", format="WAV") as handle:
        for start in range(0, total, block):
            handle.write(music_block(start, min(block, total - start)))


# Runs argv[2:] as its child and writes that child's ru_maxrss into the file argv[1]. A fresh, small
# interpreter does the measuring because Linux carries a process's peak RSS over into what it forks and
# execs: measured straight from a big parent, a child would report at least the parent's size.
_MEASURE = ("import os, subprocess, sys\n"
            "child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)\n"
            "_, status, usage = os.wait4(child.pid, 0)\n"
            "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
            "sys.exit(os.waitstatus_to_exitcode(status))\n")


def run_measured(argv: list[str]) -> dict:
    """Run ``aeib ARGV`` in a child process; its exit code, wall time and own peak RSS (MiB)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with tempfile.NamedTemporaryFile("r", suffix=".maxrss") as report:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _MEASURE, report.name, sys.executable, "-m", "aeib.cli.main",
                               *argv], env=env, stderr=subprocess.PIPE, text=True)
        wall_s = time.perf_counter() - started
        max_rss = int(report.read() or 0)
    peak_mib = max_rss / (1 << 20) if sys.platform == "darwin" else max_rss / 1024  # bytes on macOS, KiB on Linux
    return {"exit_code": done.returncode, "wall_s": round(wall_s, 2), "peak_rss_mib": round(peak_mib, 1),
            "stderr": done.stderr.strip()[-300:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[10.0, 60.0], help="file lengths (default 10 60)")
    parser.add_argument("--commands", nargs="+", default=["apply", "enhance"], choices=sorted(COMMANDS),
                        help="what to measure (default: apply enhance)")
    parser.add_argument("--workdir", type=Path, help="where the long files go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="aeib-memory-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for minutes in args.minutes:
            source = workdir / f"long_{minutes:g}min.wav"
            started = time.perf_counter()
            write_long_file(source, minutes)
            generate_s = time.perf_counter() - started
            for command in args.commands:
                output = workdir / f"out_{command}_{minutes:g}min.wav"
                row = {"command": command, "minutes": minutes, "input_mb": round(source.stat().st_size / 1e6, 1),
                       "generate_s": round(generate_s, 1), **run_measured(COMMANDS[command](str(source), str(output)))}
                if row["exit_code"] == 0:
                    info = sf.info(str(output))
                    row["output_ok"] = (info.frames, info.samplerate, info.channels) == (
                        int(minutes * 60 * SAMPLE_RATE), SAMPLE_RATE, CHANNELS)
                    row["realtime_factor"] = round(row["wall_s"] / (minutes * 60), 4)
                    if not args.keep:
                        output.unlink()
                results.append(row)
                print(f"{command:17s} {minutes:6g} min  peak RSS {row['peak_rss_mib']:7.1f} MiB  "
                      f"wall {row['wall_s']:7.1f} s  exit {row['exit_code']}", flush=True)
            if not args.keep:
                source.unlink()
    finally:
        if args.workdir is None and not args.keep:
            for leftover in workdir.iterdir():
                leftover.unlink()
            workdir.rmdir()
    if args.json:
        print(json.dumps({"machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs",
                          "python": platform.python_version(), "results": results}, indent=2))
    return 0 if all(row["exit_code"] == 0 for row in results) else 1


if __name__ == "__main__":
    sys.exit(main())
