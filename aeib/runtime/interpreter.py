"""Find a TFLite interpreter without importing TensorFlow unless nothing lighter is installed.

Order: ``ai_edge_litert`` (LiteRT, a base dependency of aeib), then ``tflite_runtime``, then
``tensorflow.lite`` (only when both are missing, e.g. in an old training environment).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator, Mapping

from aeib.runtime.errors import ModelError
from aeib.runtime.tflite_info import FlatbufferError, read_tflite_info

INTERPRETER_MODULES = ("ai_edge_litert.interpreter", "tflite_runtime.interpreter", "tensorflow.lite")
"""Modules tried in order; each provides an ``Interpreter`` class with the same API."""

_DISTRIBUTIONS = {"ai_edge_litert": ("ai-edge-litert",), "tflite_runtime": ("tflite-runtime",),
                  "tensorflow": ("tensorflow", "tensorflow-cpu", "tf-nightly")}
_MISSING_OP = re.compile(r"Didn't find op for builtin opcode '([A-Z0-9_]+)' version '(\d+)'")


def runtime_name(cls: type) -> str:
    """``"<package> <version>"`` of an interpreter class, e.g. ``"tflite_runtime 2.14.0"``."""
    package = cls.__module__.split(".")[0]
    module = sys.modules.get(package)
    version = getattr(module, "__version__", None)
    for dist in _DISTRIBUTIONS.get(package, ()):
        if version:
            break
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return f"{package} {version or '(unknown version)'}"


def load_error(path: Path, cls: type, exc: BaseException, bundle: Mapping[str, Any] | None = None) -> ModelError:
    """The one-line error for a model an interpreter refused, naming what it needs when that is the cause.

    When the interpreter lacks an operator version, the message names the operator and version, the
    runtime the model needs (the file's own ``min_runtime_version``) and the runtime installed;
    otherwise the file is reported as not a valid TFLite model.
    """
    detail = str(exc).strip().splitlines()
    missing = _MISSING_OP.search(str(exc))
    if missing is None:
        return ModelError(f"cannot load model {path}: not a valid TFLite model "
                          f"({detail[0] if detail else type(exc).__name__})")
    try:
        needs = read_tflite_info(path.read_bytes()).min_runtime_version
    except (OSError, FlatbufferError):
        needs = ""
    if not needs and isinstance(bundle, Mapping) and isinstance(bundle.get("runtime"), Mapping):
        needs = str(bundle["runtime"].get("min_runtime_version", ""))
    wanted = f"TFLite runtime {needs} or newer" if needs else "a newer TFLite runtime"
    return ModelError(f"cannot load model {path}: it needs {wanted} (operator {missing.group(1)} version "
                      f"{missing.group(2)}), but the installed interpreter is {runtime_name(cls)}; "
                      "install a newer one (`pip install -U ai-edge-litert`) or use a model exported by this "
                      "aeib (every shipped model loads on tflite-runtime 2.14)")


def interpreter_class(modules: tuple[str, ...] = INTERPRETER_MODULES) -> type:
    """The first available ``Interpreter`` class.

    Raises:
        ModelError: if none of ``modules`` can be imported.
    """
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        interpreter: type | None = getattr(module, "Interpreter", None)
        if interpreter is not None:
            return interpreter
    raise ModelError("no TFLite interpreter is installed; run `pip install ai-edge-litert`")


@contextlib.contextmanager
def _without_native_info() -> Iterator[None]:
    """Hide the interpreter's native ``INFO:`` lines (e.g. "Created TensorFlow Lite XNNPACK delegate")
    written straight to file descriptor 2; any other native output is passed on to stderr."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            other = [line for line in capture.read().decode(errors="replace").splitlines()
                     if line.strip() and not line.startswith("INFO: ")]
            if other:
                print("\n".join(other), file=sys.stderr)


def make_interpreter(model_path: str | os.PathLike[str], num_threads: int = 1,
                     modules: tuple[str, ...] = INTERPRETER_MODULES, bundle: Mapping[str, Any] | None = None) -> Any:
    """Create an interpreter for a ``.tflite`` file and allocate its tensors.

    Args:
        model_path: The ``.tflite`` file.
        num_threads: CPU threads the interpreter may use (1 = the measured default).
        modules: Interpreter modules to try, in order.
        bundle: The model's decoded bundle JSON, if any (its ``runtime`` block names the runtime the
            model needs, for the error message).

    Raises:
        ModelError: if no interpreter is installed, ``num_threads`` < 1, the file is not a model the
            interpreter can load, or the model needs a newer runtime (the message names both versions).
    """
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
        raise ModelError(f"the interpreter needs at least one thread, got {num_threads!r}")
    cls = interpreter_class(modules)
    path = Path(model_path)
    try:
        with _without_native_info():
            interpreter = cls(model_path=str(path), num_threads=num_threads)
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        raise load_error(path, cls, exc, bundle) from None
    return interpreter
