import numpy as np
import pytest
import soundfile as sf

from aeib.data.shards import encode_meta, write_npz
from aeib.data.styles import STYLE_NAMES
from aeib.dsp import CHAIN_SCHEMA
from aeib.evaluation.datasets import DataError, find_triplets, open_dataset
from tests.conftest import music_like


def _write_triplet(folder, name, rate=48_000, seconds=1.0, channels=2, target_seconds=None, ref_seconds=1.0):
    sf.write(folder / f"{name}_input.wav", music_like(seconds, rate, channels, seed=1), rate)
    sf.write(folder / f"{name}_target.wav", music_like(target_seconds or seconds, rate, channels, seed=2), rate)
    sf.write(folder / f"{name}_reference.wav", music_like(ref_seconds, rate, channels, seed=3), rate)


def test_triplets_are_resampled_to_mono_at_the_evaluation_rate(tmp_path):
    _write_triplet(tmp_path, "b", rate=48_000)
    _write_triplet(tmp_path, "a", rate=44_100, ref_seconds=0.5)
    (tmp_path / "notes.txt").write_text("ignored")
    dataset = open_dataset(tmp_path, sample_rate=24_000)
    assert len(dataset) == 2 and dataset.sample_rate == 24_000 and dataset.native_rate is None
    examples = list(dataset)
    assert [e.example_id for e in examples] == ["a", "b"]  # sorted by name
    for example in examples:
        assert example.input.dtype == np.float32 and example.input.ndim == 1
        assert abs(len(example.input) - 24_000) <= 1 and len(example.input) == len(example.target)
        assert example.style is None and example.applied_params is None
    assert abs(len(examples[0].reference) - 12_000) <= 1
    assert open_dataset(tmp_path, limit=1).count == 1


def test_triplet_rate_defaults_to_the_files_rate(tmp_path):
    _write_triplet(tmp_path, "x", rate=32_000)
    assert open_dataset(tmp_path).sample_rate == 32_000


@pytest.mark.parametrize("problem, message", [
    ("missing", "has no x_target.wav"),
    ("length", "differ in length"),
    ("short_reference", "need ≥ 0.4 s"),
])
def test_bad_triplets_are_one_line_errors(tmp_path, problem, message):
    if problem == "missing":
        _write_triplet(tmp_path, "x")
        (tmp_path / "x_target.wav").unlink()
    elif problem == "length":
        _write_triplet(tmp_path, "x", target_seconds=1.5)
    else:
        _write_triplet(tmp_path, "x", ref_seconds=0.2)
    with pytest.raises(DataError, match=message):
        open_dataset(tmp_path)


def test_duplicate_roles_are_refused(tmp_path):
    _write_triplet(tmp_path, "x")
    sf.write(tmp_path / "x_input.flac", music_like(1.0, 48_000, 1), 48_000)
    with pytest.raises(DataError, match="two input files"):
        find_triplets(tmp_path)


def _write_shard(path, n=3, samples=4_000):
    rng = np.random.default_rng(0)
    params = np.tile(CHAIN_SCHEMA.default_vector(), (n, 1)).astype(np.float32)
    params[:, CHAIN_SCHEMA.index("eq.band1.gain_db")] = [3.0, -4.0, 6.0][:n]
    records = [{"source_sample_rate": 48_000, "segment_frames": 2 * samples, "index": i} for i in range(n)]
    write_npz(path, {
        "input": rng.standard_normal((n, samples)).astype(np.float16) * 0.1,
        "target": rng.standard_normal((n, samples)).astype(np.float16) * 0.1,
        "reference": rng.standard_normal((n, samples)).astype(np.float16) * 0.1,
        "params": params, "params01": CHAIN_SCHEMA.normalize(params).astype(np.float32),
        "style": np.array([STYLE_NAMES.index(s) for s in ("boomy", "harsh", "neutral")][:n], dtype=np.int16),
        "meta": encode_meta({"examples": records, "digest": "x", "format_version": 1, "split": "test"}),
    })


def test_shards_without_a_manifest(tmp_path):
    _write_shard(tmp_path / "test-00000.npz")
    _write_shard(tmp_path / "test-00001.npz")
    dataset = open_dataset(tmp_path, split="test")
    assert dataset.count == 6 and dataset.native_rate == 24_000
    examples = list(open_dataset(tmp_path / "test-00001.npz", limit=2))
    assert [e.example_id for e in examples] == ["test-00001.npz#0", "test-00001.npz#1"]
    assert [e.style for e in examples] == ["boomy", "harsh"]
    assert examples[1].applied_params["eq.band1.gain_db"] == -4.0
    assert examples[0].input.dtype == np.float32 and len(examples[0].input) == 4_000
    assert len(next(iter(open_dataset(tmp_path, sample_rate=12_000))).input) == 2_000


@pytest.mark.parametrize("setup, message", [
    ("nothing", "no such file or folder"),
    ("empty", "holds no test data"),
    ("text", "neither a folder nor a .npz"),
    ("corrupt", "cannot read shard"),
])
def test_bad_data_paths(tmp_path, setup, message):
    path = tmp_path / "data"
    if setup == "empty":
        path.mkdir()
    elif setup == "text":
        path = tmp_path / "data.txt"
        path.write_text("x")
    elif setup == "corrupt":
        path = tmp_path / "test-00000.npz"
        path.write_bytes(b"not a zip")
    with pytest.raises(DataError, match=message):
        open_dataset(path)
