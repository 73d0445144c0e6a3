"""The analyzer bundle: a ``.tflite`` model plus the JSON that describes it (format ``aeib-analyzer`` v1).

This module reads and checks the JSON (format, version, parameter schema, front end, tensor table,
styles) and the model file's SHA-256; :mod:`aeib.runtime.model` then checks the tensors against
the interpreter. Every problem raises :class:`~aeib.runtime.errors.ModelError` with one line that
names the file. The full field list is in ``docs/RUNTIME.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from aeib.contract import (
    BUNDLE_FORMAT,
    BUNDLE_FORMAT_VERSION,
    INPUT_NAMES,
    OUTPUT_NAMES,
    RAW_INPUT_NAMES,
    SIGNATURE_KEY,
)
from aeib.dsp import CHAIN_SCHEMA
from aeib.dsp.schema import ParameterSchema
from aeib.errors import ParameterError
from aeib.features import LogMelSpec
from aeib.hashing import file_sha256
from aeib.jsonio import read_json
from aeib.runtime.errors import ModelError
from aeib.runtime.learned_refine import LearnedRefinement

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models"
"""Where the installed package keeps its default bundle (written by ``aeib export``)."""


@dataclass(frozen=True)
class TensorSpec:
    """One model input or output as the JSON describes it.

    Attributes:
        name: Its name in the model's signature (``input_features``, ``params01``, …).
        shape: Its shape.
        tensor_name: The converter's tensor name, recorded by bundles exported before signature names
            were used (checked against the signature when present; new bundles leave it out).
    """

    name: str
    shape: tuple[int, ...]
    tensor_name: str | None = None


@dataclass(frozen=True)
class Style:
    """A built-in target style: the reference embedding the analyzer is steered towards without a
    reference recording.

    The target of one analysis window whose input embedding is ``e`` is
    ``e + pull * (embedding - e)``: with ``pull = 1`` (a *fixed* style) the style's embedding itself,
    with ``pull < 1`` (a *partial* style) only that share of the way from the recording's own sound
    towards the style — a recording that already sounds like the style is left nearly alone, and
    one that is far from it is moved part of the way. (A reference equal to the input itself asks the
    analyzer for no change.) The export measures and records the pull (docs/EXPORT.md).

    A style may also carry a **tonal target**, ``spectrum``: the mean level-aligned long-term spectrum
    of its clean references, toward which the analyzer's EQ is refined reference-free
    (:func:`aeib.runtime.refine.refine_toward_style`). Bundles without one are not refined. A style
    with a tonal target may also carry a **learned refinement** (``refinement``, the same map as the
    bundle's with a reference, :mod:`aeib.runtime.learned_refine`, fitted reference-free with the tonal
    target in place of a reference's spectrum; ``scripts/fit_refinement.py --style``): its curve is then
    run instead of the fixed partial move toward the target.

    Attributes:
        name: Style name.
        description: One line for ``aeib info`` and ``--list-styles``.
        embedding: float32[E], the mean embedding of the style's clean references.
        pull: Share of the way from the input's embedding to ``embedding``, in (0, 1].
        spectrum: ``(freqs_hz, level_db)``, float64 arrays of equal length (frequencies rising), or
            None.
        refinement: The style's learned refinement, or None (needs ``spectrum``).
    """

    name: str
    description: str
    embedding: np.ndarray  # float32[E]
    pull: float = 1.0
    spectrum: tuple[np.ndarray, np.ndarray] | None = None
    refinement: LearnedRefinement | None = None

    @property
    def partial(self) -> bool:
        """Whether the target depends on the input (``pull < 1``, see :meth:`target_for`)."""
        return self.pull < 1.0

    def target_for(self, input_embedding: np.ndarray) -> np.ndarray:
        """The reference embedding for one window with input embedding ``input_embedding`` (float[E]):
        float32[E]."""
        target: np.ndarray
        if not self.partial:
            target = self.embedding.copy()
            return target
        e = np.asarray(input_embedding, dtype=np.float32)
        target = (e + np.float32(self.pull) * (self.embedding - e)).astype(np.float32)
        return target


@dataclass(frozen=True)
class BundleSpec:
    """The checked contents of a bundle JSON.

    Attributes:
        json_path: The JSON file.
        tflite_path: The model file it names (resolved relative to the JSON).
        name: Model name, e.g. ``aeib-small-v1``.
        variant: ``float32``, ``float16``, ``dynamic-int8``, ``int8``, ``raw-float32`` or ``raw-float16``.
        sample_rate: Model rate in Hz.
        window_samples: Samples per analysis window at the model rate.
        frames: Log-mel frames per window (F).
        frontend: Front-end settings.
        schema: The parameter schema the model predicts (equal to ``CHAIN_SCHEMA``).
        raw_audio: Whether the model takes audio (``input_audio``, front end in the graph) instead of
            log-mel features (``input_features``).
        signature_key: The signature whose names ``inputs`` and ``outputs`` use.
        inputs: Input tensors by contract name.
        outputs: Output tensors by contract name.
        styles: Built-in styles by name, in file order.
        default_style: Name of the style used when no reference is given.
        tflite_sha256: Expected hash of the model file.
        raw: The whole decoded JSON (for metadata such as ``training`` and ``parity``).
        refinement: The learned refinement with a reference
            (:class:`~aeib.runtime.learned_refine.LearnedRefinement`), or None: the fixed one.
        reference_pull: With a reference, the share of the way from each analysis window's own
            embedding to the reference's that the analyzer is steered (as a partial style's pull,
            :meth:`Style.target_for`; 1: the reference's embedding itself). The JSON's optional
            ``reference_pull`` (absent: 1).
    """

    json_path: Path
    tflite_path: Path
    name: str
    variant: str
    sample_rate: int
    window_samples: int
    frames: int
    frontend: LogMelSpec
    schema: ParameterSchema
    inputs: Mapping[str, TensorSpec]
    outputs: Mapping[str, TensorSpec]
    styles: Mapping[str, Style]
    default_style: str
    tflite_sha256: str
    raw: Mapping[str, Any]
    raw_audio: bool = False
    signature_key: str = SIGNATURE_KEY
    refinement: LearnedRefinement | None = None
    reference_pull: float = 1.0

    @property
    def embedding_dim(self) -> int:
        """E, the size of an encoder embedding."""
        return self.inputs["reference_embedding"].shape[-1]

    @property
    def input_name(self) -> str:
        """The model's first input: ``input_audio`` for a raw-audio model, else ``input_features``."""
        return RAW_INPUT_NAMES[0] if self.raw_audio else INPUT_NAMES[0]


def default_bundle_json(model_dir: Path | None = None) -> Path:
    """The JSON of the bundle in ``model_dir`` (default: the one shipped inside the package).

    Raises:
        ModelError: if the folder holds no bundle JSON, or more than one.
    """
    model_dir = DEFAULT_MODEL_DIR if model_dir is None else Path(model_dir)
    found = sorted(model_dir.glob("*.json")) if model_dir.is_dir() else []
    if not found:
        raise ModelError(f"no analyzer model is bundled with this installation ({model_dir} holds no "
                         "model JSON); give `model` the path of a bundle written by `aeib export`")
    if len(found) > 1:
        raise ModelError(f"{model_dir} holds several model JSON files ({', '.join(p.name for p in found)}); "
                         "give `model` the path of the one to use")
    return found[0]


def resolve_bundle_json(path: str | Path | None) -> Path:
    """The bundle JSON for ``path``: a ``.json``, the ``.tflite`` beside its JSON, or None (default).

    Raises:
        ModelError: for a missing file or a ``.tflite`` without its JSON.
    """
    if path is None:
        return default_bundle_json()
    path = Path(path)
    if path.is_dir():
        return default_bundle_json(path)
    if not path.is_file():
        raise ModelError(f"no such model file: {path}")
    if path.suffix.lower() == ".keras":
        raise ModelError(f"{path} is a Keras model, not an exported bundle; the runtime needs the .json/.tflite "
                         "pair that `aeib export` writes from it")
    if path.suffix.lower() == ".tflite":
        json_path = path.with_suffix(".json")
        if not json_path.is_file():
            raise ModelError(f"model {path} has no {json_path.name} beside it; the runtime needs the JSON "
                             "written by `aeib export` (sample rate, front end, tensor names, hash)")
        return json_path
    return path


def _require(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], source: Path) -> Any:
    if key not in data:
        raise ModelError(f"{source}: bundle JSON lacks {key!r}")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ModelError(f"{source}: {key!r} has the wrong type ({type(value).__name__})")
    return value


def _tensors(entries: Any, expected: tuple[str, ...], what: str, source: Path) -> dict[str, TensorSpec]:
    if not isinstance(entries, list):
        raise ModelError(f"{source}: {what!r} must be a list of tensors")
    tensors = {}
    for entry in entries:
        try:
            tensor_name = entry.get("tensor_name")
            spec = TensorSpec(str(entry["name"]), tuple(int(n) for n in entry["shape"]),
                              None if tensor_name is None else str(tensor_name))
            dtype = entry.get("dtype", "float32")
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ModelError(f"{source}: malformed entry in {what!r}: {entry!r}") from None
        if dtype != "float32":
            raise ModelError(f"{source}: tensor {spec.name!r} is {dtype}; the runtime feeds and reads float32")
        tensors[spec.name] = spec
    missing = [name for name in expected if name not in tensors]
    if missing:
        raise ModelError(f"{source}: {what!r} lacks tensor(s) {missing}")
    return tensors


def _styles(data: Mapping[str, Any], embedding_dim: int, source: Path) -> dict[str, Style]:
    entries = data.get("styles", {})
    if not isinstance(entries, Mapping) or not entries:
        raise ModelError(f"{source}: bundle JSON holds no built-in styles ('styles')")
    styles = {}
    for name, entry in entries.items():
        try:
            embedding = np.asarray(entry["embedding"], dtype=np.float32)
            description = str(entry.get("description", ""))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ModelError(f"{source}: style {name!r} is malformed") from None
        if embedding.shape != (embedding_dim,) or not np.isfinite(embedding).all():
            raise ModelError(f"{source}: style {name!r} needs {embedding_dim} finite numbers, "
                             f"got shape {embedding.shape}")
        pull = entry.get("pull", 1.0)
        if isinstance(pull, bool) or not isinstance(pull, (int, float)) or not 0.0 < pull <= 1.0:
            raise ModelError(f"{source}: style {name!r} has pull {pull!r}; it must be a number in (0, 1]")
        spectrum = _style_spectrum(entry.get("spectrum"), name, source)
        refinement = None
        if entry.get("refinement") is not None:
            if spectrum is None:
                raise ModelError(f"{source}: style {name!r} has a learned refinement but no tonal target "
                                 "('spectrum') to measure against")
            refinement = LearnedRefinement.from_json(entry["refinement"], f"{source} (style {name!r})")
        styles[str(name)] = Style(str(name), description, embedding, float(pull), spectrum, refinement)
    return styles


def _reference_pull(value: Any, source: Path) -> float:
    """The bundle's ``reference_pull``, checked: a number in (0, 1] (absent or null: 1)."""
    if value is None:
        return 1.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
        raise ModelError(f"{source}: reference_pull {value!r} must be a number in (0, 1]")
    return float(value)


def _style_spectrum(entry: Any, name: object, source: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """A style's ``spectrum`` entry (``{"freqs_hz": [...], "level_db": [...]}``), checked; None if absent."""
    if entry is None:
        return None
    problem = f"{source}: style {name!r} has a malformed spectrum"
    try:
        freqs = np.asarray(entry["freqs_hz"], dtype=np.float64)
        level = np.asarray(entry["level_db"], dtype=np.float64)
    except (KeyError, TypeError, ValueError, IndexError):
        raise ModelError(f"{problem} (it needs 'freqs_hz' and 'level_db' lists of numbers)") from None
    if freqs.ndim != 1 or freqs.shape != level.shape or freqs.size < 2:
        raise ModelError(f"{problem} ('freqs_hz' and 'level_db' need the same length, at least 2)")
    if not (np.isfinite(freqs).all() and np.isfinite(level).all()) or freqs[0] <= 0 or np.any(np.diff(freqs) <= 0):
        raise ModelError(f"{problem} (finite levels at rising positive frequencies are needed)")
    return freqs, level


def read_bundle(path: str | Path | None = None, check_hash: bool = True) -> BundleSpec:
    """Read and check a bundle JSON (and the hash of the model file it names).

    Args:
        path: The bundle's ``.json``, its ``.tflite`` (the JSON must sit beside it with the same
            stem), a folder holding one bundle, or None for the bundle shipped with the package.
        check_hash: Verify ``tflite_sha256`` (always on in normal use).

    Raises:
        ModelError: missing file, invalid JSON, unsupported format/version, a schema that differs
            from ``CHAIN_SCHEMA``, inconsistent shapes, or a model file whose hash differs.
    """
    json_path = resolve_bundle_json(path)
    data = read_json(json_path, "model JSON", error=ModelError)
    if data.get("format") != BUNDLE_FORMAT:
        raise ModelError(f"{json_path}: not an aeib analyzer bundle (format {data.get('format')!r}, "
                         f"expected {BUNDLE_FORMAT!r})")
    if data.get("format_version") != BUNDLE_FORMAT_VERSION:
        raise ModelError(f"{json_path}: unsupported bundle format_version {data.get('format_version')!r} "
                         f"(this aeib reads version {BUNDLE_FORMAT_VERSION}); re-export the model or update aeib")

    try:
        schema = ParameterSchema.from_json_dict(_require(data, "schema", Mapping, json_path))
    except ParameterError as exc:
        raise ModelError(f"{json_path}: {exc}") from None
    if schema != CHAIN_SCHEMA:
        raise ModelError(f"{json_path}: the model predicts a different parameter schema than this aeib's "
                         f"chain ({len(schema)} vs {len(CHAIN_SCHEMA)} parameters or different names/ranges); "
                         "re-export it with this version of aeib")

    sample_rate = _require(data, "sample_rate", int, json_path)
    if sample_rate <= 0:
        raise ModelError(f"{json_path}: invalid sample_rate {sample_rate}")
    frontend_data = dict(_require(data, "frontend", Mapping, json_path))
    frontend_data.pop("definition", None)
    try:
        frontend = LogMelSpec.from_dict(frontend_data)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{json_path}: invalid front end: {exc}") from None
    if frontend.sample_rate != sample_rate:
        raise ModelError(f"{json_path}: front-end rate {frontend.sample_rate} Hz differs from the model's "
                         f"{sample_rate} Hz")
    window = _require(data, "analysis_window", Mapping, json_path)
    try:
        window_samples, frames = int(window["samples"]), int(window["frames"])
    except (KeyError, TypeError, ValueError):
        raise ModelError(f"{json_path}: 'analysis_window' needs integer 'samples' and 'frames'") from None
    if window_samples < frontend.frame_length or frontend.n_frames(window_samples) != frames:
        raise ModelError(f"{json_path}: analysis window of {window_samples} samples gives "
                         f"{frontend.n_frames(window_samples)} frames, the JSON says {frames}")

    model_input = data.get("model_input", "log_mel_features")
    if model_input not in ("log_mel_features", "audio"):
        raise ModelError(f"{json_path}: unknown model_input {model_input!r} (expected 'log_mel_features' or 'audio')")
    raw_audio = model_input == "audio"
    signature_key = data.get("signature_key", SIGNATURE_KEY)
    if not isinstance(signature_key, str):
        raise ModelError(f"{json_path}: 'signature_key' has the wrong type ({type(signature_key).__name__})")
    inputs = _tensors(data.get("inputs"), RAW_INPUT_NAMES if raw_audio else INPUT_NAMES, "inputs", json_path)
    outputs = _tensors(data.get("outputs"), OUTPUT_NAMES, "outputs", json_path)
    embedding_dim = inputs["reference_embedding"].shape[-1]
    first_input = (RAW_INPUT_NAMES if raw_audio else INPUT_NAMES)[0]
    first_shape = (1, window_samples) if raw_audio else (1, frames, frontend.n_mels)
    expected = {first_input: first_shape, "reference_embedding": (1, embedding_dim),
                "params01": (1, len(CHAIN_SCHEMA)), "input_embedding": (1, embedding_dim)}
    for name, shape in expected.items():
        actual = (inputs | outputs)[name].shape
        if actual != shape:
            raise ModelError(f"{json_path}: tensor {name!r} has shape {list(actual)}, expected {list(shape)}")

    styles = _styles(data, embedding_dim, json_path)
    default_style = data.get("default_style", next(iter(styles)))
    if not isinstance(default_style, str) or default_style not in styles:
        raise ModelError(f"{json_path}: default_style {default_style!r} is not one of the styles "
                         f"({', '.join(styles)})")

    tflite_file = _require(data, "tflite_file", str, json_path)
    tflite_path = (json_path.parent / tflite_file).resolve()
    if not tflite_path.is_file():
        raise ModelError(f"{json_path}: model file {tflite_path.name} is missing (expected beside the JSON)")
    sha256 = _require(data, "tflite_sha256", str, json_path).lower()
    if check_hash:
        actual_sha = file_sha256(tflite_path)
        if actual_sha != sha256:
            raise ModelError(f"model file {tflite_path} does not match its JSON {json_path.name} (sha256 "
                             f"{actual_sha[:12]}… ≠ {sha256[:12]}…); the file is corrupt or from another export")

    return BundleSpec(json_path=json_path, tflite_path=tflite_path, name=str(data.get("name", tflite_path.stem)),
                      variant=str(data.get("variant", "unknown")), sample_rate=sample_rate,
                      window_samples=window_samples, frames=frames, frontend=frontend, schema=schema,
                      inputs=inputs, outputs=outputs, styles=styles, default_style=str(default_style),
                      tflite_sha256=sha256, raw=data, raw_audio=raw_audio, signature_key=signature_key,
                      refinement=None if data.get("refinement") is None
                      else LearnedRefinement.from_json(data["refinement"], json_path),
                      reference_pull=_reference_pull(data.get("reference_pull"), json_path))
