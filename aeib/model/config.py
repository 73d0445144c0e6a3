"""Model and training configuration: frozen dataclasses loaded from ``aeib/configs/training/*.json``.

A configuration file is one JSON object with these sections (every key optional except ``name``;
unknown keys are refused so that a typo never silently falls back to a default)::

    {
      "name": "small",
      "sample_rate": 24000,
      "frontend":   {"frame_length": 1024, "hop_length": 256, "n_mels": 64, ...},
      "encoder":    {"filters": [16, 32, 48, 64], "kernel_size": 3, "embedding_dim": 48},
      "controller": {"hidden_units": [96, 96], "dropout_rate": 0.1},
      "loss":       {"mel_weight": 1.0, "time_weight": 0.1, "fft_sizes": [...], "mel_bands": [...]},
      "training":   {"gradient": "spsa", "spsa_epsilon": 0.01, "learning_rate": 0.001, ...}
    }

This module imports no TensorFlow.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from aeib.errors import ConfigError
from aeib.features import DEFAULT_SPEC, LogMelSpec
from aeib.jsonio import read_json

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs" / "training"
"""Where the named configurations (``tiny``, ``small``, ``big``, ...) live: package data, so that an installed
``aeib`` has them too (``training/configs/README.md`` of a checkout points here)."""

GRADIENT_MODES = ("spsa", "autodiff")
DSP_BACKENDS = ("threads", "processes", "serial")
"""How :class:`aeib.model.batch_dsp.BatchDsp` runs the numpy chain over a batch (``training.dsp_backend``)."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _positive_ints(values: tuple, name: str, allow_empty: bool = False) -> None:
    _require(allow_empty or len(values) > 0, f"{name} must not be empty")
    _require(all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in values),
             f"{name} must hold positive integers, got {list(values)}")


@dataclass(frozen=True)
class FrontendConfig:
    """Log-mel front end (see :class:`aeib.features.LogMelSpec`; the sample rate is the model's).

    The defaults are :data:`aeib.features.DEFAULT_SPEC`'s.
    """

    frame_length: int = DEFAULT_SPEC.frame_length
    hop_length: int = DEFAULT_SPEC.hop_length
    n_mels: int = DEFAULT_SPEC.n_mels
    fmin_hz: float = DEFAULT_SPEC.fmin_hz
    fmax_hz: float | None = DEFAULT_SPEC.fmax_hz
    log_eps: float = DEFAULT_SPEC.log_eps


@dataclass(frozen=True)
class EncoderConfig:
    """Shared audio encoder.

    Attributes:
        filters: Output channels of each conv block (3×3 conv → batch norm → ReLU → 2×2 max pool).
        kernel_size: Square kernel size of every conv.
        embedding_dim: Size of the embedding each signal is summarized into.
    """

    filters: tuple[int, ...] = (16, 32, 48, 64)
    kernel_size: int = 3
    embedding_dim: int = 48

    def __post_init__(self) -> None:
        _positive_ints(self.filters, "encoder.filters")
        _positive_ints((self.kernel_size, self.embedding_dim), "encoder.kernel_size/embedding_dim")


@dataclass(frozen=True)
class ControllerConfig:
    """Controller MLP: hidden Dense → PReLU → Dropout blocks, then a sigmoid head.

    Attributes:
        hidden_units: Width of each hidden block (may be empty: a linear head on the embeddings).
        dropout_rate: Dropout after each hidden block, in [0, 1).
    """

    hidden_units: tuple[int, ...] = (96, 96)
    dropout_rate: float = 0.1

    def __post_init__(self) -> None:
        _positive_ints(self.hidden_units, "controller.hidden_units", allow_empty=True)
        _require(0.0 <= self.dropout_rate < 1.0, f"controller.dropout_rate must be in [0, 1), got {self.dropout_rate}")


@dataclass(frozen=True)
class LossConfig:
    """Multi-resolution log-mel L1 plus time-domain L1.

    Attributes:
        mel_weight: Weight of the mean log-mel L1 (averaged over resolutions).
        time_weight: Weight of the mean absolute sample difference.
        fft_sizes: Frame/FFT size of each resolution (hop = size / 4).
        mel_bands: Mel bands of each resolution (same length as ``fft_sizes``).
        log_eps: Floor added to the mel power before the log.
        level_matched: Scale the processed audio to the target's RMS before comparing (the product's
            measured loudness stage sets the level, so the analyzer is judged on tone and dynamics only).
        prior_weight: Weight of a penalty ``mean((params01 − neutral01)²)`` that keeps settings away from
            extremes unless the audio asks for them (0 = off).
        identity_weight: Weight of an identity example's loss (input = target: a good recording the
            chain should leave alone) relative to the others' weight of 1 (issue 12's "do no harm").
        bound_weight: Weight of a penalty on settings within ``bound_margin`` of a range bound (0 at
            the margin, rising quadratically to 1 at the bound, averaged over parameters; 0 = off).
        bound_margin: Width of that band at each end of a range, in normalized units, in (0, 0.5).
        style_token_identity_weight: The weight of an identity example whose reference was replaced
            by the style token (``training.style_token_prob``); None: ``identity_weight``. Lower, the
            token is trained less toward "change nothing" than the reference path is.
    """

    mel_weight: float = 1.0
    time_weight: float = 0.1
    fft_sizes: tuple[int, ...] = (2048, 1024, 512, 256)
    mel_bands: tuple[int, ...] = (128, 64, 32, 16)
    log_eps: float = 1e-7
    level_matched: bool = False
    prior_weight: float = 0.0
    identity_weight: float = 1.0
    bound_weight: float = 0.0
    bound_margin: float = 0.03
    style_token_identity_weight: float | None = None

    def __post_init__(self) -> None:
        _positive_ints(self.fft_sizes, "loss.fft_sizes")
        _positive_ints(self.mel_bands, "loss.mel_bands")
        _require(len(self.fft_sizes) == len(self.mel_bands),
                 f"loss.fft_sizes and loss.mel_bands need equal lengths, "
                 f"got {len(self.fft_sizes)} and {len(self.mel_bands)}")
        _require(all(size % 4 == 0 for size in self.fft_sizes), "loss.fft_sizes must be multiples of 4")
        _require(self.mel_weight >= 0 and self.time_weight >= 0 and self.mel_weight + self.time_weight > 0,
                 "loss weights must be ≥ 0 and not both 0")
        _require(self.log_eps > 0, f"loss.log_eps must be positive, got {self.log_eps}")
        _require(isinstance(self.level_matched, bool), "loss.level_matched must be true or false")
        _require(self.prior_weight >= 0, f"loss.prior_weight must be >= 0, got {self.prior_weight}")
        _require(self.identity_weight > 0, f"loss.identity_weight must be > 0, got {self.identity_weight}")
        _require(self.bound_weight >= 0, f"loss.bound_weight must be >= 0, got {self.bound_weight}")
        _require(self.style_token_identity_weight is None or self.style_token_identity_weight > 0,
                 f"loss.style_token_identity_weight must be > 0, got {self.style_token_identity_weight}")
        _require(0 < self.bound_margin < 0.5, f"loss.bound_margin must be in (0, 0.5), got {self.bound_margin}")


@dataclass(frozen=True)
class TrainingConfig:
    """Optimization and DSP-layer settings.

    Attributes:
        gradient: ``"spsa"`` (numpy DSP, SPSA gradient) or ``"autodiff"`` (TensorFlow DSP twin).
        spsa_epsilon: SPSA perturbation size in normalized parameter units.
        learning_rate: Adam learning rate.
        batch_size: Examples per step.
        crop_seconds: Length of each training example in seconds.
        limiter: Keep the safety limiter in the training chain (SPSA mode only).
        dsp_backend: How the SPSA layer parallelizes the batch: threads, processes or serial.
        dsp_workers: Parallel workers for the DSP (0 = one per CPU core).
        compressor_block_size: Block length in samples of the autodiff compressor's ballistics.
        jit_compile: Compile the loss and the autodiff chain with XLA (about twice as fast per step
            on CPU, several seconds of compilation on the first step). The SPSA layer itself
            cannot be compiled (it calls numpy).
        seed: Seed of the SPSA perturbations.
        style_token_prob: Share of the eligible examples (a board-mix target, or an identity
            example) whose reference embedding is replaced by a learned style token during training,
            so that the token can be shipped as the reference-free ``board-mix`` style
            (:mod:`aeib.model.style_token`); 0 = no token (the analyzer has two inputs).
    """

    gradient: str = "spsa"
    spsa_epsilon: float = 0.01
    learning_rate: float = 1e-3
    batch_size: int = 16
    crop_seconds: float = 2.5
    limiter: bool = False
    dsp_backend: str = "threads"
    dsp_workers: int = 0
    compressor_block_size: int = 64
    jit_compile: bool = True
    seed: int = 0
    style_token_prob: float = 0.0

    def __post_init__(self) -> None:
        _require(self.gradient in GRADIENT_MODES,
                 f"training.gradient must be one of {GRADIENT_MODES}, got {self.gradient!r}")
        _require(self.dsp_backend in DSP_BACKENDS,
                 f"training.dsp_backend must be one of {DSP_BACKENDS}, got {self.dsp_backend!r}")
        _require(0.0 < self.spsa_epsilon <= 0.5, f"training.spsa_epsilon must be in (0, 0.5], got {self.spsa_epsilon}")
        _require(0.0 <= self.style_token_prob <= 1.0,
                 f"training.style_token_prob must be in [0, 1], got {self.style_token_prob}")
        _require(self.learning_rate > 0, f"training.learning_rate must be positive, got {self.learning_rate}")
        _positive_ints((self.batch_size, self.compressor_block_size), "training.batch_size/compressor_block_size")
        _require(self.crop_seconds > 0, f"training.crop_seconds must be positive, got {self.crop_seconds}")
        _require(isinstance(self.dsp_workers, int) and self.dsp_workers >= 0,
                 "training.dsp_workers must be an integer ≥ 0")
        _require(isinstance(self.limiter, bool) and isinstance(self.jit_compile, bool),
                 "training.limiter and training.jit_compile must be true or false")


_SECTIONS = {
    "frontend": FrontendConfig,
    "encoder": EncoderConfig,
    "controller": ControllerConfig,
    "loss": LossConfig,
    "training": TrainingConfig,
}


def _build_section(cls: type, data: Any, section: str):
    _require(isinstance(data, Mapping), f"{section} must be a JSON object, got {type(data).__name__}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    _require(not unknown, f"unknown key(s) {unknown} in {section}; known keys: {sorted(known)}")
    values = {key: tuple(value) if isinstance(value, list) else value for key, value in data.items()}
    try:
        return cls(**values)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid {section}: {exc}") from None


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to build, train and export one analyzer variant."""

    name: str
    sample_rate: int = DEFAULT_SPEC.sample_rate
    frontend: FrontendConfig = field(default_factory=FrontendConfig)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    controller: ControllerConfig = field(default_factory=ControllerConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    def __post_init__(self) -> None:
        _require(isinstance(self.name, str) and self.name != "", "name must be a non-empty string")
        _require(isinstance(self.sample_rate, int) and self.sample_rate > 0,
                 f"sample_rate must be a positive integer, got {self.sample_rate}")
        try:
            _ = self.log_mel_spec  # validates the front end against the sample rate
        except ValueError as exc:
            raise ConfigError(f"invalid frontend: {exc}") from None
        crop = self.crop_samples
        _require(crop >= self.frontend.frame_length, f"crop of {crop} samples is shorter than one frame")
        _require(all(size <= crop for size in self.loss.fft_sizes), "loss.fft_sizes must not exceed the crop length")

    @property
    def log_mel_spec(self) -> LogMelSpec:
        """The front end's settings as the shared :class:`~aeib.features.LogMelSpec`."""
        return LogMelSpec(sample_rate=self.sample_rate, **asdict(self.frontend))

    @property
    def crop_samples(self) -> int:
        """Samples per training example."""
        return int(round(self.training.crop_seconds * self.sample_rate))

    def to_dict(self) -> dict:
        """A JSON-ready dict that :meth:`from_dict` turns back into an equal config."""
        def plain(value):
            return list(value) if isinstance(value, tuple) else value

        out: dict[str, Any] = {"name": self.name, "sample_rate": self.sample_rate}
        for section in _SECTIONS:
            out[section] = {key: plain(value) for key, value in asdict(getattr(self, section)).items()}
        return out

    @classmethod
    def from_dict(cls, data: Any) -> "ModelConfig":
        """Validate decoded JSON.

        Raises:
            ConfigError: for a non-object, an unknown key anywhere, or an invalid value.
        """
        _require(isinstance(data, Mapping), f"a model config must be a JSON object, got {type(data).__name__}")
        known = {"name", "sample_rate", *_SECTIONS}
        unknown = sorted(set(data) - known)
        _require(not unknown, f"unknown key(s) {unknown} in model config; known keys: {sorted(known)}")
        _require("name" in data, "a model config needs a 'name'")
        sections = {key: _build_section(cls_, data.get(key, {}), key) for key, cls_ in _SECTIONS.items()}
        return cls(name=data["name"], sample_rate=data.get("sample_rate", DEFAULT_SPEC.sample_rate), **sections)

    @classmethod
    def from_json(cls, text: str) -> "ModelConfig":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"invalid model config JSON: {exc}") from None
        return cls.from_dict(data)

    @classmethod
    def load(cls, name_or_path: str | Path) -> "ModelConfig":
        """Load a named config (``tiny``, ``small``, ``big``) or a JSON file path.

        Raises:
            ConfigError: if the file does not exist or is invalid.
        """
        path = Path(name_or_path)
        if path.suffix != ".json":
            path = CONFIG_DIR / f"{name_or_path}.json"
        if not path.is_file():
            names = sorted(p.stem for p in CONFIG_DIR.glob("*.json")) if CONFIG_DIR.is_dir() else []
            raise ConfigError(f"no model config {str(name_or_path)!r} (named configs: {names})")
        data = read_json(path, "model config", error=ConfigError)
        try:
            return cls.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"model config {path}: {exc}") from None

    def replace_training(self, **changes) -> "ModelConfig":
        """A copy with some training settings changed (e.g. ``gradient="autodiff"``)."""
        training = _build_section(TrainingConfig, {**asdict(self.training), **changes}, "training")
        return replace(self, training=training)
