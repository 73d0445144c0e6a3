"""Data v2 end to end: levels, modes, degradation families, room families, held-out sources, determinism."""

import collections

import numpy as np
import pytest

from aeib.data.build import make_data, source_of
from aeib.data.manifest import load_manifest
from aeib.data.pairs import ExampleSpec, load_segment
from aeib.data.shards import read_shard
from data_helpers import tiny_config

V2 = {"recipe": "v2"}


def _files(out):
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def run_200(corpus_dir, shared_cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("v2") / "pairs"
    make_data(tiny_config(corpus_dir, out, shared_cache, examples=200, shard_size=50, pair=V2))
    return out, load_manifest(out)


def _rows(out, manifest):
    shards = {}
    for record in manifest["examples"]:
        if record["shard"] not in shards:
            shards[record["shard"]] = read_shard(out / record["shard"])
        yield record, {name: shards[record["shard"]][name][record["row"]].astype(np.float32)
                       for name in ("input", "target", "reference")}


def _rms_db(x):
    return 20 * np.log10(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-12)


def test_levels_span_what_users_bring(run_200):
    out, manifest = run_200
    levels = collections.defaultdict(list)
    for _, signals in _rows(out, manifest):
        for name, x in signals.items():
            levels[name].append(_rms_db(x))
    for name in ("input", "reference"):
        low, high = np.percentile(levels[name], [5, 95])
        assert low <= -40.0 and high >= -10.0, (name, low, high)
    offset = np.array(levels["input"]) - np.array(levels["reference"])
    low, high = np.percentile(offset, [5, 95])
    assert low <= -15.0 and high >= 15.0, (low, high)
    for record in manifest["examples"]:   # the records say the level the audio has
        assert record["levels"]["reference_rms_dbfs"] == pytest.approx(record["rms_dbfs"]["reference"], abs=1.5)
        assert record["peak_dbfs"]["input"] <= -0.5 + 1e-3


def test_modes_and_families_are_drawn_and_recorded(run_200):
    _, manifest = run_200
    examples = manifest["examples"]
    modes = collections.Counter(e["mode"] for e in examples)
    assert modes["identity"] / len(examples) >= 0.08 and modes["board"] / len(examples) >= 0.20, modes
    families = collections.Counter(s["family"] for e in examples for s in e["degradations"])
    assert set(families) == {"tonal", "dynamics", "capture", "level"}, families
    assert {e["room_family"] for e in examples} == {"shoebox", "stochastic"}
    for e in examples:
        assert e["recipe"] == "v2" and len(e["degradations"]) <= 3
        assert len({s["family"] for s in e["degradations"]}) == len(e["degradations"])   # distinct families
        assert all("kind" in s for s in e["degradations"])
        assert e["mode"] != "identity" or e["degradations"] == []
        assert not any(s["kind"] == "gsm" for s in e["degradations"])   # held out of training
    assert manifest["degradations"]["held_out"] == {"capture": ["gsm"]}


def test_identity_examples_leave_the_input_alone_and_board_targets_skip_the_room(run_200, corpus_dir):
    out, manifest = run_200
    rate, n = manifest["audio"]["sample_rate"], manifest["audio"]["segment_samples"]
    checked = collections.Counter()
    for record, signals in _rows(out, manifest):
        if record["mode"] == "identity":
            np.testing.assert_array_equal(signals["input"], signals["target"])
            checked["identity"] += 1
        elif checked[record["mode"]] < 5:
            spec = ExampleSpec.from_json(record)
            a = load_segment(corpus_dir / spec.file, spec.a_start_frame, spec.segment_frames,
                             spec.source_sample_rate, rate, n)
            corr = np.corrcoef(a, signals["target"])[0, 1]
            if record["mode"] == "board" and not record["limited"]["target"]:
                assert corr > 0.999   # the desk's recording: A itself, only its level changed
                checked["board"] += 1
            elif record["mode"] == "live":
                assert corr < 0.99    # captured through a room and a phone
                checked["live"] += 1
    assert checked["identity"] > 0 and checked["board"] > 0 and checked["live"] > 0


def test_held_out_sources_and_the_out_of_family_test_set(corpus_dir, shared_cache, tmp_path):
    train = make_data(tiny_config(corpus_dir, tmp_path / "train", shared_cache, examples=16, pair=V2,
                                  holdout_sources=("sub",))).manifest
    assert train["corpus"]["tracks"] and all(not t["file"].startswith("sub/") for t in train["corpus"]["tracks"])
    assert train["corpus"]["skipped_counts"]["held_out"] > 0
    test = make_data(tiny_config(corpus_dir, tmp_path / "oof", shared_cache, examples=60, pair=V2,
                                 holdout_sources=("sub",), test_family=True)).manifest
    assert all(t["file"].startswith("sub/") for t in test["corpus"]["tracks"])
    assert test["splits"] == {"train": 0, "valid": 0, "test": 60}
    assert {e["room_family"] for e in test["examples"]} == {"algorithmic"}
    assert any(s["kind"] == "gsm" for e in test["examples"] for s in e["degradations"])


def test_unknown_holdout_source_is_a_clear_error(corpus_dir, shared_cache, tmp_path):
    from aeib.data.corpus import CorpusError

    with pytest.raises(CorpusError, match="no folder nosuch"):
        make_data(tiny_config(corpus_dir, tmp_path / "x", shared_cache, pair=V2, holdout_sources=("nosuch",)))


def test_v2_is_byte_identical_for_a_seed_whatever_the_workers(corpus_dir, shared_cache, tmp_path):
    make_data(tiny_config(corpus_dir, tmp_path / "one", shared_cache, pair=V2))
    make_data(tiny_config(corpus_dir, tmp_path / "two", shared_cache, pair=V2, workers=2))
    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def test_source_is_the_top_level_folder():
    class T:
        rel_path = "drascula/track1.ogg"
    assert source_of(T) == "drascula"
    T.rel_path = "loose.wav"
    assert source_of(T) == ""
