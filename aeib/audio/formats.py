"""Which file formats aeib writes, by extension, and the container and subtype of an output.

Standard library only: the command line reads these tables (for its help text) without loading
numpy or soundfile.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aeib.errors import OutputError

if TYPE_CHECKING:
    from aeib.audio.info import AudioInfo

# Container formats aeib writes, by file extension.
_FORMAT_BY_SUFFIX = {".wav": "WAV", ".flac": "FLAC", ".aif": "AIFF", ".aiff": "AIFF", ".ogg": "OGG", ".opus": "OGG"}
_ENCODED_BY_SUFFIX = {".m4a": ("M4A", "AAC"), ".mp3": ("MP3", "MP3"), ".mp4": ("MP4", "AAC"), ".mov": ("MOV", "AAC"),
                      ".mkv": ("MATROSKA", "AAC")}
"""Outputs written through PyAV (:data:`aeib.avio.ENCODED_OUTPUTS`), as (container, codec)."""
WRITABLE_SUFFIXES = tuple(sorted(_FORMAT_BY_SUFFIX)) + tuple(sorted(_ENCODED_BY_SUFFIX))
"""Every output extension aeib writes."""
_FLOAT_SUBTYPES = {"FLOAT", "DOUBLE"}


def output_format(output: str | os.PathLike, source: AudioInfo, float_output: bool | None = None) -> tuple[str, str]:
    """Container and subtype for writing ``output`` from audio read from ``source``.

    The container follows the output's extension (unknown or missing extension: the source's
    container). For WAV/AIFF the subtype is FLOAT if the source was floating point (or
    ``float_output`` is True) and PCM_24 otherwise; FLAC is PCM_24; OGG is Vorbis, ``.opus`` Opus;
    ``.m4a``/``.mp4``/``.mov``/``.mkv`` are AAC and ``.mp3`` MP3 (through PyAV, see :mod:`aeib.avio`).

    Raises:
        OutputError: for an extension aeib cannot write, or a rate or channel count its encoder
            cannot take (AAC: up to 5 channels at the standard rates 8–96 kHz; MP3: up to 2 channels
            at 8–48 kHz).
    """
    suffix = Path(output).suffix.lower()
    if suffix in _ENCODED_BY_SUFFIX:
        from aeib import avio

        avio.check_encodable(Path(output), source.sample_rate, source.channels)
        return _ENCODED_BY_SUFFIX[suffix]
    if suffix and suffix not in _FORMAT_BY_SUFFIX:
        raise OutputError(f"cannot write {Path(output).name}: unsupported extension {suffix!r} "
                          f"(use one of {', '.join(WRITABLE_SUFFIXES)})")
    container = _FORMAT_BY_SUFFIX.get(suffix, source.format)
    if container == "OGG":
        opus = suffix == ".opus" or (not suffix and source.subtype == "OPUS")
        return container, "OPUS" if opus else "VORBIS"
    if container == "FLAC":
        return container, "PCM_24"
    if container in ("WAV", "AIFF"):
        is_float = source.subtype in _FLOAT_SUBTYPES if float_output is None else float_output
        return container, "FLOAT" if is_float else "PCM_24"
    raise OutputError(f"cannot write {source.format} files; choose a .wav or .flac output")
