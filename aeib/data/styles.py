"""Production styles and live degradations as *distributions* of chain settings.

Each named style is a table ``{parameter name: (low, high)}``; a setting is drawn per example by
sampling every listed parameter uniformly between ``low`` and ``high`` — linearly for ``lin``
parameters (gains, threshold, knee) and geometrically for ``log`` ones (frequencies, Q, times,
ratio), following the scale of the parameter in :data:`~aeib.dsp.CHAIN_SCHEMA`. Parameters a style
leaves out keep their neutral default. So "warm" is not one fixed label but a family of warm
settings, and a model cannot learn the style by memorising one curve.

The five production styles re-derive the ones of DeepAFx-ST (neutral, broadcast, telephone, bright,
warm) in this project's parameter names; ``random`` is uniform in the schema's normalized space; the
live degradations model what goes wrong at a gig: ``boomy`` (room modes and sub-heavy PA, 100–250 Hz),
``harsh`` (a 2–5 kHz peak), ``muffled`` (highs lost, e.g. a phone in a pocket) and ``squashed``
(a heavy, fast, pumping compressor or a phone's AGC).

Every setting is validated with :meth:`~aeib.dsp.ParameterSchema.complete`, so it is always inside
the schema's ranges and can be fed straight to :func:`aeib.dsp.process`.
"""

from __future__ import annotations

import math

import numpy as np

from aeib.dsp import CHAIN_SCHEMA
from aeib.errors import ParameterError

Range = tuple[float, float]

PRODUCTION_STYLES = ("neutral", "broadcast", "telephone", "bright", "warm")
LIVE_STYLES = ("boomy", "harsh", "muffled", "squashed")
RANDOM_STYLE = "random"
STYLE_NAMES: tuple[str, ...] = PRODUCTION_STYLES + (RANDOM_STYLE,) + LIVE_STYLES
"""Every style name, in the order used for integer style labels in the shards."""

STYLE_TABLES: dict[str, dict[str, Range]] = {
    # Nearly transparent: small EQ wobbles and at most a hint of compression.
    "neutral": {
        "eq.low_shelf.gain_db": (-1.0, 1.0),
        "eq.band2.gain_db": (-1.0, 1.0),
        "eq.band3.gain_db": (-1.0, 1.0),
        "eq.high_shelf.gain_db": (-1.0, 1.0),
        "comp.ratio": (1.0, 1.3),
        "comp.threshold_db": (-12.0, -3.0),
    },
    # Radio voice/music: tight lows, mud cut, presence and air, dense compression with makeup.
    "broadcast": {
        "eq.low_shelf.gain_db": (1.0, 4.0),
        "eq.low_shelf.cutoff_hz": (70.0, 130.0),
        "eq.band2.gain_db": (-5.0, -1.5),
        "eq.band2.center_hz": (250.0, 500.0),
        "eq.band2.q": (0.8, 1.6),
        "eq.band3.gain_db": (2.0, 5.0),
        "eq.band3.center_hz": (2500.0, 4500.0),
        "eq.band3.q": (0.7, 1.4),
        "eq.high_shelf.gain_db": (2.0, 5.0),
        "eq.high_shelf.cutoff_hz": (8000.0, 12000.0),
        "comp.threshold_db": (-30.0, -20.0),
        "comp.ratio": (3.0, 6.0),
        "comp.attack_ms": (2.0, 10.0),
        "comp.release_ms": (80.0, 250.0),
        "comp.knee_db": (3.0, 9.0),
        "comp.makeup_db": (5.0, 10.0),
    },
    # Narrow band-pass around 300–3400 Hz with a mid bump and moderate compression.
    "telephone": {
        "eq.low_shelf.gain_db": (-18.0, -12.0),
        "eq.low_shelf.cutoff_hz": (250.0, 450.0),
        "eq.low_shelf.q": (0.7, 1.1),
        "eq.band1.gain_db": (-12.0, -6.0),
        "eq.band1.center_hz": (80.0, 200.0),
        "eq.band1.q": (0.5, 1.0),
        "eq.band3.gain_db": (3.0, 8.0),
        "eq.band3.center_hz": (1200.0, 2200.0),
        "eq.band3.q": (0.7, 1.5),
        "eq.band4.gain_db": (-12.0, -6.0),
        "eq.band4.center_hz": (5000.0, 9000.0),
        "eq.band4.q": (0.4, 0.9),
        "eq.high_shelf.gain_db": (-18.0, -12.0),
        "eq.high_shelf.cutoff_hz": (2800.0, 4000.0),
        "eq.high_shelf.q": (0.7, 1.1),
        "comp.threshold_db": (-28.0, -16.0),
        "comp.ratio": (2.0, 4.0),
        "comp.makeup_db": (3.0, 8.0),
    },
    # Lifted presence and air, slightly lean lows; little compression.
    "bright": {
        "eq.low_shelf.gain_db": (-4.0, -1.0),
        "eq.low_shelf.cutoff_hz": (100.0, 250.0),
        "eq.band4.gain_db": (2.0, 5.0),
        "eq.band4.center_hz": (4000.0, 8000.0),
        "eq.band4.q": (0.5, 1.2),
        "eq.high_shelf.gain_db": (5.0, 10.0),
        "eq.high_shelf.cutoff_hz": (5000.0, 9000.0),
        "comp.ratio": (1.0, 2.0),
        "comp.threshold_db": (-18.0, -8.0),
    },
    # Full lows, softened upper mids and highs (the high shelf always CUTS), gentle slow compression.
    "warm": {
        "eq.low_shelf.gain_db": (3.0, 7.0),
        "eq.low_shelf.cutoff_hz": (120.0, 250.0),
        "eq.band1.gain_db": (1.0, 3.0),
        "eq.band1.center_hz": (150.0, 300.0),
        "eq.band3.gain_db": (-4.0, -1.0),
        "eq.band3.center_hz": (2500.0, 5000.0),
        "eq.high_shelf.gain_db": (-9.0, -4.0),
        "eq.high_shelf.cutoff_hz": (3500.0, 7000.0),
        "comp.threshold_db": (-22.0, -12.0),
        "comp.ratio": (1.5, 2.5),
        "comp.attack_ms": (15.0, 40.0),
        "comp.release_ms": (200.0, 500.0),
    },
    # Room modes / sub-heavy PA: a strong, fairly narrow low boost.
    "boomy": {
        "eq.band1.gain_db": (6.0, 12.0),
        "eq.band1.center_hz": (100.0, 250.0),
        "eq.band1.q": (0.8, 2.5),
        "eq.low_shelf.gain_db": (0.0, 5.0),
        "eq.low_shelf.cutoff_hz": (60.0, 150.0),
    },
    # A piercing 2–5 kHz resonance.
    "harsh": {
        "eq.band3.gain_db": (6.0, 12.0),
        "eq.band3.center_hz": (2000.0, 5000.0),
        "eq.band3.q": (1.0, 3.0),
        "eq.band4.gain_db": (0.0, 4.0),
        "eq.band4.center_hz": (4000.0, 7000.0),
    },
    # Highs lost: a deep high-shelf cut and dulled presence.
    "muffled": {
        "eq.high_shelf.gain_db": (-15.0, -8.0),
        "eq.high_shelf.cutoff_hz": (1800.0, 4000.0),
        "eq.band4.gain_db": (-8.0, -3.0),
        "eq.band4.center_hz": (5000.0, 9000.0),
        "eq.band3.gain_db": (-4.0, 0.0),
    },
    # Heavy, fast compression pushed up against the ceiling: loud, pumping, no dynamics left.
    "squashed": {
        "comp.threshold_db": (-36.0, -24.0),
        "comp.ratio": (8.0, 20.0),
        "comp.attack_ms": (0.3, 3.0),
        "comp.release_ms": (30.0, 120.0),
        "comp.knee_db": (0.0, 4.0),
        "comp.makeup_db": (16.0, 24.0),
    },
}


def _check_tables() -> None:
    """Fail at import if a table names an unknown parameter or leaves the schema's range."""
    for style, table in STYLE_TABLES.items():
        for name, (low, high) in table.items():
            spec = CHAIN_SCHEMA[name]
            if not spec.min <= low <= high <= spec.max:
                raise ValueError(f"style {style}: {name} range ({low}, {high}) outside [{spec.min}, {spec.max}]")


_check_tables()


def check_style_names(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Validate a list of style names.

    Raises:
        ParameterError: for an empty list or an unknown name.
    """
    names = tuple(names)
    if not names:
        raise ParameterError("at least one style is needed")
    unknown = [name for name in names if name not in STYLE_NAMES]
    if unknown:
        raise ParameterError(f"unknown style(s) {', '.join(unknown)}; choose from {', '.join(STYLE_NAMES)}")
    return names


def style_index(name: str) -> int:
    """Integer label of a style (its position in :data:`STYLE_NAMES`)."""
    return STYLE_NAMES.index(check_style_names([name])[0])


def _draw(name: str, low: float, high: float, rng: np.random.Generator) -> float:
    if low == high:
        return float(low)
    if CHAIN_SCHEMA[name].scale == "log":
        return float(math.exp(rng.uniform(math.log(low), math.log(high))))
    return float(rng.uniform(low, high))


def sample_style(name: str, rng: np.random.Generator) -> dict[str, float]:
    """Draw one complete chain setting of style ``name``.

    Args:
        name: One of :data:`STYLE_NAMES`.
        rng: Random generator (the example's own stream).

    Returns:
        ``{parameter name: physical value}`` for every parameter of :data:`~aeib.dsp.CHAIN_SCHEMA`,
        validated by :meth:`~aeib.dsp.ParameterSchema.complete`.

    Raises:
        ParameterError: for an unknown style name.
    """
    check_style_names([name])
    if name == RANDOM_STYLE:
        return CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.denormalize(CHAIN_SCHEMA.sample_normalized(rng)))
    # Draw in sorted-name order so the stream does not depend on the table's insertion order.
    table = STYLE_TABLES[name]
    return CHAIN_SCHEMA.complete({key: _draw(key, *table[key], rng) for key in sorted(table)})


def describe_styles() -> dict[str, dict[str, list[float]] | str]:
    """JSON-ready description of every style's distribution (written into the manifest)."""
    described: dict[str, dict[str, list[float]] | str] = {
        style: {key: [low, high] for key, (low, high) in sorted(table.items())}
        for style, table in STYLE_TABLES.items()
    }
    described[RANDOM_STYLE] = "uniform in the normalized space of the chain schema"
    return described

