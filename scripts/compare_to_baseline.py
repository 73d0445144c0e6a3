#!/usr/bin/env python3
"""Does a model beat a baseline (e.g. Matchering) overall and per degradation family? From `aeib evaluate` runs.

    .venv/bin/python scripts/compare_to_baseline.py runs/eval-oof-baselines/results.json \\
        runs/eval-oof-v3/results.json --model small-v3 --baseline matchering

Both runs must cover the same examples (same test set, split and ``--limit``; their ``input`` rows are
compared to make sure). For every scope — ``all``, each ``family:*`` and ``mode:*`` — it prints the
model's and the baseline's mean of the four headline metrics (mel distance, spectral-centroid error,
RMS error, loudness error), whether the model is lower on each, and the share of degradation
families where it is lower on all four. ``--json`` writes the same as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

HEADLINE = ("mel_distance_db", "centroid_error_hz", "rms_error_db", "loudness_error_lu")


def _means(results: dict, method: str) -> dict[tuple[str, str], float]:
    return {(row["scope"], row["metric"]): row["mean"] for row in results["summary"] if row["method"] == method}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline_results", type=Path, help="results.json holding the baseline")
    parser.add_argument("model_results", type=Path, help="results.json holding the model")
    parser.add_argument("--model", required=True, help="the model's method name in its run")
    parser.add_argument("--baseline", default="matchering", help="the baseline's method name (default matchering)")
    parser.add_argument("--json", type=Path, help="write the comparison here")
    args = parser.parse_args()

    base_run = json.loads(args.baseline_results.read_text(encoding="utf-8"))
    model_run = json.loads(args.model_results.read_text(encoding="utf-8"))
    base_input, model_input = _means(base_run, "input"), _means(model_run, "input")
    for key in set(base_input) & set(model_input):
        a, b = base_input[key], model_input[key]
        if not (math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))):
            raise SystemExit(f"error: the two runs scored different examples (input {key}: {a} vs {b})")
    base, model = _means(base_run, args.baseline), _means(model_run, args.model)
    if not base or not model:
        raise SystemExit(f"error: no rows for {args.baseline!r} or {args.model!r} in the given runs")
    scopes = sorted({scope for scope, _ in model}, key=lambda s: (s != "all", not s.startswith("family:"), s))
    scopes = [s for s in scopes if s == "all" or s.startswith(("family:", "mode:"))]
    table, families_won, families = [], 0, 0
    print("| scope | " + " | ".join(f"{m} ({args.model} / {args.baseline})" for m in HEADLINE) + " | all four |")
    print("|---|" + "---|" * (len(HEADLINE) + 1))
    for scope in scopes:
        cells, wins = [], []
        for metric in HEADLINE:
            m, b = model.get((scope, metric), math.nan), base.get((scope, metric), math.nan)
            wins.append(bool(m < b))
            cells.append(f"{m:.3g} / {b:.3g} {'✓' if m < b else '✗'}")
        print(f"| {scope} | " + " | ".join(cells) + f" | {'yes' if all(wins) else 'no'} |")
        table.append({"scope": scope, "wins": dict(zip(HEADLINE, wins)), "all_four": all(wins),
                      "model": {k: model.get((scope, k)) for k in HEADLINE},
                      "baseline": {k: base.get((scope, k)) for k in HEADLINE}})
        if scope.startswith("family:"):
            families += 1
            families_won += all(wins)
    share = families_won / families if families else math.nan
    print(f"\nfamilies where {args.model} beats {args.baseline} on all four: {families_won}/{families} ({share:.0%})")
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, "baseline": args.baseline, "scopes": table,
                                         "families_won": families_won, "families": families}, indent=2) + "\n",
                             encoding="utf-8")


if __name__ == "__main__":
    main()
