"""Audio I/O and resampling — the one place the package touches audio files.

Arrays follow the package layout: ``float32[samples]`` or ``float32[samples, channels]``.
Reading uses soundfile (WAV, FLAC, OGG/Vorbis, Opus, AIFF, MP3, ...) and, for everything soundfile
does not read (m4a/AAC/ALAC, mp4/mov/mkv/webm videos, ...), FFmpeg's libraries through PyAV
(:mod:`aeib.avio`); writing uses soundfile for WAV/FLAC/AIFF/OGG/Opus and PyAV for m4a (AAC), mp3
and mp4/mov/mkv (AAC, with the video of a video input copied). Resampling uses soxr; loudness is
measured in :mod:`aeib.dsp.loudness`. Every failure a user can cause raises
:class:`~aeib.errors.AudioError` or :class:`~aeib.errors.OutputError` with a one-line message.

Outputs are written atomically: to a temporary file beside the target, renamed over the target
only once complete, so an interrupted or failed write never leaves a partial file and never
damages an existing one. Temporary files are hidden and named
``.<target name>.aeib-<pid>-<random>.partial<target suffix>``; a process killed outright
(``kill -9``) can leave one behind, and the next write to the same target removes it once no
process with that pid is running (see docs/RELIABILITY.md).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import soundfile as sf

from aeib.errors import AudioError, OutputError

# Container formats aeib writes, by file extension.
_FORMAT_BY_SUFFIX = {".wav": "WAV", ".flac": "FLAC", ".aif": "AIFF", ".aiff": "AIFF", ".ogg": "OGG", ".opus": "OGG"}
_ENCODED_BY_SUFFIX = {".m4a": ("M4A", "AAC"), ".mp3": ("MP3", "MP3"), ".mp4": ("MP4", "AAC"), ".mov": ("MOV", "AAC"),
                      ".mkv": ("MATROSKA", "AAC")}
"""Outputs written through PyAV (:data:`aeib.avio.ENCODED_OUTPUTS`), as (container, codec)."""
WRITABLE_SUFFIXES = tuple(sorted(_FORMAT_BY_SUFFIX)) + tuple(sorted(_ENCODED_BY_SUFFIX))
"""Every output extension aeib writes."""
_FLOAT_SUBTYPES = {"FLOAT", "DOUBLE"}
TEMP_MARKER = ".aeib-"
"""Temporary outputs are called ``.<name>.aeib-<pid>-<random>.partial<suffix>``."""
_TEMP_PID = re.compile(r"\.aeib-(\d+)-[^.]*\.partial")


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


def _describe(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def _describe_write_error(exc: Exception) -> str:
    """Like :func:`_describe`, but with the OS reason where libsndfile only says "System error."."""
    text = _describe(exc)
    if isinstance(exc, sf.LibsndfileError) and "System error" in text:
        code = getattr(getattr(sf, "_ffi", None), "errno", 0)  # errno of libsndfile's failed write (ENOSPC, EFBIG)
        if code:
            return os.strerror(code)
    return text


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
        raise AudioError(f"cannot read {path}: not a readable audio file ({_describe(exc)})") from None
    if info.samplerate <= 0 or info.channels <= 0:
        raise AudioError(f"cannot read {path}: invalid header (rate {info.samplerate}, channels {info.channels})")
    return AudioInfo(path, info.samplerate, info.channels, info.frames, info.format, info.subtype)


def read_audio(path: str | os.PathLike, always_2d: bool = False) -> tuple[np.ndarray, int]:
    """Read a whole file as float32 in [-1, 1].

    Args:
        path: Audio file.
        always_2d: Return ``(samples, channels)`` even for mono.

    Returns:
        ``(audio, sample_rate)``.

    Raises:
        AudioError: unreadable, damaged or empty file, or one holding NaN or infinite samples.
    """
    info = audio_info(path)
    if info.backend == "av":
        blocks = list(iter_blocks(info.path, 1 << 16))
        if not blocks:
            raise AudioError(f"{info.path} holds no audio samples")
        audio = np.concatenate(blocks)
        audio = audio if always_2d or audio.shape[1] > 1 else audio[:, 0]
        check_finite(audio, info.path)
        return audio, info.sample_rate
    try:
        audio, sample_rate = sf.read(str(info.path), dtype="float32", always_2d=always_2d)
    except Exception as exc:
        raise AudioError(f"cannot read {info.path}: {_describe(exc)}") from None
    if audio.shape[0] == 0:
        raise AudioError(f"{info.path} holds no audio samples")
    check_finite(audio, info.path)
    return audio, sample_rate


def iter_blocks(path: str | os.PathLike, block_frames: int) -> Iterator[np.ndarray]:
    """Stream a file as float32[frames, channels] blocks of at most ``block_frames`` frames.

    Only one block is held at a time, so memory does not grow with the file's length.

    Raises:
        AudioError: if the file cannot be opened, or is damaged part-way (the blocks before the
            damage have been yielded by then).
    """
    info = audio_info(path)
    if info.backend == "av":
        from aeib import avio

        yield from avio.iter_blocks(info, block_frames)
        return
    frames = 0
    try:
        handle = sf.SoundFile(str(info.path))
    except Exception as exc:
        raise AudioError(f"cannot read {info.path}: {_describe(exc)}") from None
    with handle:
        while True:
            try:
                block = handle.read(block_frames, dtype="float32", always_2d=True)
            except Exception as exc:  # libsndfile and its decoders raise several types
                raise AudioError(f"cannot read {info.path}: damaged or truncated after "
                                 f"{frames / info.sample_rate:.1f} s ({_describe(exc)})") from None
            if block.shape[0] == 0:
                return
            frames += block.shape[0]
            yield block


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


def to_mono(audio: np.ndarray) -> np.ndarray:
    """float64[samples] from float[samples] or float[samples, channels] (channels averaged)."""
    audio = np.asarray(audio, dtype=np.float64)
    return audio.mean(axis=1) if audio.ndim == 2 else audio


def check_finite(block: np.ndarray, path: str | os.PathLike) -> None:
    """Raise AudioError if ``block`` holds NaN or infinite samples."""
    if not np.isfinite(block).all():
        raise AudioError(f"{path} contains NaN or infinite samples; refusing to process it")


def resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample with soxr (high quality); returns float32 of the same layout."""
    if rate_in == rate_out:
        return np.asarray(audio, dtype=np.float32)
    import soxr

    return soxr.resample(np.asarray(audio, dtype=np.float32), rate_in, rate_out, quality="HQ").astype(np.float32)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True if the two paths name the same file (following links)."""
    a, b = Path(a), Path(b)
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


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


def _pid_is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return pid > 0  # PermissionError: someone else's live process
    return True


def stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Temporary files that a killed aeib process left beside ``path`` while writing it.

    A temporary file counts as stale when the process whose pid is in its name is no longer
    running on this machine.
    """
    path = Path(path)
    stale = []
    try:
        pattern = f".{glob.escape(path.name)}{TEMP_MARKER}*.partial{glob.escape(path.suffix)}"
        candidates = list(path.parent.glob(pattern))
    except OSError:
        return []
    for candidate in candidates:
        match = _TEMP_PID.search(candidate.name[len(path.name) + 1:])
        if match and not _pid_is_running(int(match.group(1))):
            stale.append(candidate)
    return stale


def check_output_path(path: str | os.PathLike) -> Path:
    """Fail early, before any work, if ``path`` cannot be written.

    Raises:
        OutputError: if ``path`` is a directory, or its directory is missing, not a directory or
            not writable by this user.
    """
    path = Path(path)
    directory = path.parent
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a directory")
    if not directory.exists():
        raise OutputError(f"cannot write {path}: directory {directory} does not exist")
    if not directory.is_dir():
        raise OutputError(f"cannot write {path}: {directory} is not a directory")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: no permission to create files in {directory}")
    return path


def _temporary_name(path: Path) -> Path:
    """A fresh temporary name beside ``path`` (not created yet); stale leftovers for ``path`` are removed.

    The name is chosen before the file exists so that clean-up code covering the creation always
    knows what to delete, even when an interrupt lands right after the file appears.
    """
    directory = check_output_path(path).parent
    for stale in stale_temporaries(path):
        with contextlib.suppress(OSError):
            stale.unlink()
    return directory / f".{path.name}{TEMP_MARKER}{os.getpid()}-{secrets.token_hex(4)}.partial{path.suffix}"


def _create_empty(tmp: Path, target: Path) -> None:
    """Create ``tmp`` exclusively, with the permissions an ordinary new file gets (0666 minus the umask).

    Raises:
        OutputError: if it cannot be created.
    """
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None


def _commit(tmp: Path, path: Path) -> None:
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    Whatever ends the block early (an error, Ctrl-C, SIGTERM) removes the temporary file.

    Raises:
        OutputError: if the directory does not exist or is not writable, or an ``OSError`` (such
            as a full disk) interrupts the block.
    """
    path = Path(path)
    tmp = _temporary_name(path)
    try:
        _create_empty(tmp, path)
        try:
            yield tmp
        except OSError as exc:  # a full disk, a quota, a vanished folder: the environment, not a bug
            raise OutputError(f"cannot write {path}: {exc.strerror or _describe(exc)}") from None
        _commit(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
        self._encoded = (container, subtype) in _ENCODED_BY_SUFFIX.values()
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
        self._tmp = _temporary_name(self.path)
        try:
            _create_empty(self._tmp, self.path)
            self._handle = self._open()
        except Exception as exc:
            self._tmp.unlink(missing_ok=True)
            if isinstance(exc, OutputError):
                raise
            raise OutputError(f"cannot write {self.path}: {_describe(exc)}") from None
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
                _commit(self._tmp, self.path)
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


def read_frames(path: str | os.PathLike, start_frame: int, n_frames: int) -> np.ndarray:
    """Read ``n_frames`` frames from ``start_frame`` on, zero-padded where the range leaves the file.

    Seeking is sample-exact for the formats soundfile reads (WAV, FLAC, Ogg Vorbis, Opus), so a
    segment read this way equals the same slice of the whole decoded file; for the formats read
    through FFmpeg it starts decoding half a second early (see :mod:`aeib.avio`).

    Args:
        path: Audio file.
        start_frame: First frame (may be negative: the part before the file start is zeros).
        n_frames: Number of frames to return.

    Returns:
        float32[n_frames, channels].

    Raises:
        AudioError: if the file cannot be read.
    """
    info = audio_info(path)
    if info.backend == "av":
        from aeib import avio

        return avio.read_frames(info, start_frame, n_frames)
    out = np.zeros((max(0, n_frames), info.channels), dtype=np.float32)
    first = max(0, start_frame)
    stop = min(start_frame + n_frames, info.frames)
    if stop <= first:
        return out
    try:
        with sf.SoundFile(str(info.path)) as handle:
            handle.seek(first)
            block = handle.read(stop - first, dtype="float32", always_2d=True)
    except Exception as exc:  # the header was readable (audio_info), so the data is damaged
        raise AudioError(f"cannot read {info.path}: damaged or truncated ({_describe(exc)})") from None
    out[first - start_frame:first - start_frame + block.shape[0]] = block
    return out
