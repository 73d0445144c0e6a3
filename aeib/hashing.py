"""File digests: the SHA-256 that identifies a dataset manifest, a model file or a run's data.

Standard library only (no numpy, no TensorFlow), so that every layer may use it.
"""

from __future__ import annotations

import hashlib
import os

CHUNK_BYTES = 1 << 20
"""Files are hashed in pieces of this many bytes (1 MiB), so any size fits in memory."""


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes (64 lowercase hex digits).

    Raises:
        OSError: If the file cannot be opened or read.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()
