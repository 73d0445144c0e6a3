#!/usr/bin/env python3
"""Do no harm with a reference (issue 12): move the EQ only where the input differs from the reference
by more than music does.

A reference is another excerpt of the song, so its long-term spectrum differs from a clean input's
by the music alone; the analyzer and the refinement (``aeib.runtime.refine``) read that difference as a
tonal fault and change clean recordings. This script measures how much the music alone moves a
long-term spectrum — the spread of the spectra of ``--segments`` equal consecutive parts of the input
and of the reference — and tries rules that let the EQ move only in proportion to how far the
measured input→reference difference exceeds that spread.

Per example of a shard set's split (5 s mono at 24 kHz for ``data/tune_v2``), with the example's
reference, the product's path is rebuilt from its parts (analyzer, refinement, loudness stage:
``aeib.runtime``) so that the analysis and the spectra are computed once and every candidate setting
is rendered from them; the ``default`` candidate is checked against ``aeib.enhance`` on the first
examples. Scores: the loudness-matched mel distance (dB) to the target — for clean (identity)
examples, whose target is the input itself, the change made to a good recording::

    git archive HEAD aeib | tar -x -C /tmp/aeib_head   # optional: a frozen copy of the package
    AEIB_ROOT=/tmp/aeib_head .venv/bin/python scripts/reference_significance_experiment.py data/tune_v2 \
        --split valid --round 3 --out runs/significance/valid_round3.json

Prints, per candidate: clean examples' change (mean / max / count above 1 dB), mel over the degraded
examples and per degradation family; writes the table beside the JSON (``.txt``). ``SIGMA`` is the
content spread in dB at each frequency of the refinement's grid (:func:`content_sigma_db`, from
``--segments`` parts of the input and of the reference), ``m`` the measured match
(``aeib.baselines.rule_based.curve_from_spectra``, unclipped), ``share_k = max(|m| - k·SIGMA, 0) / |m|``.

* round 1, after the product's setting: ``snr-gate z0,z1`` scales all six gains by
  ``clip((rms(m / SIGMA) - z0) / (z1 - z0), 0, 1)``; ``sig-curve k`` multiplies the final EQ curve by
  ``share_k`` and refits; ``bounded k`` clips the final curve to lie between 0 and ``m·share_k``;
  ``sig-refine k`` refines toward ``m·share_k`` instead of ``m``.
* rounds 2–3, inside the refinement (:func:`bounded_refine`, as the runtime would do it): the blended
  curve is clipped to lie between 0 and the measured match (``bref L``: clipped to ±L dB first), then
  optionally multiplied by ``share_k`` (``shrink k``), before the one fit of the six gains.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# AEIB_ROOT: import aeib from another tree (e.g. a `git archive HEAD aeib` export, so that edits in
# progress in the working tree do not change the numbers); default this checkout.
sys.path.insert(0, os.environ.get("AEIB_ROOT", str(REPO)))

import aeib  # noqa: E402
from aeib.baselines.rule_based import band_means, curve_from_spectra, fit_eq  # noqa: E402
from aeib.dsp.eq import EQ_BANDS, eq_response_db  # noqa: E402
from aeib.evaluation.datasets import open_dataset  # noqa: E402
from aeib.metrics import mel_distance_matched_db  # noqa: E402
from aeib.runtime.analysis import analyze_file, reference_embedding_from_file  # noqa: E402
from aeib.runtime.enhance import predicted_setting, rounded_setting  # noqa: E402
from aeib.runtime.model import AnalyzerModel, load_model  # noqa: E402
from aeib.runtime.reference import ReferenceMeasures, measure_reference  # noqa: E402
from aeib.runtime.refine import MEASURED_LIMIT_DB, REFINE_STRENGTH  # noqa: E402
from aeib.runtime.render import make_plan  # noqa: E402
from aeib.runtime.spectrum import LongTermSpectrum, long_term_spectrum_db  # noqa: E402
from aeib.runtime.windows import ArrayAudio  # noqa: E402

MODEL = REPO / "aeib/runtime/models/aeib-small-v3.dynamic-int8.json"
FAMILIES = ("family:capture", "family:dynamics", "family:level", "family:tonal")
NO_LIMIT_DB = 60.0
"""``curve_from_spectra``'s clip when the raw (unclipped) measured match is wanted."""


@dataclass
class Context:
    """Everything a candidate rule may look at for one example (measured once)."""

    rate: int
    model: AnalyzerModel
    analysis: object
    measures: ReferenceMeasures
    source: ArrayAudio
    analyzer: dict[str, float]           # the analyzer's setting, rounded
    input_spectrum: tuple[np.ndarray, np.ndarray]
    grid_hz: np.ndarray                  # the refinement's grid
    measured_db: np.ndarray              # the measured match on it, unclipped
    sigma_db: np.ndarray                 # content spread of ``measured_db`` under "music only", dB


def segment_spectra(audio: np.ndarray, rate: int, segments: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Long-term spectra of ``segments`` equal consecutive parts of mono ``audio``."""
    edges = np.linspace(0, len(audio), segments + 1).astype(int)
    spectra = []
    for start, stop in zip(edges[:-1], edges[1:]):
        spectrum = LongTermSpectrum(rate)
        spectrum.add(audio[start:stop])
        spectra.append(spectrum.level_db())
    return spectra


def content_sigma_db(whole: tuple[np.ndarray, np.ndarray], parts: list[tuple[np.ndarray, np.ndarray]],
                     rate: int, smooth_octaves: float = 0.5) -> np.ndarray:
    """The spread (dB) one recording's long-term spectrum owes to its music, on the refinement's grid.

    Each part's level-aligned, ⅓-octave-smoothed deviation from the whole (``curve_from_spectra``)
    is a draw of "the same recording, other notes"; their variance over the K parts, divided by K, is
    the variance of the whole's spectrum (the standard error of a mean), further smoothed over
    ``smooth_octaves`` (a variance from K parts is noisy).

    Returns:
        float64[grid], the variance (dB², not its root) on ``curve_from_spectra``'s grid.
    """
    deviations = np.stack([curve_from_spectra(*whole, *part, rate, NO_LIMIT_DB)[1] for part in parts])
    grid = curve_from_spectra(*whole, *whole, rate, NO_LIMIT_DB)[0]
    variance = deviations.var(axis=0, ddof=1) / len(parts)
    if smooth_octaves > 0:
        variance = band_means(grid, variance, grid, smooth_octaves / 2)
    return variance


def make_context(model: AnalyzerModel, audio: np.ndarray, reference: np.ndarray, rate: int,
                 segments: int) -> Context:
    source = ArrayAudio(audio[:, None], rate)
    ref = ArrayAudio(reference[:, None], rate, "the reference")
    embedding = reference_embedding_from_file(model, ref)
    analysis = analyze_file(model, source, embedding, False)
    measures = measure_reference(ref)
    spectrum = long_term_spectrum_db(source)
    grid, measured = curve_from_spectra(*spectrum, *measures.spectrum, rate, NO_LIMIT_DB)
    variance = (content_sigma_db(spectrum, segment_spectra(audio, rate, segments), rate)
                + content_sigma_db(measures.spectrum, segment_spectra(reference, rate, segments), rate))
    return Context(rate, model, analysis, measures, source, rounded_setting(model, analysis.params01),
                   spectrum, grid, measured, np.sqrt(variance))


# -- rules: Context -> complete physical setting -------------------------------------------------------------

Rule = Callable[[Context], dict[str, float]]


def default_rule(dead_zone_db: float = 0.0, refine: float | None = None) -> Rule:
    """The product's setting (``aeib.runtime.enhance.predicted_setting``)."""
    def rule(ctx: Context) -> dict[str, float]:
        return predicted_setting(ctx.model, ctx.analysis, ctx.source, ctx.measures, refine=refine,
                                 input_spectrum=ctx.input_spectrum, dead_zone_db=dead_zone_db)
    return rule


def flat_eq(ctx: Context) -> dict[str, float]:
    """The analyzer's setting with every EQ gain 0 (what the EQ rules could reach at best)."""
    return {**default_rule()(ctx), **{band.gain_param: 0.0 for band in EQ_BANDS}}


def snr(ctx: Context) -> float:
    """rms over the grid of measured difference / content spread."""
    return float(np.sqrt(np.mean((ctx.measured_db / ctx.sigma_db) ** 2)))


def snr_gate(z0: float, z1: float) -> Rule:
    def rule(ctx: Context) -> dict[str, float]:
        params = default_rule()(ctx)
        keep = float(np.clip((snr(ctx) - z0) / (z1 - z0), 0.0, 1.0))
        return {**params, **{b.gain_param: params[b.gain_param] * keep for b in EQ_BANDS}}
    return rule


def significant_share(ctx: Context, k: float) -> np.ndarray:
    """Per grid frequency, the share of the measured difference beyond ``k`` content spreads."""
    magnitude = np.abs(ctx.measured_db)
    return np.maximum(magnitude - k * ctx.sigma_db, 0.0) / np.maximum(magnitude, 1e-9)


def sig_curve(k: float) -> Rule:
    def rule(ctx: Context) -> dict[str, float]:
        params = default_rule()(ctx)
        curve = eq_response_db(params, ctx.rate, ctx.grid_hz) * significant_share(ctx, k)
        return {**params, **fit_eq(ctx.grid_hz, curve, ctx.rate, anchor=params, frequencies=False)}
    return rule


def sig_refine(k: float, strength: float = REFINE_STRENGTH) -> Rule:
    """The refinement toward the measured match soft-thresholded by ``k`` content spreads."""
    def rule(ctx: Context) -> dict[str, float]:
        params = ctx.analyzer
        measured = np.clip(ctx.measured_db * significant_share(ctx, k), -MEASURED_LIMIT_DB, MEASURED_LIMIT_DB)
        analyzer = eq_response_db(params, ctx.rate, ctx.grid_hz)
        curve = (1.0 - strength) * analyzer + strength * measured
        return {**params, **fit_eq(ctx.grid_hz, curve, ctx.rate, anchor=params, frequencies=False)}
    return rule


def bounded(k: float) -> Rule:
    """The final EQ curve clipped, per frequency, to lie between 0 and the measured match
    soft-thresholded by ``k`` content spreads: no move beyond, or against, what the reference shows
    above the music's own spread."""
    def rule(ctx: Context) -> dict[str, float]:
        params = default_rule()(ctx)
        supported = ctx.measured_db * significant_share(ctx, k)
        curve = np.clip(eq_response_db(params, ctx.rate, ctx.grid_hz), np.minimum(supported, 0.0),
                        np.maximum(supported, 0.0))
        return {**params, **fit_eq(ctx.grid_hz, curve, ctx.rate, anchor=params, frequencies=False)}
    return rule


def bounded_refine(limit_db: float = MEASURED_LIMIT_DB, scale: float = 1.0, strength: float = REFINE_STRENGTH,
                   k: float = 0.0, shrink: float = 0.0) -> Rule:
    """The refinement (``refine_toward_reference``) with its blended curve clipped, per frequency, to lie
    between 0 and ``scale`` × the measured match (clipped to ±``limit_db``; with ``k`` > 0 first
    soft-thresholded by ``k`` content spreads) before the one fit of the six gains; with ``shrink`` > 0
    the clipped curve is then multiplied by the share of the measured match beyond ``shrink`` content
    spreads (:func:`significant_share`)."""
    def rule(ctx: Context) -> dict[str, float]:
        params = ctx.analyzer
        measured = np.clip(ctx.measured_db, -limit_db, limit_db)
        bound = scale * measured * (significant_share(ctx, k) if k > 0 else 1.0)
        analyzer = eq_response_db(params, ctx.rate, ctx.grid_hz)
        curve = (1.0 - strength) * analyzer + strength * np.clip(ctx.measured_db, -MEASURED_LIMIT_DB, MEASURED_LIMIT_DB)
        curve = np.clip(curve, np.minimum(bound, 0.0), np.maximum(bound, 0.0))
        if shrink > 0:
            curve = curve * significant_share(ctx, shrink)
        return {**params, **fit_eq(ctx.grid_hz, curve, ctx.rate, anchor=params, frequencies=False)}
    return rule


def then_dead_zone(rule: Rule, dead_zone_db: float) -> Rule:
    def settled(ctx: Context) -> dict[str, float]:
        from aeib.runtime.dead_zone import eq_dead_zone
        return eq_dead_zone(rule(ctx), dead_zone_db)
    return settled


ROUND1: dict[str, Rule] = {
    "no refine": default_rule(refine=0.0),
    "band dz 0.25": default_rule(0.25),
    "band dz 0.5": default_rule(0.5),
    **{f"sig-refine {k:g}": sig_refine(k) for k in (1.0, 3.0)},
    **{f"sig-curve {k:g}": sig_curve(k) for k in (1.0, 2.0, 4.0)},
    **{f"bounded {k:g}": bounded(k) for k in (0.0, 1.0, 2.0, 4.0)},
    **{f"snr-gate {z0:g},{z1:g}": snr_gate(z0, z1) for z0, z1 in ((1.0, 3.0), (2.0, 4.0), (2.0, 8.0))},
}
"""The first round's candidates (``--round 1``); its table is runs/significance/valid_round1.txt."""

ROUND2: dict[str, Rule] = {
    "bref 60": bounded_refine(NO_LIMIT_DB),
    "bref 6": bounded_refine(),
    "bref 3": bounded_refine(3.0),
    "bref 6 x0.5": bounded_refine(scale=0.5),
    "bref 6 s0.5": bounded_refine(strength=0.5),
    "bref 6 k1": bounded_refine(k=1.0),
    "bref 6 +dz0.25": then_dead_zone(bounded_refine(), 0.25),
}
"""The second round: the bound inside the refinement (as the runtime would do it)."""

ROUND3: dict[str, Rule] = {
    "bref 60": bounded_refine(NO_LIMIT_DB),
    "bref 60 +dz0.25": then_dead_zone(bounded_refine(NO_LIMIT_DB), 0.25),
    "bref 60 k1": bounded_refine(NO_LIMIT_DB, k=1.0),
    **{f"bref 60 shrink {k:g}": bounded_refine(NO_LIMIT_DB, shrink=k) for k in (0.5, 0.75, 1.0, 1.5)},
    "bref 60 s0.35": bounded_refine(NO_LIMIT_DB, strength=0.35),
}
"""The third round: the unclipped bound, combined with the content-spread shrink or a small dead zone."""

ROUNDS = {1: ROUND1, 2: ROUND2, 3: ROUND3}


BASELINES: dict[str, Rule] = {"default": default_rule(), "flat EQ": flat_eq}
"""Run in every round: the product as it is, and no EQ at all."""


def render(ctx: Context, audio: np.ndarray, params: dict[str, float]) -> np.ndarray:
    block = audio[:, None]
    setting = rounded_setting(ctx.model, ctx.model.schema.normalize(ctx.model.schema.to_vector(params)))
    plan = make_plan(setting, ctx.analysis, ctx.rate, 1, lambda: iter([block]), reference=ctx.measures)
    out = block.copy() if plan.mode in ("bypass", "passthrough") else plan.processor()(block)
    return out[:, 0]


def run(data: Path, split: str, limit: int | None, segments: int, check: int,
        candidates: dict[str, Rule]) -> list[dict]:
    model = load_model(str(MODEL))
    rows = []
    started = time.perf_counter()
    for i, example in enumerate(open_dataset(data, split=split, limit=limit)):
        rate = example.sample_rate
        identity = "mode:identity" in example.groups
        goal = example.input if identity else example.target
        ctx = make_context(model, example.input, example.reference, rate, segments)
        row = {"id": example.example_id, "groups": list(example.groups), "identity": identity,
               "snr": snr(ctx), "sigma_rms_db": float(np.sqrt(np.mean(ctx.sigma_db ** 2))),
               "measured_rms_db": float(np.sqrt(np.mean(ctx.measured_db ** 2))),
               "mel": {"input": mel_distance_matched_db(example.input, goal, rate)}}
        for name, rule in candidates.items():
            out = render(ctx, example.input, rule(ctx))
            row["mel"][name] = mel_distance_matched_db(out, goal, rate)
            if name == "default" and i < check:
                product = aeib.enhance(example.input, rate, model=model, reference=example.reference,
                                       reference_sample_rate=rate).audio
                assert np.allclose(product, out, atol=1e-6), f"{example.example_id}: default ≠ aeib.enhance"
        rows.append(row)
        if (i + 1) % 50 == 0:
            print(f"  {i + 1} examples, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return rows


def report(rows: list[dict], names: list[str]) -> str:
    identity = np.array([row["identity"] for row in rows])
    families = {f: np.array([f in row["groups"] for row in rows]) & ~identity for f in FAMILIES}
    lines = [f"{len(rows)} examples, {identity.sum()} clean, {(~identity).sum()} degraded; with the reference",
             f"{'candidate':20s} {'clean mean':>10s} {'max':>6s} {'>1dB':>5s} {'degraded':>9s} "
             + " ".join(f"{f.split(':')[1]:>9s}" for f in FAMILIES)]
    for name in ["input"] + names:
        mel = np.array([row["mel"][name] for row in rows])
        clean = mel[identity] if identity.any() else np.full(1, np.nan)
        lines.append(f"{name:20s} {clean.mean():10.3f} {clean.max():6.3f} "
                     f"{int((clean > 1.0).sum()):5d} {np.mean(mel[~identity]):9.3f} "
                     + " ".join(f"{np.mean(mel[sel]) if sel.any() else np.nan:9.3f}" for sel in families.values()))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="shard set (e.g. data/tune_v2)")
    parser.add_argument("--split", default="valid")
    parser.add_argument("--limit", type=int, default=None, help="first N examples only")
    parser.add_argument("--segments", type=int, default=4, help="parts per recording for the content spread")
    parser.add_argument("--check", type=int, default=3, help="check 'default' against aeib.enhance on the first N")
    parser.add_argument("--round", type=int, default=3, choices=sorted(ROUNDS), help="which candidates")
    parser.add_argument("--out", type=Path, help="write the per-example numbers here as JSON (and a .txt table)")
    args = parser.parse_args()
    candidates = {**BASELINES, **ROUNDS[args.round]}
    rows = run(args.data, args.split, args.limit, args.segments, args.check, candidates)
    table = report(rows, list(candidates))
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows) + "\n", encoding="utf-8")
        args.out.with_suffix(".txt").write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
