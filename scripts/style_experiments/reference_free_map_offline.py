#!/usr/bin/env python3
"""Offline look at a reference-free map (docs/TRAINING.md, "A learned reference-free map"): curve errors only.

From the per-example curves that ``scripts/fit_refinement.py --style board-mix --features F`` caches for a
training and a validation split (the match of the input's long-term spectrum to the style's tonal
target, i.e. the input's level-aligned spectral shape, and the curve the target asks for; flat for a
clean example), a ridge map from the match at every 4th grid frequency (and a constant) to the desired
curve is fitted on the training split and scored on the validation split as RMS dB of curve error:
on examples whose target is the board mix, on the other degraded ones, and as the move it makes on
clean ones (mean and worst example). Each fit is repeated with one music source (the first folder of
the example's track) left out, the validation examples of that source predicted by it. Not a product
figure (no EQ fit, no chain, no mel distance); ``scripts/compare_analyzers.py`` is::

    .venv/bin/python scripts/style_experiments/reference_free_map_offline.py data/tune_v2 \\
        runs/rf/curves_train.npz runs/rf/curves_valid.npz
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np


def labels(data: Path, split: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Each example's music source and whether its target is the board mix, in the split's order."""
    examples = [x for x in json.loads((data / "manifest.json").read_text(encoding="utf-8"))["examples"]
                if x["split"] == split]
    if len(examples) != count:
        raise SystemExit(f"{split}: the curves hold {count} examples, the manifest {len(examples)}")
    return (np.array([x["file"].split("/")[0] for x in examples]),
            np.array([x.get("target_mode") == "board" and x["mode"] != "identity" for x in examples]))


def features(curves: dict[str, np.ndarray]) -> np.ndarray:
    shape = curves["measured"][:, ::4]
    return np.hstack([shape, np.ones((shape.shape[0], 1))])


def fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray, ridge: float) -> np.ndarray:
    w = weight[:, None]
    return np.linalg.solve((x * w).T @ x + ridge * np.eye(x.shape[1]), (x * w).T @ y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("train", type=Path)
    parser.add_argument("valid", type=Path)
    parser.add_argument("--weights", type=float, nargs="+", default=[1.0, 4.0, 12.0])
    parser.add_argument("--ridges", type=float, nargs="+", default=[10.0, 1000.0])
    args = parser.parse_args()
    train, valid = dict(np.load(args.train)), dict(np.load(args.valid))
    x_train, x_valid = features(train), features(valid)
    y_train, y_valid = train["desired"], valid["desired"]
    clean_train, clean_valid = train["identity"].astype(bool), valid["identity"].astype(bool)
    music_train, _ = labels(args.data, "train", len(x_train))
    music_valid, board_valid = labels(args.data, "valid", len(x_valid))
    live_valid = ~board_valid & ~clean_valid

    def rms(a: np.ndarray) -> float:
        return float(np.sqrt(np.mean(a ** 2)))

    def line(name: str, predicted: np.ndarray) -> None:
        moves = np.sqrt(np.mean(predicted[clean_valid] ** 2, axis=1))
        print(f"{name:26s} board {rms(predicted[board_valid] - y_valid[board_valid]):5.2f}  "
              f"other degraded {rms(predicted[live_valid] - y_valid[live_valid]):5.2f}  "
              f"clean move {rms(predicted[clean_valid]):5.2f} (worst {moves.max():5.2f})")

    print(f"{len(x_train)} training, {len(x_valid)} validation examples ({clean_valid.sum()} clean, "
          f"{board_valid.sum()} with a board-mix target); RMS curve error, dB")
    line("no change", np.zeros_like(y_valid))
    for weight in args.weights:
        for ridge in args.ridges:
            sample_weight = np.where(clean_train, weight, 1.0)
            line(f"identity {weight:g}, ridge {ridge:g}", x_valid @ fit(x_train, y_train, sample_weight, ridge))
            held_out = np.zeros_like(y_valid)
            for source in sorted(set(music_valid)):
                keep = music_train != source
                held_out[music_valid == source] = x_valid[music_valid == source] @ fit(
                    x_train[keep], y_train[keep], sample_weight[keep], ridge)
            line("  music source left out", held_out)


if __name__ == "__main__":
    main()
