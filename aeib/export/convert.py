"""Keras export graph → ``.tflite`` bytes in one variant, builtin operators only.

* ``float32`` — weights and arithmetic in float32.
* ``float16`` — weights stored in float16 (dequantized to float32 at load time).
* ``dynamic-int8`` — weights int8; activations quantized on the fly where kernels allow. Dense
  (FULLY_CONNECTED) weights are quantized per tensor, not per channel: TF ≥ 2.17's per-channel
  hybrid FULLY_CONNECTED is operator version 12, which ``tflite-runtime`` 2.14 cannot load, and the
  per-tensor form (version 9) measured no less accurate on ``small-v2`` (docs/EXPORT.md).
* ``int8`` — weights and activations int8, calibrated on representative features; the input and
  output tensors stay float32 (quantize/dequantize inside), so callers never handle scales.
* ``raw-<kind>`` — the same quantization ``<kind>`` of the raw-audio graph (log-mel in the graph).

Every result is checked with :func:`check_builtin_ops`: no Flex (TensorFlow) kernels, no custom
operators and no resource-variable operators, so a phone needs nothing but the interpreter.
"""

from __future__ import annotations

import warnings
from typing import Callable, Iterable, Iterator

import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.python import schema_util
from tensorflow.lite.tools import flatbuffer_utils

from aeib.export.config import ExportError
from aeib.export.quiet import quiet_fds
from aeib.runtime.tflite_info import OLDEST_SUPPORTED_RUNTIME, needs_newer_runtime, read_tflite_info

RESOURCE_OPS = {"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE", "HASHTABLE", "HASHTABLE_FIND",
                "HASHTABLE_IMPORT", "HASHTABLE_SIZE"}
"""Builtin operators that need resource variables or tables: refused in an exported model."""

_BUILTIN_NAMES = {code: name for name, code in vars(schema.BuiltinOperator).items() if not name.startswith("_")}

Representative = Callable[[], Iterator[dict[str, np.ndarray]]]


def model_op_names(tflite_bytes: bytes) -> list[str]:
    """Operator names used by a ``.tflite`` flatbuffer (builtin names, or ``CUSTOM:<code>``)."""
    model = schema.Model.GetRootAs(tflite_bytes, 0)
    names = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        builtin = schema_util.get_builtin_code_from_operator_code(code)
        if builtin == schema.BuiltinOperator.CUSTOM:
            custom = code.CustomCode()
            names.append(f"CUSTOM:{custom.decode() if custom else '?'}")
        else:
            names.append(_BUILTIN_NAMES.get(builtin, f"UNKNOWN:{builtin}"))
    return sorted(set(names))


def check_builtin_ops(tflite_bytes: bytes) -> list[str]:
    """The model's operator names, after checking that all of them are plain builtins.

    Raises:
        ExportError: if the model uses a Flex/custom operator or a resource-variable operator.
    """
    names = model_op_names(tflite_bytes)
    bad = [n for n in names if n.startswith(("CUSTOM:", "UNKNOWN:")) or n in RESOURCE_OPS or n.lower().startswith("flex")]
    if bad:
        raise ExportError(f"converted model uses non-builtin or resource operators {bad}; the export graph "
                          "must hold builtin operators only")
    return names


def runtime_requirements(tflite_bytes: bytes) -> dict:
    """What a model needs from an interpreter, read from its flatbuffer (the JSON's ``runtime`` block).

    Returns:
        ``min_runtime_version`` (the converter's own figure), ``operators`` (``{builtin name: version}``)
        and ``oldest_supported_runtime`` (:data:`~aeib.runtime.tflite_info.OLDEST_SUPPORTED_RUNTIME`).
    """
    info = read_tflite_info(tflite_bytes)
    operators = {}
    for op in info.operators:
        name = f"CUSTOM:{op.custom_code}" if op.builtin_code is None else _BUILTIN_NAMES.get(op.builtin_code, str(op.builtin_code))
        operators[name] = max(op.version, operators.get(name, 0))
    return {"min_runtime_version": info.min_runtime_version, "operators": dict(sorted(operators.items())),
            "oldest_supported_runtime": OLDEST_SUPPORTED_RUNTIME}


def check_runtime_compat(tflite_bytes: bytes) -> dict:
    """:func:`runtime_requirements`, after checking the model loads on the oldest supported runtime.

    Raises:
        ExportError: if its ``min_runtime_version`` is newer than ``tflite-runtime`` 2.14.
    """
    needs = runtime_requirements(tflite_bytes)
    if not needs["min_runtime_version"] or needs_newer_runtime(needs["min_runtime_version"]):
        raise ExportError(f"converted model needs TFLite runtime {needs['min_runtime_version'] or '(unknown)'} "
                          f"(operators {needs['operators']}); every export must load on tflite-runtime "
                          f"{OLDEST_SUPPORTED_RUNTIME}")
    return needs


def strip_internal_tensor_names(tflite_bytes: bytes) -> bytes:
    """Drop the names of intermediate tensors (about 5 KB of Keras scope strings).

    The names of the graph's input and output tensors and the serving signature are kept, so the
    bundle's ``tensor_name`` entries and the signature keys still resolve; the arithmetic is untouched
    (a test checks bit-identical outputs).
    """
    model = flatbuffer_utils.read_model_from_bytearray(bytearray(tflite_bytes))
    for subgraph in model.subgraphs:
        keep = set(subgraph.inputs) | set(subgraph.outputs)
        for index, tensor in enumerate(subgraph.tensors):
            if index not in keep:
                tensor.name = None
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def convert(model, variant: str, representative: Representative | None = None) -> bytes:
    """Convert the export model to one variant.

    Args:
        model: The Keras export graph (:func:`aeib.export.graph.build_export_model`).
        variant: One of :data:`aeib.export.config.VARIANTS` (``raw-<kind>`` converts like ``<kind>``).
        representative: For ``int8``: a function yielding ``{input name: float32 array}`` samples.

    Returns:
        The ``.tflite`` flatbuffer with internal tensor names stripped, checked with :func:`check_builtin_ops`
        and :func:`check_runtime_compat`.

    Raises:
        ExportError: if conversion fails, yields non-builtin operators, or needs a runtime newer than 2.14.
    """
    from aeib.export.config import base_kind

    variant = base_kind(variant)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    converter.experimental_enable_resource_variables = False
    if variant == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif variant == "dynamic-int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        # Per-channel hybrid FULLY_CONNECTED (v12) needs a TFLite 2.17+ runtime; per-tensor (v9) loads
        # on 2.4+. A private flag of the converter: test_export_runtime_compat fails if it stops working.
        converter._experimental_disable_per_channel_quantization_for_dense_layers = True
    elif variant == "int8":
        if representative is None:
            raise ValueError("full int8 needs a representative dataset")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.float32
        converter.inference_output_type = tf.float32
    elif variant != "float32":
        raise ValueError(f"unknown variant {variant!r}")
    try:
        with quiet_fds(), warnings.catch_warnings():
            # The calibrator's internal use of tf.lite.Interpreter and its note about float inputs of an
            # int8 model are expected here; neither concerns the caller.
            warnings.simplefilter("ignore", UserWarning)
            tflite_bytes = converter.convert()
    except Exception as exc:
        detail = str(exc).strip().splitlines()
        raise ExportError(f"TFLite conversion ({variant}) failed: {detail[-1] if detail else type(exc).__name__}") from None
    tflite_bytes = strip_internal_tensor_names(tflite_bytes)
    check_builtin_ops(tflite_bytes)
    check_runtime_compat(tflite_bytes)
    return tflite_bytes


def representative_dataset(features: np.ndarray, embeddings: np.ndarray) -> Representative:
    """Calibration samples: each row of ``features`` paired with a row of ``embeddings``.

    Args:
        features: float32[n, frames, n_mels] — inputs and references alike (the same model embeds both).
        embeddings: float32[m, E] reference embeddings; row ``i % m`` goes with features row ``i``.
    """
    def samples() -> Iterable[dict[str, np.ndarray]]:
        for i in range(features.shape[0]):
            yield {"input_features": features[i:i + 1].astype(np.float32),
                   "reference_embedding": embeddings[i % embeddings.shape[0]][None].astype(np.float32)}

    return samples
