"""scripts/family_significance.py: paired bootstrap of a run's per-example scores, per degradation family."""

import csv
import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "family_significance.py"
FIELDS = ("example_id", "method", "mel_distance_db", "centroid_error_hz", "rms_error_db", "loudness_error_lu")


def _run_folder(tmp_path):
    """A run of 40 examples, half tonal and half capture: "model" is clearly better than "matchering" on the
    tonal ones and equal (± noise) on the capture ones."""
    examples, rows = [], []
    for i in range(40):
        family = "tonal" if i < 20 else "capture"
        examples.append({"shard": "test-00000.npz", "row": i, "mode": "live", "split": "test",
                         "degradations": [{"family": family, "kind": "x"}]})
        base = 5.0 + (i % 7) * 0.1
        model = base - 1.0 if family == "tonal" else base + (0.05 if i % 2 else -0.05)
        for method, mel in (("matchering", base), ("model", model)):
            rows.append({"example_id": f"test-00000.npz#{i}", "method": method, "mel_distance_db": mel,
                         "centroid_error_hz": 100.0, "rms_error_db": 0.5, "loudness_error_lu": 0.3})
    data, run = tmp_path / "data", tmp_path / "run"
    data.mkdir()
    run.mkdir()
    (data / "manifest.json").write_text(json.dumps({"examples": examples}))
    with open(run / "examples.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    return data, run


def test_a_clear_win_and_a_coin_flip_are_told_apart(tmp_path):
    data, run = _run_folder(tmp_path)
    done = subprocess.run([sys.executable, str(SCRIPT), str(run), "--data", str(data), "--models", "model",
                           "--resamples", "2000"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    sections = {block.split(" (")[0]: block for block in done.stdout.strip().split("\n\n")}
    tonal, capture = sections["family:tonal"], sections["family:capture"]
    assert "mel (dB) -1.000 [-1.000, -1.000] 100%" in tonal
    mel_capture = capture.split("mel (dB) ")[1].split(" |")[0]
    low, high = (float(x) for x in mel_capture.split("[")[1].split("]")[0].split(", "))
    assert low < 0.0 < high   # ±0.05 noise around equal: the interval holds 0


def test_an_unknown_method_is_one_line_and_exit_2(tmp_path):
    data, run = _run_folder(tmp_path)
    done = subprocess.run([sys.executable, str(SCRIPT), str(run), "--data", str(data), "--models", "nosuch"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "nosuch" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
