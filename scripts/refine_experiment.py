#!/usr/bin/env python3
"""Evaluation-only experiment behind the refinement strength: small-v3 + a fraction of rb-dsp's spectral match.

    .venv/bin/python scripts/refine_experiment.py 0,0.25,0.5,1.0     # strengths, on data/oof_v2's first 120

For each strength it prints the mean metrics overall, per family and on identity examples, and writes
runs/refine/results.json. (The product's refinement is aeib.runtime.refine; this script refines from
the processed signal's spectrum with Welch, the product from the input's with LongTermSpectrum.)
"""
import json
import os
import sys

import numpy as np

from aeib.baselines.rule_based import fit_eq, target_curve_db
from aeib.dsp import CHAIN_SCHEMA, process
from aeib.dsp.eq import eq_response_db
from aeib.evaluation.datasets import open_dataset
from aeib.evaluation.methods import chain_output
from aeib.evaluation.models import RuntimeModelMethod
from aeib.metrics import TargetScorer

alphas = [float(a) for a in sys.argv[1].split(",")]
method = RuntimeModelMethod("aeib/runtime/models/aeib-small-v3.dynamic-int8.json", "v3")
method.setup()
rows = {a: [] for a in alphas}
groups = []
for ex in open_dataset("data/oof_v2", limit=120):
    out = method.run(ex, None)
    params = CHAIN_SCHEMA.complete(out.params)
    scorer = TargetScorer(ex.target, ex.sample_rate)
    rate = ex.sample_rate
    y = process(ex.input, rate, params, limiter=False)
    grid, residual = target_curve_db(y, ex.reference, rate)
    base = eq_response_db(params, rate, grid)
    for a in alphas:
        if a == 0:
            refined = params
        else:
            refined = {**params, **fit_eq(grid, base + a * residual, rate)}
        rows[a].append(scorer.compare(chain_output(ex, refined)))
    groups.append(ex.groups)
keys = ["mel_distance_db", "mel_distance_matched_db", "centroid_error_hz", "rms_error_db", "loudness_error_lu"]
res = {}
for a in alphas:
    res[a] = {"all": {k: float(np.nanmean([r[k] for r in rows[a]])) for k in keys}}
    for g in ["family:capture", "family:dynamics", "family:level", "family:level-only", "family:tonal", "mode:identity"]:
        idx = [i for i, gs in enumerate(groups) if g in gs]
        res[a][g] = {k: float(np.nanmean([rows[a][i][k] for i in idx])) for k in keys}
    print(a, json.dumps({g: {k: round(v, 3) for k, v in d.items()} for g, d in res[a].items()}))
os.makedirs("runs/refine", exist_ok=True)
json.dump(res, open("runs/refine/results.json", "w"), indent=1)
