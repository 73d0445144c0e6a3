"""Trained analyzers as evaluation methods: a Keras checkpoint, or an exported TFLite bundle.

Both predict a normalized setting (``float[24]`` in ``CHAIN_SCHEMA`` order) from the input and the
reference at the *model's* rate (resampled from the evaluation rate when they differ), then apply
it with the product chain (loudness stage aimed at the reference, safety limiter on;
:func:`~aeib.evaluation.methods.chain_output`) to the input at the evaluation rate — physical
settings do not depend on the rate.

* **Keras** (``.keras`` file, or a run/checkpoint folder holding ``best.keras`` or ``last.keras``):
  TensorFlow is imported only here, only when such a model is evaluated. The analyzer (the saved
  enhancer's ``analyzer`` layer, or a saved analyzer itself) sees the whole input and the whole
  reference in one call — what :mod:`aeib.train.validate` does.
* **TFLite** (a bundle ``.json`` or its ``.tflite``, through the TensorFlow-free
  :mod:`aeib.runtime`): windows of the model's length are spread over the input and the reference as
  ``aeib enhance`` places them (first at the start, last at the end, ≤ 10 s apart); the reference
  embedding is the median over its windows, the setting the median over the input's windows. A
  clip no longer than one window is analysed in one call.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from aeib.audio import resample
from aeib.dsp import CHAIN_SCHEMA
from aeib.errors import ModelLoadError
from aeib.evaluation.datasets import EvalExample
from aeib.evaluation.methods import Method, MethodOutput, Shared, chain_output
from aeib.hashing import file_sha256
from aeib.jsonio import read_json

KERAS_CHECKPOINTS = ("best.keras", "last.keras")
"""Files looked for, in this order, when a Keras model is given as a folder."""


def _apply(example: EvalExample, params01: np.ndarray) -> MethodOutput:
    physical = CHAIN_SCHEMA.denormalize(np.clip(np.asarray(params01, dtype=np.float64), 0.0, 1.0))
    params = CHAIN_SCHEMA.to_dict(physical)
    return MethodOutput(chain_output(example, physical), params)


class KerasModelMethod(Method):
    """A Keras analyzer or enhancer checkpoint.

    Args:
        path: The ``.keras`` file.
        name: Label for the report.
    """

    kind = "model"

    def __init__(self, path: Path, name: str):
        super().__init__()
        self.path, self.name = Path(path), name
        self.description = f"trained analyzer, Keras checkpoint {self.path} (whole clip per call)"
        self.sample_rate: int | None = None
        self._analyzer = None

    def setup(self) -> None:
        try:
            from aeib.model.saving import load_keras_model
        except ImportError as exc:
            raise ModelLoadError(f"cannot evaluate {self.path}: Keras models need TensorFlow "
                                 f"(pip install 'aeib[train]'): {exc}") from None
        try:
            model = load_keras_model(self.path)
        except Exception as exc:  # Keras raises many types for a bad file
            text = str(exc).strip().splitlines()
            raise ModelLoadError(f"cannot load Keras model {self.path}: {text[0] if text else type(exc).__name__}") from None
        names = [layer.name for layer in model.layers]
        self._analyzer = model.get_layer("analyzer") if "analyzer" in names else model
        outputs = self._analyzer.outputs
        if len(outputs) != 1 or outputs[0].shape[-1] != len(CHAIN_SCHEMA):
            raise ModelLoadError(f"{self.path} is not an aeib analyzer (expected an output of {len(CHAIN_SCHEMA)} "
                                 "parameters)")
        self.sample_rate = self._model_rate()
        self.description = (f"trained analyzer, Keras checkpoint {self.path} (sha256 {file_sha256(self.path)[:12]}), "
                            "whole clip per call")

    def _model_rate(self) -> int:
        for layer in self._analyzer.layers:
            config = layer.get_config()
            if "sample_rate" in config and "n_mels" in config:
                return int(config["sample_rate"])
        config_file = self.path.parent / "config.json"
        if config_file.is_file():
            return read_json(config_file, "run config", error=ModelLoadError, required={"sample_rate": int})["sample_rate"]
        raise ModelLoadError(f"cannot tell the sample rate of {self.path}")

    def run(self, example: EvalExample, shared: Shared) -> MethodOutput:
        rate = example.sample_rate
        x = resample(example.input, rate, self.sample_rate)[None]
        reference = resample(example.reference, rate, self.sample_rate)[None]
        from aeib.model.style_token import analyzer_inputs

        params01 = np.asarray(self._analyzer.predict_on_batch(analyzer_inputs(self._analyzer, x, reference)))[0]
        return _apply(example, params01)


class RuntimeModelMethod(Method):
    """An exported analyzer bundle run through :mod:`aeib.runtime` (no TensorFlow).

    Args:
        path: The bundle's ``.json`` or ``.tflite``.
        name: Label for the report.
        style: Reference-free: steer towards this built-in style instead of the example's reference,
            with the loudness stage at the product's default target (``aeib enhance`` without
            ``--reference``), and refine toward the style's tonal target if it has one.
        refine: The test-time refinement strength (as ``aeib enhance --refine``; None: the product's
            default — :data:`~aeib.runtime.refine.REFINE_STRENGTH` with a reference, or the bundle's
            learned refinement at :data:`~aeib.runtime.learned_refine.LEARNED_STRENGTH` if it carries one,
            :data:`~aeib.runtime.refine.STYLE_REFINE_STRENGTH` for a style, or that style's learned map at
            :data:`~aeib.runtime.learned_refine.LEARNED_STRENGTH` —, 0: the analyzer alone).
        dead_zone_db: The EQ's dead zone after the refinement (as ``aeib enhance --dead-zone``; None:
            the product's default, :func:`~aeib.runtime.dead_zone.default_dead_zone_db`; 0: off).
        match: With a reference, how far the refinement's curve moves on to the measured match (as
            ``aeib enhance --match``; None: :data:`~aeib.runtime.refine.MATCH`).
    """

    kind = "model"

    def __init__(self, path: Path, name: str, style: str | None = None, refine: float | None = None,
                 dead_zone_db: float | None = None, match: float | None = None):
        from aeib.runtime.dead_zone import default_dead_zone_db
        from aeib.runtime.refine import REFINE_STRENGTH, STYLE_REFINE_STRENGTH, check_match

        super().__init__()
        self.match = check_match(match, style is None, "#match")
        self.path, self.name, self.style = Path(path), name, style
        default = REFINE_STRENGTH if style is None else STYLE_REFINE_STRENGTH
        self._refine_given = refine
        self.refine = default if refine is None else float(refine)   # a learned map's default: setup()
        self.dead_zone_db = default_dead_zone_db(style is None) if dead_zone_db is None else float(dead_zone_db)
        self.description = f"exported analyzer {self.path.name} via aeib.runtime (TFLite)"
        self.model = None

    def setup(self) -> None:
        from aeib.runtime import load_model

        self.model = load_model(self.path)
        if self.style is None and self._refine_given is None:   # a bundle's learned refinement has its own default
            from aeib.runtime.refine import reference_strength

            self.refine = reference_strength(self.model.bundle.refinement)
        tflite = Path(getattr(self.model, "path", self.path))
        digest = f", {tflite.name} sha256 {file_sha256(tflite)[:12]}" if tflite.is_file() else ""
        self.description = (f"exported analyzer {self.path.name} ({self.model.variant}{digest}) via aeib.runtime, "
                            f"{self.model.window_seconds:g} s windows")
        if self.style is not None:
            from aeib.dsp.loudness import DEFAULT_TARGET_LUFS

            self.style_target = self.model.style(self.style)   # refuses an unknown style
            if self._refine_given is None:   # a style's learned map has its own default
                from aeib.runtime.refine import style_strength

                self.refine = style_strength(self.style_target)
            self.description += (f"; reference-free, style {self.style}, loudness stage at "
                                 f"{DEFAULT_TARGET_LUFS:g} LUFS")

    def _windows(self, audio: np.ndarray) -> list[np.ndarray]:
        from aeib.runtime import AnalysisOptions
        from aeib.runtime.windows import spread_starts

        window = self.model.window_samples
        options = AnalysisOptions()
        starts = spread_starts(len(audio), window, int(options.spacing_s * self.model.sample_rate), options.max_windows)
        return [audio[start:start + window] for start in starts]

    def run(self, example: EvalExample, shared: Shared) -> MethodOutput:
        rate, model = example.sample_rate, self.model
        x = resample(example.input, rate, model.sample_rate)
        target_lufs = None
        if self.style is None:
            reference = resample(example.reference, rate, model.sample_rate)
            target = np.median(np.stack([model.embed(w) for w in self._windows(reference)]), axis=0)
        else:
            from aeib.dsp.loudness import DEFAULT_TARGET_LUFS

            target, target_lufs = self.style_target, DEFAULT_TARGET_LUFS
        params01 = np.median(np.stack([model.predict01(w, target) for w in self._windows(x)]), axis=0)
        physical = CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.denormalize(np.clip(params01.astype(np.float64), 0.0, 1.0)))
        if self.refine > 0.0:   # the product's test-time refinement (aeib.runtime.refine)
            from aeib.runtime.refine import long_term_spectrum_db, refine_from_sources, refine_toward_style
            from aeib.runtime.windows import ArrayAudio

            source = ArrayAudio(example.input, rate)
            if self.style is None:
                physical = refine_from_sources(physical, source, ArrayAudio(example.reference, rate), self.refine,
                                               learned=model.bundle.refinement, match=self.match)
            else:   # reference-free: toward the style's tonal target (none: unchanged)
                physical = refine_toward_style(physical, long_term_spectrum_db(source), self.style_target, rate,
                                               self.refine)
        if self.dead_zone_db > 0.0:   # the product's dead zone (aeib.runtime.dead_zone)
            from aeib.runtime.dead_zone import eq_dead_zone

            physical = eq_dead_zone(physical, self.dead_zone_db)
        return MethodOutput(chain_output(example, physical, target_lufs), physical)


def _label_and_path(spec: str) -> tuple[str | None, Path]:
    """``LABEL=PATH`` or ``PATH``."""
    label, sep, rest = spec.partition("=")
    if sep and label and "/" not in label and not Path(spec).exists():
        return label, Path(rest)
    return None, Path(spec)


def _resolve_keras(path: Path) -> Path | None:
    if path.is_file() and path.suffix == ".keras":
        return path
    if path.is_dir():
        for name in KERAS_CHECKPOINTS:
            for candidate in (path / name, path / "checkpoints" / name):
                if candidate.is_file():
                    return candidate
    return None


def _share_option(key: str, value: str) -> float:
    """The share 0–1 of a ``#key=S`` model option (``#refine``, ``#match``).

    Raises:
        ModelLoadError: if it is not a number within 0–1.
    """
    from aeib.errors import ParameterError
    from aeib.runtime.refine import check_refine

    try:
        return check_refine(float(value), f"#{key}")
    except (ValueError, ParameterError):
        raise ModelLoadError(f"#{key}={value!r}: give a number within 0–1") from None


def model_method(spec: str) -> Method:
    """The evaluation method for a model argument of ``aeib evaluate``.

    Args:
        spec: ``PATH`` or ``LABEL=PATH``, optionally followed by ``#style=NAME`` (a TFLite bundle
            run reference-free towards its built-in style NAME) and/or ``#refine=S`` (its test-time
            refinement strength: toward the reference's spectrum, or with ``#style`` toward the
            style's tonal target) and/or ``#dead-zone=DB`` (the EQ's dead zone after it, 0: off)
            and/or, with a reference, ``#match=B`` (as ``aeib enhance --match``),
            e.g. ``M.json#style=board-mix#refine=0``. PATH is a ``.keras`` file, a folder
            holding ``best.keras``/``last.keras`` (directly or in ``checkpoints/``), or a TFLite
            bundle's ``.json``/``.tflite``.

    Raises:
        ModelLoadError: if PATH does not exist or is none of those.
    """
    spec, *options = spec.split("#")
    style = refine = dead_zone = match = None
    for option in options:
        key, _, value = option.partition("=")
        if key == "style" and value and style is None:
            style = value
        elif key == "refine" and value and refine is None:
            refine = _share_option(key, value)
        elif key == "match" and value and match is None:
            match = _share_option(key, value)
        elif key == "dead-zone" and value and dead_zone is None:
            from aeib.errors import ParameterError
            from aeib.runtime.dead_zone import check_dead_zone

            try:
                dead_zone = check_dead_zone(float(value), "#dead-zone")
            except (ValueError, ParameterError) as exc:
                raise ModelLoadError(f"#dead-zone={value!r}: {exc}") from None
        else:
            raise ModelLoadError(f"unknown or repeated model option #{option!r}: #style=NAME, #refine=S, "
                                 "#dead-zone=DB or #match=B is understood (each may be given once)")
    if match is not None and style is not None and match > 0.0:
        raise ModelLoadError("#match pulls toward the example's reference: not with #style")
    label, path = _label_and_path(spec)
    if not path.exists():
        raise ModelLoadError(f"no such model file or folder: {path}")
    keras_file = _resolve_keras(path)
    if keras_file is not None:
        if style is not None or refine is not None or dead_zone is not None or match is not None:
            raise ModelLoadError(f"{path}: #style, #refine, #dead-zone and #match need an exported bundle (.json/.tflite)")
        default = f"keras:{keras_file.parent.name}/{keras_file.stem}"
        return KerasModelMethod(keras_file, label or default)
    if path.is_file() and path.suffix in (".json", ".tflite"):
        default = (f"tflite:{path.stem}" + (f"#{style}" if style else "")
                   + (f"#refine={refine:g}" if refine is not None else "")
                   + (f"#dead-zone={dead_zone:g}" if dead_zone is not None else "")
                   + (f"#match={match:g}" if match is not None else ""))
        return RuntimeModelMethod(path, label or default, style, refine, dead_zone, match)
    raise ModelLoadError(f"{path} is not a model: give a .keras file, a run folder with best.keras or "
                         "last.keras, or a TFLite bundle .json/.tflite")
