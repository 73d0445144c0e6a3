"""File formats by extension: the one table of what aeib writes (and with which library), and of
what the data pipeline reads; the container and subtype of an output (:func:`output_format`).

Standard library only: the command line reads these tables (for its help text) without loading
numpy or soundfile.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aeib.errors import OutputError

if TYPE_CHECKING:
    from aeib.audio.info import AudioInfo

SOUNDFILE_OUTPUTS = {".wav": "WAV", ".flac": "FLAC", ".aif": "AIFF", ".aiff": "AIFF", ".ogg": "OGG", ".opus": "OGG"}
"""Outputs soundfile (libsndfile) writes: its container name by extension."""

AAC_SAMPLE_RATES_HZ = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)
"""Sample rates FFmpeg's AAC encoder takes."""
MP3_SAMPLE_RATES_HZ = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
"""Sample rates LAME (MP3) takes."""


@dataclass(frozen=True)
class EncodedFormat:
    """An output written through FFmpeg's libraries (PyAV, :mod:`aeib.avio`).

    Attributes:
        container: Container name as :func:`output_format` returns it (``"M4A"``, ``"MP3"``, ...).
        codec: ``"AAC"`` or ``"MP3"``.
        muxer: FFmpeg muxer (``"ipod"`` for ``.m4a``, ...).
        encoder: FFmpeg audio encoder (``"aac"``, ``"libmp3lame"``).
        max_channels: Most channels written. AAC stops at 5: its 6- and 8-channel layouts carry a
            low-pass LFE channel, which would damage a channel of ordinary audio.
        sample_rates_hz: Sample rates the encoder takes.
        copies_video: Whether the first video stream of a video input is copied (remuxed, not
            re-encoded) next to the new audio.
    """

    container: str
    codec: str
    muxer: str
    encoder: str
    max_channels: int
    sample_rates_hz: tuple[int, ...]
    copies_video: bool = False


ENCODED_OUTPUTS = {
    ".m4a": EncodedFormat("M4A", "AAC", "ipod", "aac", 5, AAC_SAMPLE_RATES_HZ),
    ".mp3": EncodedFormat("MP3", "MP3", "mp3", "libmp3lame", 2, MP3_SAMPLE_RATES_HZ),
    ".mp4": EncodedFormat("MP4", "AAC", "mp4", "aac", 5, AAC_SAMPLE_RATES_HZ, copies_video=True),
    ".mov": EncodedFormat("MOV", "AAC", "mov", "aac", 5, AAC_SAMPLE_RATES_HZ, copies_video=True),
    ".mkv": EncodedFormat("MATROSKA", "AAC", "matroska", "aac", 5, AAC_SAMPLE_RATES_HZ, copies_video=True),
}
"""Outputs written through PyAV, by extension."""

WRITABLE_SUFFIXES = tuple(sorted(SOUNDFILE_OUTPUTS)) + tuple(sorted(ENCODED_OUTPUTS))
"""Every output extension aeib writes."""
VIDEO_OUTPUTS = tuple(suffix for suffix, fmt in ENCODED_OUTPUTS.items() if fmt.copies_video)
"""Outputs that keep the video of a video input."""

SOUNDFILE_INPUTS = (".flac", ".wav", ".aif", ".aiff", ".opus", ".ogg", ".oga", ".mp3")
"""Extensions soundfile decodes itself, lossless first (the order of preference when one recording
exists in several formats). aeib reads any format FFmpeg reads (:mod:`aeib.avio`); these are the
ones with a sample-exact length in the header and sample-exact seeking."""

_FLOAT_SUBTYPES = {"FLOAT", "DOUBLE"}


def is_encoded(container: str, subtype: str) -> bool:
    """Whether :func:`output_format`'s ``(container, subtype)`` is written through PyAV."""
    return any((fmt.container, fmt.codec) == (container, subtype) for fmt in ENCODED_OUTPUTS.values())


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
    if suffix in ENCODED_OUTPUTS:
        from aeib import avio

        avio.check_encodable(Path(output), source.sample_rate, source.channels)
        return ENCODED_OUTPUTS[suffix].container, ENCODED_OUTPUTS[suffix].codec
    if suffix and suffix not in SOUNDFILE_OUTPUTS:
        raise OutputError(f"cannot write {Path(output).name}: unsupported extension {suffix!r} "
                          f"(use one of {', '.join(WRITABLE_SUFFIXES)})")
    container = SOUNDFILE_OUTPUTS.get(suffix, source.format)
    if container == "OGG":
        opus = suffix == ".opus" or (not suffix and source.subtype == "OPUS")
        return container, "OPUS" if opus else "VORBIS"
    if container == "FLAC":
        return container, "PCM_24"
    if container in ("WAV", "AIFF"):
        is_float = source.subtype in _FLOAT_SUBTYPES if float_output is None else float_output
        return container, "FLOAT" if is_float else "PCM_24"
    raise OutputError(f"cannot write {source.format} files; choose a .wav or .flac output")
