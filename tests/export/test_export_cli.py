"""``aeib export`` on the command line: a small real run, the summary table, one-line errors."""

import subprocess
import sys

import pytest

from aeib.cli.main import main


def test_cli_exports_one_variant_and_prints_the_table(tiny_run, train_only_data, tmp_path, capsys):
    out = tmp_path / "models"
    code = main(["export", "--model", str(tiny_run), "--data", str(train_only_data), "--out", str(out), "--name", "cli-test",
                 "--variants", "float32", "--window", "0.5", "--representative", "2", "--parity-examples", "1", "-q"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert sorted(p.name for p in out.iterdir()) == ["cli-test.float32.json", "cli-test.float32.tflite"]
    header, row = captured.out.strip().splitlines()
    assert header.split()[:2] == ["variant", "bytes"]
    assert row.split()[0] == "float32" and int(row.split()[1]) == (out / "cli-test.float32.tflite").stat().st_size
    assert "yes" in row.split()


@pytest.mark.parametrize("case, message", [
    ("missing_model", "no such model file or run folder"),
    ("corrupt_model", "not a readable aeib .keras model"),
    ("missing_data", "no such data folder"),
    ("bad_variant", "unknown or no variant"),
    ("pull_syntax", "--style-pull takes STYLE=PULL"),
    ("pull_range", "must lie in (0, 1]"),
    ("pull_style", "has no pull to set"),
])
def test_bad_input_gives_one_line_and_exit_2(case, message, tiny_run, train_only_data, tmp_path, capsys):
    model, data, extra = str(tiny_run), str(train_only_data), []
    if case == "missing_model":
        model = str(tmp_path / "nothing")
    elif case == "corrupt_model":
        corrupt = tmp_path / "bad.keras"
        corrupt.write_bytes(b"PK\x03\x04 definitely not a model")
        model = str(corrupt)
    elif case == "missing_data":
        data = str(tmp_path / "no-data")
    elif case == "bad_variant":
        extra = ["--variants", "float32,int3"]
    else:
        extra = ["--style-pull", {"pull_syntax": "board-mix", "pull_range": "board-mix=1.5",
                                  "pull_style": "clean-live-mix=0.5"}[case]]
    out = tmp_path / "out"
    assert main(["export", "--model", model, "--data", data, "--out", str(out), "-q", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("aeib: error:") and message in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_help_lists_every_option():
    done = subprocess.run([sys.executable, "-m", "aeib.cli.main", "export", "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    for option in ("--model", "--data", "--out", "--name", "--variants", "--install-default", "--window",
                   "--representative", "--parity-examples", "--config", "--style-pull"):
        assert option in done.stdout
