#!/usr/bin/env python3
"""How many analysis windows a long recording needs (issue 15: "analysis windows proportional to
what helps").

``aeib enhance`` analyses a recording on at most ``AnalysisOptions.max_windows`` evenly spread 5 s
windows (16 by default) and takes the median prediction; with a reference, the reference's embedding
is the median over as many of its windows. For whole songs of a music folder longer than a minute
(by default the ``valid`` split of the corpus, as ``aeib make-data`` splits it, outside any held-out
folder), in both modes (reference-free toward the default style; with the next song as the
reference), the product's setting (:func:`aeib.runtime.enhance.predicted_setting`, spectra measured
as the product does) with each window count of ``--windows``, compared with the setting from the
largest count: the largest difference of the EQ curve (dB, 20 Hz–20 kHz) and of each compressor
parameter in normalized units (0…1 of its range), and the analysis time (median)::

    .venv/bin/python scripts/compare_analysis_windows.py data/music --limit 20 --windows 4 8 16 32

Nothing here is asserted by the tests.
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

from aeib.audio import audio_info  # noqa: E402
from aeib.dsp.eq import eq_response_db  # noqa: E402
from aeib.runtime.analysis import AnalysisOptions, analyze_file, reference_embedding_from_file  # noqa: E402
from aeib.runtime.enhance import predicted_setting  # noqa: E402
from aeib.runtime.model import load_model  # noqa: E402
from aeib.runtime.reference import measure_reference  # noqa: E402
from aeib.runtime.spectrum import long_term_spectrum_db  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_song_arguments(parser, limit=20)
    parser.add_argument("--windows", type=int, nargs="+", default=[4, 8, 16, 32],
                        help="window counts to compare (default 4 8 16 32; the largest is the yardstick)")
    args = parser.parse_args()
    counts = sorted(set(args.windows))
    paths = chosen_songs(args)
    if len(paths) < 2:
        print("compare_analysis_windows: fewer than two songs longer than a minute", file=sys.stderr)
        return 2
    model = load_model()
    grid = np.geomspace(20.0, 20_000.0, 200)
    comp = [i for i, name in enumerate(model.schema.names) if name.startswith("comp.")]
    rows: dict[tuple[str, int], dict[str, list[float]]] = {}
    for i, path in enumerate(paths):
        info = audio_info(path)
        spectrum = long_term_spectrum_db(str(path))
        for mode in ("reference-free", "reference"):
            reference = str(paths[(i + 1) % len(paths)]) if mode == "reference" else None
            measures = measure_reference(reference) if reference else None
            settings, seconds = {}, {}
            for count in counts:
                options = AnalysisOptions(max_windows=count)
                began = time.perf_counter()
                target = reference_embedding_from_file(model, reference, options) if reference \
                    else model.style(model.default_style)
                analysis = analyze_file(model, str(path), target, options=options)
                seconds[count] = time.perf_counter() - began
                settings[count] = predicted_setting(model, analysis, str(path), measures, False, None, spectrum, None)
            best = settings[counts[-1]]
            rate = info.sample_rate
            freqs = grid[grid < rate / 2]
            line = [f"{str(path.relative_to(args.music))[:34]:34s} {info.duration_s / 60:4.1f} {mode:14s}"]
            for count in counts:
                curve = float(np.abs(eq_response_db(settings[count], rate, freqs) - eq_response_db(best, rate, freqs)).max())
                a = model.schema.normalize(model.schema.to_vector(settings[count]))
                b = model.schema.normalize(model.schema.to_vector(best))
                comp_diff = float(np.abs(a[comp] - b[comp]).max())
                row = rows.setdefault((mode, count), {"curve": [], "comp": [], "s": []})
                row["curve"].append(curve)
                row["comp"].append(comp_diff)
                row["s"].append(seconds[count])
                line.append(f"| {count}: {curve:5.2f} dB {comp_diff:4.2f}")
            print(" ".join(line), flush=True)
    print(f"\n{len(paths)} songs; differences from the setting with {counts[-1]} windows")
    print(f"{'mode':15s} {'windows':>7s} {'EQ curve max':>12s} {'median':>7s} {'comp max':>8s} {'analysis s':>10s}")
    for (mode, count), row in rows.items():
        print(f"{mode:15s} {count:7d} {np.max(row['curve']):12.2f} {np.median(row['curve']):7.2f} "
              f"{np.max(row['comp']):8.3f} {np.median(row['s']):10.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
