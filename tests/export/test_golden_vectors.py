"""The golden vectors shipped in tflite_models/vectors/ recompute exactly from the shipped models, the
example clip, the front end and the chain; and the cross-runtime check script passes on LiteRT."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from aeib.export.vectors import check_vectors, shipped_bundles
from aeib.runtime.bundle import DEFAULT_MODEL_DIR

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "tflite_models"


def test_every_shipped_model_has_vectors_that_recompute():
    assert shipped_bundles(MODELS), "tflite_models/ ships no bundle"
    problems = check_vectors(MODELS, DEFAULT_MODEL_DIR)
    assert not problems, "\n".join(problems)


def test_vector_files_match_their_manifest():
    defaults = []
    for name in shipped_bundles(MODELS, DEFAULT_MODEL_DIR):
        folder = MODELS / "vectors" / name
        manifest = json.loads((folder / "vectors.json").read_text(encoding="utf-8"))
        for key in ("window", "features"):
            entry = manifest[key]
            data = (folder / entry["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert len(data) == 4 * int(np.prod(entry["shape"]))
        for key in ("input", "output"):
            data = (folder / manifest["chain"][key]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == manifest["chain"][f"{key}_sha256"]
        variants = {v["variant"] for v in manifest["variants"]}
        default_variant = manifest["bundled_default"]["variant"]
        assert default_variant is None or default_variant in variants   # None: another bundle is the default
        defaults.append(default_variant)
        assert all(len(v["params01"]) == 24 and set(v["physical"]) for v in manifest["variants"])
    assert sum(v is not None for v in defaults) == 1   # exactly one shipped bundle is the bundled default


def test_the_bundled_default_is_shipped_once():
    # One copy, in the package: tflite_models/ holds the other variants and no second copy of it.
    bundled = sorted(DEFAULT_MODEL_DIR.iterdir())
    assert bundled, "no model in aeib/runtime/models (it is shipped)"
    shas = {hashlib.sha256(p.read_bytes()).hexdigest() for p in bundled}
    assert not [p.name for p in MODELS.iterdir() if p.is_file() and hashlib.sha256(p.read_bytes()).hexdigest() in shas]
    # ...and its golden vectors are made with the other variants of its name.
    grouped = [path for paths in shipped_bundles(MODELS, DEFAULT_MODEL_DIR).values() for path in paths]
    assert [p for p in bundled if p.suffix == ".json"] == [p for p in grouped if p.parent == DEFAULT_MODEL_DIR]


def test_the_cross_runtime_check_passes_on_litert():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "check_tflite_runtimes.py"), "--runtime",
                           "ai_edge_litert"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "raw-float32" in done.stdout and "runtime/models" in done.stdout.replace("\\", "/")
