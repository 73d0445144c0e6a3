"""Do no harm: the EQ's dead zone, the last step between the analyzer (and its refinement) and the chain.

Each EQ band's gain is moved :data:`EQ_DEAD_ZONE_DB` toward 0 dB (a soft threshold): a band the
analyzer moves by less than that is left flat, a larger move is made that much smaller. The
analyzer's small moves are mostly its guess about a recording that needs nothing: on the validation
split of the training data (300 examples, 65 of them clean; ``scripts/dead_zone_experiment.py``,
docs/TRAINING.md, "Do no harm: the EQ's dead zone"), 1 dB halved the change made to clean recordings
in both modes and brought the degraded ones *closer* to their targets with a reference (mel distance
4.49 → 4.43 dB) at a cost of 0.05 dB reference-free (4.82 → 4.87 dB). The bands' frequencies and Qs,
and the compressor, are not touched. 0 turns it off.
"""

from __future__ import annotations

import math

from aeib.dsp.eq import EQ_BANDS
from aeib.errors import ParameterError

EQ_DEAD_ZONE_DB = 1.0
"""Default dead zone of each EQ band's gain, dB."""

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


def eq_dead_zone(params: dict[str, float], dead_zone_db: float = EQ_DEAD_ZONE_DB) -> dict[str, float]:
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


__all__ = ["EQ_DEAD_ZONE_DB", "MAX_DEAD_ZONE_DB", "check_dead_zone", "eq_dead_zone"]
