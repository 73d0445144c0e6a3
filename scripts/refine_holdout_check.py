#!/usr/bin/env python3
"""Check the refinement strength chosen on data/oof_v2's first 120 examples on its other 280 (with Matchering).

    .venv/bin/python scripts/refine_holdout_check.py      # needs the [eval] extra (matchering)

Writes runs/refine/holdout.json and prints the refined model's and Matchering's overall means.
"""
import json
import os

import numpy as np

from aeib.baselines.rule_based import fit_eq, target_curve_db
from aeib.dsp import CHAIN_SCHEMA, process
from aeib.dsp.eq import eq_response_db
from aeib.evaluation.datasets import open_dataset
from aeib.evaluation.methods import MatcheringMethod, chain_output
from aeib.evaluation.models import RuntimeModelMethod
from aeib.metrics import TargetScorer

method = RuntimeModelMethod("aeib/runtime/models/aeib-small-v3.dynamic-int8.json", "v3")
method.setup()
mg = MatcheringMethod()
mg.setup()
keys = ["mel_distance_db", "mel_distance_matched_db", "centroid_error_hz", "rms_error_db", "loudness_error_lu"]
rows = {"input": [], "v3": [], "v3-refine-0.25": [], "matchering": []}
groups = []
for i, ex in enumerate(open_dataset("data/oof_v2")):
    if i < 120:
        continue
    scorer = TargetScorer(ex.target, ex.sample_rate)
    rate = ex.sample_rate
    params = CHAIN_SCHEMA.complete(method.run(ex, None).params)
    y = process(ex.input, rate, params, limiter=False)
    grid, residual = target_curve_db(y, ex.reference, rate)
    refined = {**params, **fit_eq(grid, eq_response_db(params, rate, grid) + 0.25 * residual, rate)}
    rows["input"].append(scorer.compare(ex.input))
    rows["v3"].append(scorer.compare(chain_output(ex, params)))
    rows["v3-refine-0.25"].append(scorer.compare(chain_output(ex, refined)))
    rows["matchering"].append(scorer.compare(mg.run(ex, None).audio))
    groups.append(ex.groups)
res = {}
for name, rs in rows.items():
    res[name] = {}
    for g in ["all", "family:capture", "family:dynamics", "family:level", "family:level-only", "family:tonal", "mode:identity", "kind:gsm"]:
        idx = [i for i, gs in enumerate(groups) if g == "all" or g in gs]
        res[name][g] = {"n": len(idx), **{k: float(np.nanmean([rs[i][k] for i in idx])) for k in keys}}
os.makedirs("runs/refine", exist_ok=True)
json.dump(res, open("runs/refine/holdout.json", "w"), indent=1)
print(json.dumps(res["v3-refine-0.25"]["all"]), json.dumps(res["matchering"]["all"]))
