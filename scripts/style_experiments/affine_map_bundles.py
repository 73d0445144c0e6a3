"""Fit ridge-regressed affine maps (input -> reference embedding) and write them into a bundle copy (dropped experiment)."""
import json, shutil, numpy as np
tr = np.load("runs/blind/train.npz")
def subset(d, kind):
    m, t = d["mode"], d["target_mode"]
    return (m == kind) | ((m == "identity") & (t == kind))
def fit(X, Y, lam):
    mu = X.mean(0); R = Y - X; Xc = X - mu
    W = np.linalg.solve(Xc.T @ Xc + lam * len(X) * np.eye(X.shape[1]), Xc.T @ (R - R.mean(0)))
    return W.T, R.mean(0) - W.T @ mu
src = "aeib/runtime/models/aeib-small-v3.dynamic-int8"
d = json.load(open(src + ".json")); shutil.copy(src + ".tflite", "runs/blind/bundles/")
for kind, base in (("board", "board-mix"), ("live", "live-room")):
    s = subset(tr, kind); X = tr["input"][s]
    W, b = fit(X, tr["reference"][s], 0.1)
    for alpha in (1.0, 0.5):
        d["styles"][f"{base}-map{alpha:g}"] = {"description": f"map {kind} alpha {alpha}",
            "embedding": tr["reference"][s].mean(0).tolist(),
            "map": {"weight": (alpha * W).tolist(), "bias": (alpha * b).tolist()}}
json.dump(d, open("runs/blind/bundles/aeib-small-v3.dynamic-int8.json", "w"))
