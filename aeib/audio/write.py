"""Writing audio atomically (see :mod:`aeib.audio.atomic`): block by block with
:class:`AtomicAudioWriter` or a whole signal with :func:`write_audio`.

soundfile writes WAV/FLAC/AIFF/OGG/Opus; PyAV (:mod:`aeib.avio`) writes m4a (AAC), mp3 and
mp4/mov/mkv (AAC, with the video of a video input copied).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from aeib.audio import atomic
from aeib.audio.formats import is_encoded
from aeib.audio.messages import exception_text
from aeib.errors import OutputError


def _describe_write_error(exc: Exception) -> str:
    """Like :func:`~aeib.audio.messages.exception_text`, but with the OS reason where libsndfile only says "System error."."""
    text = exception_text(exc)
    if isinstance(exc, sf.LibsndfileError) and "System error" in text:
        code = getattr(getattr(sf, "_ffi", None), "errno", 0)  # errno of libsndfile's failed write (ENOSPC, EFBIG)
        if code:
            return os.strerror(code)
    return text

class AtomicAudioWriter:
    """Write audio block by block into a temporary file that replaces ``path`` on success.

    Use as a context manager; an exception inside the ``with`` block (including
    KeyboardInterrupt) removes the temporary file and leaves ``path`` untouched.

    Args:
        path: The output file.
        sample_rate, channels: Of the audio written.
        container, subtype: As :func:`output_format` returns them; the AAC/MP3 containers are
            written through PyAV.
        bitrate_kbps: AAC/MP3 bit rate (default :data:`aeib.avio.DEFAULT_BITRATE_KBPS`); ignored otherwise.
        video_from: For ``.mp4``/``.mov``/``.mkv``: a file whose first video stream is copied
            (remuxed untouched) beside the audio; ignored if it has none or for other outputs.
    """

    def __init__(self, path: str | os.PathLike, sample_rate: int, channels: int, container: str, subtype: str,
                 *, bitrate_kbps: int | None = None, video_from: str | os.PathLike | None = None):
        self.path = Path(path)
        self._args = dict(samplerate=sample_rate, channels=channels, format=container, subtype=subtype)
        self._encoded = is_encoded(container, subtype)
        self._bitrate_kbps = bitrate_kbps
        self._video_from = Path(video_from) if video_from is not None else None
        if self._encoded:
            from aeib import avio

            avio.check_bitrate(bitrate_kbps)

    def _open(self):
        if not self._encoded:
            return sf.SoundFile(str(self._tmp), mode="w", **self._args)
        from aeib import avio

        return avio.EncodedWriter(self._tmp, self.path, self._args["samplerate"], self._args["channels"],
                                  self._bitrate_kbps, self._video_from)

    def __enter__(self) -> "AtomicAudioWriter":
        self._tmp = atomic.temporary_path_for(self.path)
        try:
            atomic.create_empty(self._tmp, self.path)
            self._handle = self._open()
        except Exception as exc:
            self._tmp.unlink(missing_ok=True)
            if isinstance(exc, OutputError):
                raise
            raise OutputError(f"cannot write {self.path}: {exception_text(exc)}") from None
        except BaseException:  # Ctrl-C right after the file appeared
            self._tmp.unlink(missing_ok=True)
            raise
        return self

    def write(self, block: np.ndarray) -> None:
        """Append frames (float[frames] or float[frames, channels])."""
        try:
            self._handle.write(block)
        except OutputError:
            raise
        except Exception as exc:
            raise OutputError(f"cannot write {self.path}: {_describe_write_error(exc)}") from None

    def __exit__(self, exc_type, exc, tb) -> None:
        committed = False
        try:
            try:
                self._handle.close()
            except Exception as close_exc:  # e.g. the disk filled up while flushing
                if exc is None and isinstance(close_exc, OutputError):
                    raise
                if exc is None:
                    raise OutputError(f"cannot write {self.path}: {_describe_write_error(close_exc)}") from None
                return
            if exc is None:
                atomic.commit(self._tmp, self.path)
                committed = True
        finally:
            if not committed:  # also when an interrupt arrives during the close or the rename
                self._tmp.unlink(missing_ok=True)

def write_audio(path: str | os.PathLike, audio: np.ndarray, sample_rate: int,
                container: str = "WAV", subtype: str = "FLOAT", *, bitrate_kbps: int | None = None) -> None:
    """Write a whole signal atomically (``container``/``subtype`` as :func:`output_format` gives them)."""
    channels = 1 if np.ndim(audio) == 1 else np.shape(audio)[1]
    with AtomicAudioWriter(path, sample_rate, channels, container, subtype, bitrate_kbps=bitrate_kbps) as writer:
        writer.write(audio)
