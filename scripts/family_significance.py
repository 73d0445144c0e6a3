#!/usr/bin/env python3
"""How sure is a family verdict? Paired bootstrap of one ``aeib evaluate`` run against a baseline, per family.

Issue 12 counts the degradation families in which a model beats Matchering on all four of mel
distance, centroid error, RMS error and loudness error. This reads the run's per-example scores
(``examples.csv``) and the data's manifest (each example's families, :func:`aeib.evaluation.datasets.example_groups`)
and prints, per family and metric, the mean paired difference model − baseline over that family's
examples (negative: the model is better) with a 95 % interval from resampling the examples
(``--resamples`` bootstrap draws, fixed seed), and how often the model comes out ahead. ``--metrics``
picks other columns of ``examples.csv`` (e.g. ``mel_distance_matched_db`` against ``--baseline input``
for the reference-free criterion). A verdict whose
interval contains 0 is one that another draw of test examples could reverse. Analysis only::

    .venv/bin/python scripts/family_significance.py runs/rp/eval-oof --data data/oof_v2 --models small-v3 pull065
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aeib.evaluation.datasets import example_groups  # noqa: E402

LABELS = {"mel_distance_db": "mel (dB)", "mel_distance_matched_db": "loudness-matched mel (dB)",
          "centroid_error_hz": "centroid (Hz)", "rms_error_db": "RMS (dB)", "loudness_error_lu": "loudness (LU)"}
METRICS = ("mel_distance_db", "centroid_error_hz", "rms_error_db", "loudness_error_lu")
"""Issue 12's four headline metrics (the default of ``--metrics``)."""


def family_of_examples(data: Path) -> dict[str, tuple[str, ...]]:
    """``{example_id: groups}`` from a shard set's manifest (ids as ``aeib evaluate`` writes them)."""
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    return {f"{x['shard']}#{x['row']}": example_groups(x) for x in manifest["examples"]}


def scores(run: Path, metrics: tuple[str, ...] = METRICS) -> dict[str, dict[str, dict[str, float]]]:
    """``{method: {example_id: {metric: value}}}`` from a run's examples.csv."""
    table: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    with open(run / "examples.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            table[row["method"]][row["example_id"]] = {key: float(row[key]) for key in metrics}
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="an aeib evaluate output folder (with examples.csv)")
    parser.add_argument("--data", type=Path, required=True, help="the shard set it was run on (its manifest.json)")
    parser.add_argument("--models", nargs="+", required=True, help="method names in the run")
    parser.add_argument("--baseline", default="matchering")
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--metrics", nargs="+", choices=list(LABELS), default=list(METRICS))
    args = parser.parse_args()
    try:
        groups = family_of_examples(args.data)
        table = scores(args.run, tuple(args.metrics))
    except (OSError, KeyError, ValueError) as exc:
        print(f"family_significance: error: {exc}", file=sys.stderr)
        return 2
    missing = [m for m in [*args.models, args.baseline] if m not in table]
    if missing:
        print(f"family_significance: error: {args.run} has no method(s) {missing} (it has {sorted(table)})",
              file=sys.stderr)
        return 2
    rng = np.random.default_rng(0)
    families = sorted({g for ids in groups.values() for g in ids if g.startswith("family:")})
    for family in ["all", *families]:
        ids = [i for i in table[args.baseline] if i in groups and (family == "all" or family in groups[i])]
        if not ids:
            continue
        draws = rng.integers(0, len(ids), size=(args.resamples, len(ids)))
        print(f"\n{family} ({len(ids)} examples): model − {args.baseline}, mean [95 % interval], "
              f"share of draws with the model ahead")
        for model in args.models:
            cells = []
            for key in args.metrics:
                label = LABELS[key]
                diff = np.array([table[model][i][key] - table[args.baseline][i][key] for i in ids])
                means = diff[draws].mean(axis=1)
                low, high = np.percentile(means, [2.5, 97.5])
                cells.append(f"{label} {diff.mean():+.3f} [{low:+.3f}, {high:+.3f}] {np.mean(means < 0):4.0%}")
            print(f"  {model:12s} " + " | ".join(cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
