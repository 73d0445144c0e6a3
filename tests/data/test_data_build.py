"""make-data end to end on a generated corpus: determinism, splits, resumption, bad input."""

import dataclasses
import json

import numpy as np
import pytest
import soundfile as sf

from aeib.data import build
from aeib.data.build import make_data
from aeib.data.corpus import CorpusError
from aeib.data.manifest import MANIFEST_NAME, load_manifest
from aeib.data.pairs import ExampleSpec, load_segment
from aeib.data.shards import AUDIO_DTYPE, read_shard
from aeib.dsp import CHAIN_SCHEMA, process
from aeib.hashing import file_sha256
from data_helpers import synthetic_music, tiny_config


def _files(out):
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def reference_run(corpus_dir, shared_cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "pairs"
    result = make_data(tiny_config(corpus_dir, out, shared_cache))
    return out, result


def test_outputs_and_manifest(reference_run, corpus_dir):
    out, result = reference_run
    manifest = load_manifest(out)
    assert result.manifest == manifest
    assert sorted(p.name for p in out.glob("*.npz")) == sorted(s["file"] for s in manifest["shards"])
    assert sum(manifest["splits"].values()) == 12 == len(manifest["examples"])
    assert all(n > 0 for n in manifest["splits"].values())
    assert manifest["corpus"]["skipped_counts"] == {"low_sample_rate": 1, "silent": 1, "too_short": 1, "unreadable": 1}
    assert manifest["corpus"]["skipped"]["unreadable"] == ["corrupt.wav"]
    assert manifest["corpus"]["root"] == str(corpus_dir.resolve())
    for shard in manifest["shards"]:
        assert shard["sha256"] == file_sha256(out / shard["file"])
    record = manifest["examples"][0]
    for key in ("split", "seed", "track_id", "file", "a_start_frame", "b_start_frame", "a_offset_s", "b_offset_s",
                "style", "settings", "room_ir", "phone_ir", "source_gain_db"):
        assert key in record
    assert set(record["settings"]) == set(CHAIN_SCHEMA.names)
    assert "workers" not in manifest["config"] and str(out) not in json.dumps(manifest)


def test_no_track_in_two_splits(reference_run):
    manifest = load_manifest(reference_run[0])
    split_of_track = {t["id"]: t["split"] for t in manifest["corpus"]["tracks"]}
    seen = {}
    for record in manifest["examples"]:
        assert record["split"] == split_of_track[record["track_id"]]
        assert seen.setdefault(record["track_id"], record["split"]) == record["split"]
    for shard in manifest["shards"]:
        assert shard["file"].startswith(shard["split"] + "-")


def test_shard_contents_match_the_records(reference_run):
    out, _ = reference_run
    manifest = load_manifest(out)
    for shard in manifest["shards"]:
        data = read_shard(out / shard["file"])
        records = data["meta"]["examples"]
        assert data["input"].dtype == AUDIO_DTYPE and data["input"].shape == (shard["examples"], 8000)
        for row, record in enumerate(records):
            np.testing.assert_allclose(data["params"][row], CHAIN_SCHEMA.to_vector(record["settings"]), rtol=1e-6)
            np.testing.assert_allclose(data["params01"][row],
                                       CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.to_vector(record["settings"])), atol=1e-6)
            assert np.all(np.isfinite(data["input"][row].astype(np.float32)))


def test_reapplying_recorded_settings_reproduces_the_stored_input(reference_run, shared_cache):
    out, result = reference_run
    manifest = load_manifest(out)
    config = tiny_config(manifest["corpus"]["root"], out, shared_cache)
    bank, _ = build.build_bank(config, shared_cache)
    checked = 0
    for record in manifest["examples"]:
        if record["noise_snr_db"] is not None or record["agc"]:
            continue
        spec = ExampleSpec.from_json(record)
        a = load_segment(f"{manifest['corpus']['root']}/{spec.file}", spec.a_start_frame, spec.segment_frames,
                         spec.source_sample_rate, config.pair.sample_rate, config.pair.segment_samples)
        a *= np.float32(10 ** (record["source_gain_db"] / 20))
        styled = process(a, config.pair.sample_rate, record["settings"])
        from aeib.data.irs import convolve_causal

        expected = convolve_causal(styled, bank.chain_ir(spec.room_ir, spec.phone_ir))
        stored = read_shard(out / record["shard"])["input"][record["row"]].astype(np.float32)
        # float16 storage: relative rounding of 2^-11 per sample
        np.testing.assert_allclose(stored, expected, rtol=2e-3, atol=1e-4)
        target = read_shard(out / record["shard"])["target"][record["row"]].astype(np.float32)
        assert np.max(np.abs(stored - target)) > 1e-3 or record["style"] == "neutral"
        checked += 1
    assert checked > 0


def test_same_seed_same_bytes_also_with_two_workers(reference_run, corpus_dir, shared_cache, tmp_path):
    out, _ = reference_run
    again = tmp_path / "again"
    make_data(tiny_config(corpus_dir, again, shared_cache, workers=2))
    assert _files(again) == _files(out)


def test_another_seed_gives_other_data(reference_run, corpus_dir, shared_cache, tmp_path):
    other = tmp_path / "other"
    make_data(tiny_config(corpus_dir, other, shared_cache, seed=8))
    assert _files(other)[MANIFEST_NAME] != _files(reference_run[0])[MANIFEST_NAME]


def test_interrupted_run_resumes_to_the_same_result(reference_run, corpus_dir, shared_cache, tmp_path, monkeypatch):
    out, _ = reference_run
    target = tmp_path / "resumed"
    real_render = build.render_shard
    calls = []

    def render_then_interrupt(job, *args):
        calls.append(job.file)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_render(job, *args)

    monkeypatch.setattr(build, "render_shard", render_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        make_data(tiny_config(corpus_dir, target, shared_cache))
    assert [p.name for p in target.glob("*.npz")] == [calls[0]]  # one finished shard, no partial file
    assert not list(target.glob(".*partial*")) and not (target / MANIFEST_NAME).exists()

    monkeypatch.setattr(build, "render_shard", real_render)
    result = make_data(tiny_config(corpus_dir, target, shared_cache))
    assert result.shards_reused == 1 and result.shards_rendered == len(result.manifest["shards"]) - 1
    assert _files(target) == _files(out)


def test_damaged_or_outdated_shards_are_rendered_again(reference_run, corpus_dir, shared_cache, tmp_path):
    out, _ = reference_run
    copy = tmp_path / "copy"
    copy.mkdir()
    for name, data in _files(out).items():
        (copy / name).write_bytes(data)
    shards = sorted(copy.glob("*.npz"))
    shards[0].write_bytes(shards[0].read_bytes()[:1000])  # truncated
    damaged = bytearray(shards[1].read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # one flipped byte: CRC mismatch
    shards[1].write_bytes(bytes(damaged))
    (copy / ".train-00000.npz.x1y2.partial.npz").write_bytes(b"left by a killed run")
    result = make_data(tiny_config(corpus_dir, copy, shared_cache))
    assert result.shards_rendered == 2 and result.shards_reused == len(shards) - 2
    assert _files(copy) == _files(out)
    # a changed option invalidates every shard made under the old one
    changed = make_data(tiny_config(corpus_dir, copy, shared_cache, pair={"source_peak_dbfs": -18.0}))
    assert changed.shards_reused == 0


def test_empty_corpus_is_a_clear_error(tmp_path, shared_cache):
    (tmp_path / "music").mkdir()
    with pytest.raises(CorpusError, match="no audio files"):
        make_data(tiny_config(tmp_path / "music", tmp_path / "out", shared_cache))


def test_corpus_with_nothing_long_enough_is_a_clear_error(tmp_path, shared_cache):
    music = tmp_path / "music"
    music.mkdir()
    sf.write(music / "a.wav", synthetic_music(0.7, 22_050, seed=1), 22_050)
    (music / "b.wav").write_bytes(b"garbage")
    with pytest.raises(CorpusError, match=r"no usable track .*1 too short, 1 unreadable"):
        make_data(tiny_config(music, tmp_path / "out", shared_cache))


def test_missing_folders_are_clear_errors(tmp_path, corpus_dir, shared_cache):
    with pytest.raises(CorpusError, match="does not exist"):
        make_data(tiny_config(tmp_path / "missing", tmp_path / "out", shared_cache))
    with pytest.raises(CorpusError, match="IR folder"):
        make_data(tiny_config(corpus_dir, tmp_path / "out", shared_cache, ir_dir=tmp_path / "no-irs"))
    with pytest.raises(CorpusError, match="does not exist"):
        make_data(tiny_config(corpus_dir, tmp_path / "a" / "b" / "out", shared_cache))


def test_measured_irs_replace_the_simulated_rooms(tmp_path, corpus_dir, shared_cache):
    irs = tmp_path / "irs"
    irs.mkdir()
    h = np.zeros(4000)
    h[100] = 1.0
    h[101:] = 0.05 * np.exp(-np.arange(3899) / 500.0)
    sf.write(irs / "club.wav", h, 16_000)
    result = make_data(tiny_config(corpus_dir, tmp_path / "out", shared_cache, ir_dir=irs, ir_dir_only=True))
    rooms = {r["room_ir"] for r in result.manifest["examples"]}
    assert rooms == {"file:club.wav"}
    assert all(r["phone_ir"].startswith("phone-") for r in result.manifest["examples"])
    mixed = make_data(tiny_config(corpus_dir, tmp_path / "mixed", shared_cache, ir_dir=irs, examples=40))
    assert len(mixed.manifest["irs"]["rooms"]) == 5  # 4 simulated + 1 measured


def test_config_rejects_nonsense():
    from aeib.errors import ParameterError

    with pytest.raises(ParameterError):
        dataclasses.replace(tiny_config("m", "o", None), examples=0)
