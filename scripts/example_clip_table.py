#!/usr/bin/env python3
"""The example clip's degradation on other excerpts: input / default style / ``--style live-room`` /
``--reference`` (a clean excerpt from elsewhere in the song), loudness-matched mel distance to the
clean excerpt in dB (docs/EXAMPLE_CLIP.md). Needs ``data/music`` (``scripts/fetch_music.sh``).

    .venv/bin/python scripts/example_clip_table.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aeib.metrics import mel_distance_matched_db  # noqa: E402

MUSIC = REPO / "data" / "music" / "fretsonfire"
EXCERPTS = [  # (song, excerpt start s, reference start s); the first is the shipped clip
    ("mutilated_mime", 60, 120), ("mutilated_mime", 30, 120), ("armygeddon", 30, 120), ("armygeddon", 60, 120),
    ("armygeddon", 100, 40), ("chaos_god", 30, 120), ("chaos_god", 60, 120), ("chaos_god", 140, 60),
]
RUNS = {"default style": [], "live-room": ["--style", "live-room"], "--reference": ["--reference", "ref.wav"]}


def main() -> None:
    aeib = [sys.executable, "-m", "aeib.cli.main"]
    print("| excerpt (reference) | input | " + " | ".join(RUNS) + " |")
    print("|---" * (2 + len(RUNS)) + "|")
    for song, start, reference_start in EXCERPTS:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            subprocess.run([sys.executable, str(REPO / "scripts" / "make_example_clip.py"), "club.flac",
                            "--song", str(MUSIC / f"{song}.flac"), "--start-s", str(start),
                            "--clean-out", "clean.wav", "--reference-out", "ref.wav",
                            "--reference-start-s", str(reference_start)], cwd=work, check=True, capture_output=True)
            clean, rate = sf.read(work / "clean.wav")
            cells = [mel_distance_matched_db(sf.read(work / "club.flac")[0], clean, rate)]
            for options in RUNS.values():
                out = f"out-{len(cells)}.wav"
                subprocess.run([*aeib, "enhance", "club.flac", "-o", out, "-q", *options], cwd=work, check=True)
                cells.append(mel_distance_matched_db(sf.read(work / out)[0], clean, rate))
        label = f"{song.replace('_', ' ').title()} {start} s ({reference_start} s)"
        print(f"| {label} | " + " | ".join(f"{c:.2f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
