"""Find and load the trained analyzer to export: a run folder or a ``.keras`` file.

A run folder (``aeib train --out``) holds ``analyzer.keras`` once training finished, ``best.keras``
(the enhancer with the best validation loss) while it runs, plus ``config.json`` and
``summary.json``/``state.json``. A bare ``.keras`` file may be an enhancer or an analyzer; its model
config is read from a ``config.json`` beside it if there is one, else rebuilt from the layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from aeib.export.config import ExportError
from aeib.jsonio import read_json
from aeib.model.config import ConfigError, ControllerConfig, EncoderConfig, FrontendConfig, ModelConfig

MODEL_FILES = ("analyzer.keras", "best.keras")
"""Files looked for, in this order, inside a run folder."""


@dataclass
class TrainedAnalyzer:
    """A loaded analyzer with what the bundle records about it.

    Attributes:
        model: The Keras analyzer (inputs ``input_audio``, ``reference_audio``; output params01).
        config: Its model configuration.
        path: The ``.keras`` file it came from.
        training: ``run``, ``data_manifest_sha256`` and ``best_val_loss`` (``None`` where unknown).
    """

    model: object
    config: ModelConfig
    path: Path
    training: dict = field(default_factory=dict)


def resolve_model_path(path: str | Path) -> Path:
    """The ``.keras`` file named by ``path`` (a file, or a run folder holding one).

    Raises:
        ExportError: if nothing usable is there.
    """
    path = Path(path)
    if path.is_dir():
        for name in MODEL_FILES:
            if (path / name).is_file():
                return path / name
        raise ExportError(f"{path} holds no {' or '.join(MODEL_FILES)}; pass a run folder of `aeib train` "
                          "or a .keras file")
    if not path.is_file():
        raise ExportError(f"no such model file or run folder: {path}")
    if path.suffix != ".keras":
        raise ExportError(f"{path} is not a .keras model file")
    return path


def _analyzer_of(model, path: Path):
    layer_names = {layer.name for layer in model.layers}
    if "analyzer" in layer_names:
        model = model.get_layer("analyzer")
    names = {layer.name for layer in model.layers}
    if not {"log_mel", "encoder", "controller"} <= names:
        raise ExportError(f"{path} is not an aeib analyzer or enhancer (needs layers log_mel, encoder, "
                          f"controller; found {sorted(names)})")
    return model


def _config_from_layers(analyzer) -> ModelConfig:
    spec = analyzer.get_layer("log_mel").spec
    encoder = analyzer.get_layer("encoder")
    controller = analyzer.get_layer("controller")
    frontend = {k: v for k, v in spec.to_dict().items() if k != "sample_rate"}
    return ModelConfig(
        name="custom",
        sample_rate=spec.sample_rate,
        frontend=FrontendConfig(**frontend),
        encoder=EncoderConfig(encoder.filters, encoder.kernel_size, encoder.embedding_dim),
        controller=ControllerConfig(controller.hidden_units, controller.dropout_rate),
    )


def _same_architecture(a: ModelConfig, b: ModelConfig) -> bool:
    return (a.sample_rate, a.frontend, a.encoder, a.controller.hidden_units) == \
        (b.sample_rate, b.frontend, b.encoder, b.controller.hidden_units)


def _read_json(path: Path) -> dict | None:
    """The object in an optional run file, or None if it is missing or unusable (it only adds notes)."""
    try:
        return read_json(path, "run file", error=ExportError)
    except ExportError:
        return None


def training_info(run_dir: Path) -> dict:
    """What the run folder says about training: run name, data manifest hash, best validation loss."""
    info = {"run": str(run_dir), "data_manifest_sha256": None, "best_val_loss": None}
    summary = _read_json(run_dir / "summary.json")
    state = _read_json(run_dir / "state.json")
    if summary:
        info["data_manifest_sha256"] = summary.get("data_manifest_sha256")
        info["best_val_loss"] = summary.get("best_val_loss")
    elif state:
        info["data_manifest_sha256"] = state.get("data_manifest_sha256")
        info["best_val_loss"] = state.get("callbacks", {}).get("checkpoint", {}).get("best")
    return info


def load_trained_analyzer(path: str | Path) -> TrainedAnalyzer:
    """Load the analyzer named by ``path`` (run folder or ``.keras`` file).

    Raises:
        ExportError: for a missing path, a file that is not a loadable aeib model, or a
            ``config.json`` that does not describe the loaded model.
    """
    model_path = resolve_model_path(path)
    from aeib.model.saving import load_keras_model  # imports Keras/TensorFlow

    try:
        model = load_keras_model(model_path)
    except Exception as exc:  # Keras raises many types for damaged or foreign files
        detail = str(exc).strip().splitlines()
        detail = detail[-1] if detail else type(exc).__name__
        raise ExportError(f"cannot load {model_path}: not a readable aeib .keras model ({detail[:200]})") from None
    analyzer = _analyzer_of(model, model_path)
    config = _config_from_layers(analyzer)
    config_file = model_path.parent / "config.json"
    if config_file.is_file():
        try:
            declared = ModelConfig.load(config_file)
        except ConfigError as exc:
            raise ExportError(f"{config_file}: {exc}") from None
        if not _same_architecture(declared, config):
            raise ExportError(f"{config_file} does not describe the model in {model_path} (different architecture)")
        config = declared
    return TrainedAnalyzer(analyzer, config, model_path, training_info(model_path.parent))
