"""Shard files: deterministic, atomically written ``.npz`` archives of rendered examples.

A shard ``{split}-{k:05d}.npz`` holds ``n`` examples of one split:

* ``input``, ``target``, ``reference`` — float16[n, samples], mono audio at the dataset rate;
* ``params`` — float32[n, n_params], the applied setting in physical units (schema order);
* ``params01`` — float32[n, n_params], the same setting normalized to [0, 1] by the schema;
* ``style`` — int16[n], index into :data:`aeib.data.styles.STYLE_NAMES`;
* ``meta`` — uint8[bytes], UTF-8 JSON: the shard's digest and one record per example.

**Why float16.** It halves the size of float32 (4 000 examples × 3 signals × 5 s × 24 kHz mono are
1.44 G samples: 5.8 GB in float32, 2.9 GB in float16) like int16 would, but keeps the absolute level without a
scale factor and cannot clip: signals after the room IR may peak above 0 dBFS, and the compressor's
behaviour depends on absolute level, so a fixed-point format would need either headroom (losing
resolution) or per-signal scales. float16 has an 11-bit mantissa: its rounding error is about
−66 dB relative to each sample at any level (subnormal below −84 dBFS), far under the differences
the analyzer must hear.

**Why hand-written zip.** ``numpy.savez`` stamps the current time into every member, so two runs
would differ in bytes. Members here carry a fixed date, are stored uncompressed (float16 music does
not deflate usefully) and are written in sorted order, so equal arrays give equal files. Files are
written to a temporary name and renamed into place only when complete; :func:`shard_is_valid` is how a
resumed run tells a finished shard from a damaged or outdated one.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from aeib.audio import atomic_output
from aeib.errors import AeibError
from aeib.jsonio import parse_json

SHARD_FORMAT_VERSION = 1
AUDIO_DTYPE = np.float16
SIGNALS = ("input", "target", "reference")
MEMBERS = SIGNALS + ("params", "params01", "style", "meta")
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def write_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` as an ``.npz`` whose bytes depend only on the arrays; atomically.

    Raises:
        OutputError: if the folder does not exist or is not writable.
    """
    with atomic_output(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name in sorted(arrays):
                info = zipfile.ZipInfo(f"{name}.npy", date_time=_FIXED_DATE)
                info.external_attr = 0o644 << 16
                with archive.open(info, "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.ascontiguousarray(arrays[name]), allow_pickle=False)


def encode_meta(meta: dict) -> np.ndarray:
    """JSON (sorted keys) as a uint8 array for storage in a shard."""
    return np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8)


def decode_meta(array: np.ndarray) -> dict:
    """The ``meta`` member's JSON object (checked by :func:`aeib.jsonio.parse_json`).

    Raises:
        AeibError: if it is not UTF-8 text holding a JSON object.
    """
    try:
        text = np.asarray(array, dtype=np.uint8).tobytes().decode("utf-8")
    except UnicodeDecodeError:
        raise AeibError("shard metadata is not UTF-8 text") from None
    return parse_json(text, "shard metadata")


def read_meta(path: str | Path) -> dict:
    """Only the ``meta`` member of a shard (cheap: the audio is not read)."""
    with np.load(path, allow_pickle=False) as data:
        return decode_meta(data["meta"])


def read_shard(path: str | Path) -> dict[str, np.ndarray | dict]:
    """Every member of a shard; ``meta`` decoded to a dict, audio left in float16."""
    with np.load(path, allow_pickle=False) as data:
        out: dict[str, np.ndarray | dict] = {name: data[name] for name in MEMBERS if name != "meta"}
        out["meta"] = decode_meta(data["meta"])
    return out


def shard_is_valid(path: str | Path, digest: str, n_examples: int) -> bool:
    """True if ``path`` is a complete, undamaged shard for the plan with ``digest``.

    Checks the zip structure and every member's CRC, the member list, the recorded digest and
    format version, and the example count of every array.
    """
    path = Path(path)
    if not path.is_file():
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            if archive.testzip() is not None:
                return False
            if sorted(archive.namelist()) != sorted(f"{m}.npy" for m in MEMBERS):
                return False
        meta = read_meta(path)
        if meta.get("digest") != digest or meta.get("format_version") != SHARD_FORMAT_VERSION:
            return False
        with np.load(path, allow_pickle=False) as data:
            return all(data[name].shape[0] == n_examples for name in MEMBERS if name != "meta") \
                and len(meta.get("examples", [])) == n_examples
    except Exception:  # any damage means "render it again"
        return False


def member_layout(path: str | Path) -> dict[str, tuple[int, int, np.dtype, tuple[int, ...]]]:
    """Where each array's raw bytes sit in a shard: ``{name: (offset, n_bytes, dtype, shape)}``.

    Shards are stored (not deflated) zips of ``.npy`` members, so every array is one contiguous run
    of bytes in the file; readers that cannot run Python (a ``tf.data`` pipeline) slice them out
    directly. Raises ValueError for a compressed member or a Fortran-ordered array.
    """
    layout = {}
    with open(path, "rb") as handle, zipfile.ZipFile(handle) as archive:
        for info in archive.infolist():
            if info.compress_type != zipfile.ZIP_STORED:
                raise ValueError(f"{path}: member {info.filename} is compressed")
            handle.seek(info.header_offset)
            local = handle.read(30)
            name_len, extra_len = int.from_bytes(local[26:28], "little"), int.from_bytes(local[28:30], "little")
            start = info.header_offset + 30 + name_len + extra_len
            handle.seek(start)
            version = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(handle)
            if fortran:
                raise ValueError(f"{path}: member {info.filename} is Fortran-ordered")
            offset = handle.tell()
            layout[info.filename[:-4]] = (offset, int(np.prod(shape, dtype=np.int64)) * dtype.itemsize, dtype, shape)
    return layout
