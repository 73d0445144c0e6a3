#!/usr/bin/env python3
"""Choose a learned refinement's weights on rooms (or music) it was not fitted with (evaluation-only, issue 12).

The out-of-family test set is recorded in a room family no training example uses. A learned refinement
(:mod:`aeib.runtime.learned_refine`) chosen on a validation split from the training rooms looked
better than the fixed one there and lost the tonal family on the test set (docs/TRAINING.md). Here
each candidate ``(identity weight, ridge)`` is fitted once per room family of the data with that
family's training examples left out, and each validation example is enhanced (through the product,
with its reference) by the map fitted without its own room family; the fixed refinement runs on the
same examples. ``--by music`` leaves out a music source (the corpus folder of the example's track)
instead of a room family. ``--style NAME`` does the same for a built-in style's reference-free map
(``scripts/fit_refinement.py --style``; its ``--features`` as ``CURVES``), each validation example
enhanced reference-free. The table is ``scripts/compare_analyzers.py``'s::

    .venv/bin/python scripts/refine_room_cv.py data/tune_v2 aeib/runtime/models/aeib-small-v3.dynamic-int8.json \\
        runs/gate/curves_v3_train.npz --weights 4 8 12 16 --ridges 100 1000 10000 --out runs/gate/room_cv.json
    .venv/bin/python scripts/refine_room_cv.py … --by music --weights 8 12 16 --ridges 100 1000 --out runs/gate/music_cv.json

``CURVES`` is ``scripts/fit_refinement.py --features`` of the same data's training split and bundle.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from compare_analyzers import report, scores, summarize  # noqa: E402
from fit_refinement import toward_strength, with_refinement  # noqa: E402

import aeib  # noqa: E402
from aeib.evaluation.datasets import open_dataset  # noqa: E402
from aeib.runtime.learned_refine import fit_learned_refinement  # noqa: E402


def fold_labels(data: Path, split: str, by: str) -> list[str]:
    """Each example's room family (``by="room"``) or music source (``"music"``: the first folder of its
    track's path), in the split's order (the manifest's)."""
    manifest = json.loads((data / "manifest.json").read_text(encoding="utf-8"))
    examples = [x for x in manifest["examples"] if x["split"] == split]
    return [x["room_family"] if by == "room" else x["file"].split("/")[0] for x in examples]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("bundle", type=Path)
    parser.add_argument("curves", type=Path, help="fit_refinement.py --features of the training split")
    parser.add_argument("--split", default="valid")
    parser.add_argument("--weights", type=float, nargs="+", default=[4.0, 8.0, 12.0, 16.0])
    parser.add_argument("--ridges", type=float, nargs="+", default=[100.0, 1000.0, 10000.0])
    parser.add_argument("--by", choices=("room", "music"), default="room", help="what a fold leaves out")
    parser.add_argument("--style", help="a built-in style's reference-free map instead of the reference one")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    curves = dict(np.load(args.curves))
    train_rooms = np.array(fold_labels(args.data, "train", args.by))
    if len(train_rooms) != len(curves["identity"]):
        parser.error(f"{args.curves} has {len(curves['identity'])} examples, the training split {len(train_rooms)}")
    families = sorted(set(train_rooms))
    base = json.loads(args.bundle.read_text(encoding="utf-8"))
    folder = Path(tempfile.mkdtemp(prefix="aeib-room-cv-"))
    shutil.copy(args.bundle.parent / base["tflite_file"], folder / base["tflite_file"])
    bundles: dict[str, dict[str, str]] = {"fixed": {family: str(args.bundle) for family in families}}
    for weight in args.weights:
        for ridge in args.ridges:
            name = f"w{weight:g}-r{ridge:g}"
            bundles[name] = {}
            for family in families:
                keep = train_rooms != family
                learned = fit_learned_refinement(curves["analyzer"][keep], curves["measured"][keep],
                                                 curves["desired"][keep], curves["identity"][keep],
                                                 curves["grid_hz"], weight, ridge, toward_strength(args.style))
                path = folder / f"{name}-no-{family}.json"
                fitted = with_refinement(base, learned.to_json(), args.style, args.bundle)
                path.write_text(json.dumps(fitted), encoding="utf-8")
                bundles[name][family] = str(path)
    rooms = fold_labels(args.data, args.split, args.by)
    mode = "reference" if args.style is None else "reference-free"
    rows = []
    for example, family in zip(tqdm(open_dataset(args.data, split=args.split), unit="ex", file=sys.stderr), rooms):
        rate = example.sample_rate
        identity = "mode:identity" in example.groups
        goal = example.input if identity else example.target
        row = {"groups": list(example.groups) + [f"{args.by}:{family}"], "identity": identity,
               "input": scores(example.input, goal, rate)}
        for name, by_family in bundles.items():
            if args.style is None:
                result = aeib.enhance(example.input, rate, model=by_family[family], reference=example.reference,
                                      reference_sample_rate=rate)
            else:
                result = aeib.enhance(example.input, rate, model=by_family[family], style=args.style)
            row[f"{name}/{mode}"] = scores(result.audio, goal, rate)
        rows.append(row)
    shutil.rmtree(folder, ignore_errors=True)
    table = summarize(rows, list(bundles), (mode,))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"summary": table, "rows": rows}) + "\n", encoding="utf-8")
    report(table, list(bundles), (mode,))
    return 0


if __name__ == "__main__":
    sys.exit(main())
