import numpy as np
import pytest

from aeib.runtime.errors import ModelError
from aeib.runtime.interpreter import INTERPRETER_MODULES, interpreter_class, make_interpreter


def test_litert_comes_first():
    assert INTERPRETER_MODULES[0] == "ai_edge_litert.interpreter" and INTERPRETER_MODULES[-1] == "tensorflow.lite"
    assert interpreter_class().__module__.startswith("ai_edge_litert")


def test_falls_back_to_the_next_module():
    cls = interpreter_class(("no_such_module_xyz.interpreter", "ai_edge_litert.interpreter"))
    assert cls.__name__ == "Interpreter"


def test_no_interpreter_gives_an_install_hint():
    with pytest.raises(ModelError, match=r"pip install ai-edge-litert"):
        interpreter_class(("no_such_module_xyz.interpreter", "another_missing_module"))


@pytest.mark.parametrize("content", [b"", b"not a model" * 50])
def test_corrupt_model_file(tmp_path, content):
    path = tmp_path / "bad.tflite"
    path.write_bytes(content)
    with pytest.raises(ModelError, match="not a valid TFLite model"):
        make_interpreter(path)


def test_truncated_model_file(cached_bundle, tmp_path):
    data = cached_bundle.with_suffix(".tflite").read_bytes()
    path = tmp_path / "half.tflite"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelError, match="not a valid TFLite model"):
        make_interpreter(path)


def test_thread_count_is_checked(cached_bundle):
    with pytest.raises(ModelError, match="at least one thread"):
        make_interpreter(cached_bundle.with_suffix(".tflite"), num_threads=0)
    interpreter = make_interpreter(cached_bundle.with_suffix(".tflite"), num_threads=2)
    assert len(interpreter.get_input_details()) == 2 and np.all(interpreter.get_input_details()[0]["shape"] > 0)


def test_a_model_needing_a_newer_runtime_says_which(cached_bundle, monkeypatch):
    """What tflite-runtime 2.14 says for TF 2.21's per-channel hybrid FULLY_CONNECTED, turned into one line
    naming the operator, the runtime the file needs (its min_runtime_version) and the runtime installed."""
    import sys
    import types

    class OldInterpreter:
        def __init__(self, model_path, num_threads):
            raise RuntimeError("Didn't find op for builtin opcode 'FULLY_CONNECTED' version '12'. An older version "
                               "of this builtin might be supported.\nRegistration failed.")

    package = types.ModuleType("fake_old_tflite")
    package.__version__ = "2.14.0"
    module = types.ModuleType("fake_old_tflite.interpreter")
    module.Interpreter = OldInterpreter
    OldInterpreter.__module__ = "fake_old_tflite.interpreter"
    monkeypatch.setitem(sys.modules, "fake_old_tflite", package)
    monkeypatch.setitem(sys.modules, "fake_old_tflite.interpreter", module)
    tflite = cached_bundle.with_suffix(".tflite")
    from aeib.runtime.tflite_info import read_tflite_info

    needs = read_tflite_info(tflite.read_bytes()).min_runtime_version
    with pytest.raises(ModelError) as caught:
        make_interpreter(tflite, modules=("fake_old_tflite.interpreter",))
    message = str(caught.value)
    assert "\n" not in message
    assert f"needs TFLite runtime {needs} or newer" in message
    assert "operator FULLY_CONNECTED version 12" in message and "fake_old_tflite 2.14.0" in message
    assert "pip install -U ai-edge-litert" in message
