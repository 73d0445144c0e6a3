"""`aeib train` end to end on a tiny generated dataset and the tiny config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from aeib.cli.main import main
from aeib.data import MakeDataConfig, PairConfig, RoomConfig, make_data
from aeib.train.trainer import TrainOptions, train
from tests.conftest import music_like


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("train_data")
    music = root / "music"
    music.mkdir()
    for i in range(8):
        sf.write(music / f"track{i}.wav", music_like(3.0, 24_000, 2, seed=i), 24_000)
    config = MakeDataConfig(
        music_dir=music, out_dir=root / "pairs", examples=40, seed=3, shard_size=8, n_phones=2,
        pair=PairConfig(sample_rate=24_000, segment_s=0.5, split_fractions=(0.6, 0.2, 0.2)),
        rooms=RoomConfig(n_rooms=1, mics_per_room=2, length_m=(10.0, 11.0), rt60_s=(0.3, 0.4), max_order=2),
        progress=False,
    )
    make_data(config)
    return root / "pairs"


def _options(data: Path, out: Path, **changes) -> TrainOptions:
    base = dict(config="tiny", data_dir=data, out_dir=out, epochs=2, steps_per_epoch=2, verbose=0)
    base.update(changes)
    return TrainOptions(**base)


def test_training_writes_a_complete_run_folder(tiny_data, tmp_path):
    summary = train(_options(tiny_data, tmp_path / "run"))
    run = tmp_path / "run"
    for name in ("config.json", "state.json", "last.keras", "best.keras", "history.csv", "analyzer.keras", "summary.json"):
        assert (run / name).is_file(), name
    assert (run / "tensorboard").is_dir()
    assert summary["epochs_run"] == 2 and len(summary["curve"]) == 2
    assert np.isfinite(summary["best_val_loss"])
    assert json.loads((run / "state.json").read_text())["epochs_done"] == 2

    from aeib.metrics import METRICS
    from aeib.model.saving import load_keras_model
    from aeib.train.validate import format_table, validate_analyzer

    result = validate_analyzer(load_keras_model(run / "analyzer.keras"), tiny_data, "valid", batch_size=4, progress=False)
    assert result["examples"] == json.loads((tiny_data / "manifest.json").read_text())["splits"]["valid"]
    for side in ("model", "input"):
        for name in METRICS:
            assert np.isfinite(result["overall"][side][name]["mean"])
    assert "mel_distance_db" in format_table(result)


def test_an_interrupted_run_resumes_to_the_same_weights(tiny_data, tmp_path):
    straight = tmp_path / "straight"
    train(_options(tiny_data, straight, epochs=3))
    interrupted = tmp_path / "interrupted"
    train(_options(tiny_data, interrupted, epochs=1))  # as if killed after epoch 1
    train(_options(tiny_data, interrupted, epochs=3, resume=True))
    from aeib.model.saving import load_keras_model

    a = load_keras_model(straight / "last.keras").get_weights()
    b = load_keras_model(interrupted / "last.keras").get_weights()
    for wa, wb in zip(a, b):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)
    rows = (interrupted / "history.csv").read_text().strip().splitlines()
    assert len(rows) == 4  # header + 3 epochs


def test_run_folder_guards(tiny_data, tmp_path, capsys):
    run = tmp_path / "run"
    train(_options(tiny_data, run, epochs=1))
    code = main(["train", "--config", "tiny", "--data", str(tiny_data), "--out", str(run), "--epochs", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "pass --resume" in err
    code = main(["train", "--config", "tiny", "--data", str(tiny_data), "--out", str(run), "--epochs", "1", "--resume"])
    assert code == 2 and "raise --epochs" in capsys.readouterr().err
    code = main(["train", "--config", "nope", "--data", str(tiny_data), "--out", str(tmp_path / "x")])
    assert code == 2 and "no model config" in capsys.readouterr().err
    code = main(["train", "--config", "tiny", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "y")])
    assert code == 2


def test_mirrored_strategy_on_two_logical_cpus(tiny_data, tmp_path):
    """Runs in a subprocess: the logical CPU split must happen before TensorFlow initializes."""
    code = (
        "from pathlib import Path; from aeib.train.trainer import TrainOptions, train; "
        f"s = train(TrainOptions(config='tiny', data_dir=Path(r'{tiny_data}'), out_dir=Path(r'{tmp_path / 'm'}'), "
        "epochs=1, steps_per_epoch=2, strategy='mirrored', verbose=0)); "
        "import math; assert math.isfinite(s['best_val_loss'])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_autodiff_gradient_trains_through_the_same_loader(tiny_data, tmp_path):
    # The autodiff chain needs a static signal length when traced; the loader must provide it.
    summary = train(_options(tiny_data, tmp_path / "run", gradient="autodiff", epochs=1))
    assert summary["epochs_run"] == 1 and np.isfinite(summary["best_val_loss"])
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["training"]["gradient"] == "autodiff"


def test_init_from_copies_the_analyzer_weights(tmp_path):
    import keras
    import numpy as np

    from aeib.errors import AeibError
    from aeib.model.analyzer import build_enhancer
    from aeib.model.config import ModelConfig
    from aeib.train.trainer import _init_analyzer

    config = ModelConfig.load("tiny")
    keras.utils.set_random_seed(1)
    source = build_enhancer(config)
    source.get_layer("analyzer").save(tmp_path / "analyzer.keras")
    keras.utils.set_random_seed(2)
    fresh = build_enhancer(config)
    _init_analyzer(fresh, tmp_path / "analyzer.keras")
    for a, b in zip(source.get_layer("analyzer").get_weights(), fresh.get_layer("analyzer").get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(AeibError, match="no such file"):
        _init_analyzer(fresh, tmp_path / "missing.keras")


def test_validation_scores_through_the_loudness_stage():
    """The analyzer does not set the level (the measured stage does): validation must apply the stage."""
    import numpy as np

    from aeib.dsp import CHAIN_SCHEMA
    from aeib.dsp.loudness import integrated_loudness_lufs
    from aeib.train.validate import _product_chain

    rate = 24_000
    rng = np.random.default_rng(0)
    quiet = (0.01 * rng.standard_normal(rate * 2)).astype(np.float32)
    reference = (0.1 * rng.standard_normal(rate * 2)).astype(np.float32)
    out = _product_chain(quiet, reference, rate, CHAIN_SCHEMA.default_vector())
    assert abs(integrated_loudness_lufs(out, rate) - integrated_loudness_lufs(reference, rate)) < 0.5


def test_identity_examples_get_their_weight():
    import tensorflow as tf

    from aeib.train.trainer import as_keras_batch

    audio = tf.constant([[0.1, 0.2, 0.3], [0.1, 0.2, 0.3], [0.0, 0.0, 0.0]])
    target = tf.constant([[0.1, 0.2, 0.3], [0.1, 0.2, 0.31], [0.0, 0.0, 0.0]])
    batch = {"input": audio, "reference": audio, "target": target}
    x, y, weights = as_keras_batch(batch, identity_weight=4.0)
    np.testing.assert_array_equal(weights.numpy(), [4.0, 1.0, 4.0])
    assert len(as_keras_batch(batch)) == 2  # weight 1: no sample weights, as before the option existed


def test_identity_weight_trains_and_a_run_started_before_the_option_resumes(tiny_data, tmp_path):
    weighted = tmp_path / "weighted.json"
    from aeib.model.config import CONFIG_DIR

    config = json.loads((CONFIG_DIR / "tiny.json").read_text())
    config["loss"]["identity_weight"] = 3.0
    weighted.write_text(json.dumps(config))
    summary = train(_options(tiny_data, tmp_path / "w", config=str(weighted), epochs=1))
    assert np.isfinite(summary["best_val_loss"])

    run = tmp_path / "old"
    train(_options(tiny_data, run, epochs=1))
    stored = json.loads((run / "config.json").read_text())
    del stored["loss"]["identity_weight"]  # as written by a version without the option
    (run / "config.json").write_text(json.dumps(stored))
    assert train(_options(tiny_data, run, epochs=2, resume=True))["epochs_run"] == 2


def test_a_style_token_run_learns_a_token_that_export_ships_as_board_mix(tiny_data, tmp_path):
    """With ``training.style_token_prob`` the token starts at the eligible references' mean embedding,
    fine-tuning from a two-input analyzer copies its layers, and the export ships the token whole."""
    import keras

    from aeib.export import ExportRequest, export_model
    from aeib.export.bundle import BOARD_MIX_STYLE
    from aeib.model.analyzer import build_analyzer
    from aeib.model.config import ModelConfig
    from aeib.model.saving import load_keras_model
    from aeib.model.style_token import style_token_of
    from aeib.train.dataset import pair_dataset
    from tests.export.tiny_data import EXPORT_CONFIG

    eligible = np.concatenate([b["token_eligible"].numpy() for b in pair_dataset(tiny_data, "train", 4, 0.4, shuffle=False)])
    assert 0 < eligible.sum() < len(eligible)  # the tiny data v2 has board-mix/identity examples and others

    base = ModelConfig.load("tiny")
    keras.utils.set_random_seed(3)
    build_analyzer(base).save(tmp_path / "plain.keras")
    config_path = tmp_path / "tiny-token.json"
    data = base.to_dict()
    data["training"]["style_token_prob"] = 0.5
    config_path.write_text(json.dumps(data), encoding="utf-8")
    train(_options(tiny_data, tmp_path / "run", config=str(config_path), epochs=1, init_from=tmp_path / "plain.keras"))

    analyzer = load_keras_model(tmp_path / "run" / "analyzer.keras")
    token = style_token_of(analyzer)
    assert token is not None and np.abs(token).max() > 0
    assert len(analyzer.inputs) == 3
    from aeib.model.analyzer import build_enhancer
    from aeib.train.trainer import _init_analyzer

    fresh = build_enhancer(ModelConfig.from_dict(data))
    _init_analyzer(fresh, tmp_path / "plain.keras")
    plain = load_keras_model(tmp_path / "plain.keras")
    for name in ("encoder", "controller"):
        for a, b in zip(plain.get_layer(name).get_weights(), fresh.get_layer("analyzer").get_layer(name).get_weights()):
            np.testing.assert_array_equal(a, b)

    result = export_model(ExportRequest(model=tmp_path / "run", data_dir=tiny_data, out_dir=tmp_path / "bundle",
                                        name="aeib-token-test",
                                        config=EXPORT_CONFIG.with_changes(variants=("float32",), window_seconds=0.4)),
                          progress=False)
    styles = result.variants[0].metadata["styles"]
    assert result.variants[0].metadata["default_style"] == BOARD_MIX_STYLE
    assert "pull" not in styles[BOARD_MIX_STYLE]  # a learned style is used whole
    assert "learned" in styles[BOARD_MIX_STYLE]["description"]
    np.testing.assert_allclose(styles[BOARD_MIX_STYLE]["embedding"], token, rtol=1e-6)


def test_identity_examples_replaced_by_the_token_take_their_own_weight():
    import tensorflow as tf

    from aeib.train.trainer import as_keras_batch

    audio = tf.constant([[0.1, 0.2], [0.1, 0.2], [0.3, 0.1], [0.3, 0.1]])
    target = tf.constant([[0.1, 0.2], [0.1, 0.2], [0.0, 0.1], [0.0, 0.1]])  # rows 0-1 identity
    batch = {"input": audio, "reference": audio, "target": target,
             "token_eligible": tf.constant([1.0, 1.0, 1.0, 0.0]), "token_draw": tf.constant([0.1, 0.9, 0.1, 0.1])}
    x, _, weights = as_keras_batch(batch, identity_weight=4.0, style_token_prob=0.5, token_identity_weight=1.0)
    np.testing.assert_array_equal(x[2].numpy()[:, 0], [1.0, 0.0, 1.0, 0.0])  # eligible and drawn under 0.5
    np.testing.assert_array_equal(weights.numpy(), [1.0, 4.0, 1.0, 1.0])
    _, _, same = as_keras_batch(batch, identity_weight=4.0, style_token_prob=0.5)
    np.testing.assert_array_equal(same.numpy(), [4.0, 4.0, 1.0, 1.0])
