#!/usr/bin/env python3
"""What measuring a long recording's spectrum on excerpts changes in the refined setting (issue 15).

For whole songs of a music folder longer than a minute (by default the ``valid`` split of the
corpus, as ``aeib make-data`` splits it, outside any held-out folder), each song as the input and the
next one as its reference, at the song's own rate: the analyzer's setting (one model run per song,
through the product's analysis), then the refinement with both spectra measured whole and with both
measured on excerpts (:func:`aeib.runtime.spectrum.excerpt_starts`). Prints per song the largest
difference of the refined EQ gains and of the refined EQ curve (dB, 20 Hz–20 kHz), with the maximum
over all songs, and how long each spectrum measurement took::

    .venv/bin/python scripts/compare_spectrum_excerpts.py data/music --limit 20

Reference-free, the same for the style's tonal target (``--style``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aeib.audio import audio_info  # noqa: E402
from aeib.data.splits import split_of  # noqa: E402
from aeib.dsp.eq import eq_response_db  # noqa: E402
from aeib.runtime import spectrum as spectrum_module  # noqa: E402
from aeib.runtime.analysis import analyze_file  # noqa: E402
from aeib.runtime.enhance import rounded_setting, target_embedding  # noqa: E402
from aeib.runtime.model import load_model  # noqa: E402
from aeib.runtime.refine import long_term_spectrum_db, refine_toward_reference, refine_toward_style  # noqa: E402

AUDIO = {".ogg", ".opus", ".flac", ".wav", ".mp3"}


def songs(folder: Path, split: str, holdout: set[str], min_s: float) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.suffix.lower() not in AUDIO or relative.parts[0] in holdout or split_of(str(relative)) != split:
            continue
        info = audio_info(path)
        if info.frames / info.sample_rate > min_s:
            found.append(path)
    return found


def add_song_arguments(parser: argparse.ArgumentParser, limit: int) -> None:
    """The song-choosing arguments the whole-song comparisons share: the music folder, ``--split``,
    ``--holdout`` and ``--limit`` (default ``limit``)."""
    parser.add_argument("music", type=Path, help="music folder (e.g. data/music)")
    parser.add_argument("--split", default="valid", help="which split's songs (default valid)")
    parser.add_argument("--holdout", default="drascula", help="comma-separated folders left out (default drascula)")
    parser.add_argument("--limit", type=int, default=limit, help=f"at most this many songs (default {limit})")


def chosen_songs(args: argparse.Namespace) -> list[Path]:
    """The songs :func:`add_song_arguments`' arguments choose: longer than a minute, at most ``--limit``."""
    return songs(args.music, args.split, set(filter(None, args.holdout.split(","))),
                 spectrum_module.EXCERPTS_TOTAL_S)[: args.limit]


def measured(path: Path, whole: bool) -> tuple[tuple[np.ndarray, np.ndarray], float]:
    saved = spectrum_module.EXCERPTS_TOTAL_S
    if whole:
        spectrum_module.EXCERPTS_TOTAL_S = float("inf")
    try:
        began = time.perf_counter()
        result = long_term_spectrum_db(str(path))
        return result, time.perf_counter() - began
    finally:
        spectrum_module.EXCERPTS_TOTAL_S = saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_song_arguments(parser, limit=20)
    parser.add_argument("--style", help="reference-free: refine toward this style's tonal target instead")
    args = parser.parse_args()
    paths = chosen_songs(args)
    if len(paths) < 2:
        print("compare_spectrum_excerpts: fewer than two songs longer than a minute", file=sys.stderr)
        return 2
    model = load_model()
    grid = np.geomspace(20.0, 20_000.0, 200)
    gains = [name for name in model.schema.names if name.startswith("eq.") and name.endswith("gain_db")]
    worst_gain, worst_curve, times = 0.0, 0.0, {True: [], False: []}
    print(f"{'song':40s} {'min':>5s} {'max dgain':>9s} {'max dcurve':>10s}")
    for i, path in enumerate(paths):
        info = audio_info(path)
        reference = None if args.style else paths[(i + 1) % len(paths)]
        embedding, _ = target_embedding(model, str(reference) if reference else None, args.style)
        analysis = analyze_file(model, str(path), embedding)
        params = rounded_setting(model, analysis.params01)
        refined = {}
        for whole in (True, False):
            spectrum, seconds = measured(path, whole)
            times[whole].append(seconds)
            if reference is None:
                refined[whole] = refine_toward_style(params, spectrum, model.style(args.style), info.sample_rate)
            else:
                reference_spectrum, seconds = measured(reference, whole)
                times[whole].append(seconds)
                refined[whole] = refine_toward_reference(params, spectrum, reference_spectrum, info.sample_rate)
        dgain = max(abs(refined[True][g] - refined[False][g]) for g in gains)
        rate = info.sample_rate
        curve = np.abs(eq_response_db(refined[True], rate, grid[grid < rate / 2])
                       - eq_response_db(refined[False], rate, grid[grid < rate / 2])).max()
        worst_gain, worst_curve = max(worst_gain, dgain), max(worst_curve, float(curve))
        print(f"{str(path.relative_to(args.music))[:40]:40s} {info.frames / rate / 60:5.1f} {dgain:9.3f} {curve:10.3f}")
    print(f"\n{len(paths)} songs; largest difference: EQ gain {worst_gain:.3f} dB, EQ curve {worst_curve:.3f} dB")
    print(f"spectrum measurement, median per recording: whole {np.median(times[True]):.3f} s, "
          f"excerpts {np.median(times[False]):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
