"""Golden vectors for ports: one window of the example clip through every shipped model and the chain.

For each model name in ``tflite_models/`` and ``aeib/runtime/models/`` (e.g. ``aeib-small-v2``; the
bundled default is shipped only in the package folder and counts with the other variants of its name)
:func:`write_vectors` writes ``tflite_models/vectors/<name>/``:

* ``window.f32`` — one analysis window of the bundled example clip (its centre ``samples``, mono =
  mean of the channels, resampled to the model rate with soxr HQ): raw little-endian float32;
* ``features.f32`` — its log-mel features by the definition (:func:`aeib.features.log_mel_spectrogram`),
  float32[frames, n_mels], row-major;
* ``chain_input.wav`` / ``chain_output.wav`` — a few seconds of the clip at its own rate and channels
  (float32 WAV) and the chain's output (EQ → compressor → limiter) with the bundled default's setting;
* ``vectors.json`` — shapes and SHA-256 of those files and, per variant, the built-in style's
  embedding, ``params01``, ``input_embedding`` (what LiteRT computes from ``features.f32`` — or from
  ``window.f32`` for a raw-audio model — and that style) and the physical setting.

:func:`check_vectors` recomputes all of it and reports every difference beyond its tolerance
(``tests/export/test_golden_vectors.py``); ``scripts/check_tflite_runtimes.py`` runs the models on
another interpreter (``tflite-runtime`` 2.14 in CI) against the same files. Regenerate after every
``aeib export`` into ``tflite_models/``: ``python scripts/make_golden_vectors.py``. TensorFlow-free.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from aeib.contract import BUNDLE_FORMAT
from aeib.export.config import ExportError
from aeib.hashing import bytes_sha256

VECTORS_FORMAT = "aeib-golden-vectors"
VECTORS_VERSION = 1
CHAIN_START_S = 2.0
CHAIN_SECONDS = 2.0
"""The chain vectors cover this part of the example clip (seconds)."""
FEATURE_TOLERANCE = 1e-4
"""Recomputed window/features vs the stored ones (natural-log units for features)."""
CHAIN_TOLERANCE = 1e-5
"""Recomputed chain output vs ``chain_output.wav`` (absolute, full scale 1)."""
REGENERATE = "python scripts/make_golden_vectors.py"


def shipped_bundles(*folders: Path) -> dict[str, list[Path]]:
    """Bundle JSONs in ``folders`` (``format: aeib-analyzer``), grouped by model name, sorted by file name.

    Pass ``tflite_models/`` and the runtime's package folder: the bundled default is shipped once, in
    the package, and joins the other variants of its model name from there.

    Raises:
        ExportError: if one bundle file name is in two of the folders (the same bundle shipped twice).
    """
    groups: dict[str, list[Path]] = {}
    seen: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(Path(folder).glob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                continue
            if not (isinstance(data, dict) and data.get("format") == BUNDLE_FORMAT):
                continue
            if path.name in seen:
                raise ExportError(f"{path.name} is shipped twice ({seen[path.name].parent} and {path.parent}); "
                                  "keep one copy")
            seen[path.name] = path
            groups.setdefault(str(data.get("name")), []).append(path)
    return {name: sorted(paths, key=lambda path: path.name) for name, paths in groups.items()}


def example_clip_path() -> Path:
    """The bundled example clip (package data)."""
    from importlib import resources

    from aeib.cli.example import EXAMPLE_CLIP

    return Path(str(resources.files("aeib.examples").joinpath(EXAMPLE_CLIP)))


def example_window(sample_rate: int, window_samples: int) -> np.ndarray:
    """The centre analysis window of the bundled example clip: mono float32 at ``sample_rate``."""
    import soundfile as sf

    from aeib.audio import resample

    audio, rate = sf.read(example_clip_path(), dtype="float32", always_2d=True)
    mono = resample(audio.mean(axis=1), rate, sample_rate)
    if mono.shape[0] < window_samples:
        raise ExportError(f"the example clip is shorter than one {window_samples}-sample window")
    start = (mono.shape[0] - window_samples) // 2
    return np.ascontiguousarray(mono[start:start + window_samples], dtype=np.float32)


def chain_input() -> tuple[np.ndarray, int]:
    """``(float32[samples, channels], rate)``: the chain vectors' part of the example clip."""
    import soundfile as sf

    audio, rate = sf.read(example_clip_path(), dtype="float32", always_2d=True)
    start = int(CHAIN_START_S * rate)
    return np.ascontiguousarray(audio[start:start + int(CHAIN_SECONDS * rate)]), rate


def _run(json_path: Path, window: np.ndarray, features: np.ndarray) -> dict:
    """One variant on the golden inputs, with LiteRT through :mod:`aeib.runtime`."""
    from aeib.dsp import CHAIN_SCHEMA
    from aeib.runtime import load_model

    model = load_model(json_path)
    style = model.style_embedding()
    params01, embedding = model.run(window if model.raw_audio else features, style)
    cross = model.bundle.raw.get("runtime", {}).get("cross_runtime_tolerance", 1e-5)
    return {
        "bundle": json_path.name,
        "variant": model.variant,
        "tflite_file": model.path.name,
        "tflite_sha256": model.bundle.tflite_sha256,
        "input": model.bundle.input_name,
        "style": model.default_style,
        "reference_embedding": [float(v) for v in style],
        "params01": [float(v) for v in params01],
        "input_embedding": [float(v) for v in embedding],
        "physical": CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.denormalize(np.clip(params01, 0.0, 1.0))),
        "cross_runtime_tolerance": float(cross),
    }


def _default_bundle(models_dir: Path, runtime_models_dir: Path) -> dict:
    """The bundled default's JSON (decoded)."""
    from aeib.runtime.bundle import default_bundle_json

    path = default_bundle_json(runtime_models_dir)
    return {"path": path, "data": json.loads(path.read_text(encoding="utf-8"))}


def compute_vectors(name: str, bundle_paths: list[Path], runtime_models_dir: Path) -> tuple[dict, dict[str, bytes]]:
    """The vectors of one model name: ``(vectors.json content, {file name: bytes})``.

    Raises:
        ExportError: if the variants disagree on rate, window or front end.
    """
    import io

    import soundfile as sf

    from aeib.dsp import CHAIN_SCHEMA, process
    from aeib.features import log_mel_spectrogram
    from aeib.runtime import read_bundle

    bundles = [read_bundle(path) for path in bundle_paths]
    first = bundles[0]
    for bundle in bundles[1:]:
        if (bundle.sample_rate, bundle.window_samples, bundle.frontend) != \
                (first.sample_rate, first.window_samples, first.frontend):
            raise ExportError(f"{bundle.json_path.name} and {first.json_path.name} differ in rate, window or "
                              "front end; golden vectors need one per model name")
    window = example_window(first.sample_rate, first.window_samples)
    features = log_mel_spectrogram(window, first.frontend).astype(np.float32)
    variants = [_run(path, window, features) for path in bundle_paths]

    default = _default_bundle(bundle_paths[0].parent, runtime_models_dir)
    by_sha = {v["tflite_sha256"]: v for v in variants}
    chosen = by_sha.get(default["data"].get("tflite_sha256"))
    chain_from = chosen if chosen is not None else next(v for v in variants if v["variant"] == "float32")
    audio, rate = chain_input()
    output = process(audio, rate, CHAIN_SCHEMA.denormalize(np.clip(chain_from["params01"], 0.0, 1.0))).astype(np.float32)

    files = {"window.f32": window.astype("<f4").tobytes(), "features.f32": features.astype("<f4").tobytes()}
    for file_name, data in (("chain_input.wav", audio), ("chain_output.wav", output)):
        buffer = io.BytesIO()
        sf.write(buffer, data, rate, subtype="FLOAT", format="WAV")
        files[file_name] = buffer.getvalue()
    manifest = {
        "format": VECTORS_FORMAT,
        "format_version": VECTORS_VERSION,
        "name": name,
        "regenerate": REGENERATE,
        "source": {"clip": "aeib/examples/club_phone_clip.flac (`aeib example`)",
                   "window": "centre window; mono = mean of channels; soxr HQ resampling to the model rate"},
        "sample_rate": first.sample_rate,
        "window": {"file": "window.f32", "dtype": "float32", "byte_order": "little", "shape": [first.window_samples],
                   "sha256": bytes_sha256(files["window.f32"])},
        "features": {"file": "features.f32", "dtype": "float32", "byte_order": "little",
                     "shape": list(features.shape), "sha256": bytes_sha256(files["features.f32"]),
                     "frontend": first.frontend.to_dict()},
        "variants": variants,
        "bundled_default": {"bundle": default["path"].name, "tflite_sha256": default["data"].get("tflite_sha256"),
                            "variant": chosen["variant"] if chosen else None},
        "chain": {"input": "chain_input.wav", "output": "chain_output.wav", "sample_rate": rate,
                  "channels": int(audio.shape[1]), "start_s": CHAIN_START_S, "seconds": CHAIN_SECONDS,
                  "setting_from": chain_from["bundle"], "physical": chain_from["physical"],
                  "input_sha256": bytes_sha256(files["chain_input.wav"]),
                  "output_sha256": bytes_sha256(files["chain_output.wav"])},
    }
    return manifest, files


def write_vectors(models_dir: Path, runtime_models_dir: Path, out_dir: Path | None = None) -> list[Path]:
    """(Re)write ``models_dir/vectors/<name>/`` for every model name in ``models_dir`` and ``runtime_models_dir``.

    Folders of names no longer shipped are removed. Returns the written ``vectors.json`` paths.
    """
    from aeib.audio import atomic_output

    models_dir = Path(models_dir)
    out_dir = models_dir / "vectors" if out_dir is None else Path(out_dir)
    groups = shipped_bundles(models_dir, runtime_models_dir)
    if not groups:
        raise ExportError(f"{models_dir} holds no exported bundles")
    written = []
    for name, paths in groups.items():
        manifest, files = compute_vectors(name, paths, runtime_models_dir)
        folder = out_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        for file_name, data in files.items():
            with atomic_output(folder / file_name) as tmp:
                tmp.write_bytes(data)
        with atomic_output(folder / "vectors.json") as tmp:
            tmp.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        written.append(folder / "vectors.json")
    for stale in out_dir.iterdir():
        if stale.is_dir() and stale.name not in groups and (stale / "vectors.json").is_file():
            shutil.rmtree(stale)
    return written


def _max_diff(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)))) if len(a) else 0.0


def check_vectors(models_dir: Path, runtime_models_dir: Path, vectors_dir: Path | None = None) -> list[str]:
    """Recompute the vectors and list every problem (empty: all agree within their tolerances).

    Checks that every shipped model name has vectors for exactly its current files (by SHA-256),
    that the window, features, LiteRT outputs, physical settings and chain output recompute to the
    stored values, and that the bundled default is one of the vectors' variants.
    """
    import soundfile as sf

    models_dir = Path(models_dir)
    vectors_dir = models_dir / "vectors" if vectors_dir is None else Path(vectors_dir)
    problems = []
    for name, paths in shipped_bundles(models_dir, runtime_models_dir).items():
        manifest_path = vectors_dir / name / "vectors.json"
        if not manifest_path.is_file():
            problems.append(f"{name}: no golden vectors ({manifest_path}); run `{REGENERATE}`")
            continue
        stored = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest, files = compute_vectors(name, paths, runtime_models_dir)
        folder = manifest_path.parent
        stored_shas = {v["bundle"]: v["tflite_sha256"] for v in stored["variants"]}
        current_shas = {v["bundle"]: v["tflite_sha256"] for v in manifest["variants"]}
        if stored_shas != current_shas:
            problems.append(f"{name}: the vectors are for other model files than the ones shipped; run `{REGENERATE}`")
            continue
        window = np.fromfile(folder / "window.f32", dtype="<f4")
        features = np.fromfile(folder / "features.f32", dtype="<f4").reshape(stored["features"]["shape"])
        if _max_diff(window, np.frombuffer(files["window.f32"], "<f4")) > FEATURE_TOLERANCE:
            problems.append(f"{name}: window.f32 differs from the example clip's window")
        if _max_diff(features.ravel(), np.frombuffer(files["features.f32"], "<f4")) > FEATURE_TOLERANCE:
            problems.append(f"{name}: features.f32 differs from the log-mel of window.f32")
        for old, new in zip(stored["variants"], manifest["variants"]):
            tolerance = old["cross_runtime_tolerance"]
            for key in ("reference_embedding", "params01", "input_embedding"):
                diff = _max_diff(old[key], new[key])
                if diff > tolerance:
                    problems.append(f"{name} {old['variant']}: {key} differs by {diff:.3g} > {tolerance:.3g}")
            from aeib.dsp import CHAIN_SCHEMA

            physical = CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.denormalize(np.clip(old["params01"], 0.0, 1.0)))
            if any(abs(physical[k] - old["physical"][k]) > 1e-6 * max(1.0, abs(physical[k])) for k in physical):
                problems.append(f"{name} {old['variant']}: 'physical' is not the denormalization of 'params01'")
        if stored["bundled_default"]["tflite_sha256"] != manifest["bundled_default"]["tflite_sha256"]:
            problems.append(f"{name}: the bundled default changed since the vectors were made; run `{REGENERATE}`")
        chain = stored["chain"]
        audio, rate = sf.read(folder / chain["input"], dtype="float32", always_2d=True)
        expected, _ = sf.read(folder / chain["output"], dtype="float32", always_2d=True)
        from aeib.dsp import process

        output = process(audio, rate, chain["physical"]).astype(np.float32)
        diff = float(np.max(np.abs(output - expected)))
        if diff > CHAIN_TOLERANCE:
            problems.append(f"{name}: chain output differs from chain_output.wav by {diff:.3g} > {CHAIN_TOLERANCE:g}")
    return problems
