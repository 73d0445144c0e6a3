import json
import subprocess
import sys

import soundfile as sf

from aeib.cli.main import main
from aeib.dsp import CHAIN_SCHEMA, ParameterSchema


def test_params_table_lists_every_parameter(capsys):
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    for spec in CHAIN_SCHEMA:
        assert spec.name in out


def test_params_json_is_the_schema(capsys):
    assert main(["params", "--json"]) == 0
    assert ParameterSchema.from_json(capsys.readouterr().out) == CHAIN_SCHEMA


def test_example_clip(tmp_path, capsys):
    assert main(["example", str(tmp_path / "clip.flac")]) == 0
    info = sf.info(tmp_path / "clip.flac")
    assert info.channels == 2 and info.duration > 5


def test_bench_reports_a_real_time_factor(capsys):
    skip = ["--skip", "analyzer", "--skip", "enhance", "--skip", "stream", "--skip", "memory"]  # see test_bench.py
    assert main(["bench", "--seconds", "1", "--repeats", "1", "--json", *skip]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["rtf"] > 0 and result["audio_seconds"] == 1


def test_console_script_help_and_errors():
    for argv in (["--help"], ["apply", "--help"], ["params", "--help"], ["bench", "--help"], ["example", "--help"]):
        done = subprocess.run([sys.executable, "-m", "aeib.cli.main", *argv], capture_output=True, text=True)
        assert done.returncode == 0 and "usage: aeib" in done.stdout
    done = subprocess.run([sys.executable, "-m", "aeib.cli.main", "apply", "nope.wav", "-o", "x.wav", "--params", "neutral"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.strip() == "aeib: error: no such file: nope.wav"
