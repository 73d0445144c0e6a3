import subprocess
import sys
import types

import numpy as np
import pytest

import aeib.runtime
from aeib.dsp import CHAIN_SCHEMA
from aeib.evaluation.methods import Shared, chain_output
from aeib.evaluation.models import KerasModelMethod, ModelLoadError, RuntimeModelMethod, model_method
from aeib.runtime.bundle import DEFAULT_MODEL_DIR


class FakeAnalyzer:
    """The aeib.runtime contract with a known answer: a +6 dB high shelf, whatever it hears."""

    sample_rate = 8_000
    window_samples = 4_000
    variant = "fake"
    window_seconds = 0.5
    bundle = types.SimpleNamespace(refinement=None)   # no learned refinement: the fixed one

    def __init__(self):
        self.calls = []

    def embed(self, audio):
        self.calls.append(("embed", len(audio)))
        return np.ones(4, dtype=np.float32)

    def predict01(self, audio, embedding):
        self.calls.append(("predict01", len(audio)))
        assert embedding.shape == (4,)
        return CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.to_vector({"eq.high_shelf.gain_db": 6.0})).astype(np.float32)


def test_runtime_adapter_follows_the_contract(monkeypatch, examples):
    fake = FakeAnalyzer()
    monkeypatch.setattr(aeib.runtime, "load_model", lambda path: fake)
    method = RuntimeModelMethod("model.json", "fake", refine=0.0, dead_zone_db=0.0)   # the analyzer's own setting
    method.setup()
    example = examples[0]  # 1 s at 16 kHz → 8 000 samples at the model's 8 kHz: two spread windows
    output = method.run(example, Shared())
    assert output.params["eq.high_shelf.gain_db"] == pytest.approx(6.0, abs=1e-3)
    assert [c for c in fake.calls] == [("embed", 4_000)] * 2 + [("predict01", 4_000)] * 2
    expected = chain_output(example, output.params)  # the chain with the loudness stage
    assert np.allclose(output.audio, expected, atol=1e-6)


def test_model_paths_are_dispatched(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "best.keras").write_bytes(b"")
    (tmp_path / "m.json").write_text("{}")
    keras = model_method(str(tmp_path / "run"))
    assert isinstance(keras, KerasModelMethod) and keras.name == "keras:run/best"
    assert isinstance(model_method(str(tmp_path / "m.json")), RuntimeModelMethod)
    assert model_method(f"mine={tmp_path / 'm.json'}").name == "mine"
    with pytest.raises(ModelLoadError, match="no such model"):
        model_method(str(tmp_path / "missing.keras"))
    with pytest.raises(ModelLoadError, match="is not a model"):
        model_method(str(tmp_path))


def test_a_corrupt_keras_file_is_a_one_line_error(tmp_path):
    pytest.importorskip("keras")
    path = tmp_path / "broken.keras"
    path.write_bytes(b"not a zip")
    with pytest.raises(ModelLoadError, match="cannot load Keras model"):
        model_method(str(path)).setup()


_TF_FREE_CHECK = """
import sys
from aeib.evaluation import model_method
from aeib.evaluation.methods import Shared
from aeib.evaluation.synthetic import synthetic_examples
from aeib.runtime.bundle import DEFAULT_MODEL_DIR
method = model_method(str(sorted(DEFAULT_MODEL_DIR.glob("*.json"))[0]))
method.setup()
example = synthetic_examples(1, 24_000, seconds=1.0)[0]
output = method.run(example, Shared())
assert output.audio.shape == example.input.shape and len(output.params) == 24
print("tensorflow" in sys.modules)
"""


def test_a_runtime_model_runs_without_tensorflow():
    assert sorted(DEFAULT_MODEL_DIR.glob("*.json")), "no analyzer bundled in aeib/runtime/models (the package ships it)"
    done = subprocess.run([sys.executable, "-c", _TF_FREE_CHECK], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_reference_free_model_option(tmp_path):
    """``PATH#style=NAME`` runs a bundle towards a built-in style; other options are refused clearly."""
    from pathlib import Path

    from aeib.evaluation.models import ModelLoadError, RuntimeModelMethod, model_method

    bundle = Path(__file__).resolve().parents[2] / "aeib" / "runtime" / "models"
    json_path = next(bundle.glob("*.json"))
    method = model_method(f"free={json_path}#style=anything")
    assert isinstance(method, RuntimeModelMethod) and method.style == "anything" and method.name == "free"
    with pytest.raises(ModelLoadError, match="#style=NAME, #refine=S, #dead-zone=DB or #match=B"):
        model_method(f"{json_path}#colour=red")
    with pytest.raises(ModelLoadError, match="repeated model option"):
        model_method(f"{json_path}#style=a#style=b")


def test_a_style_and_its_refinement_strength_can_be_given_together():
    """``#style=NAME#refine=S``: reference-free with the tonal target's refinement at S; a style alone
    refines at the product's reference-free default, a reference at the reference default."""
    from pathlib import Path

    from aeib.evaluation.models import model_method
    from aeib.runtime.refine import REFINE_STRENGTH, STYLE_REFINE_STRENGTH

    json_path = next((Path(__file__).resolve().parents[2] / "aeib" / "runtime" / "models").glob("*.json"))
    both = model_method(f"{json_path}#style=board-mix#refine=0")
    assert (both.style, both.refine) == ("board-mix", 0.0) and both.name.endswith("#board-mix#refine=0")
    assert model_method(f"{json_path}#refine=0.3#style=board-mix").refine == 0.3
    assert model_method(f"{json_path}#style=board-mix").refine == STYLE_REFINE_STRENGTH
    assert model_method(str(json_path)).refine == REFINE_STRENGTH


def test_the_reference_free_method_refines_as_the_product_does(examples):
    """On the shipped bundle, ``#style=board-mix`` refines the analyzer's setting toward the style's tonal
    target with the product's function and default strength; ``#refine=0`` is the analyzer's own."""
    from pathlib import Path

    from aeib.runtime.dead_zone import eq_dead_zone
    from aeib.runtime.refine import STYLE_REFINE_STRENGTH, long_term_spectrum_db, refine_toward_style
    from aeib.runtime.windows import ArrayAudio

    json_path = next((Path(__file__).resolve().parents[2] / "aeib" / "runtime" / "models").glob("*.json"))
    example = examples[0]
    toned, plain, settled = (model_method(f"{json_path}#style=board-mix{extra}")
                             for extra in ("#dead-zone=0", "#refine=0#dead-zone=0", ""))
    for method in (toned, plain, settled):
        method.setup()
    analyzer = plain.run(example, Shared()).params
    expected = refine_toward_style(analyzer, long_term_spectrum_db(ArrayAudio(example.input, example.sample_rate)),
                                   toned.model.style("board-mix"), example.sample_rate, STYLE_REFINE_STRENGTH)
    got = toned.run(example, Shared()).params
    assert got != analyzer
    assert got == pytest.approx(expected, abs=1e-6)
    # by default the EQ's dead zone settles the refined setting last, as in the product
    assert settled.run(example, Shared()).params == pytest.approx(eq_dead_zone(got, 1.0), abs=1e-6)


def test_the_dead_zone_option():
    from pathlib import Path

    from aeib.evaluation.models import ModelLoadError, model_method
    json_path = next((Path(__file__).resolve().parents[2] / "aeib" / "runtime" / "models").glob("*.json"))
    assert model_method(str(json_path)).dead_zone_db == 0.0  # with a reference: off
    assert model_method(f"{json_path}#style=board-mix").dead_zone_db == 1.0
    method = model_method(f"{json_path}#dead-zone=0#style=board-mix")
    assert (method.dead_zone_db, method.style) == (0.0, "board-mix") and method.name.endswith("#dead-zone=0")
    with pytest.raises(ModelLoadError, match="#dead-zone='-2': #dead-zone must be a number of dB within 0–18"):
        model_method(f"{json_path}#dead-zone=-2")


def test_the_match_option_runs_the_products_match_with_the_reference(examples):
    """``#match=B`` passes B to the product's refinement with the example's reference; refused with a
    style, out of range, and on a Keras model."""
    from pathlib import Path

    from aeib.evaluation.models import ModelLoadError, model_method
    from aeib.runtime.refine import refine_from_sources
    from aeib.runtime.windows import ArrayAudio

    json_path = next((Path(__file__).resolve().parents[2] / "aeib" / "runtime" / "models").glob("*.json"))
    assert model_method(str(json_path)).match == 0.0
    method = model_method(f"{json_path}#match=0.5")
    assert method.match == 0.5 and method.name.endswith("#match=0.5")
    with pytest.raises(ModelLoadError, match="#match='2': give a number within 0–1"):
        model_method(f"{json_path}#match=2")
    with pytest.raises(ModelLoadError, match="not with #style"):
        model_method(f"{json_path}#style=board-mix#match=0.5")
    plain, matched = model_method(f"{json_path}#refine=0"), method
    for m in (plain, matched):
        m.setup()
    example = examples[0]
    rate = example.sample_rate
    expected = refine_from_sources(plain.run(example, Shared()).params, ArrayAudio(example.input, rate),
                                   ArrayAudio(example.reference, rate), matched.refine,
                                   learned=matched.model.bundle.refinement, match=0.5)
    assert matched.run(example, Shared()).params == pytest.approx(expected, abs=1e-6)
