"""Run every shipped .tflite (tflite_models/ and the bundled default) on its golden vectors with one
TFLite interpreter and compare with the stored LiteRT outputs.

Needs only numpy and an interpreter package, so CI runs it in a second, minimal venv with
`numpy<2` and `tflite-runtime==2.14.0` (the oldest runtime aeib supports, see .ci/run); it runs the
same way with LiteRT. Exit 0 when every model loads, runs and agrees within its variant's
`cross_runtime_tolerance` (from the vectors, i.e. the bundle JSON); 1 otherwise.

    python scripts/check_tflite_runtimes.py [--runtime tflite_runtime|ai_edge_litert] [--root DIR]
"""

import argparse
import hashlib
import importlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RUNTIMES = ("tflite_runtime", "ai_edge_litert")


def interpreter_class(runtime: str):
    module = importlib.import_module(f"{runtime}.interpreter")
    package = importlib.import_module(runtime)
    version = getattr(package, "__version__", None)
    if version is None:
        from importlib.metadata import version as dist_version

        version = dist_version(runtime.replace("_", "-"))
    return module.Interpreter, f"{runtime} {version}"


def run_model(cls, path: Path, model_input: np.ndarray, input_name: str, reference: np.ndarray):
    interpreter = cls(model_path=str(path), num_threads=1)
    interpreter.allocate_tensors()
    runner = interpreter.get_signature_runner("serving_default")
    out = runner(**{input_name: model_input[None].astype(np.float32),
                    "reference_embedding": reference[None].astype(np.float32)})
    return out["params01"][0], out["input_embedding"][0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", choices=RUNTIMES, default="tflite_runtime")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args()
    try:
        cls, runtime = interpreter_class(args.runtime)
    except ImportError as exc:
        print(f"aeib: error: cannot import {args.runtime}: {exc}", file=sys.stderr)
        return 2
    models, bundled = args.root / "tflite_models", args.root / "aeib" / "runtime" / "models"
    shipped = {p.resolve() for p in list(models.glob("*.tflite")) + list(bundled.glob("*.tflite"))}
    checked, failures, rows = set(), [], []
    for manifest_path in sorted((models / "vectors").glob("*/vectors.json")):
        vectors = json.loads(manifest_path.read_text(encoding="utf-8"))
        folder = manifest_path.parent
        window = np.fromfile(folder / vectors["window"]["file"], dtype="<f4")
        features = np.fromfile(folder / vectors["features"]["file"], dtype="<f4").reshape(vectors["features"]["shape"])
        for variant in vectors["variants"]:
            candidates = [models / variant["tflite_file"], bundled / variant["tflite_file"]]
            for path in candidates:
                if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != variant["tflite_sha256"]:
                    continue
                label = path.resolve().relative_to(args.root.resolve()).as_posix()
                model_input = window if variant["input"] == "input_audio" else features
                try:
                    params01, embedding = run_model(cls, path, model_input, variant["input"],
                                                    np.asarray(variant["reference_embedding"], np.float32))
                except (ValueError, RuntimeError) as exc:
                    failures.append(f"{label}: does not load or run on {runtime}: {str(exc).strip().splitlines()[0]}")
                    checked.add(path.resolve())
                    continue
                dp = float(np.abs(params01 - np.asarray(variant["params01"])).max())
                de = float(np.abs(embedding - np.asarray(variant["input_embedding"])).max())
                tolerance = variant["cross_runtime_tolerance"]
                ok = dp <= tolerance and de <= tolerance * max(1.0, float(np.abs(variant["input_embedding"]).max()))
                rows.append((label, variant["variant"], f"{dp:.2e}", f"{de:.2e}", f"{tolerance:.0e}", "yes" if ok else "NO"))
                if not ok:
                    failures.append(f"{label}: differs from LiteRT by {dp:.3g} in params01 (tolerance {tolerance:g})")
                checked.add(path.resolve())
    for path in sorted(shipped - checked):
        failures.append(f"{path}: shipped but has no golden vectors (run python scripts/make_golden_vectors.py)")
    header = ("model", "variant", "max|Δparams01|", "max|Δembedding|", "tolerance", "ok")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"{runtime}: every shipped model on its golden vectors vs the stored LiteRT outputs")
    for row in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    for failure in failures:
        print(f"aeib: error: {failure}", file=sys.stderr)
    return 1 if failures or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
