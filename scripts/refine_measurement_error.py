#!/usr/bin/env python3
"""How far the refinement's measured curve is from the one the target asks for, by the input's level (#12).

    .venv/bin/python scripts/refine_measurement_error.py data/pairs_v2_final valid 400

Per example: the measured curve (reference/input ratio, :func:`aeib.baselines.rule_based.curve_from_spectra`
without a clip), the oracle curve (the same with the *target* in place of the reference) and the
analyzer's EQ response, on the refinement's grid. Per recording mode, the mean absolute error of the
measured curve and of the analyzer's response against the oracle (and the measured curve's bias),
binned by the input's ⅓-octave level relative to its loudest ⅓ octave; the share of examples whose
unclipped measured curve exceeds +18 dB (the EQ's range) somewhere below 100 Hz; and the three curves'
means at the grid's lowest point (40 Hz).
"""
import sys

import numpy as np

from aeib.baselines.rule_based import curve_from_spectra
from aeib.dsp.eq import eq_response_db
from aeib.evaluation.datasets import open_dataset
from aeib.evaluation.models import RuntimeModelMethod
from aeib.runtime.refine import long_term_spectrum_db
from aeib.runtime.windows import ArrayAudio

BINS_DB = [-np.inf, -50, -40, -30, -20, -10, 0.1]


def main():
    data, split, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    method = RuntimeModelMethod("aeib/runtime/models/aeib-small-v3.dynamic-int8.json", "v3", refine=0.0)
    method.setup()
    rows = {}
    for ex in open_dataset(data, split=split, limit=limit):
        rate = ex.sample_rate
        params = method.run(ex, None).params
        sin = long_term_spectrum_db(ArrayAudio(ex.input, rate))
        grid, measured = curve_from_spectra(*sin, *long_term_spectrum_db(ArrayAudio(ex.reference, rate)), rate, np.inf)
        _, oracle = curve_from_spectra(*sin, *long_term_spectrum_db(ArrayAudio(ex.target, rate)), rate, np.inf)
        freqs, level = sin
        third = np.array([level[(freqs >= f / 2 ** (1 / 6)) & (freqs <= f * 2 ** (1 / 6))].mean() for f in grid])
        mode = next(g for g in ex.groups if g.startswith("mode:"))
        rows.setdefault(mode, []).append((measured, oracle, eq_response_db(params, rate, grid), third - third.max(), grid))
    for mode, items in sorted(rows.items()):
        measured, oracle, analyzer, relative, grid = map(np.array, zip(*items))
        over = np.mean([(m[g < 100.0] > 18.0).any() for m, g in zip(measured, grid)])
        print(f"{mode} ({len(items)} examples): measured curve above +18 dB below 100 Hz in {over:.0%}; at "
              f"{grid[0, 0]:.0f} Hz on average: measured {measured[:, 0].mean():+.1f} dB, oracle {oracle[:, 0].mean():+.1f} dB, "
              f"analyzer {analyzer[:, 0].mean():+.1f} dB")
        print("  input level vs its loudest ⅓ octave | points | |measured − oracle| | |analyzer − oracle| | bias measured − oracle")
        for lo, hi in zip(BINS_DB[:-1], BINS_DB[1:]):
            sel = (relative >= lo) & (relative < hi)
            if sel.any():
                print(f"  [{lo:g}, {min(hi, 0):g}) dB | {sel.sum()} | {np.abs(measured - oracle)[sel].mean():.1f} dB | "
                      f"{np.abs(analyzer - oracle)[sel].mean():.1f} dB | {(measured - oracle)[sel].mean():+.1f} dB")


if __name__ == "__main__":
    main()
