"""Scratch: per-mode means of loudness-matched mel / centroid / loudness error from evaluate's examples.csv."""
import sys, csv, collections
from pathlib import Path
import numpy as np
from aeib.data.shards import read_meta
data = Path(sys.argv[2] if len(sys.argv) > 2 else "data/oof_v2")
group = {}
for shard in sorted(data.glob((sys.argv[3] if len(sys.argv) > 3 else "test") + "-*.npz")):
    for ex in read_meta(shard)["examples"]:
        m = ex["mode"]; t = ex.get("target_mode", m)
        group[f"{shard.name}#{ex['row']}"] = {"board": "board", "live": "live", "identity": f"identity-{t}"}[m]
acc = collections.defaultdict(lambda: collections.defaultdict(list))
for r in csv.DictReader(open(Path(sys.argv[1]) / "examples.csv")):
    g = group[r["example_id"]]
    for key in (g, "all", "board+id-board" if g in ("board", "identity-board") else "live+id-live"):
        acc[r["method"]][key].append((float(r["mel_distance_matched_db"]), float(r["centroid_error_hz"]), float(r["loudness_error_lu"])))
keys = ["all", "board", "identity-board", "board+id-board", "live", "identity-live", "live+id-live"]
print(f"{'method':14s}" + "".join(f"{k:>22s}" for k in keys))
for method, d in acc.items():
    line = f"{method:14s}"
    for k in keys:
        a = np.array(d[k]); line += f"  {a[:,0].mean():6.2f} {a[:,1].mean():5.0f} {a[:,2].mean():4.2f}({len(a):3d})" if len(a) else " " * 22
    print(line)
