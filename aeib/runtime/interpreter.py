"""Find a TFLite interpreter without importing TensorFlow unless nothing lighter is installed.

Order: ``ai_edge_litert`` (LiteRT, a base dependency of aeib), then ``tflite_runtime``, then
``tensorflow.lite`` (only when both are missing, e.g. in an old training environment).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import tempfile
from pathlib import Path

from aeib.runtime.errors import ModelError

INTERPRETER_MODULES = ("ai_edge_litert.interpreter", "tflite_runtime.interpreter", "tensorflow.lite")
"""Modules tried in order; each provides an ``Interpreter`` class with the same API."""


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
        interpreter = getattr(module, "Interpreter", None)
        if interpreter is not None:
            return interpreter
    raise ModelError("no TFLite interpreter is installed; run `pip install ai-edge-litert`")


@contextlib.contextmanager
def _without_native_info() -> None:
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


def make_interpreter(model_path: str | os.PathLike, num_threads: int = 1,
                     modules: tuple[str, ...] = INTERPRETER_MODULES):
    """Create an interpreter for a ``.tflite`` file and allocate its tensors.

    Args:
        model_path: The ``.tflite`` file.
        num_threads: CPU threads the interpreter may use (1 = the measured default).
        modules: Interpreter modules to try, in order.

    Raises:
        ModelError: if no interpreter is installed, ``num_threads`` < 1, or the file is not a
            model the interpreter can load.
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
        detail = str(exc).strip().splitlines()
        raise ModelError(f"cannot load model {path}: not a valid TFLite model "
                         f"({detail[0] if detail else type(exc).__name__})") from None
    return interpreter
