"""The bundle files: ``NAME.<variant>.tflite`` and the JSON beside it (``format: aeib-analyzer``).

The JSON layout is the contract with :mod:`aeib.runtime` (see ``docs/EXPORT.md``; the format marker,
signature key and tensor names are in :mod:`aeib.contract`). Files are written
atomically (temporary file, then rename), the ``.tflite`` before its JSON, so a reader never sees a
JSON whose model is missing or half written. This module imports no TensorFlow.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Mapping

import numpy as np

from aeib import __version__
from aeib.audio import atomic_output
from aeib.contract import BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, SIGNATURE_KEY
from aeib.dsp import CHAIN_SCHEMA
from aeib.errors import AeibError, OutputError
from aeib.export.config import ExportError
from aeib.hashing import bytes_sha256
from aeib.jsonio import read_json
from aeib.model.config import ModelConfig

DEFAULT_STYLE = "clean-live-mix"
"""The built-in style of a model trained on data v1 (references captured like the inputs)."""
BOARD_MIX_STYLE = "board-mix"
LIVE_ROOM_STYLE = "live-room"
STYLE_DESCRIPTIONS = {
    DEFAULT_STYLE: "clean live mix: the mean embedding of the training set's clean reference mixes "
                   "(captured in the same simulated rooms and phones as the inputs, with no style applied)",
    BOARD_MIX_STYLE: "board mix: {share} of the way from the recording's own sound to the mean of the training "
                     "set's board-mix references (what the mixing desk recorded, with no room and no phone) — "
                     "'make it sound like a proper recording'",
    LIVE_ROOM_STYLE: "live room: {share} of the way from the recording's own sound to the mean of the training set's "
                     "references captured in the room by a phone, like the inputs but with nothing else wrong",
}
"""What each built-in style is; ``{share}`` becomes its pull in words (:func:`pull_share`)."""
LEARNED_BOARD_MIX_DESCRIPTION = (
    "board mix: a style embedding learned in training ({share} of the way), standing in for a reference "
    "wherever the target was the mixing desk's recording or the input itself (a clean recording left alone) — "
    "'make it sound like a proper recording'")
"""``board-mix``'s description for an analyzer trained with a style token (:mod:`aeib.model.style_token`)."""


STYLE_PULLS = {BOARD_MIX_STYLE: 0.4, LIVE_ROOM_STYLE: 0.5}
"""Share of the way from a recording's own embedding to the style's mean embedding (see
:class:`aeib.runtime.bundle.Style`), chosen on the *validation* split of the training data
(``pairs_v2_final``, 400 examples; docs/TRAINING.md, "Reference-free styles"): for board-mix the
largest pull of 0.3/0.4/0.5/0.6/1 whose mean loudness-matched mel change on clean (identity)
examples stays ≤ 1.0 dB (0.85 dB; the full pull of 1 changes them by 3.0 dB: a mean of many songs'
embeddings is no song's sound); for live-room 0.5, better than 1 there on its own
(room-captured) targets and on clean recordings. Styles
not named here (data v1's ``clean-live-mix``) are fixed (pull 1)."""


STYLE_TONAL_TARGETS = {BOARD_MIX_STYLE: "board"}
"""Styles that carry a tonal target (:attr:`aeib.runtime.bundle.Style.spectrum`), and the reference kind
it is measured from (:func:`aeib.export.data.style_spectra`, every training-split reference of that
kind). Only ``board-mix``: its refinement was chosen on the validation split and checked on the
out-of-family test set (docs/TRAINING.md, "A tonal target for the reference-free style"); ``live-room``'s
was not measured."""


def builtin_styles(embeddings: np.ndarray, reference_kinds: tuple[str, ...] | None) -> tuple[dict, str]:
    """The built-in styles from the training references' embeddings, and the default style's name.

    Args:
        embeddings: float[n, embedding_dim] of the training windows' references.
        reference_kinds: Per window ``board`` or ``live`` (data v2), or ``None`` (data v1).

    Returns:
        ``({name: mean embedding}, default name)``: ``board-mix`` (the default: "make it sound like
        a proper recording") and ``live-room`` for data v2, ``clean-live-mix`` for data v1. Their
        pulls are :data:`STYLE_PULLS`.
    """
    if reference_kinds is None:
        return {DEFAULT_STYLE: embeddings.mean(axis=0)}, DEFAULT_STYLE
    kinds = np.asarray(reference_kinds)
    styles = {}
    for name, kind in ((BOARD_MIX_STYLE, "board"), (LIVE_ROOM_STYLE, "live")):
        if np.any(kinds == kind):
            styles[name] = embeddings[kinds == kind].mean(axis=0)
    if not styles:
        return {DEFAULT_STYLE: embeddings.mean(axis=0)}, DEFAULT_STYLE
    return styles, BOARD_MIX_STYLE if BOARD_MIX_STYLE in styles else next(iter(styles))


def pull_share(pull: float) -> str:
    """A pull in words for a style's description: ``"half"`` for 0.5, else a percentage (``"55 %"``)."""
    return "half" if pull == 0.5 else f"{100.0 * pull:g} %"


def check_style_pulls(pulls: Mapping[str, float] | None) -> dict[str, float]:
    """Per-style pulls that replace :data:`STYLE_PULLS` for one export, checked.

    A pull is chosen per analyzer on a validation split (docs/TRAINING.md): an analyzer trained to
    leave clean recordings alone moves less, so its style needs a larger pull for the same effect.

    Raises:
        ExportError: for a style that has no pull (only partial styles have one) or a pull outside (0, 1].
    """
    checked: dict[str, float] = {}
    for name, pull in (pulls or {}).items():
        if name not in STYLE_PULLS:
            raise ExportError(f"style {name!r} has no pull to set; partial styles: {', '.join(sorted(STYLE_PULLS))}")
        value = float(pull)
        if not 0.0 < value <= 1.0:  # also refuses nan
            raise ExportError(f"the pull of style {name!r} must lie in (0, 1], got {pull!r}")
        checked[name] = value
    return checked


def style_entry(name: str, embedding: np.ndarray, spectrum: dict | None = None, pull: float | None = None,
                description: str | None = None) -> dict:
    """A style's JSON entry: description, embedding, (for a partial style) its pull and (if given) its
    tonal target ``spectrum`` (``{"freqs_hz", "level_db", ...}``, :func:`aeib.export.data.style_spectra`).

    ``pull`` replaces the style's :data:`STYLE_PULLS` value (None: that value, or 1 for a fixed style).
    """
    pull = STYLE_PULLS.get(name, 1.0) if pull is None else float(pull)
    description = (description or STYLE_DESCRIPTIONS.get(name, name)).replace("{share}", pull_share(pull))
    return {"description": description, "embedding": [float(v) for v in embedding],
            **({"pull": pull} if pull < 1.0 else {}), **({"spectrum": spectrum} if spectrum is not None else {})}


FRONTEND_DEFINITION = ("aeib.features.log_mel_spectrogram (valid framing, periodic Hann, DFT/Σw, HTK mel, "
                       "natural log)")
RUNTIME_MODELS_DIR = Path(__file__).resolve().parents[1] / "runtime" / "models"
"""Where ``--install-default`` puts the default bundle (package data of :mod:`aeib.runtime`)."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def check_name(name: str) -> str:
    """A bundle name usable in file names (letters, digits, ``.``, ``_``, ``-``).

    Raises:
        ExportError: otherwise.
    """
    if not _NAME.match(name or ""):
        raise ExportError(f"invalid model name {name!r}: use letters, digits, '.', '_' and '-'")
    return name


def file_names(name: str, variant: str) -> tuple[str, str]:
    """``(tflite file, json file)`` of one variant."""
    return f"{name}.{variant}.tflite", f"{name}.{variant}.json"


def bundle_metadata(*, name: str, variant: str, tflite_bytes: bytes, config: ModelConfig, window_samples: int,
                    tensor_specs: dict[str, dict], styles: dict[str, list[float]], training: dict, parity: dict,
                    tensorflow_version: str, runtime: dict, recommended: bool = True,
                    recommendation: str | None = None, default_style: str = DEFAULT_STYLE,
                    style_spectra: dict[str, dict] | None = None,
                    style_pulls: Mapping[str, float] | None = None,
                    style_descriptions: Mapping[str, str] | None = None) -> dict:
    """The JSON object written beside a ``.tflite`` file.

    Args:
        name: Bundle name (e.g. ``aeib-small-v1``).
        variant: Export variant.
        tflite_bytes: The model file's bytes (hashed here).
        config: The analyzer's model configuration.
        window_samples: Analysis window in samples at ``config.sample_rate``.
        tensor_specs: ``{signature name: {"name", "shape", "dtype"}}`` — ``input_features`` (or
            ``input_audio`` for a raw-audio variant), ``reference_embedding``, ``params01``, ``input_embedding``.
        styles: ``{style name: embedding floats}``.
        training: ``run``, ``data_manifest_sha256``, ``best_val_loss``.
        parity: The variant's parity report.
        tensorflow_version: Version of the converter.
        runtime: What the file needs from an interpreter (:func:`aeib.export.convert.runtime_requirements`)
            plus the variant's ``cross_runtime_tolerance``.
        recommended: False for a variant written for completeness but not recommended.
        recommendation: Why not (the measured reason), when ``recommended`` is False.
        style_spectra: ``{style name: tonal target}`` for the styles that have one.
        style_pulls: ``{style name: pull}`` replacing :data:`STYLE_PULLS` (:func:`check_style_pulls`).
        style_descriptions: ``{style name: description}`` replacing :data:`STYLE_DESCRIPTIONS`.
    """
    raw = "input_audio" in tensor_specs
    first_input = "input_audio" if raw else "input_features"
    spec = config.log_mel_spec
    tflite_file, _ = file_names(name, variant)
    return {
        "format": BUNDLE_FORMAT,
        "format_version": BUNDLE_FORMAT_VERSION,
        "name": name,
        "variant": variant,
        "tflite_file": tflite_file,
        "tflite_sha256": bytes_sha256(tflite_bytes),
        "tflite_bytes": len(tflite_bytes),
        "aeib_version": __version__,
        "tensorflow_version": tensorflow_version,
        "config_name": config.name,
        "model_config": config.to_dict(),
        "sample_rate": config.sample_rate,
        "analysis_window": {"seconds": window_samples / config.sample_rate, "samples": window_samples,
                            "frames": spec.n_frames(window_samples)},
        "frontend": {**spec.to_dict(), "definition": FRONTEND_DEFINITION},
        "model_input": "audio" if raw else "log_mel_features",
        "frontend_in_graph": raw,
        "schema": CHAIN_SCHEMA.to_json_dict(),
        "signature_key": SIGNATURE_KEY,
        "inputs": [tensor_specs[first_input], tensor_specs["reference_embedding"]],
        "outputs": [tensor_specs["params01"], tensor_specs["input_embedding"]],
        "styles": {style: style_entry(style, emb, (style_spectra or {}).get(style), (style_pulls or {}).get(style),
                                      (style_descriptions or {}).get(style))
                   for style, emb in styles.items()},
        "default_style": default_style,
        "training": training,
        "parity": parity,
        "runtime": runtime,
        "recommended": bool(recommended),
        **({"recommendation": recommendation} if recommendation else {}),
    }


def write_bundle(out_dir: str | Path, tflite_bytes: bytes, metadata: dict) -> tuple[Path, Path]:
    """Write ``NAME.<variant>.tflite`` and its JSON into ``out_dir`` as a pair.

    Both are written to temporary files first and renamed into place only when both are complete,
    so a full disk never leaves a new model beside an old JSON (whose hash would no longer match).

    Returns:
        ``(tflite path, json path)``.
    """
    out_dir = Path(out_dir)
    tflite_name, json_name = file_names(metadata["name"], metadata["variant"])
    text = json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"
    with atomic_output(out_dir / tflite_name) as tflite_tmp, atomic_output(out_dir / json_name) as json_tmp:
        tflite_tmp.write_bytes(tflite_bytes)
        json_tmp.write_bytes(text.encode("utf-8"))
    return out_dir / tflite_name, out_dir / json_name


def prepare_out_dir(out_dir: str | Path) -> Path:
    """Create the output folder if needed.

    Raises:
        OutputError: if it is a file or cannot be created.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir} exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {out_dir}: {exc.strerror or exc}") from None
    return out_dir


def install_default(tflite_bytes: bytes, metadata: dict, models_dir: Path = RUNTIME_MODELS_DIR) -> list[Path]:
    """Write one bundle into the runtime's package-data folder as the default model.

    Bundles previously installed there (any ``*.json`` of format ``aeib-analyzer`` and its ``.tflite``)
    are removed first, so the folder always holds exactly one default. This is the bundle's only copy:
    ``aeib export --install-default`` writes that variant here instead of into ``--out``.

    Returns:
        The two installed paths (``.tflite``, ``.json``).
    """
    models_dir = prepare_out_dir(models_dir)
    tflite_name, json_name = file_names(metadata["name"], metadata["variant"])
    for old_json in models_dir.glob("*.json"):
        try:
            old = read_json(old_json, "installed model JSON")
        except AeibError:  # not a bundle of ours: leave it alone
            continue
        if old.get("format") == BUNDLE_FORMAT and old_json.name != json_name:
            old_json.unlink(missing_ok=True)
            if isinstance(old.get("tflite_file"), str) and old["tflite_file"] != tflite_name:
                (models_dir / Path(old["tflite_file"]).name).unlink(missing_ok=True)
    return list(write_bundle(models_dir, tflite_bytes, metadata))
