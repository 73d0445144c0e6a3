#!/usr/bin/env python3
"""Evaluation-only sweep behind the refinement's measured-curve limit and gains-only refit (#12).

    .venv/bin/python scripts/refine_limit_experiment.py data/pairs_v2_final valid 400 \\
        '{"r0": {"s": 0}, "lim6": {"limit": 6}}' runs/refine_limit/valid.json

Runs the bundled analyzer once per example (reference mode, no refinement), then each variant of the
refinement on its setting, renders the product chain (loudness stage at the reference's loudness),
and prints per variant: the mean metrics, the identity examples' loudness-matched mel change
(mean/max) and the three parameters most often within 2 % of a range bound. Variant keys (JSON):

* ``s``: strength (0.25); ``limit``: the measured curve's clip in dB (6; 18 = rb-dsp's);
* ``freqs``: also refit the bands' frequencies (false: gains only, the product);
* ``default_qs``: model the EQ with the schema's default Qs in the fit (the fit before #12's fix);
* ``mode``: ``"blend"`` (the measured correction scaled by the input's presence, 0…1, per grid
  point) or ``"fitw"`` (the fit's residual weighted by it); ``floor`` / ``ramp`` (30 / 10 dB): full
  presence ``floor`` dB below the input's loudest ⅓ octave, none ``ramp`` dB further down;
* ``wiener``: σ in dB: the strength times max(0, 1 − σ² / mean square of the measured curve).
"""
import json
import sys

import numpy as np

from aeib.baselines import rule_based as rb
from aeib.dsp import CHAIN_SCHEMA
from aeib.dsp.eq import eq_response_db
from aeib.evaluation.datasets import open_dataset
from aeib.evaluation.methods import chain_output
from aeib.evaluation.models import RuntimeModelMethod
from aeib.metrics import TargetScorer, mel_distance_matched_db
from aeib.runtime.refine import long_term_spectrum_db
from aeib.runtime.windows import ArrayAudio

MODEL = "aeib/runtime/models/aeib-small-v3.dynamic-int8.json"
KEYS = ["mel_distance_db", "mel_distance_matched_db", "centroid_error_hz", "rms_error_db", "loudness_error_lu"]


def presence(grid, freqs, input_db, floor, ramp):
    """0…1 per grid point: how far the input's ⅓-octave level is above its loudest minus floor."""
    level = np.array([input_db[(freqs >= f / 2 ** (1 / 6)) & (freqs <= f * 2 ** (1 / 6))].mean() for f in grid])
    return np.clip((level - level.max() + floor + ramp) / ramp, 0.0, 1.0)


def weighted_fit(grid, curve, rate, anchor, weights, frequencies):
    """fit_eq with its residual weighted per grid point (the response is wrapped; experiment only)."""
    original = rb.eq_response_db
    rb.eq_response_db = lambda setting, sr, g: original(setting, sr, g) * weights
    try:
        return rb.fit_eq(grid, curve * weights, rate, anchor=anchor, frequencies=frequencies)
    finally:
        rb.eq_response_db = original


def refine(params, sin, sref, rate, s=0.25, limit=6.0, freqs=False, default_qs=False, mode=None,
           floor=30.0, ramp=10.0, wiener=None):
    if s == 0:
        return dict(params)
    grid, measured = rb.curve_from_spectra(*sin, *sref, rate, limit)
    analyzer = eq_response_db(params, rate, grid)
    w = presence(grid, *sin, floor, ramp) if mode else np.ones_like(grid)
    if wiener is not None:
        unclipped = rb.curve_from_spectra(*sin, *sref, rate, np.inf)[1]
        s = s * max(0.0, 1.0 - wiener ** 2 / max(float(np.mean(unclipped ** 2)), 1e-9))
    curve = analyzer + s * (w if mode == "blend" else 1.0) * (measured - analyzer)
    anchor = {**params, **({k: CHAIN_SCHEMA[k].default for k in params if k.endswith(".q")} if default_qs else {})}
    if mode == "fitw":
        return {**params, **weighted_fit(grid, curve, rate, anchor, w, freqs)}
    return {**params, **rb.fit_eq(grid, curve, rate, anchor=anchor, frequencies=freqs)}


def main():
    data, split, limit, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[5]
    variants = json.loads(sys.argv[4])
    method = RuntimeModelMethod(MODEL, "v3", refine=0.0)
    method.setup()
    scores = {k: [] for k in variants}
    near = {k: [] for k in variants}
    identity = {k: [] for k in variants}
    groups = []
    for ex in open_dataset(data, split=split, limit=limit):
        rate = ex.sample_rate
        params = method.run(ex, None).params
        sin, sref = long_term_spectrum_db(ArrayAudio(ex.input, rate)), long_term_spectrum_db(ArrayAudio(ex.reference, rate))
        scorer = TargetScorer(ex.target, rate)
        groups.append(ex.groups)
        for name, kw in variants.items():
            setting = refine(params, sin, sref, rate, **kw)
            v = CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.to_vector(setting))
            near[name].append(((v <= 0.02) | (v >= 0.98)).astype(float))
            y = chain_output(ex, CHAIN_SCHEMA.to_vector(setting))
            scores[name].append(scorer.compare(y))
            if "mode:identity" in ex.groups:
                identity[name].append(mel_distance_matched_db(y, ex.input, rate))
    summary = {}
    for name in variants:
        share = dict(zip(CHAIN_SCHEMA.names, map(float, np.mean(near[name], axis=0))))
        summary[name] = {"all": {k: float(np.nanmean([x[k] for x in scores[name]])) for k in KEYS},
                         "near_bound_share": share, "identity_mean": float(np.mean(identity[name])),
                         "identity_max": float(np.max(identity[name])), "n": len(groups), "n_identity": len(identity[name])}
        a, top = summary[name]["all"], sorted(share.items(), key=lambda kv: -kv[1])[:3]
        print(f"{name:16s} mel {a['mel_distance_db']:.3f} lm {a['mel_distance_matched_db']:.3f} "
              f"cen {a['centroid_error_hz']:.1f} rms {a['rms_error_db']:.3f} lu {a['loudness_error_lu']:.3f} | "
              f"id {summary[name]['identity_mean']:.3f}/{summary[name]['identity_max']:.2f} | "
              + ", ".join(f"{k} {x:.1%}" for k, x in top), flush=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"variants": variants, "summary": summary}, f, indent=1)


if __name__ == "__main__":
    main()
