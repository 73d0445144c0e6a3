"""Digests: bytes and files hash alike, to the standard SHA-256."""

import hashlib

from aeib.hashing import CHUNK_BYTES, bytes_sha256, file_sha256


def test_bytes_and_file_digests_agree(tmp_path):
    data = bytes(range(256)) * (CHUNK_BYTES // 256 + 3)   # more than one read chunk
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert bytes_sha256(data) == file_sha256(path) == hashlib.sha256(data).hexdigest()
    assert bytes_sha256(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
