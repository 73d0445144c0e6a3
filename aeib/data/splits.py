"""Train / validation / test split by track, from a stable hash of the track id.

A track's split depends only on its id (its path relative to the corpus root) and the split
fractions — not on the seed, the other tracks or the machine — so adding music to a corpus never
moves an existing track to another split, and no track can ever appear in two splits. Both segments
of every example (and so input, target and reference) come from one track, so nothing of a
validation or test track leaks into training.
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Mapping, Sequence, TypeVar

from aeib.errors import ParameterError

SPLITS = ("train", "valid", "test")
DEFAULT_FRACTIONS = (0.8, 0.1, 0.1)
_SALT = b"aeib-split-v1\x00"

T = TypeVar("T")


def parse_fractions(text: str | Sequence[float]) -> tuple[float, float, float]:
    """Parse ``"0.8,0.1,0.1"`` (train, valid, test) into fractions that sum to 1.

    Raises:
        ParameterError: unless there are three non-negative numbers with a positive train share.
    """
    try:
        values = [float(v) for v in (text.split(",") if isinstance(text, str) else text)]
    except ValueError:
        raise ParameterError(f"split fractions must be three numbers like 0.8,0.1,0.1, got {text!r}") from None
    if len(values) != 3 or any(v < 0 for v in values) or values[0] <= 0:
        raise ParameterError(f"split fractions must be three non-negative numbers (train > 0), got {text!r}")
    total = sum(values)
    return tuple(v / total for v in values)  # type: ignore[return-value]


def hash_unit(track_id: str) -> float:
    """A number in [0, 1) that is a fixed function of ``track_id`` (SHA-256 based)."""
    digest = hashlib.sha256(_SALT + track_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def split_of(track_id: str, fractions: Sequence[float] = DEFAULT_FRACTIONS) -> str:
    """The split (``train``, ``valid`` or ``test``) that ``track_id`` belongs to."""
    u = hash_unit(track_id)
    cumulative = 0.0
    for name, fraction in zip(SPLITS, fractions):
        cumulative += fraction
        if u < cumulative:
            return name
    return SPLITS[-1]


def group_by_split(items: Iterable[T], track_id_of, fractions: Sequence[float] = DEFAULT_FRACTIONS) -> dict[str, list[T]]:
    """Group ``items`` by the split of ``track_id_of(item)``; order within a split is preserved."""
    groups: dict[str, list[T]] = {name: [] for name in SPLITS}
    for item in items:
        groups[split_of(track_id_of(item), fractions)].append(item)
    return groups


def allocate_examples(n_examples: int, fractions: Sequence[float], available: Mapping[str, bool]) -> dict[str, int]:
    """Number of examples per split: proportional to ``fractions`` over the splits that have tracks.

    Splits without tracks get none and their share goes to the others (largest remainder rounding),
    so the counts always add up to ``n_examples``.
    """
    weights = {name: f for name, f in zip(SPLITS, fractions) if available.get(name) and f > 0}
    if not weights:
        return {name: 0 for name in SPLITS}
    total = sum(weights.values())
    exact = {name: n_examples * w / total for name, w in weights.items()}
    counts = {name: int(value) for name, value in exact.items()}
    by_remainder = sorted(exact, key=lambda name: (-(exact[name] - counts[name]), SPLITS.index(name)))
    for name in by_remainder[: n_examples - sum(counts.values())]:
        counts[name] += 1
    return {name: counts.get(name, 0) for name in SPLITS}
