"""Six-band parametric EQ: low shelf, four peaking bands, high shelf.

Each band is an RBJ "Audio EQ Cookbook" biquad; the six form a cascade of second-order sections
(SOS) computed for the audio's own sample rate. Band frequencies are capped at
:data:`NYQUIST_FRACTION` of the Nyquist frequency (:func:`band_frequency_cap_hz`), so every band
stays stable at any rate from 8 kHz to 192 kHz. :data:`EQ_BANDS` is the one description of the
bands (names, filter types, ranges): the schema, the TensorFlow twin, rb-dsp and the summaries read it.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from aeib.dsp.biquad import sos_filter
from aeib.dsp.cookbook import BAND_KINDS, biquad_coefficients
from aeib.dsp.processor import Processor, register_processor
from aeib.dsp.schema import ParamSpec

NYQUIST_FRACTION = 0.9
"""Band frequencies are capped at this fraction of the Nyquist frequency (0.45 × sample rate)."""

GAIN_RANGE_DB = 18.0
"""Every band's gain ranges over ±this many dB."""


def band_frequency_cap_hz(sample_rate: float) -> float:
    """The highest frequency (Hz) a band is set to at ``sample_rate``: :data:`NYQUIST_FRACTION` × Nyquist."""
    return NYQUIST_FRACTION * sample_rate / 2.0


@dataclass(frozen=True)
class EQBand:
    """One band of the EQ: its cookbook filter and the ranges of its three parameters.

    Attributes:
        name: The band's part of the parameter names (``eq.<name>.gain_db``).
        kind: ``"low_shelf"``, ``"peak"`` or ``"high_shelf"``.
        min_hz: Lowest centre or cutoff frequency, Hz.
        max_hz: Highest one, Hz (capped further at :func:`band_frequency_cap_hz`).
        default_hz: Its default, Hz.
        min_q: Lowest quality factor.
        max_q: Highest one.
        default_q: Its default.
    """

    name: str
    kind: str
    min_hz: float
    max_hz: float
    default_hz: float
    min_q: float
    max_q: float
    default_q: float

    def __post_init__(self) -> None:
        if self.kind not in BAND_KINDS:
            raise ValueError(f"EQ band {self.name!r}: kind must be one of {BAND_KINDS}, got {self.kind!r}")

    @property
    def frequency_quantity(self) -> str:
        """``"center_hz"`` for a peaking band, ``"cutoff_hz"`` for a shelf."""
        return "center_hz" if self.kind == "peak" else "cutoff_hz"

    @property
    def gain_param(self) -> str:
        """Name of its gain parameter (dB), e.g. ``eq.band2.gain_db``."""
        return f"eq.{self.name}.gain_db"

    @property
    def frequency_param(self) -> str:
        """Name of its frequency parameter (Hz), e.g. ``eq.band2.center_hz``."""
        return f"eq.{self.name}.{self.frequency_quantity}"

    @property
    def q_param(self) -> str:
        """Name of its quality-factor parameter, e.g. ``eq.band2.q``."""
        return f"eq.{self.name}.q"


EQ_BANDS = (
    EQBand("low_shelf", "low_shelf", 30.0, 500.0, 120.0, 0.4, 1.2, 0.707),
    EQBand("band1", "peak", 40.0, 500.0, 150.0, 0.3, 8.0, 1.0),
    EQBand("band2", "peak", 150.0, 2000.0, 500.0, 0.3, 8.0, 1.0),
    EQBand("band3", "peak", 600.0, 6000.0, 2000.0, 0.3, 8.0, 1.0),
    EQBand("band4", "peak", 2000.0, 16000.0, 6000.0, 0.3, 8.0, 1.0),
    EQBand("high_shelf", "high_shelf", 1500.0, 16000.0, 8000.0, 0.4, 1.2, 0.707),
)
"""The bands in chain (and frequency) order: the one place the EQ's structure is written."""


def _band_specs() -> tuple[ParamSpec, ...]:
    specs = []
    for band in EQ_BANDS:
        label = {"low_shelf": "low shelf", "high_shelf": "high shelf"}.get(band.kind, f"peaking {band.name}")
        specs += [
            ParamSpec(band.gain_param, "dB", -GAIN_RANGE_DB, GAIN_RANGE_DB, "lin", 0.0, f"{label} gain", neutral=True),
            ParamSpec(band.frequency_param, "Hz", band.min_hz, band.max_hz, "log", band.default_hz,
                      f"{label} frequency"),
            ParamSpec(band.q_param, "", band.min_q, band.max_q, "log", band.default_q, f"{label} quality factor"),
        ]
    return tuple(specs)


def band_sos(kind: str, freq_hz: float, gain_db: float, q: float, sample_rate: float) -> np.ndarray:
    """One cookbook biquad as an SOS row, float64[6] = (b0, b1, b2, 1, a1, a2).

    Args:
        kind: ``"low_shelf"``, ``"peak"`` or ``"high_shelf"``.
        freq_hz: Centre (peak) or cutoff (shelf) frequency in Hz, capped at :func:`band_frequency_cap_hz`.
        gain_db: Gain at the centre, or the shelf plateau, dB.
        q: Quality factor.
        sample_rate: Hz.
    """
    w0 = 2.0 * math.pi * min(freq_hz, band_frequency_cap_hz(sample_rate)) / sample_rate
    amp = 10.0 ** (gain_db / 40.0)
    return np.array(biquad_coefficients(kind, math.cos(w0), math.sin(w0) / (2.0 * q), amp, math.sqrt(amp)))


def peaking_sos(center_hz: float, gain_db: float, q: float, sample_rate: float) -> np.ndarray:
    """One peaking-EQ biquad as an SOS row, float64[6] = (b0, b1, b2, 1, a1, a2)."""
    return band_sos("peak", center_hz, gain_db, q, sample_rate)


def shelf_sos(cutoff_hz: float, gain_db: float, q: float, sample_rate: float, high: bool) -> np.ndarray:
    """One low- or high-shelf biquad as an SOS row, float64[6]; ``gain_db`` is the shelf plateau."""
    return band_sos("high_shelf" if high else "low_shelf", cutoff_hz, gain_db, q, sample_rate)


def eq_sos(params: Mapping[str, float], sample_rate: float) -> np.ndarray:
    """The whole EQ as second-order sections, float64[6 bands, 6].

    Args:
        params: Physical values of every ``eq.*`` parameter.
        sample_rate: Sample rate in Hz the coefficients are computed for.
    """
    return np.stack([band_sos(band.kind, params[band.frequency_param], params[band.gain_param], params[band.q_param],
                              sample_rate) for band in EQ_BANDS])


def band_responses_db(params: Mapping[str, float], sample_rate: float, freqs_hz: np.ndarray) -> np.ndarray:
    """Magnitude response of each EQ band in dB at ``freqs_hz``: float64[6 bands, n], in
    :data:`EQ_BANDS` order. The cascade multiplies magnitudes, so the EQ's response is their sum."""
    sos = eq_sos(params, sample_rate)
    z = np.exp(-2j * np.pi * np.asarray(freqs_hz, dtype=np.float64) / sample_rate)[None, :]  # z⁻¹ on the unit circle
    h = (sos[:, 0:1] + sos[:, 1:2] * z + sos[:, 2:3] * z * z) / (sos[:, 3:4] + sos[:, 4:5] * z + sos[:, 5:6] * z * z)
    response_db: np.ndarray = 20.0 * np.log10(np.maximum(np.abs(h), 1e-12))
    return response_db


def eq_response_db(params: Mapping[str, float], sample_rate: float, freqs_hz: np.ndarray) -> np.ndarray:
    """Magnitude response of the EQ in dB at ``freqs_hz`` (float64[n])."""
    response_db: np.ndarray = band_responses_db(params, sample_rate, freqs_hz).sum(axis=0)
    return response_db


@register_processor
class ParametricEQ(Processor):
    """Stateful six-band EQ; filter memories carry over between blocks."""

    name = "eq"
    specs = _band_specs()
    _eq_values = operator.itemgetter(*(spec.name for spec in specs))  # params -> its eq.* values, in order
    _gain_values = operator.itemgetter(*(band.gain_param for band in EQ_BANDS))

    def __init__(self, sample_rate: float, channels: int):
        super().__init__(sample_rate, channels)
        self._sos_key: tuple[float, ...] | None = None
        self._sos = np.empty((0, 6))
        self.reset()

    def reset(self) -> None:
        self._zi = np.zeros((len(EQ_BANDS), self.channels, 2))

    def _sos_for(self, params: Mapping[str, float]) -> np.ndarray:
        """Coefficients for ``params``, recomputed only when an ``eq.*`` value changes."""
        key: tuple[float, ...] = self._eq_values(params)
        if key != self._sos_key:
            self._sos_key, self._sos = key, eq_sos(params, self.sample_rate)
        return self._sos

    def process_block(self, block: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        if not any(self._gain_values(params)) and not self._zi.any():
            # Every band is flat and at rest: each biquad is exactly the identity and stays at rest.
            return block
        out, self._zi = sos_filter(self._sos_for(params), block, self._zi)
        return out
