"""The whole export: trained analyzer → ``.tflite`` variants with their JSON, styles and parity.

Steps: load the analyzer; read training windows (calibration and styles) and validation windows
(parity; generated audio without a valid split); compute their features; run the Keras analyzer on
the raw parity audio; then per variant convert (feature variants from the feature graph, ``raw-*``
from the raw-audio graph), compute the built-in styles with that variant's own interpreter, measure
parity (raw-audio variants also against the float32 feature model on numpy features), and write the
bundle. Nothing is written until every requested variant has converted, so a failure leaves the
output folder as it was.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
from tqdm import tqdm

from aeib.export.bundle import (
    BOARD_MIX_STYLE,
    LEARNED_BOARD_MIX_DESCRIPTION,
    STYLE_TONAL_TARGETS,
    builtin_styles,
    bundle_metadata,
    check_name,
    check_style_pulls,
    file_names,
    install_default,
    prepare_out_dir,
    write_bundle,
)
from aeib.export.config import CROSS_RUNTIME_TOLERANCES, NOT_RECOMMENDED, ExportConfig, ExportError, is_raw
from aeib.export.data import (
    Windows,
    check_data_dir,
    features,
    generated_windows,
    manifest_sha256,
    shard_windows,
    style_spectra,
)
from aeib.export.parity import parity_report
from aeib.export.quiet import import_tensorflow_quietly
from aeib.export.source import resolve_model_path
from aeib.export.tflite_model import TfliteAnalyzer

KERAS_BATCH = 8
"""Windows per Keras call (bounds the memory of the in-graph front end)."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export, from where, to where.

    Attributes:
        model: Run folder or ``.keras`` file (enhancer or analyzer).
        data_dir: ``aeib make-data`` folder (train shards required, valid shards optional).
        out_dir: Folder for the bundle files (created if missing).
        name: Bundle name, e.g. ``aeib-small-v1``.
        config: Export settings.
        install_default: Variant to install as the default model, or ``None``: it is written into
            ``models_dir`` (``aeib/runtime/models/``) instead of ``out_dir``, so that it exists once.
        models_dir: Where ``install_default`` goes (the package folder unless a test overrides it).
        style_pulls: ``{style name: pull}`` replacing :data:`aeib.export.bundle.STYLE_PULLS` in this
            export (the pull chosen for this analyzer on a validation split); checked before any work.
    """

    model: Path
    data_dir: Path
    out_dir: Path
    name: str
    config: ExportConfig = field(default_factory=ExportConfig)
    install_default: str | None = None
    models_dir: Path | None = None
    style_pulls: Mapping[str, float] | None = None


@dataclass
class VariantResult:
    """One written variant."""

    variant: str
    tflite_path: Path
    json_path: Path
    metadata: dict


@dataclass
class ExportResult:
    variants: list[VariantResult]
    installed: list[Path]
    seconds: float


def keras_params01(analyzer, windows: Windows) -> np.ndarray:
    """The Keras analyzer's settings on raw audio: float32[n, P]."""
    import keras

    from aeib.model.style_token import analyzer_inputs

    out = []
    for start in range(0, len(windows), KERAS_BATCH):
        batch = analyzer_inputs(analyzer, windows.input[start:start + KERAS_BATCH],
                                windows.reference[start:start + KERAS_BATCH])
        out.append(keras.ops.convert_to_numpy(analyzer(batch, training=False)))
    return np.concatenate(out).astype(np.float32)


def keras_embeddings(analyzer, feats: np.ndarray) -> np.ndarray:
    """The trained encoder's embeddings of feature windows: float32[n, E]."""
    import keras

    encoder = analyzer.get_layer("encoder")
    out = [keras.ops.convert_to_numpy(encoder(feats[start:start + KERAS_BATCH], training=False))
           for start in range(0, feats.shape[0], KERAS_BATCH)]
    return np.concatenate(out).astype(np.float32)


def _check_request(request: ExportRequest) -> None:
    check_name(request.name)
    resolve_model_path(request.model)
    check_data_dir(request.data_dir)
    if request.install_default is not None and request.install_default not in request.config.variants:
        raise ExportError(f"`install_default` {request.install_default} is not among the exported variants "
                          f"{', '.join(request.config.variants)}")


def export_model(request: ExportRequest, progress: bool = True) -> ExportResult:
    """Run the export.

    Args:
        request: What to export.
        progress: Show a progress bar on stderr.

    Returns:
        The written variants (paths and metadata), the installed default's paths and the wall time.

    Raises:
        ExportError: bad model, data or settings; a variant outside its parity tolerance is *not* an
            error (its JSON says so) unless it is the one asked to be installed.
        OutputError: if the output folder cannot be written.
    """
    started = time.perf_counter()
    config = request.config
    _check_request(request)
    style_pulls = check_style_pulls(request.style_pulls)
    variants = config.variants
    steps = 4 + 2 * len(variants) + 1
    with tqdm(total=steps, desc="export", unit="step", leave=False, file=sys.stderr, disable=not progress or None) as bar:
        def step(label: str) -> None:
            bar.set_postfix_str(label)

        step("loading model")
        import_tensorflow_quietly()
        from aeib.export.source import load_trained_analyzer

        trained = load_trained_analyzer(request.model)
        model_config = trained.config
        from aeib.model.style_token import style_token_of

        token = style_token_of(trained.model)
        if token is not None:  # a learned style is used whole: its pull is 1 unless asked otherwise
            style_pulls = {BOARD_MIX_STYLE: 1.0, **style_pulls}
        spec = model_config.log_mel_spec
        window = config.window_samples(model_config.sample_rate)
        if spec.n_frames(window) < 1:
            raise ExportError(f"a {config.window_seconds} s window is shorter than one analysis frame")
        bar.update()

        step("reading data")
        train = shard_windows(request.data_dir, "train", config.representative_windows, window)
        check = shard_windows(request.data_dir, "valid", config.parity_examples, window)
        if check is None:
            check = generated_windows(config.parity_examples, window, model_config.sample_rate, config.seed)
        measured = style_spectra(request.data_dir, tuple(STYLE_TONAL_TARGETS.values()), model_config.sample_rate)
        spectra = {name: {**measured[kind], "split": "train", "target_mode": kind}
                   for name, kind in STYLE_TONAL_TARGETS.items() if kind in measured}
        bar.update()

        step("features")
        train_input_feats = features(train.input, spec)
        train_ref_feats = features(train.reference, spec)
        check_input_feats = features(check.input, spec)
        check_ref_feats = features(check.reference, spec)
        bar.update()

        step("keras reference")
        from aeib.export.convert import check_runtime_compat, convert, representative_dataset
        from aeib.export.graph import build_export_model, build_raw_export_model

        reference_params = keras_params01(trained.model, check)
        calibration = representative_dataset(np.concatenate([train_input_feats, train_ref_feats]),
                                             keras_embeddings(trained.model, train_ref_feats))
        graphs = {False: build_export_model(trained.model, model_config, window)}
        if any(is_raw(v) for v in variants):
            graphs[True] = build_raw_export_model(trained.model, model_config, window)
        bar.update()

        import tensorflow as tf

        training = {**trained.training, "export_data_manifest_sha256": manifest_sha256(request.data_dir)}
        pending = []
        feature_float32 = None  # params01 of the float32 feature model, the raw variants' front-end check
        for variant in variants:
            raw = is_raw(variant)
            step(f"converting {variant}")
            tflite_bytes = convert(graphs[raw], variant, calibration if variant == "int8" else None)
            bar.update()

            step(f"styles and parity {variant}")
            runner = TfliteAnalyzer(tflite_bytes)
            specs = {name: runner.tensor_spec(name) for name in runner.details}
            style_in, check_in, check_ref = ((train.reference, check.input, check.reference) if raw else
                                             (train_ref_feats, check_input_feats, check_ref_feats))
            styles, default_style = builtin_styles(runner.embed(style_in), train.reference_kinds)
            if token is not None:
                styles[BOARD_MIX_STYLE], default_style = token, BOARD_MIX_STYLE
            predicted = runner.predict(check_in, runner.embed(check_ref))
            parity = parity_report(reference_params, predicted, check.input, model_config.sample_rate,
                                   config.tolerances[variant], check.source)
            parity["calibration_windows"] = len(train)
            if variant == "float32":
                feature_float32 = predicted
            if raw:
                if feature_float32 is None:
                    feature_float32 = TfliteAnalyzer(convert(graphs[False], "float32")).predict(
                        check_input_feats, runner.embed(check_ref))
                parity["max_abs_params01_vs_float32_feature_model"] = float(np.abs(predicted - feature_float32).max())
            recommendation = NOT_RECOMMENDED.get(variant)
            if recommendation is not None:
                recommendation += (f"; this export: max |Δparams01| vs Keras {parity['max_abs_params01_vs_keras']:.3g} "
                                   f"(tolerance {parity['tolerance']:.3g}), median output difference "
                                   f"{parity['audio']['median_output_difference_db']:.1f} dB")
            runtime = {**check_runtime_compat(tflite_bytes), "cross_runtime_tolerance": CROSS_RUNTIME_TOLERANCES[variant]}
            metadata = bundle_metadata(
                name=request.name, variant=variant, tflite_bytes=tflite_bytes, config=model_config,
                window_samples=window, tensor_specs=specs, styles=styles, training=training, parity=parity,
                tensorflow_version=tf.__version__, runtime=runtime, recommended=recommendation is None,
                recommendation=recommendation, default_style=default_style, style_spectra=spectra,
                style_pulls=style_pulls,
                style_descriptions={BOARD_MIX_STYLE: LEARNED_BOARD_MIX_DESCRIPTION} if token is not None else None)
            pending.append((variant, tflite_bytes, metadata))
            bar.update()

        if request.install_default is not None:
            chosen = next(meta for v, _, meta in pending if v == request.install_default)
            if not chosen["parity"]["within_tolerance"]:
                raise ExportError(
                    f"{request.install_default} is outside its parity tolerance "
                    f"({chosen['parity']['max_abs_params01_vs_keras']:.4g} > {chosen['parity']['tolerance']:.4g}); "
                    "not installing it as the default (nothing was written)")

        step("writing")
        out_dir = prepare_out_dir(request.out_dir)
        written = {variant: write_bundle(out_dir, tflite_bytes, metadata)
                   for variant, tflite_bytes, metadata in pending if variant != request.install_default}
        installed: list[Path] = []
        if request.install_default is not None:   # its one copy goes to the package folder, not to out_dir
            tflite_bytes, metadata = next((b, m) for v, b, m in pending if v == request.install_default)
            kwargs = {} if request.models_dir is None else {"models_dir": Path(request.models_dir)}
            installed = install_default(tflite_bytes, metadata, **kwargs)
            written[request.install_default] = (installed[0], installed[1])
            for stale in (out_dir / name for name in file_names(request.name, request.install_default)):
                if stale.resolve() not in {path.resolve() for path in installed}:
                    stale.unlink(missing_ok=True)   # an earlier export's copy of it
        results = [VariantResult(variant, *written[variant], metadata) for variant, _, metadata in pending]
        bar.update()
    return ExportResult(results, installed, time.perf_counter() - started)
