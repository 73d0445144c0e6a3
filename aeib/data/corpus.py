"""Music corpus scanning: any folder of audio files, MUSDB18(-HQ) and MTG-Jamendo layouts.

A corpus is a folder; the scanner finds one audio file per *track* and gives it a stable id, the
path relative to the corpus root (POSIX separators, no extension). The id is what the split hash
uses, so it must not change when the corpus moves to another machine.

Layouts:

* ``folder`` — every audio file below the root (hidden files and folders skipped) is a track. When
  the same relative path exists in several formats (``song.flac`` and ``song.ogg``) only one is kept
  (FLAC > WAV > AIFF > Opus > Ogg > MP3) and the others are counted as ``duplicate``.
* ``musdb`` — MUSDB18-HQ: ``{train,test}/<track>/mixture.wav`` beside the stems; only the mixture is
  used (a stem of a track is not a different track, and using stems would leak across splits). The
  original MUSDB18 ``.stem.mp4`` files are not readable by libsndfile: decode them to WAV first.
* ``jamendo`` — MTG-Jamendo: ``NN/<id>.mp3`` (or ``<id>.low.mp3``) in two-digit folders; the id is
  ``track_<id>`` so full-quality and low-quality copies of one track share it.

Files that cannot be read are not an error: they are returned in :attr:`CorpusScan.skipped`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from aeib.audio import audio_info
from aeib.audio.formats import SOUNDFILE_INPUTS
from aeib.errors import AudioError, CorpusError

AUDIO_SUFFIXES = SOUNDFILE_INPUTS
"""Audio file extensions the scanner picks up, in order of preference for duplicates.

Deliberately fewer than ``aeib enhance`` reads: only the formats soundfile decodes itself, whose
header gives a sample-exact length and whose segments are read sample-exactly, so that the offsets a
manifest records name the same samples on every machine (FFmpeg-decoded formats can estimate their
length and decode a segment from a preroll). It also keeps the track list of an existing corpus, and
with it every dataset built from it, unchanged."""

LAYOUTS = ("auto", "folder", "musdb", "jamendo")

_JAMENDO_NAME = re.compile(r"^(\d+)(\.low)?\.mp3$", re.IGNORECASE)


@dataclass(frozen=True)
class Track:
    """One track of the corpus, as its header describes it.

    Attributes:
        track_id: Stable id (relative path without extension); decides the split.
        rel_path: Path of the audio file relative to the corpus root (POSIX separators).
        sample_rate: Sample rate of the file in Hz.
        channels: Channel count of the file.
        frames: Length in frames (samples per channel) according to the header.
    """

    track_id: str
    rel_path: str
    sample_rate: int
    channels: int
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate


@dataclass
class CorpusScan:
    """Result of scanning a corpus folder.

    Attributes:
        root: Absolute corpus root.
        layout: Layout actually used (``folder``, ``musdb`` or ``jamendo``).
        tracks: Readable tracks, sorted by ``track_id``.
        skipped: Reason → sorted relative paths of the files left out (``unreadable``,
            ``duplicate``, and later ``too_short``, ``low_sample_rate``, ``silent``).
    """

    root: Path
    layout: str
    tracks: list[Track]
    skipped: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, reason: str, rel_path: str) -> None:
        self.skipped.setdefault(reason, []).append(rel_path)
        self.skipped[reason].sort()

    def path_of(self, track: Track) -> Path:
        return self.root / track.rel_path


def _visible_audio_files(root: Path) -> list[Path]:
    files = []
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in AUDIO_SUFFIXES and path.is_file():
            files.append(path)
    return sorted(files)


def detect_layout(root: Path) -> str:
    """Guess the layout of ``root``: ``musdb``, ``jamendo`` or ``folder``."""
    if any((root / split).is_dir() for split in ("train", "test")) and any(root.glob("*/*/mixture.*")):
        return "musdb"
    two_digit = [p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"\d\d", p.name)] if root.is_dir() else []
    if two_digit and any(_JAMENDO_NAME.match(f.name) for d in two_digit[:5] for f in d.iterdir()):
        return "jamendo"
    return "folder"


def _candidates(root: Path, layout: str) -> list[tuple[str, Path]]:
    """(track id, file) pairs, possibly with several files per id (duplicates)."""
    pairs = []
    if layout == "musdb":
        for path in sorted(root.glob("*/*/mixture.*")):
            if path.suffix.lower() in AUDIO_SUFFIXES:
                pairs.append((path.parent.relative_to(root).as_posix(), path))
    elif layout == "jamendo":
        for path in _visible_audio_files(root):
            match = _JAMENDO_NAME.match(path.name)
            if match:
                pairs.append((f"track_{int(match.group(1)):07d}", path))
    else:
        for path in _visible_audio_files(root):
            pairs.append((path.relative_to(root).with_suffix("").as_posix(), path))
    return pairs


def _preference(path: Path) -> tuple[int, int, str]:
    # Full-quality Jamendo copies before ".low" ones, then by format preference.
    return (path.name.lower().endswith(".low.mp3"), AUDIO_SUFFIXES.index(path.suffix.lower()), path.name)


def scan_corpus(root: str | Path, layout: str = "auto") -> CorpusScan:
    """Find the tracks of a corpus and read their headers.

    Args:
        root: Corpus folder.
        layout: One of :data:`LAYOUTS`; ``auto`` detects it.

    Returns:
        The scan; unreadable and duplicate files are listed in ``skipped``, never raised.

    Raises:
        CorpusError: if ``root`` is not a folder or holds no audio file at all.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise CorpusError(f"music folder {root} does not exist or is not a folder")
    root = root.resolve()
    if layout not in LAYOUTS:
        raise CorpusError(f"unknown corpus layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    used = detect_layout(root) if layout == "auto" else layout
    candidates = _candidates(root, used)
    if not candidates:
        raise CorpusError(f"no audio files ({', '.join(AUDIO_SUFFIXES)}) found in {root} (layout {used})")
    by_id: dict[str, list[Path]] = {}
    for track_id, path in candidates:
        by_id.setdefault(track_id, []).append(path)
    scan = CorpusScan(root, used, [])
    for track_id in sorted(by_id):
        paths = sorted(by_id[track_id], key=_preference)
        for extra in paths[1:]:
            scan.skip("duplicate", extra.relative_to(root).as_posix())
        rel_path = paths[0].relative_to(root).as_posix()
        try:
            info = audio_info(paths[0])
        except AudioError:
            scan.skip("unreadable", rel_path)
            continue
        scan.tracks.append(Track(track_id, rel_path, info.sample_rate, info.channels, info.frames))
    return scan
