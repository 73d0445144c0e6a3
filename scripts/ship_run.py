#!/usr/bin/env python3
"""Ship a training run's best analyzer with its provenance and validation metrics.

    .venv/bin/python scripts/ship_run.py runs/small-v1 data/pairs_v1 --out tflite_models/small-v1

Writes into ``--out``: ``analyzer.keras`` (the best analyzer by validation loss), ``config.json``
(the run's resolved config), ``training.json`` (data manifest hash, epochs, best epoch, the curve
of loss / validation loss / learning rate per epoch, and the validation metrics against no
processing on the whole by-track valid split) and ``VALIDATION.md`` (the metrics table). Works on a
finished run and on one stopped between epochs (it reads ``best.keras`` and ``history.csv``).

``--chosen EPOCH.keras --chosen-epoch N`` ships a snapshot chosen by another rule than the
validation loss (docs/TRAINING.md states the rule) instead of ``best.keras``; ``training.json`` then
records ``chosen_epoch`` and the file it came from.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from aeib.hashing import file_sha256  # noqa: E402
from aeib.model.config import ModelConfig  # noqa: E402
from aeib.train.trainer import finish_run  # noqa: E402
from aeib.train.validate import format_table, validate_analyzer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="run folder of `aeib train`")
    parser.add_argument("data", type=Path, help="the folder the run was trained on")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (e.g. tflite_models/small-v1)")
    parser.add_argument("--chosen", type=Path, help="a snapshot (.keras enhancer or analyzer) to ship instead of best.keras")
    parser.add_argument("--chosen-epoch", type=int, help="the epoch that snapshot was saved after (with --chosen)")
    args = parser.parse_args()
    if (args.chosen is None) != (args.chosen_epoch is None):
        raise SystemExit("error: --chosen and --chosen-epoch go together")
    if args.chosen is not None and not args.chosen.is_file():
        raise SystemExit(f"error: no such snapshot: {args.chosen}")

    config = ModelConfig.load(str(args.run / "config.json"))
    data_hash = file_sha256(args.data / "manifest.json")
    state = json.loads((args.run / "state.json").read_text(encoding="utf-8"))
    if state["data_manifest_sha256"] != data_hash:
        raise SystemExit(f"error: {args.run} was trained on other data than {args.data}")
    summary = finish_run(args.run, config, data_hash, 0.0)  # writes RUN/analyzer.keras + summary.json
    from aeib.model.saving import load_keras_model

    args.out.mkdir(parents=True, exist_ok=True)
    if args.chosen is not None:
        model = load_keras_model(args.chosen)
        analyzer = model if model.name == "analyzer" else model.get_layer("analyzer")
        analyzer.save(args.out / "analyzer.keras")
        summary = {**summary, "chosen_epoch": args.chosen_epoch, "chosen_from": args.chosen.name}
    else:
        shutil.copyfile(args.run / "analyzer.keras", args.out / "analyzer.keras")
    metrics = validate_analyzer(load_keras_model(args.out / "analyzer.keras"), args.data, "valid")
    shutil.copyfile(args.run / "config.json", args.out / "config.json")
    training = {key: value for key, value in summary.items() if key != "last_session_seconds"}
    training["validation"] = metrics
    (args.out / "training.json").write_text(json.dumps(training, indent=2) + "\n", encoding="utf-8")
    table = format_table(metrics)
    (args.out / "VALIDATION.md").write_text(
        f"# Validation of `{args.out.name}` ("
        + (f"chosen epoch {args.chosen_epoch} of {summary['epochs_run']}, lowest val loss at epoch {summary['best_epoch']}"
           if args.chosen is not None else f"best epoch {summary['best_epoch']} of {summary['epochs_run']}")
        + f", val loss {summary['best_val_loss']:.4f})\n\n"
        f"Measured with `python scripts/ship_run.py {args.run} {args.data} --out {args.out}` on the whole "
        f"by-track valid split (never seen in training), limiter on. Lower is better.\n\n{table}\n",
        encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
