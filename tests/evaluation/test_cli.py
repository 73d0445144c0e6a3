import csv

import pytest
import soundfile as sf

from aeib.cli.main import main
from aeib.evaluation.synthetic import synthetic_examples


@pytest.fixture(scope="module")
def triplets(tmp_path_factory):
    """Two WAV triplets at 22.05 kHz, written from the synthetic examples."""
    folder = tmp_path_factory.mktemp("triplets")
    for example in synthetic_examples(2, 22_050, seconds=1.0, styles=("muffled", "boomy"), seed=3):
        for role in ("input", "target", "reference"):
            sf.write(folder / f"{example.example_id}_{role}.wav", getattr(example, role), 22_050, subtype="FLOAT")
    return folder


def test_evaluate_a_triplet_folder(triplets, tmp_path, capsys):
    out = tmp_path / "report"
    code = main(["evaluate", "--data", str(triplets), "--baselines", "input,rb-dsp", "--out", str(out),
                 "--sample-rate", "16000", "--no-plots"])
    assert code == 0
    captured = capsys.readouterr()
    assert "| rb-dsp | 2 |" in captured.out and f"wrote {out / 'results.md'}" in captured.err
    assert {p.name for p in out.iterdir()} == {"results.md", "summary.csv", "examples.csv", "results.json"}
    text = (out / "results.md").read_text()
    assert "aeib evaluate --data" in text and "2 examples at 16000 Hz" in text
    rows = list(csv.DictReader((out / "examples.csv").open()))
    assert [(r["example_id"], r["method"]) for r in rows] == [
        ("synthetic-000", "input"), ("synthetic-000", "rb-dsp"), ("synthetic-001", "input"), ("synthetic-001", "rb-dsp")]


@pytest.mark.parametrize("argv, message", [
    (["--data", "{tmp}/nothing"], "no such file or folder"),
    (["--data", "{triplets}", "--model", "{tmp}/missing.keras"], "no such model file or folder"),
    (["--data", "{triplets}", "--baselines", "input,magic"], "unknown baseline 'magic'"),
    (["--data", "{triplets}", "--baselines", "none"], "nothing to evaluate"),
    (["--data", "{triplets}", "--limit", "0"], "--limit must be ≥ 1"),
    (["--data", "{triplets}", "--oracle-iterations", "0"], "--oracle-iterations must be ≥ 1"),
    (["--data", "{triplets}", "--baselines", "input,input"], "two methods are named 'input'"),
])
def test_errors_are_one_line_and_exit_2(triplets, tmp_path, capsys, argv, message):
    argv = [a.format(tmp=tmp_path, triplets=triplets) for a in argv]
    assert main(["evaluate", *argv, "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("aeib: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_out_must_be_a_folder_and_not_the_data(triplets, tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("keep me")
    assert main(["evaluate", "--data", str(triplets), "--baselines", "input", "--out", str(blocker), "-q"]) == 2
    assert blocker.read_text() == "keep me"
    assert main(["evaluate", "--data", str(triplets), "--baselines", "input", "--out", str(triplets), "-q"]) == 2
    assert main(["evaluate", "--data", str(triplets), "--baselines", "input", "--out", str(tmp_path / "a" / "b"), "-q"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert "not a folder" in errors[0] and "test set's folder" in errors[1] and "does not exist" in errors[2]
