#!/usr/bin/env python3
"""Compare exported analyzers on a validation split through the product: tone, and harm to clean recordings.

Per example of a shard set's split, through the product's array API (``aeib.enhance``: TFLite
analyzer, refinement, dead zone, loudness stage), with the example's reference and reference-free
(the bundle's default style), for every model given as ``NAME=BUNDLE.json`` (optionally with
``#refine=X``, ``#match=B`` and ``#dead-zone=DB``, as ``aeib evaluate``'s models): the loudness-matched
mel distance (dB) and the spectral-centroid error (Hz) to the target. For clean (identity)
examples the target is the input itself, so their distance is the change made to a good recording
(issue 12: at most 1.0 dB each). Choose on a ``valid`` split, never on the out-of-family test set::

    .venv/bin/python scripts/compare_analyzers.py data/tune_v2 --split valid \\
        --model small-v3=aeib/runtime/models/aeib-small-v3.dynamic-int8.json \\
        --model small-v4=runs/small-v4-export/aeib-small-v4.dynamic-int8.json --out runs/small-v4/valid.json

Prints, per mode and model: the clean examples' change (mean / max / how many over 1 dB), the
mel distance over the degraded examples and over the tonal family, the centroid error, and the
degradation family made worst relative to no processing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import aeib  # noqa: E402
from aeib.evaluation.datasets import open_dataset  # noqa: E402
from aeib.metrics import mel_distance_matched_db, spectral_centroid_hz  # noqa: E402

FAMILIES = ("family:capture", "family:dynamics", "family:level", "family:tonal")
MODES = ("reference", "reference-free")


def scores(audio: np.ndarray, goal: np.ndarray, rate: int) -> dict[str, float]:
    return {"mel": mel_distance_matched_db(audio, goal, rate),
            "centroid": abs(spectral_centroid_hz(audio, rate) - spectral_centroid_hz(goal, rate))}


OPTIONS = {"refine": "refine", "dead-zone": "dead_zone_db", "match": "match"}
"""``#key=value`` options a model may carry, and the ``aeib.enhance`` argument each sets (with a reference
only for ``refine`` and ``match``; ``dead-zone`` in both modes)."""


def parse_model(spec: str) -> tuple[str, str, dict[str, float]]:
    """``NAME=BUNDLE.json[#refine=X][#match=B][#dead-zone=DB]`` → (name, bundle, enhance arguments)."""
    name, sep, rest = spec.partition("=")
    bundle, *options = rest.split("#")
    if not sep or not name or not Path(bundle).is_file():
        raise ValueError(f"--model {spec!r}: expected NAME=BUNDLE.json with an existing bundle")
    arguments = {}
    for option in options:
        key, _, value = option.partition("=")
        if key not in OPTIONS:
            raise ValueError(f"--model {spec!r}: unknown option {key!r} (known: {', '.join(OPTIONS)})")
        arguments[OPTIONS[key]] = float(value)
    return name, bundle, arguments


def run(data: Path, split: str, limit: int | None, models: dict[str, tuple[str, dict[str, float]]],
        modes: tuple[str, ...] = MODES) -> list[dict]:
    rows = []
    dataset = open_dataset(data, split=split, limit=limit)
    for example in tqdm(dataset, desc="examples", unit="ex", file=sys.stderr):
        rate = example.sample_rate
        identity = "mode:identity" in example.groups
        goal = example.input if identity else example.target
        row = {"groups": list(example.groups), "identity": identity, "input": scores(example.input, goal, rate)}
        for name, (bundle, arguments) in models.items():
            for mode in modes:
                options = dict(arguments)
                if mode != "reference":
                    options.pop("refine", None)
                    options.pop("match", None)
                result = aeib.enhance(example.input, rate, model=bundle,
                                      reference=example.reference if mode == "reference" else None,
                                      reference_sample_rate=rate, **options)
                row[f"{name}/{mode}"] = scores(result.audio, goal, rate)
        rows.append(row)
    return rows


def summarize(rows: list[dict], models: list[str], modes: tuple[str, ...] = MODES) -> dict:
    identity = np.array([row["identity"] for row in rows])
    before = np.array([row["input"]["mel"] for row in rows])
    family = {f: np.array([f in row["groups"] for row in rows]) for f in FAMILIES}
    tonal = family["family:tonal"]
    table: dict = {"examples": len(rows), "clean": int(identity.sum()),
                   "input": {"degraded": float(before[~identity].mean()), "tonal": float(before[tonal].mean())}}
    for mode in modes:
        for name in models:
            mel = np.array([row[f"{name}/{mode}"]["mel"] for row in rows])
            centroid = np.array([row[f"{name}/{mode}"]["centroid"] for row in rows])
            worst = max(100.0 * (mel[sel].mean() / before[sel].mean() - 1.0) for sel in family.values() if sel.any())
            clean = mel[identity]
            table[f"{name}/{mode}"] = {
                "clean_mean": float(clean.mean()), "clean_max": float(clean.max()),
                "clean_over_1db": int((clean > 1.0).sum()), "degraded": float(mel[~identity].mean()),
                "tonal": float(mel[tonal].mean()), "centroid": float(centroid[~identity].mean()),
                "worst_family_pct": float(worst)}
    return table


def report(table: dict, models: list[str], modes: tuple[str, ...] = MODES) -> None:
    print(f"{table['examples']} examples, {table['clean']} clean; no processing: degraded "
          f"{table['input']['degraded']:.3f} dB, tonal {table['input']['tonal']:.3f} dB")
    for mode in modes:
        print(f"\n[{mode}] {'model':14s} {'clean mean/max/>1dB':>22s} {'degraded':>9s} {'tonal':>7s} "
              f"{'centroid':>9s} {'worst family':>13s}")
        for name in models:
            r = table[f"{name}/{mode}"]
            print(f"  {name:14s} {r['clean_mean']:8.3f}/{r['clean_max']:.3f}/{r['clean_over_1db']:3d} "
                  f"{r['degraded']:9.3f} {r['tonal']:7.3f} {r['centroid']:9.1f} {r['worst_family_pct']:+12.1f}%")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="shard set (e.g. data/tune_v2)")
    parser.add_argument("--split", default="valid")
    parser.add_argument("--limit", type=int, default=None, help="first N examples only")
    parser.add_argument("--model", action="append", required=True, metavar="NAME=BUNDLE",
                        help="an exported bundle (.json) under a name, optionally with #refine=X and "
                             "#dead-zone=DB; repeat for each model")
    parser.add_argument("--mode", choices=MODES, help="one mode only (default: both)")
    parser.add_argument("--out", type=Path, help="write the summary and the per-example numbers here as JSON")
    args = parser.parse_args()
    models = {}
    for spec in args.model:
        try:
            name, bundle, arguments = parse_model(spec)
        except ValueError as exc:
            parser.error(str(exc))
        models[name] = (bundle, arguments)
    modes = (args.mode,) if args.mode else MODES
    rows = run(args.data, args.split, args.limit, models, modes)
    table = summarize(rows, list(models), modes)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"summary": table, "rows": rows}) + "\n", encoding="utf-8")
    report(table, list(models), modes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
