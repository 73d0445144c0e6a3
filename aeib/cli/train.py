"""``aeib train``: train the analyzer on style pairs (imports TensorFlow only when run)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

STRATEGIES = ("default", "mirrored", "multiworker")

SETTING_FLAGS = {"out_dir": "--out", "data_dir": "--data"}
"""Flags for the :class:`~aeib.train.trainer.TrainOptions` fields whose names differ from them (error messages)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train the analyzer (Keras fit, SPSA or autodiff gradients) on `aeib make-data` shards",
        description="Train the enhancer (analyzer + DSP layer) with Keras fit on the train split, "
        "validating on the valid split every epoch. The run folder gets the best model by validation "
        "loss (best.keras), the last state (last.keras + state.json, for --resume), history.csv, "
        "TensorBoard logs, and at the end analyzer.keras and summary.json. Runs on the CPU by default "
        "(Apple-silicon laptops included). Seeds in the config make a run repeatable.",
    )
    parser.add_argument("--config", required=True, metavar="CONFIG",
                        help="config name (tiny, small, small-v3, big: the JSON files shipped in "
                        "aeib/configs/training/) or path to a JSON config in that format")
    parser.add_argument("--data", required=True, metavar="DIR", help="folder written by `aeib make-data`")
    parser.add_argument("--out", required=True, metavar="DIR", help="run folder (e.g. runs/small-v1)")
    parser.add_argument("--resume", action="store_true", help="continue the interrupted run in --out")
    parser.add_argument("--strategy", choices=STRATEGIES, default="default",
                        help="default: one device; mirrored: data parallel over local devices (two logical "
                        "CPUs without a GPU); multiworker: several machines via TF_CONFIG (docs/TRAINING.md)")
    parser.add_argument("--gradient", choices=("spsa", "autodiff"),
                        help="override the config's gradient mode (spsa: numpy DSP + SPSA; autodiff: TF DSP twin)")
    parser.add_argument("--epochs", type=int, default=100, help="maximum epochs (default 100; early stopping ends sooner)")
    parser.add_argument("--steps-per-epoch", type=int, help="cap on training steps per epoch (default: whole train split)")
    parser.add_argument("--validation-steps", type=int, help="cap on validation batches (default: whole valid split)")
    parser.add_argument("--patience", type=int, default=8, help="epochs without improvement before stopping (default 8)")
    parser.add_argument("--init-from", type=Path, metavar="KERAS",
                        help="start a new run from the analyzer weights of this analyzer.keras / best.keras (fine-tuning)")
    parser.add_argument("-q", "--quiet", action="store_true", help="one line per epoch instead of a progress bar")
    parser.set_defaults(handler=run)


def _check_manifest(manifest: dict, data: Path) -> None:
    """Refuse a manifest of the right format whose shard list or audio block is malformed, or that lists
    no training shard (found here rather than by the loader, after TensorFlow has started)."""
    from aeib.data.corpus import CorpusError

    where = data / "manifest.json"
    rate = manifest["audio"].get("sample_rate")
    if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
        raise CorpusError(f"{where}: audio.sample_rate must be a positive integer, got {rate!r}")
    for entry in manifest["shards"]:
        if not (isinstance(entry, dict) and isinstance(entry.get("file"), str) and isinstance(entry.get("split"), str)):
            raise CorpusError(f"{where}: malformed shard entry {entry!r} (needs a file and a split)")
    if not any(entry["split"] == "train" for entry in manifest["shards"]):
        raise CorpusError(f"{where} lists no training shard (split 'train')")


def _check_out(out: Path, data: Path) -> None:
    """Refuse a run folder that is a file, under a file, or the data folder itself."""
    from aeib.errors import OutputError

    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} exists and is not a folder")
    if not out.exists() and out.parent.exists() and not out.parent.is_dir():
        raise OutputError(f"cannot create {out}: {out.parent} is not a folder")
    if out.exists() and out.resolve() == data.resolve():
        raise OutputError(f"--out {out} is the data folder; choose another (aeib never writes into its input)")


def run(args: argparse.Namespace) -> int:
    from aeib.data.manifest import load_manifest
    from aeib.model.config import ModelConfig

    # Check the cheap things before TensorFlow loads (and prints its start-up logs).
    ModelConfig.load(args.config)
    _check_manifest(load_manifest(args.data), Path(args.data))
    _check_out(Path(args.out), Path(args.data))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ info logs off the terminal
    from aeib.train.trainer import TrainOptions, train

    summary = train(TrainOptions(
        config=args.config, gradient=args.gradient, data_dir=Path(args.data), out_dir=Path(args.out), resume=args.resume,
        strategy=args.strategy, epochs=args.epochs, steps_per_epoch=args.steps_per_epoch,
        validation_steps=args.validation_steps, early_stopping_patience=args.patience,
        verbose=2 if args.quiet else 1, init_from=args.init_from,
    ))
    print(json.dumps({k: v for k, v in summary.items() if k != "curve"}, indent=2))
    return 0
