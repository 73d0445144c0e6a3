#!/usr/bin/env python3
"""How much of the clean-recording change is the loudness stage's limiter headroom? (issue 12, analysis only.)

The loudness stage may boost a recording until its true peak lies up to
:data:`aeib.dsp.loudness.LIMITER_HEADROOM_DB` (12 dB) over the ceiling, for the safety limiter to take
down; on a quiet, peaky recording that limiting changes the sound. Per example of a shard set's split,
through the product's array API (``aeib.enhance``, the bundled model unless ``--model``), with the
example's reference and reference-free, for each ``--headrooms`` value (set as the default of
:func:`aeib.dsp.loudness.gain_to_target_db` for the run): the loudness-matched mel distance to the target
(for clean examples, the change made to a good recording) and how far the output's integrated loudness
lands from its target (the reference's, or −16 LUFS)::

    .venv/bin/python scripts/limiter_headroom_experiment.py data/tune_v2 --split valid --headrooms 12 6 3
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
import aeib.dsp.loudness as loudness  # noqa: E402
from aeib.evaluation.datasets import open_dataset  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--split", default="valid")
    parser.add_argument("--model", default=None, help="bundle JSON (default: the bundled model)")
    parser.add_argument("--headrooms", type=float, nargs="+", default=[12.0, 6.0, 3.0])
    args = parser.parse_args()
    rows: dict[tuple[float, str], list[tuple[bool, float, float]]] = {
        (h, mode): [] for h in args.headrooms for mode in ("reference", "reference-free")}
    defaults = loudness.gain_to_target_db.__kwdefaults__
    assert defaults is not None
    shipped = defaults["limiter_headroom_db"]
    try:
        for example in open_dataset(args.data, split=args.split):
            rate = example.sample_rate
            identity = "mode:identity" in example.groups
            goal = example.input if identity else example.target
            reference_lufs = loudness.integrated_loudness_lufs(example.reference, rate)
            for headroom in args.headrooms:
                defaults["limiter_headroom_db"] = headroom
                for mode in ("reference", "reference-free"):
                    with_reference = mode == "reference"
                    out = aeib.enhance(example.input, rate, model=args.model,
                                       reference=example.reference if with_reference else None,
                                       reference_sample_rate=rate).audio
                    target = reference_lufs if with_reference else loudness.DEFAULT_TARGET_LUFS
                    miss = abs(loudness.integrated_loudness_lufs(out, rate) - target)
                    rows[(headroom, mode)].append((identity, scores(out, goal, rate)["mel"], miss))
    finally:
        defaults["limiter_headroom_db"] = shipped
    for (headroom, mode), values in rows.items():
        identity = np.array([v[0] for v in values])
        mel, miss = np.array([v[1] for v in values]), np.array([v[2] for v in values])
        clean = mel[identity]
        print(f"headroom {headroom:4.1f} dB, {mode:14s} clean {clean.mean():.3f} / {clean.max():.3f} / "
              f"{int((clean > 1.0).sum()):2d} over 1 dB   degraded {mel[~identity].mean():.3f} dB   "
              f"within 1 LU of the target {100 * np.mean(miss <= 1.0):5.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
