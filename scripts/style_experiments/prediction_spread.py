"""Spread of the shipped analyzer's predicted EQ gains across inputs: reference-free (board-mix) vs
with each example's reference. Analysis only (no refinement), first 120 examples of data/oof_v2.

    .venv/bin/python scripts/style_experiments/prediction_spread.py
"""
import numpy as np
from aeib.evaluation.datasets import open_dataset
from aeib.runtime import load_model
from aeib.runtime.analysis import analyze_file, reference_embedding_from_file
from aeib.runtime.windows import ArrayAudio
model = load_model()
names = [n for n in model.schema.names if n.endswith("gain_db")]
idx = [model.schema.names.index(n) for n in names]
free, ref = [], []
for ex in open_dataset("data/oof_v2", split="test", limit=120):
    src = ArrayAudio(ex.input[:, None] if ex.input.ndim == 1 else ex.input, ex.sample_rate)
    r = ArrayAudio(ex.reference[:, None] if ex.reference.ndim == 1 else ex.reference, ex.sample_rate)
    for target, out in ((model.style("board-mix"), free), (reference_embedding_from_file(model, r), ref)):
        a = analyze_file(model, src, target, False)
        out.append(model.schema.denormalize(a.params01)[idx])
free, ref = np.array(free), np.array(ref)
print(f"{'gain':24s} {'free mean':>9s} {'free std':>8s} {'ref mean':>8s} {'ref std':>7s}")
for j, n in enumerate(names):
    print(f"{n:24s} {free[:, j].mean():9.2f} {free[:, j].std():8.2f} {ref[:, j].mean():8.2f} {ref[:, j].std():7.2f}")
