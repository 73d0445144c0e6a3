#!/usr/bin/env python3
"""Checks of a shipped analyzer that ``aeib evaluate``'s tables do not make, on a shard test set.

    .venv/bin/python scripts/analyzer_checks.py aeib/runtime/models/aeib-small-v3.dynamic-int8.json \\
        data/oof_v2 --limit 120 --out runs/checks-v3.json

Per example, through the product's array API (``aeib.enhance``, TFLite runtime, measured loudness
stage), both with the example's reference and reference-free (``--style``, default: the bundle's default):

* **range use**: for every parameter, the share of predictions within 2 % of a bound of its
  normalized range (issue: no parameter there in more than 5 % of test windows);
* **loudness target**: reference-free, how far the output's integrated loudness lands from the
  default target (−16 LUFS), and with a reference, from the reference's loudness;
* **do no harm** on identity examples (input = target): the loudness-matched mel change between
  output and input in both modes.

Prints a table and writes the numbers as JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import aeib
from aeib.dsp import CHAIN_SCHEMA
from aeib.dsp.loudness import DEFAULT_TARGET_LUFS, integrated_loudness_lufs
from aeib.evaluation.datasets import open_dataset
from aeib.metrics import mel_distance_matched_db

BOUND_MARGIN = 0.02


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="exported bundle .json")
    parser.add_argument("data", type=Path, help="shard test set (e.g. data/oof_v2)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, default=None, help="first N examples only")
    parser.add_argument("--style", help="reference-free style (default: the bundle's default style)")
    parser.add_argument("--refine", type=float, default=None,
                        help="with a reference, the test-time refinement strength (default: the product's)")
    parser.add_argument("--match", type=float, default=None,
                        help="with a reference, aeib enhance's --match (default: the product's, 0)")
    parser.add_argument("--out", type=Path, help="write the numbers here as JSON")
    args = parser.parse_args()

    dataset = open_dataset(args.data, split=args.split, limit=args.limit)
    modes = {"reference": [], "reference-free": []}
    loudness_miss = {"reference": [], "reference-free": []}
    identity_change = {"reference": [], "reference-free": []}
    n = 0
    for example in dataset:
        rate = example.sample_rate
        identity = any(g == "mode:identity" for g in example.groups)
        for mode in modes:
            reference = example.reference if mode == "reference" else None
            style = args.style if reference is None else None
            result = aeib.enhance(example.input, rate, reference=reference, reference_sample_rate=rate,
                                  style=style, model=str(args.model),
                                  refine=args.refine if reference is not None else None,
                                  match=args.match if reference is not None else None)
            modes[mode].append(CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.to_vector(result.setting.params)))
            goal = integrated_loudness_lufs(example.reference, rate) if reference is not None else DEFAULT_TARGET_LUFS
            loudness_miss[mode].append(abs(integrated_loudness_lufs(result.audio, rate) - goal))
            if identity:
                identity_change[mode].append(mel_distance_matched_db(result.audio, example.input, rate))
        n += 1
    report = {"model": str(args.model), "data": str(args.data), "examples": n, "bound_margin": BOUND_MARGIN,
              "style": args.style, "refine": args.refine, "match": args.match}
    print(f"{n} examples of {args.data} ({args.split}); model {args.model}")
    for mode, rows in modes.items():
        params01 = np.stack(rows)
        near = (params01 <= BOUND_MARGIN) | (params01 >= 1.0 - BOUND_MARGIN)
        share = {spec.name: float(near[:, i].mean()) for i, spec in enumerate(CHAIN_SCHEMA)}
        worst = sorted(share.items(), key=lambda kv: -kv[1])[:5]
        misses = np.array(loudness_miss[mode])
        changes = np.array(identity_change[mode])
        report[mode] = {
            "near_bound_share": share,
            "params_over_5pct": [name for name, value in share.items() if value > 0.05],
            "loudness_miss_lu": {"mean": float(misses.mean()), "median": float(np.median(misses)),
                                 "within_1lu_share": float((misses <= 1.0).mean())},
            "identity_mel_change_db": {"n": int(changes.size),
                                       "mean": float(changes.mean()) if changes.size else None,
                                       "max": float(changes.max()) if changes.size else None},
        }
        print(f"\n[{mode}] parameters within {BOUND_MARGIN:.0%} of a bound in > 5 % of examples: "
              f"{report[mode]['params_over_5pct'] or 'none'}")
        print("  most often near a bound: " + ", ".join(f"{k} {v:.1%}" for k, v in worst))
        print(f"  loudness miss: mean {misses.mean():.2f} LU, median {np.median(misses):.2f} LU, "
              f"within 1 LU {(misses <= 1.0).mean():.1%}")
        if changes.size:
            print(f"  identity examples ({changes.size}): loudness-matched mel change mean {changes.mean():.3f} dB, "
                  f"max {changes.max():.3f} dB")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
