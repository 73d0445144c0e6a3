#!/usr/bin/env python3
"""Choose the EQ's dead zone (``aeib.runtime.dead_zone``) on a validation split: do no harm, measured.

Per example of a shard set's split, through the product's array API (``aeib.enhance``: TFLite
analyzer, refinement, loudness stage), with the example's reference and reference-free (the
bundle's default style): the loudness-matched mel distance (dB) and the spectral-centroid error (Hz)
to the target — for clean (identity) examples, whose target is the input itself, that is the change
made to a good recording. Candidates: per-band dead zones of 0 (none), 0.5, 1 and 1.5 dB, and two
other shapes at 1 dB for comparison — a soft threshold of the EQ *curve* (64 points, 25 Hz–11 kHz)
with the six gains refitted to it, and a shrink of the whole curve toward flat by 1 dB of its RMS::

    .venv/bin/python scripts/dead_zone_experiment.py data/tune_v2 --split valid --out runs/dead_zone/valid.json

Prints, per mode and candidate: clean examples' change (mean / max), mel over all examples and over
the degraded ones, centroid error, and the family made worst relative to no processing. The table in
docs/TRAINING.md ("Do no harm: the EQ's dead zone") is its output for ``data/tune_v2`` (docs/DATA.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import aeib  # noqa: E402
import aeib.runtime.enhance as enhance_module  # noqa: E402
from aeib.baselines.rule_based import fit_eq  # noqa: E402
from aeib.dsp.eq import EQ_BANDS, eq_response_db  # noqa: E402
from aeib.evaluation.datasets import open_dataset  # noqa: E402
from aeib.metrics import mel_distance_matched_db, spectral_centroid_hz  # noqa: E402

MODEL = REPO / "aeib/runtime/models/aeib-small-v3.dynamic-int8.json"
GRID_HZ = np.geomspace(25.0, 11_000.0, 64)
FAMILIES = ("family:capture", "family:dynamics", "family:level", "family:tonal")
Shape = Callable[[dict[str, float], int], dict[str, float]]


def curve_soft_threshold(threshold_db: float) -> Shape:
    def settle(params: dict[str, float], rate: int) -> dict[str, float]:
        curve = eq_response_db(params, rate, GRID_HZ)
        if np.abs(curve).max() <= threshold_db:
            return {**params, **{band.gain_param: 0.0 for band in EQ_BANDS}}
        wanted = np.sign(curve) * np.maximum(np.abs(curve) - threshold_db, 0.0)
        return {**params, **fit_eq(GRID_HZ, wanted, rate, anchor=params, frequencies=False)}
    return settle


def curve_shrink(threshold_db: float) -> Shape:
    def settle(params: dict[str, float], rate: int) -> dict[str, float]:
        rms = float(np.sqrt(np.mean(eq_response_db(params, rate, GRID_HZ) ** 2)))
        keep = max(0.0, 1.0 - threshold_db / rms) if rms > 0.0 else 0.0
        return {**params, **{band.gain_param: params[band.gain_param] * keep for band in EQ_BANDS}}
    return settle


# name: (the product's dead zone in dB, another shape applied after the product's setting or None)
CANDIDATES: dict[str, tuple[float, Shape | None]] = {
    "none": (0.0, None), "band 0.5": (0.5, None), "band 1.0": (1.0, None), "band 1.5": (1.5, None),
    "curve 1.0": (0.0, curve_soft_threshold(1.0)), "shrink 1.0": (0.0, curve_shrink(1.0)),
}


def with_shape(shape: Shape | None, rate: int):
    """Wrap the product's predicted_setting so that ``shape`` settles its result (None: unwrapped)."""
    original = enhance_module.predicted_setting
    if shape is None:
        return original

    def predicted(model, analysis, source, *args, **kwargs):
        params = original(model, analysis, source, *args, **kwargs)
        settled = shape(params, rate)
        return enhance_module.rounded_setting(model, model.schema.normalize(model.schema.to_vector(settled)))
    return predicted


def scores(audio: np.ndarray, goal: np.ndarray, rate: int) -> dict[str, float]:
    return {"mel": mel_distance_matched_db(audio, goal, rate),
            "centroid": abs(spectral_centroid_hz(audio, rate) - spectral_centroid_hz(goal, rate))}


def run(data: Path, split: str, limit: int | None) -> list[dict]:
    original = enhance_module.predicted_setting
    rows = []
    try:
        for example in open_dataset(data, split=split, limit=limit):
            rate = example.sample_rate
            identity = "mode:identity" in example.groups
            goal = example.input if identity else example.target
            row = {"groups": list(example.groups), "identity": identity, "input": scores(example.input, goal, rate)}
            for name, (dead_zone_db, shape) in CANDIDATES.items():
                enhance_module.predicted_setting = with_shape(shape, rate)
                for mode in ("reference", "reference-free"):
                    result = aeib.enhance(example.input, rate, model=str(MODEL), dead_zone_db=dead_zone_db,
                                          reference=example.reference if mode == "reference" else None,
                                          reference_sample_rate=rate)
                    row[f"{name}/{mode}"] = scores(result.audio, goal, rate)
                enhance_module.predicted_setting = original
            rows.append(row)
    finally:
        enhance_module.predicted_setting = original
    return rows


def report(rows: list[dict]) -> None:
    identity = np.array([row["identity"] for row in rows])
    before = np.array([row["input"]["mel"] for row in rows])
    print(f"{len(rows)} examples, {identity.sum()} clean; no processing: mel {before.mean():.3f} dB all, "
          f"{before[~identity].mean():.3f} dB degraded")
    for mode in ("reference", "reference-free"):
        print(f"\n[{mode}] {'candidate':11s} {'clean mean/max':>15s} {'mel all':>8s} {'degraded':>9s} "
              f"{'centroid':>9s} {'worst family':>13s}")
        for name in CANDIDATES:
            mel = np.array([row[f"{name}/{mode}"]["mel"] for row in rows])
            centroid = np.array([row[f"{name}/{mode}"]["centroid"] for row in rows])
            worst = max(100.0 * (mel[sel].mean() / before[sel].mean() - 1.0)
                        for sel in (np.array([f in row["groups"] for row in rows]) for f in FAMILIES) if sel.any())
            print(f"  {name:11s} {mel[identity].mean():7.3f}/{mel[identity].max():.3f} {mel.mean():8.3f} "
                  f"{mel[~identity].mean():9.3f} {centroid.mean():9.1f} {worst:+12.1f}%")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="shard set (e.g. data/tune_v2)")
    parser.add_argument("--split", default="valid")
    parser.add_argument("--limit", type=int, default=None, help="first N examples only")
    parser.add_argument("--out", type=Path, help="write the per-example numbers here as JSON")
    args = parser.parse_args()
    rows = run(args.data, args.split, args.limit)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows) + "\n", encoding="utf-8")
    report(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
