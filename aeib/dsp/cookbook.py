"""The RBJ "Audio EQ Cookbook" biquad formulas, written once for numpy and TensorFlow.

The formulas are plain arithmetic on four terms of the cookbook — ``cos(w0)``, ``alpha``, ``A`` and
``√A`` — so one function serves Python floats (:mod:`aeib.dsp.eq`, float64) and TensorFlow tensors
(:mod:`aeib.model.autodiff_eq`, differentiable): each caller computes the four terms with its own
``cos``/``sin``/``sqrt`` and passes them in. The order of operations is fixed here, so the numpy
coefficients are bit-identical to those written out before and the TensorFlow ones agree with them
to rounding (tested in ``tests/model/test_model_autodiff.py``). See ``docs/DSP.md`` for why.

Nothing is imported: the module works on any type that supports ``+ - * /`` with Python floats.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

BAND_KINDS = ("low_shelf", "peak", "high_shelf")
"""The cookbook filters the EQ uses."""

T = TypeVar("T", bound="Arithmetic")


class Arithmetic(Protocol):
    """What the formulas need of a term: ``+ - * /`` with its own type and with Python floats (float, tensor)."""

    def __add__(self: T, other: T | float, /) -> T: ...
    def __radd__(self: T, other: float, /) -> T: ...
    def __sub__(self: T, other: T | float, /) -> T: ...
    def __rsub__(self: T, other: float, /) -> T: ...
    def __mul__(self: T, other: T | float, /) -> T: ...
    def __rmul__(self: T, other: float, /) -> T: ...
    def __truediv__(self: T, other: T | float, /) -> T: ...


def biquad_coefficients(kind: str, cos_w0: T, alpha: T, amp: T, sqrt_amp: T) -> tuple[T, T, T, T, T, T]:
    """One cookbook biquad, normalized so that ``a0 = 1``.

    Args:
        kind: ``"low_shelf"``, ``"peak"`` or ``"high_shelf"``.
        cos_w0: ``cos(2π f / sample_rate)`` of the centre or cutoff frequency ``f``.
        alpha: ``sin(w0) / (2 q)``.
        amp: ``A = 10 ** (gain_db / 40)``; for a shelf ``gain_db`` is the plateau.
        sqrt_amp: ``√A`` (only the shelves use it).

    Returns:
        ``(b0, b1, b2, a0, a1, a2)`` divided by ``a0`` (so the fourth entry is 1), each of the
        arguments' type and shape: an SOS row.

    Raises:
        ValueError: for an unknown ``kind``.
    """
    if kind == "peak":
        b = (1.0 + alpha * amp, -2.0 * cos_w0, 1.0 - alpha * amp)
        a = (1.0 + alpha / amp, -2.0 * cos_w0, 1.0 - alpha / amp)
    elif kind in ("low_shelf", "high_shelf"):
        sign = 1.0 if kind == "high_shelf" else -1.0  # the two shelves differ only in these signs
        c = sign * cos_w0
        root = 2.0 * sqrt_amp * alpha
        b = (amp * ((amp + 1) + (amp - 1) * c + root), -2.0 * sign * amp * ((amp - 1) + (amp + 1) * c),
             amp * ((amp + 1) + (amp - 1) * c - root))
        a = ((amp + 1) - (amp - 1) * c + root, 2.0 * sign * ((amp - 1) - (amp + 1) * c),
             (amp + 1) - (amp - 1) * c - root)
    else:
        raise ValueError(f"unknown biquad kind {kind!r}; choose from {BAND_KINDS}")
    a0 = a[0]
    return b[0] / a0, b[1] / a0, b[2] / a0, a0 / a0, a[1] / a0, a[2] / a0
