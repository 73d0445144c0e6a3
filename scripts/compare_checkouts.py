#!/usr/bin/env python3
"""Whole-process A/B of `aeib enhance` between this checkout and another one (e.g. an older commit).

The other checkout runs with ``PYTHONPATH`` pointing at it, in the same venv, so only aeib's own code
differs. Each case runs in fresh processes, the two checkouts alternating within each round (a change
of machine load hits both alike), after one untimed warm-up round (numba's on-disk cache of each
checkout, the OS file cache); both checkouts' modules are byte-compiled first
(:func:`aeib.bench.compile_bytecode`). The inputs are the synthetic 48 kHz stereo 24-bit music of
``scripts/measure_memory.py``, generated once into a scratch folder. Prints medians; nothing here is
asserted by the tests (speed belongs in benchmarks).

Example (the checkout of an older commit made with ``git worktree add /tmp/old COMMIT``)::

    .venv/bin/python scripts/compare_checkouts.py /tmp/old --runs 5
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from compare_matchering import write_music  # noqa: E402

from aeib.bench import compile_bytecode, time_processes  # noqa: E402

CASES = {  # name: (input seconds, with a reference)
    "enhance 6 s": (6.0, False),
    "enhance --reference 60 s": (60.0, True),
    "enhance --reference 300 s": (300.0, True),
}


def entry(checkout: Path) -> list[str]:
    """The console script's entry point of ``checkout`` (``console_main`` where it exists)."""
    main_py = (checkout / "aeib" / "cli" / "main.py").read_text()
    call = "console_main()" if "def console_main" in main_py else "sys.exit(main())"
    name = "console_main" if "def console_main" in main_py else "main"
    return ["-c", f"import sys; sys.path.insert(0, {str(checkout)!r}); from aeib.cli.main import {name}; {call}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="the other checkout (a folder with aeib/ in it)")
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (default 5; medians)")
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    args = parser.parse_args()
    other = args.other.resolve()
    if not (other / "aeib" / "cli" / "main.py").is_file():
        parser.error(f"{other} is not an aeib checkout")
    compile_bytecode(other / "aeib")  # as this checkout's (time_processes): as an installed copy has it
    with tempfile.TemporaryDirectory(prefix="aeib-ab-") as scratch:
        folder = Path(scratch)
        print(f"{'case':28s} {'this':>9s} {'other':>9s}  this/other")
        for case in args.cases:
            seconds, with_reference = CASES[case]
            source = folder / f"in_{seconds:g}s.wav"
            if not source.exists():
                write_music(source, seconds, seed=0, gain=0.5)
            argv = ["enhance", str(source), "-o", str(folder / "out.wav"), "-q"]
            if with_reference:
                reference = folder / f"ref_{seconds:g}s.wav"
                if not reference.exists():
                    write_music(reference, seconds, seed=7, gain=1.6)
                argv[2:2] = ["--reference", str(reference)]
            commands = {"this": [sys.executable, *entry(REPO), *argv],
                        "other": [sys.executable, *entry(other), *argv]}
            time_processes(commands, 1)  # warm-up, untimed
            figures = time_processes(commands, args.runs)
            this, that = figures["this"]["median_s"], figures["other"]["median_s"]
            print(f"{case:28s} {this:8.2f}s {that:8.2f}s  {this / that:9.2f}   "
                  f"(peak {figures['this']['peak_mib']:.0f} / {figures['other']['peak_mib']:.0f} MiB)")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
