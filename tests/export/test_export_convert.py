"""Conversion: builtin operators only, resource variables refused, name stripping changes no arithmetic."""

import numpy as np
import pytest
import tensorflow as tf

from aeib.export.config import ExportError
from aeib.export.convert import RESOURCE_OPS, check_builtin_ops, model_op_names, strip_internal_tensor_names
from aeib.export.tflite_model import TfliteAnalyzer


def test_exported_models_hold_builtin_operators_only(tiny_export):
    for result in tiny_export.variants:
        names = check_builtin_ops(result.tflite_path.read_bytes())
        assert {"CONV_2D", "FULLY_CONNECTED", "LOGISTIC"} <= set(names)
        assert not [n for n in names if n.startswith("CUSTOM") or n.lower().startswith("flex") or n in RESOURCE_OPS]
    int8 = next(r for r in tiny_export.variants if r.variant == "int8")
    int8_ops = model_op_names(int8.tflite_path.read_bytes())
    assert {"QUANTIZE", "DEQUANTIZE"} <= set(int8_ops)  # float32 I/O around an int8 body


def test_the_interpreter_reports_the_same_operators(tiny_export):
    from ai_edge_litert.interpreter import Interpreter

    for result in tiny_export.variants:
        interpreter = Interpreter(model_path=str(result.tflite_path))
        seen = {op["op_name"] for op in interpreter._get_ops_details()}
        assert seen == set(model_op_names(result.tflite_path.read_bytes()))


def _variable_model_bytes() -> bytes:
    """A model that keeps a resource variable (a counter), converted with resource variables allowed."""
    class Counter(tf.Module):
        def __init__(self):
            self.count = tf.Variable(0.0)

        @tf.function(input_signature=[tf.TensorSpec([1], tf.float32)])
        def __call__(self, x):
            self.count.assign_add(1.0)
            return x + self.count

    module = Counter()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([module.__call__.get_concrete_function()], module)
    converter.experimental_enable_resource_variables = True
    return converter.convert()


def test_resource_variables_are_refused():
    data = _variable_model_bytes()
    assert RESOURCE_OPS & set(model_op_names(data))
    with pytest.raises(ExportError, match="resource operators"):
        check_builtin_ops(data)


def test_stripping_names_keeps_io_names_and_outputs(tiny_export):
    stripped = tiny_export.variants[0].tflite_path.read_bytes()
    # Re-stripping an already stripped model is a no-op in content.
    again = strip_internal_tensor_names(stripped)
    a, b = TfliteAnalyzer(stripped), TfliteAnalyzer(again)
    for name in a.details:
        assert a.tensor_spec(name) == b.tensor_spec(name)
    features = np.random.default_rng(0).normal(-8, 3, (2, *a.shape("input_features")[1:])).astype(np.float32)
    assert np.array_equal(a.embed(features), b.embed(features))
    assert len(again) <= len(stripped)
