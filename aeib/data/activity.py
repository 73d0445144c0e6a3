"""Per-frame energy of a track and the choice of non-silent, non-overlapping segment pairs.

Every readable track is decoded once, block by block, into the RMS level (dBFS) of its mono downmix
in frames of :data:`FRAME_S` seconds. That profile decides where a segment may start: a segment is
*non-silent* when at least :data:`MIN_ACTIVE_FRACTION` of its frames are active, and a frame is
active when it is louder than both an absolute floor (:data:`FLOOR_DBFS`) and a level relative to the
track's own loud passages (95th percentile of its frame levels minus :data:`RELATIVE_DB`). The
relative rule keeps quiet-but-musical passages of a quiet track; the absolute one rejects digital
silence and fade tails.

Profiles are cached on disk (keyed by path, size and modification time), so a rerun or a second
dataset from the same corpus does not decode everything again.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aeib.audio import atomic_output, check_finite, iter_blocks

FRAME_S = 0.1
"""Length of one energy frame in seconds (segment offsets are multiples of it)."""
FLOOR_DBFS = -60.0
RELATIVE_DB = 30.0
MIN_ACTIVE_FRACTION = 0.9
_SILENCE_DB = -150.0
_VERSION = 1
_BLOCK_FRAMES = 1 << 17


@dataclass(frozen=True)
class TrackActivity:
    """Energy profile of one track.

    Attributes:
        frames: Frames actually decoded (the header can be wrong for damaged files).
        hop: Source frames per energy frame (``round(FRAME_S * sample_rate)``).
        frame_db: float32[n_energy_frames], RMS level of the mono downmix in dBFS.
    """

    frames: int
    hop: int
    frame_db: np.ndarray


def analyze_track(path: str | Path, sample_rate: int) -> TrackActivity:
    """Decode ``path`` block by block and measure its per-frame RMS level.

    Raises:
        AudioError: if the file cannot be decoded or holds NaN or infinite samples.
    """
    hop = max(1, round(FRAME_S * sample_rate))
    sums: list[np.ndarray] = []
    carry = np.zeros(0, dtype=np.float32)
    frames = 0
    for block in iter_blocks(path, _BLOCK_FRAMES):
        check_finite(block, path)  # NaN/Inf would reach the rendered examples: such a track is unreadable
        frames += block.shape[0]
        mono = block[:, 0] if block.shape[1] == 1 else block.mean(axis=1)
        mono = np.concatenate([carry, mono])
        whole = mono.shape[0] // hop * hop
        sums.append(np.square(mono[:whole]).reshape(-1, hop).mean(axis=1, dtype=np.float64))
        carry = mono[whole:]
    power = np.concatenate(sums) if sums else np.zeros(0)
    with np.errstate(divide="ignore"):
        frame_db = np.maximum(10.0 * np.log10(power), _SILENCE_DB)
    frame_db = np.where(np.isfinite(frame_db), frame_db, _SILENCE_DB)  # NaN samples count as silence
    return TrackActivity(frames, hop, frame_db.astype(np.float32))


def _cache_key(path: Path, sample_rate: int) -> str:
    stat = path.stat()
    text = f"{_VERSION}|{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{sample_rate}|{FRAME_S}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def load_or_analyze(path: str | Path, sample_rate: int, cache_dir: Path | None) -> TrackActivity:
    """:func:`analyze_track`, cached under ``cache_dir/activity`` when a cache folder is given."""
    path = Path(path)
    if cache_dir is None:
        return analyze_track(path, sample_rate)
    cache_file = Path(cache_dir) / "activity" / f"{_cache_key(path, sample_rate)}.npz"
    if cache_file.is_file():
        try:
            with np.load(cache_file) as data:
                return TrackActivity(int(data["frames"]), int(data["hop"]), data["frame_db"])
        except Exception:  # a damaged cache entry is simply recomputed
            pass
    activity = analyze_track(path, sample_rate)
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(cache_file) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, frames=activity.frames, hop=activity.hop, frame_db=activity.frame_db)
    return activity


def active_frames(frame_db: np.ndarray) -> np.ndarray:
    """bool[n_frames]: which energy frames count as non-silent."""
    if frame_db.size == 0:
        return np.zeros(0, dtype=bool)
    reference_db = float(np.percentile(frame_db, 95))
    return frame_db > max(FLOOR_DBFS, reference_db - RELATIVE_DB)


def segment_span(segment_s: float, sample_rate: int, hop: int) -> int:
    """Energy frames that cover a segment of ``ceil(segment_s · sample_rate)`` source frames."""
    return max(1, math.ceil(math.ceil(segment_s * sample_rate - 1e-9) / hop))


def valid_starts(frame_db: np.ndarray, span: int) -> np.ndarray:
    """Energy-frame indices where a non-silent segment of ``span`` energy frames may start.

    Returns:
        int64[k], sorted; each start ``s`` satisfies ``s + span <= n_frames``.
    """
    active = active_frames(frame_db)
    if active.size < span:
        return np.zeros(0, dtype=np.int64)
    counts = np.convolve(active.astype(np.int64), np.ones(span, dtype=np.int64), mode="valid")
    return np.flatnonzero(counts >= math.ceil(MIN_ACTIVE_FRACTION * span)).astype(np.int64)


def pairable_starts(starts: np.ndarray, span: int) -> np.ndarray:
    """The starts that have at least one non-overlapping partner among ``starts``."""
    if starts.size == 0:
        return starts
    return starts[(starts - span >= starts[0]) | (starts + span <= starts[-1])]


def pick_pair(starts: np.ndarray, span: int, rng: np.random.Generator) -> tuple[int, int]:
    """Draw two non-overlapping segment starts (energy-frame indices) ``(a, b)``.

    ``a`` is uniform over the starts that have a partner, ``b`` uniform over ``a``'s partners; so
    ``|a - b| >= span`` and the two segments share no sample.

    Raises:
        ValueError: if no non-overlapping pair exists.
    """
    candidates = pairable_starts(starts, span)
    if candidates.size == 0:
        raise ValueError("no non-overlapping pair of non-silent segments")
    a = int(candidates[rng.integers(candidates.size)])
    partners = starts[(starts <= a - span) | (starts >= a + span)]
    b = int(partners[rng.integers(partners.size)])
    return a, b
