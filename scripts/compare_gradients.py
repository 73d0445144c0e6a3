#!/usr/bin/env python3
"""SPSA vs autodiff on the real dataset, at the same idle-machine time budget.

Both modes train the same config from the same initial weights on the same batches (same seed).
A shared machine makes wall-clock time noisy, so the budget is converted to a number of steps
with each mode's step time measured on an idle machine by ``scripts/bench_train_step.py``
(``--spsa-step-s``, ``--autodiff-step-s``): ``steps = budget_s / step_s``, split into
``--epochs`` equal epochs so each run has a validation curve. The actual wall time of each run is
reported too.

Each mode's own validation loss uses its own chain (numpy chain for SPSA, the TensorFlow twin for
autodiff), so the runs are also scored the same way afterwards: the best analyzer of each run
through the product's numpy chain (:func:`aeib.train.validate.validate_analyzer`, whole valid
split, limiter on).

    .venv/bin/python scripts/compare_gradients.py data/pairs_v1 --budget-s 300 --out runs/compare

Writes ``OUT/comparison.json`` and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from aeib.metrics import METRICS  # noqa: E402
from aeib.model.saving import load_keras_model  # noqa: E402
from aeib.train.trainer import TrainOptions, train  # noqa: E402
from aeib.train.validate import validate_analyzer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="folder written by aeib make-data")
    parser.add_argument("--config", default="small")
    parser.add_argument("--budget-s", type=float, default=300.0, help="idle-machine seconds per mode")
    parser.add_argument("--spsa-step-s", type=float, default=0.755, help="SPSA step time on an idle machine")
    parser.add_argument("--autodiff-step-s", type=float, default=1.149, help="autodiff step time on an idle machine")
    parser.add_argument("--epochs", type=int, default=4, help="validation points per run")
    parser.add_argument("--validation-steps", type=int, default=10, help="validation batches per epoch")
    parser.add_argument("--out", type=Path, default=Path("runs/compare"))
    args = parser.parse_args()

    result = {"config": args.config, "budget_s": args.budget_s, "modes": {}}
    for mode, step_s in (("spsa", args.spsa_step_s), ("autodiff", args.autodiff_step_s)):
        steps_per_epoch = max(1, round(args.budget_s / step_s / args.epochs))
        out_dir = args.out / mode
        started = time.perf_counter()
        done = out_dir / "summary.json"
        if done.is_file():  # finished by an earlier invocation: keep it
            summary = json.loads(done.read_text(encoding="utf-8"))
            previous = json.loads((args.out / "comparison.json").read_text(encoding="utf-8"))
            wall_s = previous["modes"][mode]["wall_s_this_run"]
        else:
            summary = train(TrainOptions(
                config=args.config, gradient=mode, data_dir=args.data, out_dir=out_dir, resume=out_dir.exists(),
                epochs=args.epochs, steps_per_epoch=steps_per_epoch, validation_steps=args.validation_steps,
                early_stopping_patience=args.epochs, lr_patience=args.epochs, verbose=2,
            ))
            wall_s = time.perf_counter() - started
        metrics = validate_analyzer(load_keras_model(out_dir / "analyzer.keras"), args.data, "valid", progress=False)
        result["modes"][mode] = {
            "steps": steps_per_epoch * args.epochs,
            "idle_budget_s": round(steps_per_epoch * args.epochs * step_s, 1),
            "wall_s_this_run": round(wall_s, 1),
            "val_loss_curve": [row["val_loss"] for row in summary["curve"]],
            "best_val_loss": summary["best_val_loss"],
            "numpy_chain_metrics": {name: metrics["overall"]["model"][name]["mean"] for name in METRICS},
            "input_metrics": {name: metrics["overall"]["input"][name]["mean"] for name in METRICS},
        }
        (args.out / "comparison.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print("| mode | steps | idle budget (s) | wall here (s) | own val loss | "
          + " | ".join(METRICS) + " |")
    print("|---|---|---|---|---|" + "---|" * len(METRICS))
    first = next(iter(result["modes"].values()))
    print("| no processing | | | | | " + " | ".join(f"{first['input_metrics'][n]:.3f}" for n in METRICS) + " |")
    for mode, row in result["modes"].items():
        print(f"| {mode} | {row['steps']} | {row['idle_budget_s']} | {row['wall_s_this_run']} | "
              f"{row['best_val_loss']:.4f} | " + " | ".join(f"{row['numpy_chain_metrics'][n]:.3f}" for n in METRICS) + " |")


if __name__ == "__main__":
    main()
