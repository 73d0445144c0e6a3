"""The dataset manifest: one JSON file that explains every shard and every example.

``manifest.json`` (beside the shards) holds:

* ``format``, ``format_version``, ``aeib_version``;
* ``config`` — every option that shaped the data (seed, counts, sample rate, styles, room ranges, ...);
* ``corpus`` — root, layout, tracks and hours per split, each track's split, and the skipped files
  by reason (``unreadable``, ``too_short``, ``low_sample_rate``, ``silent``, ``duplicate``) with counts;
* ``irs`` — every room and phone IR with its id and description (geometry, RT60, filter settings);
* ``schema`` and ``styles`` — the parameter schema and each style's distribution;
* ``shards`` — file, split, example count, SHA-256 of the file;
* ``examples`` — one record per example: split, index, seed, track id, file, offsets (frames and
  seconds), style, exact applied settings (physical units), IR ids, noise SNR, AGC, source gain and
  peak levels.

It contains no time stamps, host names or output paths, so the same command writes the same bytes;
:func:`aeib.hashing.file_sha256` of it identifies a dataset.
"""

from __future__ import annotations

import json
from pathlib import Path

from aeib.audio import atomic_output
from aeib.data.corpus import CorpusError
from aeib.hashing import file_sha256  # noqa: F401  (re-exported: the digest that identifies a dataset)
from aeib.jsonio import read_json

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "aeib-style-pairs"
MANIFEST_FORMAT_VERSION = 1


def dumps(manifest: dict) -> str:
    """The canonical text of a manifest (sorted keys, two-space indent, trailing newline)."""
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_manifest(out_dir: str | Path, manifest: dict) -> Path:
    """Write ``out_dir/manifest.json`` atomically; returns its path."""
    path = Path(out_dir) / MANIFEST_NAME
    with atomic_output(path) as tmp:
        tmp.write_text(dumps(manifest), encoding="utf-8")
    return path


def load_manifest(data_dir: str | Path) -> dict:
    """Read the manifest of a dataset folder.

    Raises:
        CorpusError: if there is no readable manifest of the expected format.
    """
    path = Path(data_dir) / MANIFEST_NAME
    return read_json(path, "dataset manifest", error=CorpusError,
                     formats={"format": MANIFEST_FORMAT, "format_version": MANIFEST_FORMAT_VERSION},
                     kind="an aeib style-pair manifest (written by `aeib make-data`)",
                     required={"audio": dict, "shards": list},
                     missing=f"{data_dir} holds no {MANIFEST_NAME}; run `aeib make-data` first")


def shard_files(data_dir: str | Path, split: str, manifest: dict | None = None) -> list[Path]:
    """Paths of the shards of ``split``, in manifest order."""
    manifest = manifest if manifest is not None else load_manifest(data_dir)
    return [Path(data_dir) / shard["file"] for shard in manifest["shards"] if shard["split"] == split]
