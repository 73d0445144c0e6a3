#!/usr/bin/env python3
"""Which part of the chain changes a clean recording with a reference? (issue 12, analysis only.)

Per clean (identity) example of a shard set's split, with its reference, through the product's array
API (``aeib.enhance``, the bundled model unless ``--model``): the loudness-matched mel change made by
the product as it is, by the analyzer alone (``refine=0``), without the loudness stage, and by the
product's own setting split into its EQ alone and its compressor alone (``aeib.dsp.process``, no
limiter). Prints each one's mean / max / count over 1 dB and the rows of the worst examples::

    .venv/bin/python scripts/clean_change_parts.py data/tune_v2 --split valid
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from compare_analyzers import scores  # noqa: E402

import aeib  # noqa: E402
from aeib.dsp import process  # noqa: E402
from aeib.evaluation.datasets import open_dataset  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--split", default="valid")
    parser.add_argument("--model", default=None, help="bundle JSON (default: the bundled model)")
    parser.add_argument("--worst", type=int, default=6, help="print this many worst examples")
    args = parser.parse_args()
    rows = []
    for example in open_dataset(args.data, split=args.split):
        if "mode:identity" not in example.groups:
            continue
        x, rate = example.input, example.sample_rate
        options = dict(model=args.model, reference=example.reference, reference_sample_rate=rate)

        def change(audio: np.ndarray, x: np.ndarray = x, rate: int = rate) -> float:
            return float(scores(audio, x, rate)["mel"])

        product = aeib.enhance(x, rate, **options)
        setting = product.setting.params
        rows.append({
            "product": change(product.audio),
            "analyzer alone": change(aeib.enhance(x, rate, refine=0.0, **options).audio),
            "no loudness stage": change(aeib.enhance(x, rate, loudness="off", **options).audio),
            "its EQ alone": change(process(x, rate, {k: v for k, v in setting.items() if k.startswith("eq.")},
                                           limiter=False)),
            "its compressor alone": change(process(x, rate, {k: v for k, v in setting.items()
                                                             if k.startswith("comp.")}, limiter=False)),
        })
    if not rows:
        print(f"{args.data} ({args.split}) has no clean examples", file=sys.stderr)
        return 2
    for key in rows[0]:
        values = np.array([row[key] for row in rows])
        print(f"{key:22s} mean {values.mean():.3f}  max {values.max():.3f}  over 1 dB {int((values > 1.0).sum())}")
    print(f"\nthe {args.worst} worst clean examples (dB):")
    for row in sorted(rows, key=lambda r: -r["product"])[:args.worst]:
        print("  " + ", ".join(f"{k} {v:.2f}" for k, v in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
