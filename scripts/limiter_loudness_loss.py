#!/usr/bin/env python3
"""How much loudness the safety limiter costs after the loudness stage's boost (issue 12).

Per example of a shard test set, through the product's array API in both modes (with the example's
reference, and reference-free toward the bundle's default style): how far the boost puts the
sample peak over the limiter's ceiling (the chain with its loudness gain and no limiter), and how far
the output's integrated loudness lands below the stage's target. Prints, per mode, how often the
limiter acts and the largest loss among outputs whose peaks stayed within 1–4 dB of the ceiling —
what ``aeib.runtime.render.LIMITER_CORRECTION_DB`` was set from::

    .venv/bin/python scripts/limiter_loudness_loss.py data/oof_v2

Run it with ``--correction-db inf`` to see the losses without the correction pass.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import aeib  # noqa: E402
from aeib.dsp import process  # noqa: E402
from aeib.dsp.limiter import CEILING_DBFS  # noqa: E402
from aeib.dsp.loudness import integrated_loudness_lufs  # noqa: E402
from aeib.evaluation.datasets import open_dataset  # noqa: E402
from aeib.runtime import render  # noqa: E402

MODEL = REPO / "aeib/runtime/models/aeib-small-v3.dynamic-int8.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="shard test set (e.g. data/oof_v2)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--correction-db", type=float, default=None,
                        help="override LIMITER_CORRECTION_DB (inf: no correction pass)")
    args = parser.parse_args()
    if args.correction_db is not None:
        render.LIMITER_CORRECTION_DB = args.correction_db
    rows: dict[str, list[tuple[float, float]]] = {"reference": [], "reference-free": []}
    for example in open_dataset(args.data, split=args.split, limit=args.limit):
        rate = example.sample_rate
        for mode, found in rows.items():
            result = aeib.enhance(example.input, rate, model=str(MODEL), reference_sample_rate=rate,
                                  reference=example.reference if mode == "reference" else None)
            stage = result.setting.loudness
            boosted = process(example.input, rate, result.params, limiter=False, loudness_gain_db=stage.gain_db)
            over_db = 20.0 * np.log10(max(float(np.abs(boosted).max()), 1e-12)) - CEILING_DBFS
            loss = stage.target_lufs - integrated_loudness_lufs(result.audio, rate) if stage.target_lufs else 0.0
            found.append((over_db, loss))
    for mode, found in rows.items():
        over, loss = np.array(found).T
        print(f"[{mode}] {len(over)} examples: the limiter acts on {100 * (over > 0).mean():.1f} %, peaks more than "
              f"3 dB over the ceiling in {100 * (over > 3).mean():.1f} %; below the target by more than 1 LU: "
              f"{int((loss > 1).sum())}, by more than 0.5 LU: {int((loss > 0.5).sum())}")
        for limit_db in (1.0, 2.0, 3.0, 4.0):
            within = over <= limit_db
            print(f"  peaks at most {limit_db:g} dB over: largest loss {loss[within].max():.2f} LU ({within.sum()} examples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
