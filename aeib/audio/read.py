"""Reading samples: a whole file (:func:`read_audio`), block by block (:func:`iter_blocks`) or one
segment (:func:`read_frames`), as float32 in [-1, 1] in the package layout (``[samples]`` or
``[samples, channels]``); and the checks and conversions that go with them.

Files soundfile cannot decode are read through FFmpeg's libraries (:mod:`aeib.avio`).
"""

from __future__ import annotations

import os
from typing import Iterator

import numpy as np
import soundfile as sf

from aeib.audio.info import audio_info
from aeib.audio.messages import exception_text
from aeib.errors import AudioError


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
        raise AudioError(f"cannot read {info.path}: {exception_text(exc)}") from None
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
        raise AudioError(f"cannot read {info.path}: {exception_text(exc)}") from None
    with handle:
        while True:
            try:
                block = handle.read(block_frames, dtype="float32", always_2d=True)
            except Exception as exc:  # libsndfile and its decoders raise several types
                raise AudioError(f"cannot read {info.path}: damaged or truncated after "
                                 f"{frames / info.sample_rate:.1f} s ({exception_text(exc)})") from None
            if block.shape[0] == 0:
                return
            frames += block.shape[0]
            yield block

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
    first = max(0, start_frame)
    stop = min(start_frame + n_frames, info.frames)
    if stop <= first:
        return np.zeros((max(0, n_frames), info.channels), dtype=np.float32)
    # Decoded straight into the result: no second array of the same size, and no copy.
    out = np.empty((n_frames, info.channels), dtype=np.float32)
    head = first - start_frame
    try:
        with sf.SoundFile(str(info.path)) as handle:
            handle.seek(first)
            got = handle.read(stop - first, dtype="float32", always_2d=True, out=out[head:head + stop - first]).shape[0]
    except Exception as exc:  # the header was readable (audio_info), so the data is damaged
        raise AudioError(f"cannot read {info.path}: damaged or truncated ({exception_text(exc)})") from None
    out[:head] = 0.0
    out[head + got:] = 0.0
    return out

def to_mono(audio: np.ndarray) -> np.ndarray:
    """float64[samples] from float[samples] or float[samples, channels] (channels averaged).

    Equal, bit for bit, to ``audio.mean(axis=1)``, which sums a short row at a time and is several
    times slower: below 8 channels numpy's sum over a row is sequential, so adding whole channel
    columns in order gives the same numbers.
    """
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim != 2:
        return audio
    channels = audio.shape[1]
    if channels == 0 or channels >= _SEQUENTIAL_ROW_SUM:
        mean: np.ndarray = audio.mean(axis=1)
        return mean
    total = audio[:, 0].copy()
    for c in range(1, channels):
        total += audio[:, c]
    total /= channels
    return total


_SEQUENTIAL_ROW_SUM = 8  # numpy sums rows of at least this many elements pairwise

def check_finite(block: np.ndarray, path: str | os.PathLike) -> None:
    """Raise AudioError if ``block`` holds NaN or infinite samples."""
    if not np.isfinite(block).all():
        raise AudioError(f"{path} contains NaN or infinite samples; refusing to process it")
