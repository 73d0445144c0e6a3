#!/usr/bin/env python3
"""``aeib evaluate`` with ``--match`` pulling only the part of the measured match beyond ±X dB (an experiment).

``aeib enhance --match B`` moves the learned map's curve the share B on to the measured match
(:meth:`aeib.runtime.learned_refine.LearnedRefinement.curve_db`). Here the pull is soft-thresholded
instead: ``curve + B · sign(d) · max(|d| − X, 0)`` with ``d`` the measured match minus the map's curve,
so differences within ±X dB — a different part of the song is rarely further from the input than a few dB
— are not followed, large ones (a band-limited phone capture) are. Runs ``aeib evaluate`` in this process
with the method replaced; everything after ``--`` is ``aeib evaluate``'s arguments, models with
``#match=B``. Analysis only (docs/TRAINING.md, "How much to trust the reference"; not shipped)::

    .venv/bin/python scripts/match_shrink_experiment.py 3 -- --data data/oof_v2_large \\
        --model "x3b50=aeib/runtime/models/aeib-small-v3.dynamic-int8.json#match=0.5" \\
        --baselines none --no-plots -q --out runs/s8/large-x3
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aeib.runtime import learned_refine  # noqa: E402


def shrunk_curve(threshold_db: float):
    """A replacement for ``LearnedRefinement.curve_db`` with the pull soft-thresholded at ``threshold_db``."""

    def curve_db(self, analyzer_db, measured_db, match=0.0):
        features = learned_refine.learned_features(analyzer_db, measured_db, self.step)
        curve = (features @ self.weights)[0]
        if match == 0.0:
            return curve
        whole = (features @ learned_refine.measured_match_map(self.grid_hz.size, self.step))[0]
        beyond = np.sign(whole - curve) * np.maximum(np.abs(whole - curve) - threshold_db, 0.0)
        return curve + match * beyond

    return curve_db


def main() -> int:
    if len(sys.argv) < 3 or sys.argv[2] != "--":
        print("usage: match_shrink_experiment.py X -- AEIB-EVALUATE-ARGUMENTS", file=sys.stderr)
        return 2
    learned_refine.LearnedRefinement.curve_db = shrunk_curve(float(sys.argv[1]))  # type: ignore[method-assign]
    from aeib.cli.main import main as aeib_main

    return aeib_main(["evaluate", *sys.argv[3:]])


if __name__ == "__main__":
    raise SystemExit(main())
