"""Measure how far two TFLite runtimes disagree on the shipped models, over many windows.

Step 1 (main venv): write the inputs — windows of an `aeib make-data` folder's valid split, their
log-mel features and each variant's default-style embedding:
    .venv/bin/python scripts/compare_runtimes.py inputs --data DIR --out /tmp/rt_in.npz
Step 2 (in each runtime's venv; needs only numpy and the interpreter):
    python scripts/compare_runtimes.py run --runtime tflite_runtime --inputs /tmp/rt_in.npz --out /tmp/rt_a.npz
Step 3: python scripts/compare_runtimes.py compare /tmp/rt_a.npz /tmp/rt_b.npz   (max and mean |Δparams01|)
"""

import argparse
import importlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIRS = (ROOT / "tflite_models", ROOT / "aeib" / "runtime" / "models")
"""The shipped bundles: the exported variants and the bundled default (shipped once, in the package)."""


def inputs(args) -> None:
    sys.path.insert(0, str(ROOT))
    from aeib.export.data import features, shard_windows
    from aeib.runtime import read_bundle

    out = {}
    for json_path in sorted(path for folder in MODEL_DIRS for path in folder.glob("*.json")):
        bundle = read_bundle(json_path)
        windows = shard_windows(args.data, "valid", args.windows, bundle.window_samples)
        out["audio"] = windows.input.astype(np.float32)
        out["features"] = features(windows.input, bundle.frontend)
        out[f"style:{bundle.tflite_path.name}"] = bundle.styles[bundle.default_style].embedding
    np.savez(args.out, **out)


def run(args) -> None:
    interpreter = importlib.import_module(f"{args.runtime}.interpreter").Interpreter
    data = np.load(args.inputs)
    out = {}
    for path in sorted(str(p) for folder in MODEL_DIRS for p in folder.glob("*.tflite")):
        name = Path(path).name
        model = interpreter(model_path=path, num_threads=1)
        model.allocate_tensors()
        runner = model.get_signature_runner("serving_default")
        key = "input_audio" if "input_audio" in runner.get_input_details() else "input_features"
        x = data["audio"] if key == "input_audio" else data["features"]
        style = data[f"style:{name}"][None].astype(np.float32)
        out[name] = np.stack([runner(**{key: x[i:i + 1], "reference_embedding": style})["params01"][0]
                              for i in range(len(x))])
    np.savez(args.out, **out)


def compare(args) -> None:
    a, b = np.load(args.a), np.load(args.b)
    for name in sorted(set(a.files) & set(b.files)):
        diff = np.abs(a[name] - b[name])
        print(f"{name:40s} windows {len(diff):3d}  max |Δparams01| {diff.max():.2e}  mean {diff.mean():.2e}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inputs")
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--windows", type=int, default=32)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("run")
    p.add_argument("--runtime", choices=("tflite_runtime", "ai_edge_litert"), required=True)
    p.add_argument("--inputs", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p = sub.add_parser("compare")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    args = parser.parse_args()
    {"inputs": inputs, "run": run, "compare": compare}[args.command](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
