"""Validation metrics of a trained analyzer against "no processing", on a held-out split.

For every example of the split (whole stored segments, fixed order) the analyzer predicts a setting
from (input, reference); the product's DSP chain (:func:`aeib.dsp.process` with the measured loudness
stage aimed at the reference's loudness and the safety limiter, as ``aeib enhance --reference`` runs
it) applies it to the input, and :func:`aeib.metrics.compare` scores the result and the
unprocessed input against the target (the clean capture). Lower is better for every metric.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from tqdm import tqdm

from aeib.data import STYLE_NAMES
from aeib.data.manifest import load_manifest
from aeib.dsp import CHAIN_SCHEMA, process
from aeib.metrics import METRICS, compare
from aeib.model.style_token import analyzer_inputs


def _summary(rows: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    out = {}
    for name in METRICS:
        values = np.array([row[name] for row in rows if not math.isnan(row[name])])
        out[name] = {"mean": float(values.mean()), "std": float(values.std()), "n": int(values.size)}
    return out


def _product_chain(audio: np.ndarray, reference: np.ndarray, rate: int, params: np.ndarray) -> np.ndarray:
    """The chain as ``aeib enhance --reference`` runs it: EQ, compressor, the measured loudness stage aimed
    at the reference's integrated loudness, the safety limiter."""
    from aeib.dsp.loudness import integrated_loudness_lufs, loudness_gain_db

    gain = loudness_gain_db(process(audio, rate, params, limiter=False), rate, integrated_loudness_lufs(reference, rate))
    return process(audio, rate, params, loudness_gain_db=gain)


def validate_analyzer(analyzer, data_dir: str | Path, split: str = "valid", batch_size: int = 16,
                      progress: bool = True) -> dict:
    """Score ``analyzer`` (a Keras analyzer model) on ``split`` of ``data_dir``.

    Returns:
        ``{"split", "examples", "overall": {"model": {metric: {mean, std, n}}, "input": {...},
        "reduction_pct": {metric: %}}, "per_style": {style: {...same...}}}``.
    """
    from aeib.train.dataset import pair_dataset

    manifest = load_manifest(data_dir)
    rate = int(manifest["audio"]["sample_rate"])
    segment_s = int(manifest["audio"]["segment_samples"]) / rate
    dataset = pair_dataset(data_dir, split, batch_size, crop_s=segment_s, shuffle=False, drop_remainder=False)
    rows: dict[str, list] = {"model": [], "input": [], "style": []}
    total = int(manifest["splits"].get(split, 0))
    with tqdm(total=total, desc=f"validate {split}", unit="example", disable=not progress or None) as bar:
        for batch in dataset:
            params01 = analyzer.predict_on_batch(analyzer_inputs(analyzer, batch["input"], batch["reference"]))
            physical = CHAIN_SCHEMA.denormalize(np.asarray(params01, dtype=np.float64))
            for i in range(physical.shape[0]):
                x, target = batch["input"][i].numpy(), batch["target"][i].numpy()
                rows["model"].append(compare(_product_chain(x, batch["reference"][i].numpy(), rate, physical[i]),
                                             target, rate))
                rows["input"].append(compare(x, target, rate))
                rows["style"].append(STYLE_NAMES[int(batch["style"][i])])
                bar.update(1)

    def block(indices) -> dict:
        model = _summary([rows["model"][i] for i in indices])
        inp = _summary([rows["input"][i] for i in indices])
        reduction = {name: 100.0 * (1.0 - model[name]["mean"] / inp[name]["mean"]) if inp[name]["mean"] else 0.0
                     for name in METRICS}
        return {"model": model, "input": inp, "reduction_pct": reduction}

    everything = range(len(rows["style"]))
    per_style = {style: block([i for i in everything if rows["style"][i] == style])
                 for style in STYLE_NAMES if style in rows["style"]}
    return {"split": split, "examples": len(rows["style"]), "overall": block(list(everything)), "per_style": per_style}


def format_table(result: dict) -> str:
    """A markdown table of the overall result."""
    lines = [f"| metric ({result['split']}, {result['examples']} examples) | no processing | model | reduction |",
             "|---|---|---|---|"]
    overall = result["overall"]
    for name in METRICS:
        m, i = overall["model"][name], overall["input"][name]
        lines.append(f"| {name} | {i['mean']:.3f} ± {i['std']:.3f} | {m['mean']:.3f} ± {m['std']:.3f} | "
                     f"{overall['reduction_pct'][name]:+.1f} % |")
    return "\n".join(lines)
