#!/usr/bin/env python3
"""Where a clean recording's change comes from (issue 12, analysis only): two looks on a shard set's split.

``parts`` — per clean (identity) example, with its reference, through the product's array API
(``aeib.enhance``, the bundled model unless ``--model``): the loudness-matched mel change made by the
product as it is, by the analyzer alone (``refine=0``), without the loudness stage, and by the
product's own setting split into its EQ alone and its compressor alone (``aeib.dsp.process``, no
limiter); each one's mean / max / count over 1 dB and the worst examples' rows.

``headroom`` — the loudness stage may boost a recording until its true peak lies up to
:data:`aeib.dsp.loudness.LIMITER_HEADROOM_DB` (12 dB) over the ceiling, for the safety limiter to take
down; on a quiet, peaky recording that limiting is a change. For each ``--headrooms`` value (set as the
default of :func:`aeib.dsp.loudness.gain_to_target_db` for the run), every example with its reference
and reference-free: the clean examples' change, the degraded ones' loudness-matched mel distance to
their target, and the share of outputs within 1 LU of their loudness target (the reference's, or
−16 LUFS)::

    .venv/bin/python scripts/clean_change.py parts data/tune_v2 --split valid
    .venv/bin/python scripts/clean_change.py headroom data/tune_v2 --split valid --headrooms 12 6 3
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from compare_analyzers import scores  # noqa: E402

import aeib  # noqa: E402
import aeib.dsp.loudness as loudness  # noqa: E402
from aeib.dsp import process  # noqa: E402
from aeib.evaluation.datasets import open_dataset  # noqa: E402


def mel_change(audio: np.ndarray, goal: np.ndarray, rate: int) -> float:
    return float(scores(audio, goal, rate)["mel"])


def parts(args: argparse.Namespace) -> int:
    rows = []
    for example in open_dataset(args.data, split=args.split):
        if "mode:identity" not in example.groups:
            continue
        x, rate = example.input, example.sample_rate
        options = dict(model=args.model, reference=example.reference, reference_sample_rate=rate)
        product = aeib.enhance(x, rate, **options)
        setting = product.setting.params
        eq = {k: v for k, v in setting.items() if k.startswith("eq.")}
        compressor = {k: v for k, v in setting.items() if k.startswith("comp.")}
        rows.append({
            "product": mel_change(product.audio, x, rate),
            "analyzer alone": mel_change(aeib.enhance(x, rate, refine=0.0, **options).audio, x, rate),
            "no loudness stage": mel_change(aeib.enhance(x, rate, loudness="off", **options).audio, x, rate),
            "its EQ alone": mel_change(process(x, rate, eq, limiter=False), x, rate),
            "its compressor alone": mel_change(process(x, rate, compressor, limiter=False), x, rate),
        })
    if not rows:
        print(f"clean_change: error: {args.data} ({args.split}) has no clean examples", file=sys.stderr)
        return 2
    for key in rows[0]:
        values = np.array([row[key] for row in rows])
        print(f"{key:22s} mean {values.mean():.3f}  max {values.max():.3f}  over 1 dB {int((values > 1.0).sum())}")
    print(f"\nthe {args.worst} worst clean examples (dB):")
    for row in sorted(rows, key=lambda r: -r["product"])[:args.worst]:
        print("  " + ", ".join(f"{k} {v:.2f}" for k, v in row.items()))
    return 0


def headroom(args: argparse.Namespace) -> int:
    modes = ("reference", "reference-free")
    rows: dict[tuple[float, str], list[tuple[bool, float, float]]] = {(h, m): [] for h in args.headrooms for m in modes}
    defaults = loudness.gain_to_target_db.__kwdefaults__
    assert defaults is not None
    shipped = defaults["limiter_headroom_db"]
    try:
        for example in open_dataset(args.data, split=args.split):
            rate = example.sample_rate
            identity = "mode:identity" in example.groups
            goal = example.input if identity else example.target
            reference_lufs = loudness.integrated_loudness_lufs(example.reference, rate)
            for value in args.headrooms:
                defaults["limiter_headroom_db"] = value
                for mode in modes:
                    with_reference = mode == "reference"
                    out = aeib.enhance(example.input, rate, model=args.model,
                                       reference=example.reference if with_reference else None,
                                       reference_sample_rate=rate).audio
                    target = reference_lufs if with_reference else loudness.DEFAULT_TARGET_LUFS
                    miss = abs(loudness.integrated_loudness_lufs(out, rate) - target)
                    rows[(value, mode)].append((identity, mel_change(out, goal, rate), miss))
    finally:
        defaults["limiter_headroom_db"] = shipped
    for (value, mode), values in rows.items():
        identity = np.array([v[0] for v in values])
        mel, miss = np.array([v[1] for v in values]), np.array([v[2] for v in values])
        clean = mel[identity]
        print(f"headroom {value:4.1f} dB, {mode:14s} clean {clean.mean():.3f} / {clean.max():.3f} / "
              f"{int((clean > 1.0).sum()):2d} over 1 dB   degraded {mel[~identity].mean():.3f} dB   "
              f"within 1 LU of the target {100 * np.mean(miss <= 1.0):5.1f} %")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("parts", "the clean change split by part of the chain, with a reference"),
                            ("headroom", "clean change and loudness misses for several limiter headrooms")):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("data", type=Path)
        sub.add_argument("--split", default="valid")
        sub.add_argument("--model", default=None, help="bundle JSON (default: the bundled model)")
        if name == "parts":
            sub.add_argument("--worst", type=int, default=6, help="print this many worst examples")
        else:
            sub.add_argument("--headrooms", type=float, nargs="+", default=[12.0, 6.0, 3.0])
    args = parser.parse_args()
    return parts(args) if args.command == "parts" else headroom(args)


if __name__ == "__main__":
    sys.exit(main())
