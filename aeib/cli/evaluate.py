"""``aeib evaluate``: score trained models and baselines against the targets of a test set."""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import shutil
import sys
from pathlib import Path

DEFAULT_BASELINES = "input,rb-dsp,matchering,oracle"


def register(subparsers: argparse._SubParsersAction) -> None:
    from aeib.baselines.oracle import OBJECTIVES, OracleConfig

    oracle_defaults = OracleConfig()
    parser = subparsers.add_parser(
        "evaluate",
        help="compare trained models and baselines (input, rb-dsp, matchering, oracle) on a test set",
        description="Run every model and baseline on every example of a test set and score the result "
        "against the example's target (mel distance, spectral-centroid error, RMS and loudness error, "
        "MR-STFT distance, plus DeepAFx-ST-convention variants and an EQ-inversion check where the applied "
        "setting is known). Writes into OUT: results.md (tables: mean ± std per method and metric, overall "
        "and per style, reduction versus no processing), summary.csv, examples.csv, results.json, and "
        "metrics.png, spectra.png, settings.png. Definitions: docs/EVALUATION.md.",
        epilog="Example: aeib evaluate --data data/pairs_v1 --split test --model training/checkpoints/small-v2 "
        "--model tflite_models/aeib-small-v2.float32.json --out runs/eval-small-v2 --oracle-examples 40",
    )
    parser.add_argument("--data", required=True, metavar="PATH",
                        help="test set: a dataset folder from `aeib make-data` (manifest.json + shards), a folder "
                        "of SPLIT-*.npz shards, one .npz shard, or a folder of NAME_input.wav / NAME_target.wav / "
                        "NAME_reference.wav triplets (any rate; .flac too)")
    parser.add_argument("--split", default="test", help="split of a shard dataset to use (default: test)")
    parser.add_argument("--model", action="append", default=[], metavar="[LABEL=]PATH",
                        help="a trained model, repeatable: a .keras file, a run or checkpoint folder holding "
                        "best.keras/last.keras (needs TensorFlow), or an exported bundle .json/.tflite "
                        "(TensorFlow-free runtime); LABEL names it in the tables")
    parser.add_argument("--baselines", default=DEFAULT_BASELINES, metavar="LIST",
                        help=f"comma-separated baselines to run, or 'none' (default: {DEFAULT_BASELINES}); "
                        "matchering is skipped with a note if the library is not installed")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder for the report (created if missing; files in it are replaced atomically)")
    parser.add_argument("--limit", type=int, metavar="N", help="use only the first N examples")
    parser.add_argument("--sample-rate", type=int, metavar="HZ",
                        help="evaluation rate (default: the test set's own rate); models analyse at their own rate")
    parser.add_argument("--oracle-iterations", type=int, default=oracle_defaults.iterations, metavar="K",
                        help=f"chain evaluations the oracle may spend per example (default {oracle_defaults.iterations})")
    parser.add_argument("--oracle-examples", type=int, metavar="N",
                        help="run the oracle on only N examples spread evenly over the test set (default: all); "
                        "its reductions are then against the input on those examples")
    parser.add_argument("--oracle-objective", choices=OBJECTIVES, default=oracle_defaults.objective,
                        help=f"what the oracle minimizes (default {oracle_defaults.objective})")
    parser.add_argument("--spectra", type=int, default=3, metavar="N",
                        help="examples shown in spectra.png (default 3)")
    parser.add_argument("--no-plots", action="store_true", help="write the tables only")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    parser.set_defaults(handler=run)


def _command_line(args: argparse.Namespace) -> str:
    """The command as the user could type it again (options in a fixed order)."""
    parts = ["aeib", "evaluate", "--data", args.data, "--split", args.split]
    for model in args.model:
        parts += ["--model", model]
    parts += ["--baselines", args.baselines, "--out", args.out]
    for flag, value in (("--limit", args.limit), ("--sample-rate", args.sample_rate),
                        ("--oracle-iterations", args.oracle_iterations), ("--oracle-examples", args.oracle_examples),
                        ("--oracle-objective", args.oracle_objective)):
        if value is not None:
            parts += [flag, str(value)]
    return shlex.join(parts)


def _check_out(out: Path, data: Path, models: list[Path]) -> None:
    from aeib.errors import OutputError

    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} exists and is not a folder")
    if not out.exists() and not out.parent.is_dir():
        raise OutputError(f"cannot create {out}: folder {out.parent} does not exist")
    if not out.exists():
        return
    if data.exists() and out.resolve() == (data if data.is_dir() else data.parent).resolve():
        raise OutputError(f"--out {out} is the test set's folder; choose another (aeib never writes into its input)")
    for model in models:
        if model.exists() and out.resolve() == (model if model.is_dir() else model.parent).resolve():
            raise OutputError(f"--out {out} is the folder of model {model}; choose another "
                              "(aeib never writes into its input)")


def _write_report_whole(result, out: Path, **options) -> dict[str, Path]:
    """``write_report`` into a hidden staging folder, then move the files into ``out``.

    A failure while writing (a full disk, Ctrl-C) removes the staging folder, so ``out`` keeps the
    previous report whole instead of a mix of new and old files. Moving is a rename within one file
    system and needs no space.
    """
    from aeib.evaluation import write_report

    home = out if out.is_dir() else out.parent
    staging = home / f".{out.name}.aeib-{os.getpid()}-{secrets.token_hex(4)}.partial"
    try:
        written = write_report(result, staging, **options)
        if not out.exists():
            staging.rename(out)
        else:
            for path in written.values():
                os.replace(path, out / path.name)
        return {kind: out / path.name for kind, path in written.items()}
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _oracle_subset(count: int, wanted: int | None):
    if wanted is None or wanted >= count:
        return None
    import numpy as np

    return frozenset(int(i) for i in np.round(np.linspace(0, count - 1, wanted)))


def run(args: argparse.Namespace) -> int:
    from aeib.baselines.oracle import OracleConfig
    from aeib.errors import ParameterError
    from aeib.evaluation import BASELINES, make_baselines, model_method, open_dataset, run_evaluation
    from aeib.evaluation.report import markdown_table
    from aeib.evaluation.summary import ALL_SCOPE
    from aeib.metrics import METRICS

    for flag, value, least in (("--limit", args.limit, 1), ("--oracle-iterations", args.oracle_iterations, 1),
                               ("--oracle-examples", args.oracle_examples, 1), ("--spectra", args.spectra, 0),
                               ("--sample-rate", args.sample_rate, 8000)):
        if value is not None and value < least:
            raise ParameterError(f"{flag} must be ≥ {least}, got {value}")
    names = [] if args.baselines.strip() == "none" else [n.strip() for n in args.baselines.split(",") if n.strip()]
    unknown = [name for name in names if name not in BASELINES]
    if unknown:
        raise ParameterError(f"unknown baseline {unknown[0]!r}; choose from {', '.join(BASELINES)}")
    if not names and not args.model:
        raise ParameterError("nothing to evaluate: give --model and/or --baselines")
    out = Path(args.out)
    models = [model_method(spec) for spec in args.model]  # checks paths; loading comes later
    _check_out(out, Path(args.data), [model.path for model in models])
    dataset = open_dataset(args.data, args.split, args.sample_rate, args.limit)
    for warning in dataset.warnings:
        print(f"aeib: warning: {warning}", file=sys.stderr)
    baselines = make_baselines(names, OracleConfig(iterations=args.oracle_iterations, objective=args.oracle_objective))
    methods = baselines + models
    seen = set()
    for method in methods:
        if method.name in seen:
            raise ParameterError(f"two methods are named {method.name!r}; label one with --model LABEL=PATH")
        seen.add(method.name)
    for method in baselines:
        if method.name == "oracle":
            method.subset = _oracle_subset(len(dataset), args.oracle_examples)
    if any(m.kind == "model" and m.path.suffix == ".keras" for m in models):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ info logs off the terminal

    result = run_evaluation(dataset, methods, spectra_examples=args.spectra, progress=not args.quiet)
    command = _command_line(args)
    config = {"data": args.data, "split": args.split, "models": args.model, "baselines": names,
              "limit": args.limit, "sample_rate": result.sample_rate, "oracle_iterations": args.oracle_iterations,
              "oracle_examples": args.oracle_examples, "oracle_objective": args.oracle_objective}
    written = _write_report_whole(result, out, command=command, config=config, plots=not args.no_plots)
    if not args.quiet:
        from aeib.evaluation.report import summarize

        print(markdown_table(summarize(result), ALL_SCOPE, METRICS))
        for record in result.methods:
            if record.skip_reason:
                print(f"{record.name}: {record.skip_reason}", file=sys.stderr)
            elif record.failures:
                print(f"{record.name}: failed on {record.failures} example(s), first: {record.first_failure}",
                      file=sys.stderr)
        print(f"wrote {written['markdown']} and {len(written) - 1} more files in {out} "
              f"({result.n_examples} examples, {result.wall_s:.0f} s)", file=sys.stderr)
    return 0
