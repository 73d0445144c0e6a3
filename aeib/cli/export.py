"""``aeib export``: trained analyzer → ``.tflite`` variants + JSON (imports TensorFlow only when run)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from aeib.export.config import VARIANTS, ExportConfig, ExportError, parse_variants


def _defaults() -> ExportConfig:
    """The default file's settings for the help text; a broken file is reported when export runs."""
    try:
        return ExportConfig.load()
    except ExportError:
        return ExportConfig()

SETTING_FLAGS = {"window_seconds": "--window"}
"""Flags for the export settings whose names differ from them (error messages)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    defaults = _defaults()
    parser = subparsers.add_parser(
        "export",
        help="export the trained analyzer to TFLite (float32, float16, dynamic-int8, int8) with JSON metadata",
        description="Export the analyzer (encoder + controller; the log-mel front end stays outside the "
        "graph, in numpy) to .tflite files with builtin operators only, one per variant, each with a JSON "
        "beside it (schema, sample rate, analysis window, front end, tensor names and shapes, versions, "
        "sha256, built-in styles, parity). Full int8 is calibrated on training windows of --data; parity "
        "against the Keras analyzer is measured on its valid split (or generated audio without one). "
        "Defaults come from aeib/configs/export/default.json. See docs/EXPORT.md.",
    )
    parser.add_argument("--model", required=True, metavar="RUN_OR_KERAS",
                        help="run folder of `aeib train` (analyzer.keras or best.keras inside) or a .keras file "
                        "(enhancer or analyzer)")
    parser.add_argument("--data", required=True, metavar="DIR", help="folder written by `aeib make-data`")
    parser.add_argument("--out", default="tflite_models", metavar="DIR", help="output folder (default tflite_models)")
    parser.add_argument("--name", default="aeib-model", metavar="NAME",
                        help="bundle name used in file names, e.g. aeib-small-v1 (default aeib-model)")
    parser.add_argument("--variants", metavar="LIST",
                        help=f"comma-separated subset of {','.join(VARIANTS)} (default {','.join(defaults.variants)})")
    parser.add_argument("--install-default", metavar="VARIANT", choices=VARIANTS,
                        help="write that variant's .tflite and .json into aeib/runtime/models/ (the model "
                        "`aeib enhance` uses by default) instead of --out, replacing the bundle installed there "
                        "(one copy); refused if it fails its parity tolerance")
    parser.add_argument("--window", type=float, metavar="SECONDS",
                        help=f"analysis window in seconds (default {defaults.window_seconds:g})")
    parser.add_argument("--representative", type=int, metavar="N",
                        help=f"training windows for int8 calibration and styles (default {defaults.representative_windows})")
    parser.add_argument("--parity-examples", type=int, metavar="N",
                        help=f"examples for the parity check (default {defaults.parity_examples})")
    parser.add_argument("--config", metavar="JSON",
                        help="export config file (default aeib/configs/export/default.json)")
    parser.add_argument("--style-pull", action="append", default=[], metavar="STYLE=PULL",
                        help="share of the way (0 < PULL <= 1) from a recording's own sound to a partial built-in "
                        "style, for this analyzer (default: board-mix=0.4, live-room=0.5); repeatable. Choose it "
                        "on a validation split (docs/TRAINING.md)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run)


def parse_style_pulls(items: list[str]) -> dict[str, float]:
    """``--style-pull STYLE=PULL`` values as ``{style: pull}`` (the ranges are checked by the export).

    Raises:
        ExportError: for an item that is not ``STYLE=NUMBER``.
    """
    pulls: dict[str, float] = {}
    for item in items:
        name, _, value = item.partition("=")  # no "=": value "" fails float()
        try:
            if not name.strip():
                raise ValueError(item)
            pulls[name.strip()] = float(value)
        except ValueError:
            raise ExportError(f"--style-pull takes STYLE=PULL, e.g. board-mix=0.55, got {item!r}") from None
    return pulls


def format_table(results) -> str:
    """The summary table: variant, size, parity and the audible difference."""
    rows = [("variant", "bytes", "max|Δparams01|", "tolerance", "ok", "max out diff dB", "max mel dist dB")]
    for result in results:
        meta = result.metadata
        parity, audio = meta["parity"], meta["parity"]["audio"]
        rows.append((result.variant, str(meta["tflite_bytes"]), f"{parity['max_abs_params01_vs_keras']:.2e}",
                     f"{parity['tolerance']:.0e}", "yes" if parity["within_tolerance"] else "NO",
                     f"{audio['max_output_difference_db']:.1f}", f"{audio['max_mel_distance_db']:.4f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths)))
                     for row in rows)


def _check_out(out: Path, inputs: dict[str, Path]) -> None:
    """Refuse an output folder that is a file, under a file, or the folder of an input."""
    from aeib.errors import OutputError

    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} exists and is not a folder")
    if not out.exists() and out.parent.exists() and not out.parent.is_dir():
        raise OutputError(f"cannot create {out}: {out.parent} is not a folder")
    if not out.exists():
        return
    for flag, path in inputs.items():
        folder = path if path.is_dir() else path.parent
        if path.exists() and out.resolve() == folder.resolve():
            raise OutputError(f"--out {out} is the folder of {flag} {path}; choose another "
                              "(aeib never writes into its input)")


def run(args: argparse.Namespace) -> int:
    _check_out(Path(args.out), {"--data": Path(args.data), "--model": Path(args.model)})
    style_pulls = parse_style_pulls(args.style_pull)
    config = ExportConfig.load(args.config)
    config = config.with_changes(
        variants=parse_variants(args.variants) if args.variants else None,
        window_seconds=args.window, representative_windows=args.representative,
        parity_examples=args.parity_examples)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's C++ info logs off the terminal
    from aeib.export.pipeline import ExportRequest, export_model

    result = export_model(ExportRequest(model=Path(args.model), data_dir=Path(args.data), out_dir=Path(args.out),
                                        name=args.name, config=config, install_default=args.install_default,
                                        style_pulls=style_pulls),
                          progress=not args.quiet)
    print(format_table(result.variants))
    for path in result.installed:
        print(f"installed {path}")
    in_out = len(result.variants) - (1 if result.installed else 0)
    print(f"wrote {in_out} variant(s) to {args.out} in {result.seconds:.1f} s", file=sys.stderr)
    return 0
