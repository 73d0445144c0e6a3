#!/usr/bin/env python3
"""Does holding the refinement back on a recording the analyzer leaves alone spare clean recordings?

With a reference, the test-time refinement (:mod:`aeib.runtime.refine`) moves the analyzer's EQ a
fixed fraction of the way toward the measured spectral match. On a clean recording the analyzer may
leave the EQ nearly flat while the measured match — another part of the song — asks for a move, and
the refinement then makes the whole change (docs/TRAINING.md, small-v5's worst clean examples). This
evaluation-only script scales the strength by how much the analyzer itself moved the EQ::

    strength · min(1, rms(analyzer's EQ curve, dB) / HOLD_DB)

(HOLD_DB 0: the product as it is) and runs each variant through the product's array API on a
validation split, with the reference, as ``scripts/compare_analyzers.py`` does. Choose on ``valid``::

    .venv/bin/python scripts/refine_hold_experiment.py data/tune_v2 \\
        aeib/runtime/models/aeib-small-v3.dynamic-int8.json --holds 0 0.5 1 2 3 --out runs/hold/v3.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from compare_analyzers import report, run, summarize  # noqa: E402

import aeib.runtime.refine as refine  # noqa: E402

PRODUCT = refine.refine_toward_reference
HOLD_DB = [0.0]


def held_back(params, input_spectrum, reference_spectrum, sample_rate, strength=refine.REFINE_STRENGTH, **kwargs):
    """:func:`aeib.runtime.refine.refine_toward_reference` with the strength scaled by the analyzer's move."""
    from aeib.dsp.eq import eq_response_db

    if HOLD_DB[0] > 0.0 and strength > 0.0:
        grid = np.geomspace(20.0, min(20_000.0, 0.45 * sample_rate), 64)
        moved_db = float(np.sqrt(np.mean(eq_response_db(params, sample_rate, grid) ** 2)))
        strength = strength * min(1.0, moved_db / HOLD_DB[0])
    return PRODUCT(params, input_spectrum, reference_spectrum, sample_rate, strength, **kwargs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("bundle", type=Path, help="exported bundle (.json)")
    parser.add_argument("--split", default="valid")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--holds", type=float, nargs="+", default=[0.0, 0.5, 1.0, 2.0, 3.0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    refine.refine_toward_reference = held_back
    rows_by_hold, names = {}, []
    for hold in args.holds:
        HOLD_DB[0] = hold
        name = f"hold{hold:g}"
        names.append(name)
        rows_by_hold[name] = run(args.data, args.split, args.limit, {name: (str(args.bundle), {})}, ("reference",))
    merged = [dict(rows[0]) for rows in zip(*rows_by_hold.values())]
    for i, row in enumerate(merged):
        for name in names:
            row[f"{name}/reference"] = rows_by_hold[name][i][f"{name}/reference"]
    table = summarize(merged, names, ("reference",))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"summary": table, "rows": merged}) + "\n", encoding="utf-8")
    report(table, names, ("reference",))
    return 0


if __name__ == "__main__":
    sys.exit(main())
