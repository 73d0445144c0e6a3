"""Digests: the SHA-256 that identifies a dataset manifest, a model file, a run's data or a golden vector.

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


def bytes_sha256(data: bytes) -> str:
    """Hex SHA-256 of bytes in memory (64 lowercase hex digits), equal to :func:`file_sha256` of a file
    holding them."""
    return hashlib.sha256(data).hexdigest()
