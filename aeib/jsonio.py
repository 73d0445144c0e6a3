"""The one checked JSON reader: every JSON file aeib reads (parameter files, dataset manifests, model
bundles, configs, run state) goes through :func:`read_json` (or :func:`parse_json` for text that is
not a file of its own, such as a bundled preset or a shard's metadata).

It turns every way reading can fail into one error of the caller's class (an
:class:`~aeib.errors.AeibError` subclass, so the CLI prints one line) whose message names the file:
a missing file, a folder, no permission, bytes that are not UTF-8, invalid JSON, nesting too deep for
Python's parser (``RecursionError``), a number too long to convert, a top level of the wrong type
(``[]`` where an object is expected), a missing required key or a key of the wrong type, and a
``format`` marker that belongs to another tool or another kind of aeib file.

Standard library only (no numpy, no TensorFlow), so that every layer may use it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

from aeib.errors import AeibError

MAX_JSON_BYTES = 256 << 20
"""Larger files are refused unread: no JSON aeib writes comes near this (a manifest of 100 000
examples is about 100 MB), and reading a multi-gigabyte file given by mistake would exhaust memory."""

_TYPE_NAMES = {dict: "a JSON object", list: "a JSON list", str: "a string", int: "an integer",
               float: "a number", bool: "true or false", type(None): "null"}


def _type_name(value_or_type: Any) -> str:
    kind = value_or_type if isinstance(value_or_type, type) else type(value_or_type)
    return _TYPE_NAMES.get(kind, kind.__name__)


def _expected_name(expect: type | tuple[type, ...]) -> str:
    kinds = expect if isinstance(expect, tuple) else (expect,)
    return " or ".join(_type_name(kind) for kind in kinds)


def _matches(value: Any, expect: type | tuple[type, ...]) -> bool:
    kinds = expect if isinstance(expect, tuple) else (expect,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # JSON true/false is not a number here, even though bool subclasses int
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        return True  # 2 is a fine number where a float is expected
    return isinstance(value, kinds)


def parse_json(text: str, source: str, *, error: type[AeibError] = AeibError,
               expect: type | tuple[type, ...] | None = dict, required: Mapping[str, Any] | None = None,
               formats: Mapping[str, Any] | None = None, kind: str | None = None) -> Any:
    """Decode JSON text and check its shape.

    Args:
        text: The JSON text.
        source: What it is, for messages (``"model JSON m.json"``, ``"parameter file p.json"``).
        error: The exception class raised for every problem.
        expect: Required type of the top level (``dict`` by default; ``None`` accepts anything).
        required: Keys the top-level object must hold, each with its expected type (``object``
            for any type; a tuple for several).
        formats: Marker keys and their exact expected values, e.g. ``{"format": "aeib-params"}``:
            a different value means the file belongs to another tool or another kind of aeib file.
            Checked before ``required``, so such a file is named for what it is not.
        kind: What a file with the right markers is (``"an aeib style-pair manifest"``), for the
            message when a marker differs.

    Returns:
        The decoded value.

    Raises:
        error: invalid JSON, nesting too deep, numbers that cannot be converted, a top level of
            another type, a marker that differs, or a required key missing or of the wrong type.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"cannot read {source}: it is not valid JSON ({exc})") from None
    except RecursionError:
        raise error(f"cannot read {source}: it is not usable JSON (nested too deeply to read)") from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise error(f"cannot read {source}: it is not usable JSON ({' '.join(str(exc).split())})") from None
    if expect is not None and not _matches(data, expect):
        raise error(f"{source} must hold {_expected_name(expect)} at the top level, got {_type_name(data)}")
    if not isinstance(data, dict):
        return data
    for key, wanted in (formats or {}).items():
        if data.get(key) != wanted:
            what = kind or f"a file with {key} {wanted!r}"
            raise error(f"{source} is not {what} ({key} {data.get(key)!r}, expected {wanted!r})")
    for key, wanted in (required or {}).items():
        if key not in data:
            raise error(f"{source} has no {key!r}")
        if wanted is not object and not _matches(data[key], wanted):
            raise error(f"{source}: {key!r} must be {_expected_name(wanted)}, got {_type_name(data[key])}")
    return data


def read_text(path: str | os.PathLike, what: str, *, error: type[AeibError] = AeibError,
              missing: str | None = None) -> str:
    """The UTF-8 text of a JSON file (a byte-order mark is dropped), every failure as ``error``.

    Args:
        path: The file.
        what: What it is (``"model JSON"``), for messages: ``cannot read model JSON m.json: ...``.
        error: The exception class raised.
        missing: The message for a file that does not exist (default: ``{what} {path} does not exist``).
    """
    path = Path(path)
    try:
        if path.is_dir():
            raise error(f"{what} {path} is a folder, not a JSON file")
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise error(f"{what} {path} is {size / (1 << 20):.0f} MiB, too large to be a JSON file aeib reads")
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise error(missing or f"{what} {path} does not exist") from None
    except UnicodeDecodeError:
        raise error(f"cannot read {what} {path}: not UTF-8 text") from None
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def read_json(path: str | os.PathLike, what: str, *, error: type[AeibError] = AeibError,
              expect: type | tuple[type, ...] | None = dict, required: Mapping[str, Any] | None = None,
              formats: Mapping[str, Any] | None = None, kind: str | None = None,
              missing: str | None = None) -> Any:
    """Read a JSON file and check its shape (see :func:`parse_json`); every message names the file.

    Args:
        path: The file.
        what: What it is, e.g. ``"model JSON"``, ``"dataset manifest"``, ``"parameter file"``.
        error, expect, required, formats, kind: As for :func:`parse_json`.
        missing: The message for a file that does not exist.

    Raises:
        error: for a missing, unreadable, non-UTF-8, invalid or wrongly shaped file.
    """
    text = read_text(path, what, error=error, missing=missing)
    return parse_json(text, f"{what} {Path(path)}", error=error, expect=expect, required=required,
                      formats=formats, kind=kind)
