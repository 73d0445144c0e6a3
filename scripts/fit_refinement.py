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

``--style NAME`` fits the map of a built-in style instead (reference-free): the analyzer steered by
that style, and the style's tonal target (its ``spectrum``) in place of the reference's spectrum; the
map is written as that style's ``refinement`` entry and shrunk toward the analyzer's own curve
(strength 0) rather than the fixed quarter blend::

    .venv/bin/python scripts/fit_refinement.py data/tune_v2 BUNDLE --style board-mix \\
        --identity-weight 12 --ridge 100 --features runs/gate/curves_v3_board_mix_train.npz --out B.json
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


def toward_strength(style: str | None) -> float:
    """What a map is shrunk toward: the fixed quarter blend with a reference, the analyzer's own curve
    (strength 0) for a style."""
    return REFINE_STRENGTH if style is None else 0.0


def with_refinement(bundle: dict, learned_json: dict, style: str | None, source: object) -> dict:
    """``bundle`` (a decoded bundle JSON, left as it is) with ``learned_json`` as its ``refinement``, or
    as that of its built-in ``style``.

    Raises:
        DataError: if the bundle has no style ``style``.
    """
    if style is None:
        return {**bundle, "refinement": learned_json}
    if not isinstance(bundle.get("styles"), dict) or style not in bundle["styles"]:
        raise DataError(f"{source}: no built-in style {style!r}")
    copy = json.loads(json.dumps(bundle))
    copy["styles"][style]["refinement"] = learned_json
    return copy


def example_curves(data: Path, split: str, bundle: str, limit: int | None = None,
                   style: str | None = None) -> dict[str, np.ndarray]:
    """Per example: the analyzer's EQ curve, the measured match and the desired curve on the map's grid
    (:func:`aeib.baselines.rule_based.curve_grid_hz` at the data's rate). With ``style``: the analyzer
    steered by that built-in style, and the match measured toward its tonal target."""
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
    target = None if style is None else model.style(style)   # refuses an unknown style
    if target is not None and target.spectrum is None:
        raise DataError(f"{bundle}: style {style!r} has no tonal target ('spectrum') to fit a map against")
    rows: dict[str, list] = {"analyzer": [], "measured": [], "desired": [], "identity": []}
    rates = set()
    for example in tqdm(open_dataset(data, split=split, limit=limit), desc=f"{data.name} {split}", unit="ex",
                        file=sys.stderr):
        rate = example.sample_rate
        rates.add(rate)
        source, reference = mono(example.input, rate), mono(example.reference, rate)
        steer = target if target is not None else reference_embedding_from_file(model, reference)
        analysis = analyze_file(model, source, steer, False)
        if analysis.silent:
            continue
        measures = measure_reference(reference) if target is None else None
        params = predicted_setting(model, analysis, source, measures, False, 0.0, dead_zone_db=0.0)
        toward = measures.spectrum if measures is not None else target.spectrum  # type: ignore[union-attr]
        input_spectrum = long_term_spectrum_db(source)
        identity = "mode:identity" in example.groups
        goal_spectrum = long_term_spectrum_db(mono(example.input if identity else example.target, rate))
        rows["analyzer"].append(eq_response_db(params, rate, curve_grid_hz(rate)))
        rows["measured"].append(curve_from_spectra(*input_spectrum, *toward, rate, MEASURED_LIMITS_DB[1])[1])
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
    parser.add_argument("--style", help="fit this built-in style's reference-free map instead")
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
        curves = example_curves(args.data, args.split, args.bundle[0], args.limit, args.style)
        if args.features is not None:
            args.features.parent.mkdir(parents=True, exist_ok=True)
            np.savez(args.features, **curves)
    fitted = {"data_manifest_sha256": manifest_sha256(args.data), "split": args.split,
              "analyzer": Path(args.bundle[0]).name, **({} if args.style is None else {"style": args.style})}
    learned = fit_learned_refinement(curves["analyzer"], curves["measured"], curves["desired"], curves["identity"],
                                     curves["grid_hz"], args.identity_weight, args.ridge, toward_strength(args.style),
                                     fitted)
    for path in map(Path, args.bundle):
        bundle = with_refinement(json.loads(path.read_text(encoding="utf-8")), learned.to_json(), args.style, path)
        out = args.out or path
        with atomic_output(out) as tmp:
            tmp.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        what = "learned refinement" if args.style is None else f"style {args.style!r}: learned refinement"
        print(f"{out}: {what} from {learned.fitted['examples']} examples "
              f"({learned.fitted['clean_examples']} clean), identity weight {args.identity_weight:g}, "
              f"ridge {args.ridge:g}")


if __name__ == "__main__":
    raise SystemExit(main())
