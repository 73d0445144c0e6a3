#!/usr/bin/env python3
"""What measuring a long recording's loudness gain on excerpts changes in the output (issue 15).

For whole songs of a music folder longer than a minute (by default the ``valid`` split of the
corpus, as ``aeib make-data`` splits it, outside any held-out folder), in both modes — reference-free
toward the default style's −16 LUFS, and with the next song as the reference (its loudness the
target) — the product's setting (:func:`aeib.runtime.enhance.predicted_setting`), then its loudness
plan (:func:`aeib.runtime.render.make_plan`) measured on the whole song and on excerpts
(:mod:`aeib.runtime.excerpts`: the chain's effect on the excerpts added to the whole input's levels)
for each excerpt layout asked for. Each plan's output is rendered whole in memory and its integrated
loudness measured. Prints per song and layout the error of the estimated loudness (LU) and sample
peak (dB) of the chain's output before the loudness stage, and the output's miss from its target (LU);
then per layout the largest errors, the gain's largest difference from the whole measurement, and the
plan's median measuring time (in memory here: no decoding)::

    .venv/bin/python scripts/compare_loudness_excerpts.py data/music --limit 16

``--layouts 60x1.0+0.5 30x2.0+0.5`` compares layouts: COUNT x SECONDS + PREROLL_SECONDS.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from compare_spectrum_excerpts import add_song_arguments, chosen_songs  # noqa: E402

from aeib.audio import audio_info, read_audio  # noqa: E402
from aeib.dsp.loudness import DEFAULT_TARGET_LUFS, integrated_loudness_lufs  # noqa: E402
from aeib.runtime import excerpts, render  # noqa: E402
from aeib.runtime.analysis import analyze_file  # noqa: E402
from aeib.runtime.enhance import predicted_setting, target_embedding  # noqa: E402
from aeib.runtime.model import load_model  # noqa: E402
from aeib.runtime.reference import measure_reference  # noqa: E402
from aeib.runtime.spectrum import long_term_spectrum_db  # noqa: E402
from aeib.runtime.windows import ArrayAudio  # noqa: E402


def parse_layout(text: str) -> tuple[int, float, float]:
    count, rest = text.split("x")
    seconds, preroll = rest.split("+")
    return int(count), float(seconds), float(preroll)


def planned(setting, analysis, audio: np.ndarray, rate: int, measures, layout=None):
    """``(plan, seconds, estimate)``: the plan measured whole (``layout`` None) or on the excerpt layout
    ``(count, seconds, preroll)``, how long that took, and that measurement of the chain's output before
    the loudness stage (``aeib.runtime.render._Signal``, the plan's own)."""
    saved = excerpts.EXCERPT_COUNT, excerpts.EXCERPT_S, excerpts.PREROLL_S
    if layout is not None:
        excerpts.EXCERPT_COUNT, excerpts.EXCERPT_S, excerpts.PREROLL_S = layout
    try:
        def blocks():
            return iter([audio])

        source = None if layout is None else ArrayAudio(audio, rate)
        began = time.perf_counter()
        plan = render.make_plan(setting, analysis, rate, audio.shape[1], blocks, reference=measures, source=source)
        seconds = time.perf_counter() - began
        estimate = render._Signal(plan, blocks, source, None).measure(loudness=False, limiter=False)
        return plan, seconds, estimate
    finally:
        excerpts.EXCERPT_COUNT, excerpts.EXCERPT_S, excerpts.PREROLL_S = saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_song_arguments(parser, limit=16)
    parser.add_argument("--layouts", nargs="+", default=None,
                        help="excerpt layouts COUNTxSECONDS+PREROLL (default: the product's)")
    args = parser.parse_args()
    layouts = [parse_layout(text) for text in args.layouts] if args.layouts else \
        [(excerpts.EXCERPT_COUNT, excerpts.EXCERPT_S, excerpts.PREROLL_S)]
    paths = chosen_songs(args)
    if len(paths) < 2:
        print("compare_loudness_excerpts: fewer than two songs longer than a minute", file=sys.stderr)
        return 2
    model = load_model()
    rows: dict[object, dict[str, list[float]]] = {}
    for i, path in enumerate(paths):
        info = audio_info(path)
        audio, rate = read_audio(str(path), always_2d=True)
        for mode in ("reference-free", "reference"):
            reference = paths[(i + 1) % len(paths)] if mode == "reference" else None
            embedding, _ = target_embedding(model, str(reference) if reference else None)
            analysis = analyze_file(model, str(path), embedding)
            measures = measure_reference(str(reference)) if reference else None
            spectrum = long_term_spectrum_db(str(path))
            setting = predicted_setting(model, analysis, str(path), measures, False, None, spectrum, None)
            target = measures.loudness_lufs if measures else DEFAULT_TARGET_LUFS
            whole, whole_s, exact = planned(setting, analysis, audio, rate, measures)
            line = [f"{str(path.relative_to(args.music))[:34]:34s} {info.duration_s / 60:4.1f} {mode:14s} "
                    f"gain {whole.setting.loudness.gain_db:+6.2f} dB"]
            for layout in [None, *layouts]:
                if layout is None:
                    plan, seconds, estimate = whole, whole_s, exact
                else:
                    plan, seconds, estimate = planned(setting, analysis, audio, rate, measures, layout)
                miss = integrated_loudness_lufs(plan.processor()(audio), rate) - target
                row = rows.setdefault((mode, layout), {k: [] for k in ("dgain", "dlufs", "dpeak", "miss", "s")})
                row["dgain"].append(plan.setting.loudness.gain_db - whole.setting.loudness.gain_db)
                row["dlufs"].append(estimate.loudness_lufs - exact.loudness_lufs)
                row["dpeak"].append(estimate.sample_peak_dbfs - exact.sample_peak_dbfs)
                row["miss"].append(miss)
                row["s"].append(seconds)
                line.append(f"| {row['dlufs'][-1]:+5.2f} LU {row['dpeak'][-1]:+5.2f} dBpk miss {miss:+5.2f}")
            print(" ".join(line), flush=True)
    print(f"\n{len(paths)} songs; errors are estimate − whole measurement, misses output − target")
    print(f"{'mode':15s} {'layout':12s} {'max |dLU|':>9s} {'max |dgain|':>11s} {'peak error dB':>14s} "
          f"{'mean |miss|':>11s} {'max |miss|':>10s} {'median s':>8s}")
    for (mode, layout), row in rows.items():
        name = "whole" if layout is None else f"{layout[0]}x{layout[1]:g}+{layout[2]:g}"
        miss = np.abs(row["miss"])
        print(f"{mode:15s} {name:12s} {np.max(np.abs(row['dlufs'])):9.3f} {np.max(np.abs(row['dgain'])):11.3f} "
              f"{np.min(row['dpeak']):+6.2f} … {np.max(row['dpeak']):+5.2f} {miss.mean():11.3f} {miss.max():10.3f} "
              f"{np.median(row['s']):8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
