import json

import pytest

from aeib.bench import bench_analyzer, find_bundles
from aeib.cli.main import main


def test_bench_times_the_analyzer_enhance_and_memory(capsys, cached_bundle):
    argv = ["bench", "--seconds", "1", "--repeats", "1", "--runs", "3", "--models", str(cached_bundle.parent),
            "--model", str(cached_bundle), "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["rtf"] > 0 and result["audio_seconds"] == 1  # the DSP benchmark is unchanged
    tested = [item for item in result["analyzer"] if item["name"] == "aeib-test"]
    assert len(tested) == 1 and tested[0]["variant"] == "float32" and tested[0]["threads"] == 1
    assert tested[0]["tflite_bytes"] == cached_bundle.with_suffix(".tflite").stat().st_size
    for key in ("model_ms", "features_ms", "with_features_ms"):
        assert 0 < tested[0][key + "_min"] <= tested[0][key]
    for key in ("enhance", "enhance_adaptive"):
        assert result[key]["rtf"] > 0 and result[key]["cpu_rtf"] > 0 and result[key]["audio_seconds"] == 1
        assert result[key]["model"] == "aeib-test float32"
    for key in ("stream", "stream_background"):
        assert result[key]["block"] == 512 and result[key]["block_budget_ms"] == 512 / 48
        assert 0 < result[key]["median_block_ms"] <= result[key]["max_block_ms"]
    memory = result["memory"]
    assert memory["enhance_peak_mib"] >= memory["load_only_peak_mib"] > 10


def test_bench_text_output_and_skips(capsys, cached_bundle, tmp_path):
    argv = ["bench", "--seconds", "0.5", "--repeats", "1", "--runs", "2", "--models", str(cached_bundle.parent),
            "--skip", "enhance", "--skip", "memory", "--skip", "stream"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("DSP chain") and any(line.startswith("analyzer aeib-test float32") for line in lines)
    assert not any(line.startswith(("enhance", "stream", "peak memory")) for line in lines)


def test_find_bundles_and_a_broken_bundle(bundle_path, tmp_path, capsys):
    assert find_bundles(bundle_path.parent) == [bundle_path] and find_bundles(tmp_path / "none") == []
    result = bench_analyzer(bundle_path, runs=2)
    assert result["window_seconds"] == 1.0 and result["runs"] == 2
    bundle_path.with_suffix(".tflite").write_bytes(b"broken")
    argv = ["bench", "--seconds", "0.5", "--repeats", "1", "--runs", "2", "--models", str(bundle_path.parent),
            "--skip", "enhance", "--skip", "memory", "--skip", "stream", "--json"]
    assert main(argv) == 0
    items = [i for i in json.loads(capsys.readouterr().out)["analyzer"] if i["path"] == str(bundle_path)]
    assert len(items) == 1 and "does not match its JSON" in items[0]["error"]


def test_bench_refuses_bad_numbers(capsys):
    assert main(["bench", "--runs", "0"]) == 2
    assert "--runs" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["bench", "--skip", "everything"])
