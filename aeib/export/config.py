"""Export settings: variants, analysis window, data sizes and per-variant parity tolerances.

Defaults live in ``aeib/configs/export/default.json`` (package data, read by ``aeib export``; its values
equal :class:`ExportConfig`'s defaults, which a test checks). This module imports no TensorFlow.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from aeib.errors import ExportError
from aeib.jsonio import read_json

FEATURE_VARIANTS = ("float32", "float16", "dynamic-int8", "int8")
"""Variants of the feature model (log-mel computed by the caller), from the largest file to the smallest."""
RAW_PREFIX = "raw-"
RAW_VARIANTS = ("raw-float32", "raw-float16")
"""Variants of the raw-audio model (log-mel front end inside the graph): ``raw-<feature variant>``."""
VARIANTS = FEATURE_VARIANTS + RAW_VARIANTS
"""Every export variant."""

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parents[1] / "configs" / "export" / "default.json"
"""Where ``aeib export`` reads its defaults: package data, so that an installed ``aeib`` has it too."""

PARITY_TOLERANCES = {"float32": 1e-5, "float16": 2e-3, "dynamic-int8": 0.02, "int8": 0.05,
                     "raw-float32": 1e-4, "raw-float16": 2e-3}
"""Largest allowed ``|params01_tflite − params01_keras|`` per variant (normalized units, 0–1).

The one place the tolerances are written: a config file lists only those it changes (``tolerances``,
merged over these), the shipped ``default.json`` none.

float32 differs from Keras only by the front end's float32-vs-float64 rounding and operator order;
float16 stores weights in half precision; the int8 variants quantize weights (and, for full int8,
activations). Set from measurements on ``small-v1`` (32 validation windows: 2.1e-7, 5.0e-4, 4.9e-3,
0.039) with head room for other checkpoints; see ``docs/EXPORT.md``. The raw-audio float32 model also
computes its front end in float32 inside the graph (≈ 2e-6 natural-log units from the numpy one).
"""

CROSS_RUNTIME_TOLERANCES = {"float32": 1e-5, "float16": 1e-5, "dynamic-int8": 2e-3, "int8": 0.05,
                            "raw-float32": 1e-4, "raw-float16": 1e-4}
"""Largest allowed difference of ``params01`` between two TFLite runtimes (LiteRT and
``tflite-runtime`` 2.14) on the same inputs, per variant; recorded in each JSON's ``runtime`` block and
enforced by ``scripts/check_tflite_runtimes.py`` in CI. Float kernels agree to rounding; dynamic-range
int8 quantizes activations on the fly (measured up to 3.3e-4 apart on ``small-v2``, 32 windows); full int8's integer
kernels round differently (measured up to 0.027 apart), see ``docs/EXPORT.md``.
"""


NOT_RECOMMENDED = {
    "int8": ("full int8's integer kernels round differently from one runtime to another (small-v2: params01 up "
             "to 0.027 apart between LiteRT 2.3 and tflite-runtime 2.14 over 32 windows, float variants 3e-7) and "
             "its error against Keras is several times dynamic-int8's; use it only where an integer-only "
             "accelerator requires it"),
}
"""Variants written but marked ``"recommended": false`` in their JSON, with the measured reason
(``docs/EXPORT.md``); ``aeib export`` adds this export's own parity figures to the reason."""


def base_kind(variant: str) -> str:
    """The quantization of a variant: ``"raw-float16"`` → ``"float16"``, ``"int8"`` → ``"int8"``."""
    return variant[len(RAW_PREFIX):] if variant.startswith(RAW_PREFIX) else variant


def is_raw(variant: str) -> bool:
    """Whether a variant takes raw audio (front end in the graph)."""
    return variant.startswith(RAW_PREFIX)


@dataclass(frozen=True)
class ExportConfig:
    """Settings of one export run.

    Attributes:
        variants: Variants to write, a subset of :data:`VARIANTS`.
        window_seconds: Length of the analysis window in seconds (the model's fixed input).
        representative_windows: Training windows used to calibrate full int8 and to compute the
            built-in styles (each window gives one input and one reference).
        parity_examples: Validation (or generated) examples for the parity check.
        seed: Seed of the generated parity audio when the data has no validation split.
        tolerances: Parity tolerance per variant (normalized parameter units).
    """

    variants: tuple[str, ...] = VARIANTS
    window_seconds: float = 5.0
    representative_windows: int = 256
    parity_examples: int = 32
    seed: int = 0
    tolerances: Mapping[str, float] = field(default_factory=lambda: dict(PARITY_TOLERANCES))

    def __post_init__(self) -> None:
        object.__setattr__(self, "variants", tuple(self.variants))
        unknown = [v for v in self.variants if v not in VARIANTS]
        if unknown or not self.variants:
            raise ExportError(f"unknown or no variant(s) {unknown}; choose from {', '.join(VARIANTS)}")
        if len(set(self.variants)) != len(self.variants):
            raise ExportError(f"variant listed twice in {list(self.variants)}")
        missing = [v for v in VARIANTS if v not in self.tolerances]
        if missing:
            raise ExportError(f"export config needs a parity tolerance for {missing}")
        bad = {k: v for k, v in self.tolerances.items() if isinstance(v, bool) or not isinstance(v, (int, float))
               or not math.isfinite(v) or v <= 0}
        if bad:
            raise ExportError(f"parity tolerances must be positive numbers, got {bad}")
        if not (isinstance(self.window_seconds, (int, float)) and math.isfinite(self.window_seconds)
                and self.window_seconds > 0):
            raise ExportError(f"window_seconds must be a positive number, got {self.window_seconds!r}")
        for name in ("representative_windows", "parity_examples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ExportError(f"{name} must be a positive integer, got {value!r}")

    def window_samples(self, sample_rate: int) -> int:
        """Samples in the analysis window at ``sample_rate`` Hz."""
        return int(round(self.window_seconds * sample_rate))

    def with_changes(self, **changes: Any) -> "ExportConfig":
        """A copy with some fields replaced (``None`` values are ignored)."""
        values = {**asdict(self), **{k: v for k, v in changes.items() if v is not None}}
        return ExportConfig(**values)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["variants"] = list(self.variants)
        out["tolerances"] = dict(self.tolerances)
        return out

    @classmethod
    def from_dict(cls, data: Any) -> "ExportConfig":
        """Validate decoded JSON (unknown keys are refused)."""
        if not isinstance(data, Mapping):
            raise ExportError(f"an export config must be a JSON object, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ExportError(f"unknown key(s) {unknown} in export config; known keys: {sorted(known)}")
        values = dict(data)
        try:
            if "tolerances" in values:
                values["tolerances"] = {**PARITY_TOLERANCES, **values["tolerances"]}
            return cls(**values)
        except TypeError as exc:
            raise ExportError(f"invalid export config: {exc}") from None

    @classmethod
    def load(cls, path: str | Path | None = None) -> "ExportConfig":
        """Read a config file; ``None`` means the shipped :data:`DEFAULT_CONFIG_PATH`.

        Raises:
            ExportError: if the file (the shipped default included) is missing or invalid.
        """
        path = DEFAULT_CONFIG_PATH if path is None else Path(path)
        data = read_json(path, "export config", error=ExportError, missing=f"no export config {path}")
        try:
            return cls.from_dict(data)
        except ExportError as exc:
            raise ExportError(f"export config {path}: {exc}") from None


def parse_variants(text: str) -> tuple[str, ...]:
    """``"float32,int8"`` → ``("float32", "int8")``, validated against :data:`VARIANTS`."""
    variants = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        raise ExportError(f"unknown or no variant(s) {unknown or text!r}; choose from {', '.join(VARIANTS)}")
    return variants
