"""Every exported file loads on tflite-runtime 2.14: operator versions and min_runtime_version, read
from the flatbuffer, and the JSON's ``runtime`` block that records them."""

import pytest
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.python import schema_util

from aeib.export.config import CROSS_RUNTIME_TOLERANCES
from aeib.export.convert import runtime_requirements
from aeib.runtime.tflite_info import (
    OLDEST_SUPPORTED_RUNTIME,
    FlatbufferError,
    needs_newer_runtime,
    read_tflite_info,
    version_tuple,
)

FULLY_CONNECTED_PER_CHANNEL_HYBRID = 12
"""FULLY_CONNECTED version of TF ≥ 2.17's per-channel dynamic-range kernels (not in tflite-runtime 2.14)."""


def _tf_reader_ops(data: bytes) -> list[tuple[int, int]]:
    model = schema.Model.GetRootAs(data, 0)
    return [(schema_util.get_builtin_code_from_operator_code(model.OperatorCodes(i)), model.OperatorCodes(i).Version())
            for i in range(model.OperatorCodesLength())]


def test_every_variant_loads_on_the_oldest_supported_runtime(tiny_export):
    for result in tiny_export.variants:
        data = result.tflite_path.read_bytes()
        info = read_tflite_info(data)
        assert info.min_runtime_version, result.variant
        assert not needs_newer_runtime(info.min_runtime_version, OLDEST_SUPPORTED_RUNTIME), \
            (result.variant, info.min_runtime_version)
        assert info.signature_keys == ("serving_default",)
        versions = {op.builtin_code: op.version for op in info.operators}
        assert versions.get(schema.BuiltinOperator.FULLY_CONNECTED, 1) < FULLY_CONNECTED_PER_CHANNEL_HYBRID, result.variant


def test_the_reader_agrees_with_tensorflows_schema(tiny_export):
    for result in tiny_export.variants:
        data = result.tflite_path.read_bytes()
        assert [(op.builtin_code, op.version) for op in read_tflite_info(data).operators] == _tf_reader_ops(data)
        model = schema.Model.GetRootAs(data, 0)
        metadata = {model.Metadata(i).Name().decode(): model.Metadata(i).Buffer() for i in range(model.MetadataLength())}
        stored = model.Buffers(metadata["min_runtime_version"]).DataAsNumpy().tobytes().split(b"\0")[0].decode()
        assert read_tflite_info(data).min_runtime_version == stored


def test_json_records_what_the_file_needs(tiny_export):
    for result in tiny_export.variants:
        runtime = result.metadata["runtime"]
        assert runtime == {**runtime_requirements(result.tflite_path.read_bytes()),
                           "cross_runtime_tolerance": CROSS_RUNTIME_TOLERANCES[result.variant]}
        assert runtime["oldest_supported_runtime"] == OLDEST_SUPPORTED_RUNTIME == "2.14.0"
        assert "FULLY_CONNECTED" in runtime["operators"]
    raw = next(r for r in tiny_export.variants if r.variant == "raw-float32").metadata["runtime"]["operators"]
    assert {"RFFT2D", "LOG", "GATHER"} <= set(raw)


def test_versions_and_damaged_files():
    assert version_tuple("2.14.0") == (2, 14, 0) and version_tuple("2.18.0rc1") == (2, 18, 0)
    assert needs_newer_runtime("2.17.0") and not needs_newer_runtime("2.4.0") and not needs_newer_runtime("")
    with pytest.raises(FlatbufferError, match="TFL3"):
        read_tflite_info(b"not a model at all")
    with pytest.raises(FlatbufferError):
        read_tflite_info(b"\xff\xff\xff\x7fTFL3" + b"\0" * 8)
