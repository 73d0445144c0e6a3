"""Six-band parametric EQ: low shelf, four peaking bands, high shelf.

Each band is an RBJ "Audio EQ Cookbook" biquad; the six form a cascade of second-order sections
(SOS) computed for the audio's own sample rate. Band frequencies are capped at
:data:`NYQUIST_FRACTION` of the Nyquist frequency, so every band stays stable at any rate from
8 kHz to 192 kHz.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from aeib.dsp.biquad import sos_filter
from aeib.dsp.processor import Processor, register_processor
from aeib.dsp.schema import ParamSpec

NYQUIST_FRACTION = 0.9
"""Band frequencies are capped at this fraction of the Nyquist frequency (0.45 × sample rate)."""

GAIN_RANGE_DB = 18.0

# (band name, kind, min frequency Hz, max frequency Hz, default frequency Hz, q range, default q)
_BANDS = (
    ("low_shelf", "low_shelf", 30.0, 500.0, 120.0, (0.4, 1.2), 0.707),
    ("band1", "peak", 40.0, 500.0, 150.0, (0.3, 8.0), 1.0),
    ("band2", "peak", 150.0, 2000.0, 500.0, (0.3, 8.0), 1.0),
    ("band3", "peak", 600.0, 6000.0, 2000.0, (0.3, 8.0), 1.0),
    ("band4", "peak", 2000.0, 16000.0, 6000.0, (0.3, 8.0), 1.0),
    ("high_shelf", "high_shelf", 1500.0, 16000.0, 8000.0, (0.4, 1.2), 0.707),
)


def _band_specs() -> tuple[ParamSpec, ...]:
    specs = []
    for band, kind, f_min, f_max, f_default, (q_min, q_max), q_default in _BANDS:
        label = {"low_shelf": "low shelf", "high_shelf": "high shelf"}.get(kind, f"peaking {band}")
        freq_name = "center_hz" if kind == "peak" else "cutoff_hz"
        specs += [
            ParamSpec(f"eq.{band}.gain_db", "dB", -GAIN_RANGE_DB, GAIN_RANGE_DB, "lin", 0.0, f"{label} gain",
                      neutral=True),
            ParamSpec(f"eq.{band}.{freq_name}", "Hz", f_min, f_max, "log", f_default, f"{label} frequency"),
            ParamSpec(f"eq.{band}.q", "", q_min, q_max, "log", q_default, f"{label} quality factor"),
        ]
    return tuple(specs)


def _prepare(center_hz: float, q: float, sample_rate: float) -> tuple[float, float]:
    """cos(w0) and alpha of the cookbook, with the frequency capped below Nyquist."""
    f = min(center_hz, NYQUIST_FRACTION * sample_rate / 2.0)
    w0 = 2.0 * math.pi * f / sample_rate
    return math.cos(w0), math.sin(w0) / (2.0 * q)


def peaking_sos(center_hz: float, gain_db: float, q: float, sample_rate: float) -> np.ndarray:
    """One peaking-EQ biquad as an SOS row, float64[6] = (b0, b1, b2, 1, a1, a2)."""
    a = 10.0 ** (gain_db / 40.0)
    cos_w0, alpha = _prepare(center_hz, q, sample_rate)
    b = (1.0 + alpha * a, -2.0 * cos_w0, 1.0 - alpha * a)
    den = (1.0 + alpha / a, -2.0 * cos_w0, 1.0 - alpha / a)
    return np.array(b + den) / den[0]


def shelf_sos(cutoff_hz: float, gain_db: float, q: float, sample_rate: float, high: bool) -> np.ndarray:
    """One low- or high-shelf biquad as an SOS row, float64[6]; ``gain_db`` is the shelf plateau."""
    a = 10.0 ** (gain_db / 40.0)
    cos_w0, alpha = _prepare(cutoff_hz, q, sample_rate)
    sign = 1.0 if high else -1.0  # the two cookbook shelves differ only in these signs
    c = sign * cos_w0
    root = 2.0 * math.sqrt(a) * alpha
    b = (a * ((a + 1) + (a - 1) * c + root), -2.0 * sign * a * ((a - 1) + (a + 1) * c),
         a * ((a + 1) + (a - 1) * c - root))
    den = ((a + 1) - (a - 1) * c + root, 2.0 * sign * ((a - 1) - (a + 1) * c), (a + 1) - (a - 1) * c - root)
    return np.array(b + den) / den[0]


def eq_sos(params: Mapping[str, float], sample_rate: float) -> np.ndarray:
    """The whole EQ as second-order sections, float64[6 bands, 6].

    Args:
        params: Physical values of every ``eq.*`` parameter.
        sample_rate: Sample rate in Hz the coefficients are computed for.
    """
    rows = []
    for band, kind, *_ in _BANDS:
        gain_db, q = params[f"eq.{band}.gain_db"], params[f"eq.{band}.q"]
        if kind == "peak":
            rows.append(peaking_sos(params[f"eq.{band}.center_hz"], gain_db, q, sample_rate))
        else:
            rows.append(shelf_sos(params[f"eq.{band}.cutoff_hz"], gain_db, q, sample_rate, kind == "high_shelf"))
    return np.stack(rows)


def eq_response_db(params: Mapping[str, float], sample_rate: float, freqs_hz: np.ndarray) -> np.ndarray:
    """Magnitude response of the EQ in dB at ``freqs_hz`` (float64[n])."""
    sos = eq_sos(params, sample_rate)
    z = np.exp(-2j * np.pi * np.asarray(freqs_hz, dtype=np.float64) / sample_rate)[:, None]  # z⁻¹ on the unit circle
    h = np.prod((sos[:, 0] + sos[:, 1] * z + sos[:, 2] * z * z) / (sos[:, 3] + sos[:, 4] * z + sos[:, 5] * z * z), axis=1)
    return 20.0 * np.log10(np.maximum(np.abs(h), 1e-12))


@register_processor
class ParametricEQ(Processor):
    """Stateful six-band EQ; filter memories carry over between blocks."""

    name = "eq"
    specs = _band_specs()

    def __init__(self, sample_rate: float, channels: int):
        super().__init__(sample_rate, channels)
        self._sos_key: tuple[float, ...] | None = None
        self._sos = np.empty((0, 6))
        self.reset()

    def reset(self) -> None:
        self._zi = np.zeros((len(_BANDS), self.channels, 2))

    def _sos_for(self, params: Mapping[str, float]) -> np.ndarray:
        """Coefficients for ``params``, recomputed only when an ``eq.*`` value changes."""
        key = tuple(params[spec.name] for spec in self.specs)
        if key != self._sos_key:
            self._sos_key, self._sos = key, eq_sos(params, self.sample_rate)
        return self._sos

    def process_block(self, block: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        if not self._zi.any() and all(params[f"eq.{band}.gain_db"] == 0.0 for band, *_ in _BANDS):
            # Every band is flat and at rest: each biquad is exactly the identity and stays at rest.
            return block
        out, self._zi = sos_filter(self._sos_for(params), block, self._zi)
        return out
