"""The tf.data loader: shapes, aligned crops of input and target, reproducibility for a seed."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from aeib.data.build import make_data  # noqa: E402
from aeib.data.corpus import CorpusError  # noqa: E402
from aeib.data.manifest import load_manifest  # noqa: E402
from aeib.data.shards import read_shard  # noqa: E402
from aeib.errors import ParameterError  # noqa: E402
from aeib.train.dataset import pair_dataset  # noqa: E402
from data_helpers import tiny_config  # noqa: E402


@pytest.fixture(scope="module")
def dataset_dir(corpus_dir, shared_cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("loader") / "pairs"
    make_data(tiny_config(corpus_dir, out, shared_cache, examples=16, seed=2))
    return out


def _train_rows(dataset_dir):
    rows = {}
    for shard in load_manifest(dataset_dir)["shards"]:
        if shard["split"] == "train":
            data = read_shard(dataset_dir / shard["file"])
            for i in range(data["params"].shape[0]):
                rows[data["params"][i].tobytes()] = {k: data[k][i].astype(np.float32) for k in ("input", "target", "reference")}
    return rows


def test_batches_have_the_documented_layout(dataset_dir):
    crop_s = 0.25
    batch = next(iter(pair_dataset(dataset_dir, "train", batch_size=2, crop_s=crop_s, seed=1)))
    for key in ("input", "target", "reference"):
        assert batch[key].shape == (2, 4000) and batch[key].dtype == tf.float32
    assert batch["params"].shape == (2, 24) and batch["params01"].shape == (2, 24)
    assert batch["style"].dtype == tf.int32
    assert np.all((batch["params01"].numpy() >= 0) & (batch["params01"].numpy() <= 1))


def test_input_and_target_share_the_crop_offset(dataset_dir):
    rows = _train_rows(dataset_dir)
    n_train = len(rows)
    ds = pair_dataset(dataset_dir, "train", batch_size=1, crop_s=0.25, seed=4, drop_remainder=False)
    seen = 0
    for batch in ds:
        full = rows[batch["params"].numpy()[0].tobytes()]
        crop = batch["target"].numpy()[0]
        offsets = [o for o in range(0, 8000 - 4000 + 1) if np.array_equal(full["target"][o:o + 4000], crop)]
        assert offsets, "target crop not found in its example"
        o = offsets[0]
        np.testing.assert_array_equal(batch["input"].numpy()[0], full["input"][o:o + 4000])
        seen += 1
    assert seen == n_train  # one pass visits every training example once


def test_same_seed_same_batches(dataset_dir):
    def first_batches(seed):
        ds = pair_dataset(dataset_dir, "train", batch_size=2, crop_s=0.25, seed=seed)
        return [b["target"].numpy() for b in ds.take(3)]

    a, b, c = first_batches(5), first_batches(5), first_batches(6)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_validation_crops_are_centred_and_fixed(dataset_dir):
    ds = pair_dataset(dataset_dir, "valid", batch_size=1, crop_s=0.25, shuffle=False, drop_remainder=False)
    first = [b["target"].numpy() for b in ds]
    second = [b["target"].numpy() for b in ds]
    assert first and all(np.array_equal(x, y) for x, y in zip(first, second))


def test_bad_requests(dataset_dir, tmp_path):
    with pytest.raises(ParameterError):
        pair_dataset(dataset_dir, "train", crop_s=10.0)
    with pytest.raises(CorpusError):
        pair_dataset(tmp_path, "train")
