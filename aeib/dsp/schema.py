"""The parameter schema: the one place where every DSP parameter's name, unit and range is written.

A :class:`ParamSpec` describes one physical parameter; a :class:`ParameterSchema` is an ordered
collection of them. The schema maps between three representations of one setting:

* a **mapping** ``{name: physical value}`` (what users read and edit, what JSON files hold);
* a **physical vector** ``float64[n_params]`` in schema order (what the DSP consumes);
* a **normalized vector** ``float[n_params]`` in ``[0, 1]`` (what the neural controller emits).

Parameters with ``scale == "log"`` (frequencies, Q, time constants, ratio) are mapped
geometrically, so 0.5 is the geometric mean of the range; ``"lin"`` parameters are mapped linearly.
"""

from __future__ import annotations

import json
import math
import reprlib
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from aeib.errors import ParameterError

SCHEMA_FORMAT_VERSION = 1
_SCALES = ("lin", "log")


def _frozen(values: Sequence[float], dtype: type) -> np.ndarray:
    """A read-only array of ``values``."""
    array: np.ndarray = np.array(values, dtype=dtype)
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class ParamSpec:
    """One physical parameter of the processing chain.

    Attributes:
        name: Dotted name, ``processor.part.quantity_unit`` (e.g. ``eq.band2.gain_db``).
        unit: Unit symbol for display (``dB``, ``Hz``, ``ms``, ``:1``, ``""`` for dimensionless).
        min: Smallest allowed physical value.
        max: Largest allowed physical value.
        scale: ``"lin"`` or ``"log"``; ``"log"`` needs ``min > 0``.
        default: Neutral value (the setting that leaves audio unchanged where one exists).
        description: One line for ``aeib params``.
        neutral: True if ``default`` is a true no-op of the processor (a gain of 0 dB, a ratio of
            1:1), so that moving the value towards it makes the processing gentler
            (:meth:`ParameterSchema.toward_neutral`). A property of the processor, not of the
            model contract: it is not compared and not written to JSON.
    """

    name: str
    unit: str
    min: float
    max: float
    scale: str
    default: float
    description: str = ""
    neutral: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if self.scale not in _SCALES:
            raise ValueError(f"{self.name}: scale must be one of {_SCALES}, got {self.scale!r}")
        if not (math.isfinite(self.min) and math.isfinite(self.max) and self.min < self.max):
            raise ValueError(f"{self.name}: need finite min < max, got [{self.min}, {self.max}]")
        if self.scale == "log" and self.min <= 0:
            raise ValueError(f"{self.name}: a log-scaled parameter needs min > 0, got {self.min}")
        if not self.min <= self.default <= self.max:
            raise ValueError(f"{self.name}: default {self.default} outside [{self.min}, {self.max}]")

    def to_normalized(self, value: np.ndarray | float) -> np.ndarray:
        """Map physical value(s) to [0, 1] (values outside the range are clipped)."""
        value = np.clip(np.asarray(value, dtype=np.float64), self.min, self.max)
        if self.scale == "log":
            return np.log(value / self.min) / math.log(self.max / self.min)
        return (value - self.min) / (self.max - self.min)

    @property
    def log_ratio(self) -> float:
        """``ln(max / min)`` of a log-scaled parameter, 0 for a linear one."""
        return math.log(self.max / self.min) if self.scale == "log" else 0.0

    def from_normalized(self, unit_value: np.ndarray | float) -> np.ndarray:
        """Map [0, 1] value(s) to physical units (inputs outside [0, 1] are clipped)."""
        return denormalize_arrays(unit_value, self.min, self.max, self.log_ratio, self.scale == "log")[()]

    def check(self, value: object) -> float:
        """Return ``value`` as a float, raising ParameterError if it is not a number in range."""
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ParameterError(f"{self.name} must be a number, got {type(value).__name__} {reprlib.repr(value)}")
        try:
            value = float(value)
        except OverflowError:  # an integer beyond the float range
            raise ParameterError(f"{self.name} is far outside its range [{self.min:g}, {self.max:g}]") from None
        if not math.isfinite(value):
            raise ParameterError(f"{self.name} must be finite, got {value}")
        # A relative tolerance lets values that went through a normalize round trip pass.
        slack = 1e-9 * max(abs(self.min), abs(self.max), 1.0)
        if not self.min - slack <= value <= self.max + slack:
            raise ParameterError(
                f"{self.name} = {value:g} {self.unit} is outside its range "
                f"[{self.min:g}, {self.max:g}] {self.unit}".rstrip()
            )
        return min(max(value, self.min), self.max)


def denormalize_arrays(unit_value: np.ndarray | float, lows: np.ndarray | float, highs: np.ndarray | float,
                       log_ratios: np.ndarray | float, is_log: np.ndarray | bool) -> np.ndarray:
    """The [0, 1] → physical mapping, for one parameter or a whole vector at once.

    ``lows + u · (highs − lows)`` for linear parameters, ``lows · exp(u · log_ratios)`` for log ones, with
    ``u`` the input clipped to [0, 1]. The arguments broadcast against each other; a schema passes its
    :attr:`~ParameterSchema.lows`, :attr:`~ParameterSchema.highs`, :attr:`~ParameterSchema.log_ratios`
    and :attr:`~ParameterSchema.is_log` (float64[n_params], bool[n_params]). The TensorFlow twin
    (:func:`aeib.model.autodiff_dsp.denormalize`) evaluates the same expression on the same arrays.

    Args:
        unit_value: float[..., n_params] (or a scalar) normalized values.
        lows: Range minimums.
        highs: Range maximums.
        log_ratios: ``ln(highs / lows)`` where ``is_log``, anything finite elsewhere.
        is_log: Which parameters are log-scaled.

    Returns:
        float64 physical values, the broadcast shape.
    """
    unit = np.clip(np.asarray(unit_value, dtype=np.float64), 0.0, 1.0)
    linear = lows + unit * (highs - lows)
    geometric = lows * np.exp(unit * log_ratios)
    return np.where(is_log, geometric, linear)


def check_strength(strength: object) -> float:
    """``strength`` as a float in [0, 1] (1 = the full setting, 0 = neutral).

    Raises:
        ParameterError: if it is not a number in [0, 1].
    """
    if isinstance(strength, bool) or not isinstance(strength, (int, float, np.integer, np.floating)):
        raise ParameterError(f"strength must be a number from 0 to 1, got {reprlib.repr(strength)}")
    value = float(strength)
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise ParameterError(f"strength must be from 0 to 1, got {value:g}")
    return value


class ParameterSchema:
    """An ordered, immutable list of :class:`ParamSpec` with conversions between representations."""

    def __init__(self, specs: Iterable[ParamSpec]):
        self._specs: tuple[ParamSpec, ...] = tuple(specs)
        names = [spec.name for spec in self._specs]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate parameter names in schema: {duplicates}")
        self._index = {name: i for i, name in enumerate(names)}
        self._lows = _frozen([spec.min for spec in self._specs], np.float64)
        self._highs = _frozen([spec.max for spec in self._specs], np.float64)
        self._log_ratios = _frozen([spec.log_ratio for spec in self._specs], np.float64)
        self._is_log = _frozen([spec.scale == "log" for spec in self._specs], bool)

    # -- container protocol -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._specs)

    def __iter__(self) -> Iterator[ParamSpec]:
        return iter(self._specs)

    def __getitem__(self, name: str) -> ParamSpec:
        try:
            return self._specs[self._index[name]]
        except KeyError:
            raise ParameterError(
                f"unknown parameter {name!r} (run `aeib params` to list the valid names)"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParameterSchema) and self._specs == other._specs

    def __repr__(self) -> str:
        return f"ParameterSchema({len(self)} parameters: {', '.join(self.names)})"

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names in schema order."""
        return tuple(spec.name for spec in self._specs)

    @property
    def lows(self) -> np.ndarray:
        """Every parameter's minimum in schema order, float64[n_params] (read-only)."""
        return self._lows

    @property
    def highs(self) -> np.ndarray:
        """Every parameter's maximum in schema order, float64[n_params] (read-only)."""
        return self._highs

    @property
    def log_ratios(self) -> np.ndarray:
        """``ln(max / min)`` of the log-scaled parameters, 0 for linear ones: float64[n_params] (read-only)."""
        return self._log_ratios

    @property
    def is_log(self) -> np.ndarray:
        """Which parameters are log-scaled, bool[n_params] (read-only)."""
        return self._is_log

    def index(self, name: str) -> int:
        """Position of ``name`` in the schema's vectors."""
        self[name]  # raises a helpful error for unknown names
        return self._index[name]

    def subset(self, prefix: str) -> "ParameterSchema":
        """The parameters whose names start with ``prefix + '.'``."""
        return ParameterSchema(spec for spec in self._specs if spec.name.startswith(prefix + "."))

    # -- conversions ----------------------------------------------------------------------------
    def defaults(self) -> dict[str, float]:
        """The neutral setting as a ``{name: value}`` mapping."""
        return {spec.name: spec.default for spec in self._specs}

    def default_vector(self) -> np.ndarray:
        """The neutral setting as a physical vector, float64[n_params]."""
        return np.array([spec.default for spec in self._specs], dtype=np.float64)

    def complete(self, values: Mapping[str, object] | None) -> dict[str, float]:
        """Validate a partial mapping and fill in defaults for every parameter left out.

        Raises:
            ParameterError: for an unknown name, a non-numeric value or a value out of range.
        """
        if values is None:
            values = {}
        if not isinstance(values, Mapping):
            raise ParameterError(f"parameters must be a mapping of name to value, got {type(values).__name__}")
        for name in values:
            if not isinstance(name, str) or name not in self._index:
                raise ParameterError(
                    f"unknown parameter {name!r} (run `aeib params` to list the valid names)"
                )
        return {
            spec.name: spec.check(values[spec.name]) if spec.name in values else spec.default
            for spec in self._specs
        }

    def to_vector(self, values: Mapping[str, object] | Sequence[float] | np.ndarray | None) -> np.ndarray:
        """A physical vector (float64[n_params]) from a partial mapping or a full physical vector."""
        if values is None or isinstance(values, Mapping):
            complete = self.complete(values)
            return np.array([complete[name] for name in self.names], dtype=np.float64)
        vector = np.asarray(values, dtype=np.float64)
        if vector.shape != (len(self),):
            raise ParameterError(f"expected a physical vector of shape ({len(self)},), got {vector.shape}")
        return np.array([spec.check(v) for spec, v in zip(self._specs, vector)], dtype=np.float64)

    def to_dict(self, vector: Sequence[float] | np.ndarray) -> dict[str, float]:
        """A ``{name: value}`` mapping from a physical vector in schema order."""
        vector = np.asarray(vector, dtype=np.float64)
        if vector.shape != (len(self),):
            raise ParameterError(f"expected a physical vector of shape ({len(self)},), got {vector.shape}")
        return {name: float(v) for name, v in zip(self.names, vector)}

    def normalize(self, physical: np.ndarray) -> np.ndarray:
        """Physical values → [0, 1]; works on any array whose last axis has n_params entries."""
        physical = np.asarray(physical, dtype=np.float64)
        self._check_last_axis(physical)
        return np.stack([spec.to_normalized(physical[..., i]) for i, spec in enumerate(self._specs)], axis=-1)

    def denormalize(self, normalized: np.ndarray) -> np.ndarray:
        """[0, 1] values → physical values; works on any array whose last axis has n_params entries."""
        normalized = np.asarray(normalized, dtype=np.float64)
        self._check_last_axis(normalized)
        return denormalize_arrays(normalized, self._lows, self._highs, self._log_ratios, self._is_log)

    def toward_neutral01(self, params01: np.ndarray, strength: float) -> np.ndarray:
        """Scale a normalized setting toward neutral: the strength control.

        Every parameter with a neutral value (:attr:`ParamSpec.neutral`: gains, ratio, makeup) moves to
        ``n0 + strength · (n − n0)`` in normalized units, where ``n0`` is its neutral value's
        normalized position; the others (frequencies, Q, time constants, ...) are left as they are.
        Strength 1 returns the setting unchanged, strength 0 the neutral value exactly, 0.5 half way
        (for the log-scaled ratio: the geometric mean, ``ratio ** 0.5``).

        Args:
            params01: float[..., n_params] normalized setting(s).
            strength: In [0, 1].

        Returns:
            float64[..., n_params].

        Raises:
            ParameterError: for a strength outside [0, 1] or not a number.
        """
        strength = check_strength(strength)
        params01 = np.array(params01, dtype=np.float64)
        self._check_last_axis(params01)
        for i, spec in enumerate(self._specs):
            if spec.neutral and strength != 1.0:
                neutral01 = float(spec.to_normalized(spec.default))
                params01[..., i] = neutral01 + strength * (params01[..., i] - neutral01)
        return params01

    def toward_neutral(self, values: Mapping[str, object] | Sequence[float] | np.ndarray,
                       strength: float) -> dict[str, float]:
        """:meth:`toward_neutral01` on a physical setting (partial mapping or vector) → complete mapping.

        Parameters without a neutral value keep their physical value exactly; at strength 0 the
        neutral ones are exactly their defaults, at strength 1 the setting is returned unchanged.
        """
        strength = check_strength(strength)
        physical = self.to_vector(values)
        scaled = self.denormalize(self.toward_neutral01(self.normalize(physical), strength))
        out = {}
        for i, spec in enumerate(self._specs):
            if not spec.neutral or strength == 1.0:
                out[spec.name] = float(physical[i])
            elif strength == 0.0:
                out[spec.name] = float(spec.default)
            else:
                out[spec.name] = float(scaled[i])
        return out

    def sample_normalized(self, rng: np.random.Generator, size: int | None = None) -> np.ndarray:
        """Uniform random normalized vector(s): shape (n_params,) or (size, n_params)."""
        shape = (len(self),) if size is None else (size, len(self))
        return rng.uniform(0.0, 1.0, size=shape)

    def _check_last_axis(self, array: np.ndarray) -> None:
        if array.ndim == 0 or array.shape[-1] != len(self):
            raise ParameterError(f"expected a last axis of {len(self)} parameters, got shape {array.shape}")

    # -- serialization --------------------------------------------------------------------------
    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the schema (used by `aeib params --json` and export metadata)."""
        parameters = [{k: v for k, v in asdict(spec).items() if k != "neutral"} for spec in self._specs]
        return {"format_version": SCHEMA_FORMAT_VERSION, "parameters": parameters}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_json_dict(), indent=indent)

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> "ParameterSchema":
        """Rebuild a schema from :meth:`to_json_dict` output.

        Raises:
            ParameterError: if the data is not a valid schema description.
        """
        try:
            if data.get("format_version") != SCHEMA_FORMAT_VERSION:
                raise ParameterError(f"unsupported schema format_version {data.get('format_version')!r}")
            return cls(ParamSpec(**entry) for entry in data["parameters"])
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise ParameterError(f"invalid parameter schema: {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> "ParameterSchema":
        from aeib.jsonio import parse_json

        return cls.from_json_dict(parse_json(text, "parameter schema JSON", error=ParameterError))
