"""Read what a ``.tflite`` file needs from a runtime, straight from its flatbuffer (no TensorFlow).

A TFLite model lists its operators as ``(builtin code, version)`` pairs and records, in the metadata
entry ``min_runtime_version``, the oldest TensorFlow Lite runtime whose kernels cover all of them
(the converter computes it from its own operator-version table). This module reads both with a
few lines of flatbuffer decoding, so the runtime can say *which* runtime a model needs when an
interpreter refuses it, and the tests can check every exported file against the oldest runtime aeib
supports (:data:`OLDEST_SUPPORTED_RUNTIME`).

Flatbuffer layout used (``tensorflow/lite/schema/schema.fbs``): ``Model`` fields 1 ``operator_codes``,
4 ``buffers``, 6 ``metadata``, 7 ``signature_defs``; ``OperatorCode`` fields 0
``deprecated_builtin_code`` (int8), 1 ``custom_code``, 2 ``version`` (default 1), 3 ``builtin_code``
(int32); ``Metadata`` fields 0 ``name``, 1 ``buffer``; ``Buffer`` field 0 ``data``;
``SignatureDef`` field 2 ``signature_key``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

OLDEST_SUPPORTED_RUNTIME = "2.14.0"
"""The oldest TFLite runtime every exported model must load on: ``tflite-runtime`` 2.14.0, its last
release and what Raspberry Pi and Jetson images ship (CI loads every shipped model there)."""

_PLACEHOLDER_BUILTIN = 127
"""``deprecated_builtin_code`` value meaning "see ``builtin_code``" (codes ≥ 127)."""
_CUSTOM = 32


class FlatbufferError(ValueError):
    """The bytes are not a readable TFLite flatbuffer."""


@dataclass(frozen=True)
class OperatorCode:
    """One entry of a model's operator table: builtin code (``None`` for a custom op) and version."""

    builtin_code: int | None
    version: int
    custom_code: str | None = None


@dataclass(frozen=True)
class TfliteInfo:
    """What a ``.tflite`` file asks of a runtime.

    Attributes:
        operators: The model's operator table, in file order.
        min_runtime_version: The converter's ``min_runtime_version`` metadata ("" if absent).
        signature_keys: Names of the model's signatures (``serving_default`` for aeib models).
    """

    operators: tuple[OperatorCode, ...]
    min_runtime_version: str
    signature_keys: tuple[str, ...]


class _Reader:
    def __init__(self, data: bytes):
        self.data = memoryview(data)

    def u8(self, pos: int) -> int:
        return self.data[pos]

    def i8(self, pos: int) -> int:
        return int(struct.unpack_from("<b", self.data, pos)[0])

    def u16(self, pos: int) -> int:
        return int(struct.unpack_from("<H", self.data, pos)[0])

    def i32(self, pos: int) -> int:
        return int(struct.unpack_from("<i", self.data, pos)[0])

    def u32(self, pos: int) -> int:
        return int(struct.unpack_from("<I", self.data, pos)[0])

    def field(self, table: int, index: int) -> int | None:
        """Absolute position of field ``index`` of the table at ``table``, or None if absent."""
        vtable = table - self.i32(table)
        vtable_size = self.u16(vtable)
        slot = 4 + 2 * index
        if slot >= vtable_size:
            return None
        offset = self.u16(vtable + slot)
        return table + offset if offset else None

    def deref(self, pos: int) -> int:
        return pos + self.u32(pos)

    def vector(self, table: int, index: int) -> tuple[int, int]:
        """``(first element position, length)`` of a vector field (length 0 if absent)."""
        pos = self.field(table, index)
        if pos is None:
            return 0, 0
        start = self.deref(pos)
        return start + 4, self.u32(start)

    def tables(self, table: int, index: int) -> list[int]:
        start, length = self.vector(table, index)
        return [self.deref(start + 4 * i) for i in range(length)]

    def string(self, table: int, index: int) -> str | None:
        start, length = self.vector(table, index)
        if not start:
            return None
        return bytes(self.data[start:start + length]).decode("utf-8", errors="replace")


def read_tflite_info(data: bytes) -> TfliteInfo:
    """Operator codes and versions, ``min_runtime_version`` and signature keys of a ``.tflite`` file.

    Args:
        data: The whole file.

    Raises:
        FlatbufferError: if ``data`` is not a TFLite flatbuffer (too short, wrong identifier, or an
            offset outside the file).
    """
    if len(data) < 8 or bytes(data[4:8]) != b"TFL3":
        raise FlatbufferError("not a TFLite flatbuffer (no 'TFL3' identifier)")
    reader = _Reader(data)
    try:
        model = reader.deref(0)
        operators = []
        for code in reader.tables(model, 1):
            deprecated = reader.field(code, 0)
            builtin = reader.field(code, 3)
            version = reader.field(code, 2)
            value = reader.i32(builtin) if builtin is not None else 0
            old = reader.i8(deprecated) if deprecated is not None else 0
            value = max(value, old) if old != _PLACEHOLDER_BUILTIN else value
            custom = reader.string(code, 1)
            operators.append(OperatorCode(None if value == _CUSTOM else value,
                                          reader.i32(version) if version is not None else 1, custom))
        buffers = reader.tables(model, 4)
        min_runtime = ""
        for entry in reader.tables(model, 6):
            if reader.string(entry, 0) == "min_runtime_version":
                buffer_field = reader.field(entry, 1)
                buffer = buffers[reader.u32(buffer_field)] if buffer_field is not None else None
                if buffer is not None:
                    start, length = reader.vector(buffer, 0)
                    min_runtime = bytes(reader.data[start:start + length]).split(b"\0", 1)[0].decode("ascii", "replace")
        signatures = tuple(reader.string(sig, 2) or "" for sig in reader.tables(model, 7))
    except (struct.error, IndexError) as exc:
        raise FlatbufferError(f"damaged TFLite flatbuffer ({exc})") from None
    return TfliteInfo(tuple(operators), min_runtime, signatures)


def version_tuple(version: str) -> tuple[int, ...]:
    """``"2.14.0"`` → ``(2, 14, 0)``; non-numeric parts (``"2.18.0rc1"``) keep their leading digits."""
    parts = []
    for part in str(version).split("."):
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        parts.append(int(digits or 0))
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts)


def needs_newer_runtime(min_runtime_version: str, runtime_version: str = OLDEST_SUPPORTED_RUNTIME) -> bool:
    """Whether a model with this ``min_runtime_version`` needs a runtime newer than ``runtime_version``."""
    return bool(min_runtime_version) and version_tuple(min_runtime_version) > version_tuple(runtime_version)
