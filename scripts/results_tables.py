#!/usr/bin/env python3
"""docs/RESULTS.md's per-family and per-mode tables from one ``aeib evaluate`` run's summary.csv.

    .venv/bin/python scripts/results_tables.py runs/dead_zone/eval-oof-final

Scopes: every degradation family, the held-out GSM codec, every mode. Rows: no processing, Matchering 2.0.6, rb-dsp, the analyzer without the refinement and the shipped
product (methods ``input``, ``matchering``, ``rb-dsp``, ``small-v3-no-refine``, ``small-v3``; the
names can be changed with ``--rows``, ``method=label`` separated by ``;``). Prints Markdown; lower is better in every column.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

ROWS = ("input=no processing;matchering=Matchering 2.0.6;rb-dsp=rb-dsp;"
        "small-v3-no-refine=small-v3, analyzer alone;small-v3=**small-v3 (shipped)**")
METRICS = (("mel_distance_db", "mel (dB)", "{:.2f}"), ("mel_distance_matched_db", "loudness-matched mel (dB)", "{:.2f}"),
           ("centroid_error_hz", "centroid (Hz)", "{:.0f}"), ("rms_error_db", "RMS (dB)", "{:.3f}"),
           ("loudness_error_lu", "loudness (LU)", "{:.3f}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="an aeib evaluate output folder")
    parser.add_argument("--rows", default=ROWS, help="method=label;... in order")
    args = parser.parse_args()
    means: dict[tuple[str, str, str], float] = {}
    counts: dict[str, int] = {}
    with open(args.run / "summary.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            means[(row["scope"], row["method"], row["metric"])] = float(row["mean"])
            if row["method"] == "input":
                counts[row["scope"]] = int(row["n"])
    rows = [item.split("=", 1) for item in args.rows.split(";")]
    scopes = (sorted(s for s in counts if s.startswith("family:")) + [s for s in ("kind:gsm",) if s in counts]
              + sorted(s for s in counts if s.startswith("mode:")))
    for scope in scopes:
        print(f"**{scope}** ({counts[scope]} examples)\n")
        print("| method | " + " | ".join(label for _, label, _ in METRICS) + " |")
        print("|---|" + "---:|" * len(METRICS))
        for method, label in rows:
            cells = [form.format(means[(scope, method, key)]) if (scope, method, key) in means else "–"
                     for key, _, form in METRICS]
            print(f"| {label} | " + " | ".join(cells) + " |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
