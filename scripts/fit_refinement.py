#!/usr/bin/env python3
"""Fit a bundle's learned refinement (:mod:`aeib.runtime.learned_refine`) and write it into the bundle JSON.

    .venv/bin/python scripts/fit_refinement.py data/tune_v2 aeib/runtime/models/aeib-small-v3.dynamic-int8.json \\
        --identity-weight 12 --ridge 100 --features runs/gate/curves_v3_train.npz

Per example of the data's ``--split`` (a *training* split: choose the weight on ``valid``, check once on
the out-of-family test set), through the product's own pieces with the first bundle's analyzer: its
setting without refinement and its EQ curve on the map's grid, the measured match (reference over
input long-term spectra, limited to the EQ's range) and the curve the target asks for (target over
input; flat for a clean example). The map is fitted by weighted ridge regression
(:func:`~aeib.runtime.learned_refine.fit_learned_refinement`) and written as the ``refinement`` entry of
every bundle named (in place, or to ``--out`` for one bundle; each file written whole or not at all);
nothing else in the JSON changes (the ``.tflite`` and its hash are untouched). Deterministic: the same data and bundle give the same file.
``--features`` caches the per-example curves (reused when the file exists). Bad data or options: one
line on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aeib.audio.atomic import atomic_output  # noqa: E402
from aeib.errors import AeibError, DataError  # noqa: E402
from aeib.runtime.learned_refine import fit_learned_refinement  # noqa: E402
from aeib.runtime.refine import REFINE_STRENGTH  # noqa: E402


def example_curves(data: Path, split: str, bundle: str, limit: int | None = None) -> dict[str, np.ndarray]:
    """Per example: the analyzer's EQ curve, the measured match and the desired curve on the map's grid
    (:func:`aeib.baselines.rule_based.curve_grid_hz` at the data's rate)."""
    from aeib.baselines.rule_based import curve_from_spectra, curve_grid_hz
    from aeib.dsp.eq import eq_response_db
    from aeib.evaluation.datasets import open_dataset
    from aeib.runtime import load_model
    from aeib.runtime.analysis import analyze_file, reference_embedding_from_file
    from aeib.runtime.enhance import predicted_setting
    from aeib.runtime.learned_refine import MEASURED_LIMITS_DB
    from aeib.runtime.reference import measure_reference
    from aeib.runtime.spectrum import long_term_spectrum_db
    from aeib.runtime.windows import ArrayAudio

    def mono(audio: np.ndarray, rate: int) -> ArrayAudio:
        return ArrayAudio(audio[:, None] if audio.ndim == 1 else audio, rate)

    model = load_model(bundle)
    rows: dict[str, list] = {"analyzer": [], "measured": [], "desired": [], "identity": []}
    rates = set()
    for example in tqdm(open_dataset(data, split=split, limit=limit), desc=f"{data.name} {split}", unit="ex",
                        file=sys.stderr):
        rate = example.sample_rate
        rates.add(rate)
        source, reference = mono(example.input, rate), mono(example.reference, rate)
        analysis = analyze_file(model, source, reference_embedding_from_file(model, reference), False)
        if analysis.silent:
            continue
        measures = measure_reference(reference)
        params = predicted_setting(model, analysis, source, measures, False, 0.0, dead_zone_db=0.0)
        input_spectrum = long_term_spectrum_db(source)
        identity = "mode:identity" in example.groups
        goal_spectrum = long_term_spectrum_db(mono(example.input if identity else example.target, rate))
        rows["analyzer"].append(eq_response_db(params, rate, curve_grid_hz(rate)))
        rows["measured"].append(curve_from_spectra(*input_spectrum, *measures.spectrum, rate, MEASURED_LIMITS_DB[1])[1])
        rows["desired"].append(curve_from_spectra(*input_spectrum, *goal_spectrum, rate, MEASURED_LIMITS_DB[1])[1])
        rows["identity"].append(identity)
    if len(rates) != 1 or not rows["identity"]:
        raise DataError(f"{data} ({split}): " + ("no usable examples" if not rows["identity"]
                                                  else "examples at more than one rate; fit on one rate"))
    return {"grid_hz": curve_grid_hz(rates.pop()), **{k: np.array(v) for k, v in rows.items()}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="shard data with a training split (e.g. data/tune_v2)")
    parser.add_argument("bundle", nargs="+", help="bundle JSON(s); the first one's analyzer gives the features")
    parser.add_argument("--split", default="train")
    parser.add_argument("--limit", type=int, help="first N examples only")
    parser.add_argument("--identity-weight", type=float, required=True, help="a clean example's weight in the fit")
    parser.add_argument("--ridge", type=float, required=True, help="penalty toward the fixed blend's weights")
    parser.add_argument("--features", type=Path, help="cache of the per-example curves (.npz)")
    parser.add_argument("--out", type=Path, help="write the one bundle's JSON here instead of in place")
    args = parser.parse_args()
    if args.out is not None and len(args.bundle) != 1:
        parser.error("--out needs exactly one bundle")
    try:
        fit(args)
    except (AeibError, ValueError) as exc:
        print(f"fit_refinement: error: {exc}", file=sys.stderr)
        return 2
    return 0


def fit(args: argparse.Namespace) -> None:
    """Features (cached), the fit, and each bundle JSON written whole or not at all."""
    from aeib.export.data import manifest_sha256

    if args.features is not None and args.features.is_file():
        curves = dict(np.load(args.features))
    else:
        curves = example_curves(args.data, args.split, args.bundle[0], args.limit)
        if args.features is not None:
            args.features.parent.mkdir(parents=True, exist_ok=True)
            np.savez(args.features, **curves)
    fitted = {"data_manifest_sha256": manifest_sha256(args.data), "split": args.split,
              "analyzer": Path(args.bundle[0]).name}
    learned = fit_learned_refinement(curves["analyzer"], curves["measured"], curves["desired"], curves["identity"],
                                     curves["grid_hz"], args.identity_weight, args.ridge, REFINE_STRENGTH, fitted)
    for path in map(Path, args.bundle):
        bundle = json.loads(path.read_text(encoding="utf-8"))
        bundle["refinement"] = learned.to_json()
        out = args.out or path
        with atomic_output(out) as tmp:
            tmp.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{out}: learned refinement from {learned.fitted['examples']} examples "
              f"({learned.fitted['clean_examples']} clean), identity weight {args.identity_weight:g}, "
              f"ridge {args.ridge:g}")


if __name__ == "__main__":
    raise SystemExit(main())
