"""Keras ``fit`` training of the enhancer on style-pair shards, resumable after an interruption.

A run folder holds::

    config.json      the resolved model config
    state.json       epoch reached, callback states, data manifest hash (written every epoch)
    last.keras       the enhancer with its optimizer state after the last finished epoch
    best.keras       the enhancer with the lowest validation loss so far (ModelCheckpoint)
    history.csv      one row per epoch (CSVLogger, appended across resumptions)
    tensorboard/     TensorBoard logs
    analyzer.keras   the best analyzer alone (written when training ends)
    summary.json     training-curve summary (written when training ends)

Resuming (``--resume``) reloads ``last.keras`` (weights *and* optimizer moments), restores the
early-stopping / LR-plateau / best-checkpoint state and continues at the next epoch. Every epoch's
batches come from a dataset seeded by ``(seed, epoch)`` and the SPSA perturbations are reseeded the
same way, so the epochs after a resumption see the same data and perturbations as an
uninterrupted run would.
"""

from __future__ import annotations

import csv
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from aeib.data.corpus import CorpusError
from aeib.data.manifest import load_manifest
from aeib.errors import ConfigError, ParameterError, RunFolderError
from aeib.hashing import file_sha256
from aeib.jsonio import read_json
from aeib.model.analyzer import build_enhancer
from aeib.model.config import ModelConfig
from aeib.model.saving import load_keras_model
from aeib.model.spsa import SpsaDspLayer
from aeib.model.style_token import STYLE_TOKEN_LAYER, has_style_token
from aeib.model.train_step import compile_enhancer
from aeib.train.dataset import pair_dataset
from aeib.train.strategy import make_strategy

STATE_FILE = "state.json"
STATE_VERSION = 1


@dataclass(frozen=True)
class TrainOptions:
    """What ``aeib train`` was asked to do.

    Attributes:
        config: Config name (``tiny``/``small``/``big``) or JSON path.
        gradient: Override of the config's gradient mode (``spsa`` or ``autodiff``).
        data_dir: Folder written by ``aeib make-data``.
        out_dir: Run folder.
        resume: Continue the run in ``out_dir``.
        strategy: ``default``, ``mirrored`` or ``multiworker``.
        epochs: Maximum number of epochs.
        steps_per_epoch: Cap on training steps per epoch (default: one pass over the train split).
        validation_steps: Cap on validation batches (default: the whole valid split).
        early_stopping_patience: Epochs without validation improvement before stopping.
        lr_patience: Epochs without improvement before the learning rate is reduced.
        lr_factor: Factor applied to the learning rate on a plateau.
        verbose: Keras verbosity (1 progress bar, 2 one line per epoch, 0 silent).
        init_from: A saved analyzer (``analyzer.keras``) or run checkpoint whose analyzer weights a new
            run starts from (fine-tuning); ignored when resuming.
    """

    config: str
    data_dir: Path
    out_dir: Path
    gradient: str | None = None
    resume: bool = False
    strategy: str = "default"
    epochs: int = 100
    steps_per_epoch: int | None = None
    validation_steps: int | None = None
    early_stopping_patience: int = 8
    lr_patience: int = 3
    lr_factor: float = 0.5
    init_from: Path | None = None
    verbose: int = 1


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:  # a full disk or an interrupt: no half-written file stays behind
        tmp.unlink(missing_ok=True)
        raise


def epoch_seed(seed: int, epoch: int) -> int:
    """Seed of one epoch's data order, crops and SPSA perturbations."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


def identity_weights(input_audio: tf.Tensor, target: tf.Tensor, weight: float,
                     token_flags: tf.Tensor | None = None, token_weight: float | None = None) -> tf.Tensor:
    """float32[batch] sample weights: ``weight`` for identity examples (input equal to target,
    sample for sample), 1 for the others; identity examples whose ``token_flags`` (float32[batch, 1])
    is set weigh ``token_weight`` instead when it is given."""
    same = tf.reduce_all(tf.equal(input_audio, target), axis=-1)
    identity = tf.constant(weight, tf.float32)
    if token_flags is not None and token_weight is not None:
        identity = tf.where(token_flags[:, 0] > 0.5, tf.constant(token_weight, tf.float32), identity)
    return tf.where(same, identity, tf.constant(1.0, tf.float32))


def style_token_flags(batch: dict, prob: float) -> tf.Tensor:
    """float32[batch, 1]: 1 for the eligible examples whose reproducible draw falls under ``prob``
    (their reference embedding is replaced by the style token), else 0."""
    use = tf.logical_and(batch["token_eligible"] > 0.5, batch["token_draw"] < prob)
    return tf.cast(use, tf.float32)[:, None]


def as_keras_batch(batch: dict, identity_weight: float = 1.0, style_token_prob: float = 0.0,
                   token_identity_weight: float | None = None) -> tuple:
    """``((input, reference), target)`` for ``model.fit``, with per-example sample weights appended
    when identity examples weigh other than 1 (``loss.identity_weight``; those whose reference the
    style token replaced weigh ``token_identity_weight``, None: the same), and the style-token flags
    as a third input when the analyzer has a token (``training.style_token_prob > 0``)."""
    x: tuple = (batch["input"], batch["reference"])
    y = batch["target"]
    flags = None
    if style_token_prob > 0:
        flags = style_token_flags(batch, style_token_prob)
        x = x + (flags,)
    if identity_weight == 1.0 and (flags is None or token_identity_weight in (None, 1.0)):
        return x, y
    return x, y, identity_weights(batch["input"], batch["target"], identity_weight, flags, token_identity_weight)


def _keras_batches(config: ModelConfig):
    def convert(batch: dict) -> tuple:
        return as_keras_batch(batch, config.loss.identity_weight, config.training.style_token_prob,
                              config.loss.style_token_identity_weight)
    return convert


def training_dataset(data_dir: Path, config: ModelConfig, first_epoch: int, epochs: int,
                     steps: int) -> tf.data.Dataset:
    """Epochs ``first_epoch .. epochs-1`` back to back, ``steps`` batches each, each shuffled and
    cropped by its own seed (so epoch ``e`` is the same batches whether or not the run was resumed)."""
    parts = [
        pair_dataset(data_dir, "train", config.training.batch_size, config.training.crop_seconds, shuffle=True,
                     seed=epoch_seed(config.training.seed, epoch)).map(_keras_batches(config)).take(steps)
        for epoch in range(first_epoch, epochs)
    ]
    dataset = parts[0]
    for part in parts[1:]:
        dataset = dataset.concatenate(part)
    return dataset


def validation_dataset(data_dir: Path, config: ModelConfig, examples: int) -> tf.data.Dataset:
    """The valid split, centred crops, fixed order; its length is declared so Keras knows where it ends."""
    batches = -(-examples // config.training.batch_size)
    dataset = pair_dataset(data_dir, "valid", config.training.batch_size, config.training.crop_seconds,
                           shuffle=False, drop_remainder=False).map(_keras_batches(config))
    return dataset.apply(tf.data.experimental.assert_cardinality(batches)).cache()


class RunState(keras.callbacks.Callback):
    """Saves the resumable state after every epoch and restores it at the start of a resumed run.

    Must come after the callbacks whose state it keeps in the callback list.
    """

    def __init__(self, out_dir: Path, tracked: dict[str, keras.callbacks.Callback], base_seed: int,
                 data_hash: str, restored: dict | None):
        super().__init__()
        self.out_dir = out_dir
        self.tracked = tracked
        self.base_seed = base_seed
        self.data_hash = data_hash
        self.restored = restored

    _FIELDS = ("wait", "best", "cooldown_counter", "best_epoch", "stopped_epoch")

    @classmethod
    def _numeric_state(cls, callback: keras.callbacks.Callback) -> dict[str, float]:
        """The callback's counters and best value, as JSON numbers."""
        values = {field: getattr(callback, field, None) for field in cls._FIELDS}
        return {field: float(value) for field, value in values.items()
                if isinstance(value, (int, float, np.number)) and not isinstance(value, bool)}

    def on_train_begin(self, logs=None):
        if not self.restored:
            return
        for name, callback in self.tracked.items():
            for field, value in self.restored["callbacks"].get(name, {}).items():
                setattr(callback, field, value)

    def on_epoch_begin(self, epoch, logs=None):
        for layer in _all_layers(self.model):
            if isinstance(layer, SpsaDspLayer):
                layer.reseed(epoch_seed(self.base_seed, epoch))

    def on_epoch_end(self, epoch, logs=None):
        last = self.out_dir / "last.keras"
        tmp = self.out_dir / ".last.partial.keras"
        self.model.save(tmp)
        os.replace(tmp, last)
        callbacks = {name: self._numeric_state(cb) for name, cb in self.tracked.items()}
        state = {"version": STATE_VERSION, "epochs_done": epoch + 1, "data_manifest_sha256": self.data_hash,
                 "callbacks": callbacks, "logs": {k: float(v) for k, v in (logs or {}).items()}}
        _atomic_write_text(self.out_dir / STATE_FILE, json.dumps(state, indent=2) + "\n")


def _all_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Every layer of a functional model, nested models included."""
    found = []
    for layer in model.layers:
        found.append(layer)
        if isinstance(layer, keras.Model):
            found.extend(_all_layers(layer))
    return found


def _stored_config(out_dir: Path) -> ModelConfig:
    """The config a run folder was started with (settings added since take their defaults)."""
    data = read_json(out_dir / "config.json", "run config", error=RunFolderError)
    try:
        return ModelConfig.from_dict(data)
    except ConfigError as exc:
        raise RunFolderError(f"{out_dir}/config.json: {exc}") from None


def _load_state(out_dir: Path) -> dict | None:
    path = out_dir / STATE_FILE
    if not path.is_file():
        return None
    try:
        state = read_json(path, "run state", error=RunFolderError)
    except RunFolderError as exc:
        raise RunFolderError(f"{exc}; start a new run in another folder") from None
    if state.get("version") != STATE_VERSION or not (out_dir / "last.keras").is_file():
        raise RunFolderError(f"{out_dir} holds an incomplete or incompatible run; start a new run in another folder")
    return state


def _init_analyzer(model: keras.Model, path: Path) -> None:
    """Copy the analyzer weights of a saved analyzer or enhancer into ``model``'s analyzer."""
    if not path.is_file():
        raise RunFolderError(f"`init_from` {path}: no such file")
    source = load_keras_model(path)
    if source.name != "analyzer":
        source = source.get_layer("analyzer")
    target = model.get_layer("analyzer")
    try:
        if has_style_token(source) == has_style_token(target):
            target.set_weights(source.get_weights())
            return
        # With or without a style token: copy the layers both have (the token keeps its start).
        shared = {layer.name for layer in source.layers} & {layer.name for layer in target.layers}
        for name in sorted(shared):
            weights = source.get_layer(name).get_weights()
            if weights:
                target.get_layer(name).set_weights(weights)
    except ValueError as exc:
        raise RunFolderError(f"`init_from` {path}: its analyzer does not fit this config ({exc})") from None


def init_style_token(model: keras.Model, dataset: tf.data.Dataset, batches: int = 16) -> int:
    """Start the style token at the mean embedding of eligible examples' references (their target is
    a board mix or the input itself): the fixed board-mix style of earlier models, from which the
    token then learns. Returns how many references were averaged (0: the token stays at zero)."""
    analyzer = model.get_layer("analyzer")
    if not has_style_token(analyzer):
        return 0
    encoder, frontend = analyzer.get_layer("encoder"), analyzer.get_layer("log_mel")
    embeddings = []
    for batch in dataset.take(batches):
        eligible = batch["token_eligible"].numpy() > 0.5
        if eligible.any():
            embeddings.append(np.asarray(encoder(frontend(batch["reference"][eligible]), training=False)))
    if not embeddings:
        return 0
    stacked = np.concatenate(embeddings)
    analyzer.get_layer(STYLE_TOKEN_LAYER).set_token(stacked.mean(axis=0))
    return len(stacked)


def _check_options(options: TrainOptions) -> None:
    if options.epochs < 1:
        raise ParameterError(f"`epochs` must be at least 1, got {options.epochs}")
    for name in ("steps_per_epoch", "validation_steps"):
        value = getattr(options, name)
        if value is not None and value < 1:
            raise ParameterError(f"`{name}` must be at least 1, got {value}")


def train(options: TrainOptions) -> dict:
    """Train (or resume training) and return the run summary (also written to ``summary.json``).

    Raises:
        ConfigError, CorpusError, ParameterError, RunFolderError: for bad configs, data or run folders.
    """
    _check_options(options)
    config = ModelConfig.load(options.config)
    if options.gradient:
        config = config.replace_training(gradient=options.gradient)
    out_dir = Path(options.out_dir)
    manifest = load_manifest(options.data_dir)
    if int(manifest["audio"]["sample_rate"]) != config.sample_rate:
        raise CorpusError(f"data is at {manifest['audio']['sample_rate']} Hz but config {config.name} "
                          f"expects {config.sample_rate} Hz")
    data_hash = file_sha256(Path(options.data_dir) / "manifest.json")

    state = _load_state(out_dir) if out_dir.exists() else None
    if state and config != _stored_config(out_dir):
        raise RunFolderError(f"{out_dir} was started with another config; resume it with the same `config` "
                             "(and `gradient`), or choose another `out_dir`")
    if state and not options.resume:
        raise RunFolderError(f"{out_dir} already holds a run (epoch {state['epochs_done']}); "
                             "pass `resume` to continue it or choose another `out_dir`")
    if state and state["data_manifest_sha256"] != data_hash:
        raise RunFolderError(f"{out_dir} was trained on other data (manifest hash differs); use another `out_dir`")
    if out_dir.exists() and not state and any(out_dir.iterdir()):
        raise RunFolderError(f"{out_dir} exists and is not an aeib run folder; choose an empty or new `out_dir`")
    out_dir.mkdir(parents=True, exist_ok=True)
    first_epoch = state["epochs_done"] if state else 0
    if first_epoch >= options.epochs:
        raise RunFolderError(f"{out_dir} already finished {first_epoch} epochs; raise `epochs` to train longer")
    _atomic_write_text(out_dir / "config.json", json.dumps(config.to_dict(), indent=2) + "\n")

    strategy = make_strategy(options.strategy)
    keras.utils.set_random_seed(config.training.seed)
    with strategy.scope():
        if state:
            model = load_keras_model(out_dir / "last.keras", compile=True)
        else:
            model = build_enhancer(config)
            if options.init_from is not None:
                _init_analyzer(model, Path(options.init_from))
            if config.training.style_token_prob > 0:
                init_style_token(model, pair_dataset(options.data_dir, "train", config.training.batch_size,
                                                     config.training.crop_seconds, shuffle=True,
                                                     seed=config.training.seed))
            compile_enhancer(model, config)

    train_examples = int(manifest["splits"].get("train", 0))
    steps = train_examples // config.training.batch_size
    if steps == 0:
        raise CorpusError(f"the train split has {train_examples} examples, fewer than one batch of "
                          f"{config.training.batch_size}")
    steps = min(steps, options.steps_per_epoch or steps)
    train_ds = training_dataset(Path(options.data_dir), config, first_epoch, options.epochs, steps)
    valid_examples = int(manifest["splits"].get("valid", 0))
    if valid_examples == 0:
        raise CorpusError(f"{options.data_dir} has no valid split to monitor training with")
    valid_ds = validation_dataset(Path(options.data_dir), config, valid_examples)

    checkpoint = keras.callbacks.ModelCheckpoint(out_dir / "best.keras", monitor="val_loss", save_best_only=True)
    early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=options.early_stopping_patience)
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=options.lr_factor,
                                                patience=options.lr_patience, min_lr=1e-6)
    tracked = {"checkpoint": checkpoint, "early_stopping": early, "plateau": plateau}
    callbacks = [
        checkpoint, early, plateau,
        keras.callbacks.TensorBoard(str(out_dir / "tensorboard"), write_graph=False),
        keras.callbacks.CSVLogger(str(out_dir / "history.csv"), append=True),
        RunState(out_dir, tracked, config.training.seed, data_hash, state),
    ]
    started = time.perf_counter()
    model.fit(train_ds, epochs=options.epochs, initial_epoch=first_epoch, steps_per_epoch=steps, shuffle=False,
              validation_data=valid_ds, validation_steps=options.validation_steps, callbacks=callbacks,
              verbose=options.verbose)
    return finish_run(out_dir, config, data_hash, time.perf_counter() - started)


def finish_run(out_dir: Path, config: ModelConfig, data_hash: str, seconds: float) -> dict:
    """Extract the best analyzer and write ``summary.json`` from ``history.csv``."""
    best = load_keras_model(out_dir / "best.keras")
    analyzer = best.get_layer("analyzer")
    analyzer.save(out_dir / "analyzer.keras")
    rows = _read_history(out_dir / "history.csv")
    best_row = min(rows, key=lambda row: row["val_loss"])
    summary = {
        "config": config.name,
        "data_manifest_sha256": data_hash,
        "analyzer_parameters": int(analyzer.count_params()),
        "epochs_run": len(rows),
        "best_epoch": int(best_row["epoch"]) + 1,
        "best_val_loss": best_row["val_loss"],
        "curve": [{"epoch": int(r["epoch"]) + 1, "loss": r["loss"], "val_loss": r["val_loss"],
                   "learning_rate": r.get("learning_rate")} for r in rows],
        "last_session_seconds": round(seconds, 1),
    }
    _atomic_write_text(out_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


def _read_history(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [{key: float(value) for key, value in row.items() if value not in ("", None)} for row in csv.DictReader(handle)]
    # A resumed run may have re-logged an epoch that was interrupted before its state was saved.
    by_epoch = {int(row["epoch"]): row for row in rows}
    return [by_epoch[epoch] for epoch in sorted(by_epoch)]
