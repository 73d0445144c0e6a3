"""Per-example input, reference and target embeddings of a shard data folder, with the shipped bundle."""
import sys, numpy as np
from pathlib import Path
from aeib.runtime.model import load_model
from aeib.data.shards import read_shard
from tqdm import tqdm

data, split, out = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
model = load_model(sys.argv[4] if len(sys.argv) > 4 else None)
rows = {"input": [], "reference": [], "target": [], "mode": [], "target_mode": [], "index": []}
for shard in tqdm(sorted(data.glob(f"{split}-*.npz"))):
    s = read_shard(shard)
    for i, ex in enumerate(s["meta"]["examples"]):
        for key in ("input", "reference", "target"):
            rows[key].append(model.embed(s[key][i].astype(np.float32)))
        rows["mode"].append(ex["mode"]); rows["target_mode"].append(ex.get("target_mode", ex["mode"]))
        rows["index"].append(ex["index"])
np.savez(out, **{k: np.asarray(v) for k, v in rows.items()})
