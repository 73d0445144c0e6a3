"""Keep TensorFlow's and the TFLite converter's C++ log lines off the user's terminal."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from typing import Iterator


@contextlib.contextmanager
def quiet_fds() -> Iterator[None]:
    """Drop what is written to stdout/stderr while the block runs: Python's ``sys.stdout``/``sys.stderr``
    and the C++ side's file descriptors 1 and 2 alike.

    Python exceptions still propagate (with their messages); only log chatter is dropped. Used around
    ``import tensorflow`` (start-up banners) and ``TFLiteConverter.convert`` (MLIR pass logs).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as sink, contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        saved = [os.dup(1), os.dup(2)]
        try:
            for fd in (1, 2):
                os.dup2(sink.fileno(), fd)
            yield
        finally:
            for fd, copy in zip((1, 2), saved):
                os.dup2(copy, fd)
                os.close(copy)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow (and Keras) once, without its start-up log lines."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with quiet_fds():
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
