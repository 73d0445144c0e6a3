#!/usr/bin/env python3
"""How far the refinement's numpy gains-only fit lands from ``scipy.optimize.least_squares``.

For the first N examples of a test set (with their references), the shipped analyzer's setting is
refined (``aeib.runtime.refine.refine_from_sources``, default strength) twice: with the product's
Gauss–Newton (``aeib.baselines.rule_based._fit_gains``) and with ``least_squares`` on the same
problem. Prints the largest difference of the six refined EQ gains. Analysis only.

    .venv/bin/python scripts/compare_gain_fit.py data/oof_v2 --limit 80
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aeib.baselines.rule_based as rule_based  # noqa: E402
from aeib.audio import resample  # noqa: E402
from aeib.dsp import CHAIN_SCHEMA  # noqa: E402
from aeib.dsp.eq import eq_response_db  # noqa: E402
from aeib.evaluation.datasets import open_dataset  # noqa: E402
from aeib.evaluation.models import RuntimeModelMethod  # noqa: E402
from aeib.runtime.refine import REFINE_STRENGTH, refine_from_sources  # noqa: E402
from aeib.runtime.windows import ArrayAudio  # noqa: E402

BUNDLE = "aeib/runtime/models/aeib-small-v3.dynamic-int8.json"


def scipy_gains(grid_hz, curve_db, rate, base, names, start, bounds, anchor_weights):
    """The same problem as ``_fit_gains``, solved as ``fit_eq`` solves it with frequencies."""
    import scipy.optimize

    def residual(gains):
        error = eq_response_db({**base, **dict(zip(names, gains))}, rate, grid_hz) - curve_db
        return error if anchor_weights is None else np.concatenate([error, anchor_weights * (gains - start)])

    return scipy.optimize.least_squares(residual, start, bounds=bounds, max_nfev=200).x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", help="test set (folder or shards), e.g. data/oof_v2")
    parser.add_argument("--limit", type=int, default=80, help="first N examples (default 80)")
    args = parser.parse_args()
    method = RuntimeModelMethod(Path(BUNDLE), "small-v3")
    method.setup()   # loads the model
    model = method.model
    ours = rule_based._fit_gains
    worst, count = 0.0, 0
    for example in open_dataset(args.data, limit=args.limit):
        rate = example.sample_rate
        reference = resample(example.reference, rate, model.sample_rate)
        target = np.median(np.stack([model.embed(w) for w in method._windows(reference)]), axis=0)
        audio = resample(example.input, rate, model.sample_rate)
        params01 = np.median(np.stack([model.predict01(w, target) for w in method._windows(audio)]), axis=0)
        setting = CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.denormalize(np.clip(params01.astype(np.float64), 0.0, 1.0)))
        refined = []
        for solver in (ours, scipy_gains):
            rule_based._fit_gains = solver
            refined.append(refine_from_sources(setting, ArrayAudio(example.input, rate),
                                               ArrayAudio(example.reference, rate), REFINE_STRENGTH))
        rule_based._fit_gains = ours
        gains = [band.gain_param for band in rule_based.EQ_BANDS]
        worst = max(worst, max(abs(refined[0][g] - refined[1][g]) for g in gains))
        count += 1
    print(f"{count} examples: largest difference of a refined EQ gain, numpy fit vs least_squares: {worst:.2e} dB")


if __name__ == "__main__":
    main()
