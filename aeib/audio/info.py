"""What an audio file holds, read from its header: :class:`AudioInfo` and :func:`audio_info`.

soundfile reads the header of WAV, FLAC, OGG/Vorbis, Opus, AIFF, MP3, ...; everything else goes
through FFmpeg's libraries (:func:`aeib.avio.probe`, imported only then).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

from aeib.audio.messages import exception_text
from aeib.errors import AudioError


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds, without reading its samples.

    Attributes:
        backend: ``"soundfile"`` or ``"av"`` (FFmpeg through PyAV: the first audio stream).
        video_codec: The first video stream's codec (``"h264"``, ...) if the file has one.
        exact_frames: False when ``frames`` is the container's estimate (Matroska/WebM, files that
            declare no duration): the decoded stream may then be a few milliseconds longer or shorter.
    """

    path: Path
    sample_rate: int
    channels: int
    frames: int
    format: str
    subtype: str
    backend: str = "soundfile"
    video_codec: str | None = None
    exact_frames: bool = True

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0

def audio_info(path: str | os.PathLike) -> AudioInfo:
    """Header information of an audio file.

    Raises:
        AudioError: if the file does not exist or is not readable audio.
    """
    path = Path(path)
    if path.is_dir():
        raise AudioError(f"{path} is a directory, not an audio file")
    if not path.exists():
        raise AudioError(f"no such file: {path}")
    if not path.is_file():
        raise AudioError(f"{path} is not a regular file")
    try:
        info = sf.info(str(path))
    except Exception as exc:  # soundfile raises several types for corrupt files: try FFmpeg
        from aeib import avio

        try:
            return avio.probe(path)
        except AudioError as av_exc:
            if "(a video without sound)" in str(av_exc):
                raise
        raise AudioError(f"cannot read {path}: not a readable audio file ({exception_text(exc)})") from None
    if info.samplerate <= 0 or info.channels <= 0:
        raise AudioError(f"cannot read {path}: invalid header (rate {info.samplerate}, channels {info.channels})")
    return AudioInfo(path, info.samplerate, info.channels, info.frames, info.format, info.subtype)

def header_overstates_length(path: str | os.PathLike) -> bool:
    """True if the file's header promises more audio than the file holds (a truncated WAV/AIFF).

    libsndfile then reads just the frames present; :func:`audio_info` reports that shorter length.
    """
    try:
        with sf.SoundFile(str(path)) as handle:
            log = handle.extra_info
    except Exception:
        return False
    return any(line.split(":", 1)[0].strip() in ("data", "SSND", "RIFF", "FORM") and "should be" in line
               for line in log.splitlines())
