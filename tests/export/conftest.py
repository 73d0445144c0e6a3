"""Fixtures for the export tests: a random-weight ``tiny`` analyzer, a fake dataset, one export
(their settings and data writers are in :mod:`tests.export.tiny_data`).

The export runs once per test session (all four variants, a 1 s window, a handful of windows), so
the modules that inspect its files share the cost of the conversions.
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

from aeib.export.config import VARIANTS  # noqa: E402
from tests.export.tiny_data import EXPORT_CONFIG, write_shards  # noqa: E402


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A run folder with a random-weight tiny analyzer (``analyzer.keras``) and its ``config.json``."""
    import keras

    from aeib.model.analyzer import build_analyzer
    from aeib.model.config import ModelConfig

    keras.utils.set_random_seed(0)  # the same random weights every run
    config = ModelConfig.load("tiny")
    run = tmp_path_factory.mktemp("run")
    build_analyzer(config).save(run / "analyzer.keras")
    (run / "config.json").write_text(json.dumps(config.to_dict()), encoding="utf-8")
    (run / "summary.json").write_text(json.dumps({"data_manifest_sha256": "ab" * 32, "best_val_loss": 0.5}),
                                      encoding="utf-8")
    return run


@pytest.fixture(scope="session")
def train_only_data(tmp_path_factory):
    """A dataset folder with two small train shards and no valid split."""
    return write_shards(tmp_path_factory.mktemp("data"), "train", n_shards=2, per_shard=4)


@pytest.fixture(scope="session")
def tiny_export(tiny_run, train_only_data, tmp_path_factory):
    """The tiny analyzer exported in every variant; float32 installed into a temporary models folder."""
    from aeib.export import ExportRequest, export_model

    out = tmp_path_factory.mktemp("tflite_models")
    models = tmp_path_factory.mktemp("runtime_models")
    result = export_model(ExportRequest(model=tiny_run, data_dir=train_only_data, out_dir=out, name="aeib-tiny-test",
                                        config=EXPORT_CONFIG.with_changes(variants=VARIANTS),
                                        install_default="float32", models_dir=models), progress=False)
    return result
