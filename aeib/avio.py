"""Audio through FFmpeg's libraries (PyAV): what soundfile does not read, and AAC/MP3 outputs.

:mod:`aeib.audio` is the public face; it calls into this module only for files that soundfile
cannot open (m4a/AAC/ALAC, mp4/mov/mkv/webm videos, raw AAC, WMA, AMR, ...) and for the outputs
soundfile cannot write (``.m4a`` AAC, ``.mp3``, and ``.mp4``/``.mov``/``.mkv``, whose video stream
is copied untouched from a video input). Arrays follow the package layout, float32[frames, channels].

Only the **first audio stream** of a file is read. Its length (:attr:`AudioInfo.frames`) comes from
the container's header (exact for mp4/mov/m4a, which store the stream's duration; an estimate to a
millisecond or so for Matroska/WebM; counted from the packets when a file declares no duration);
block reads stop at a declared stream duration, as players do, so the AAC encoder's padding at the
end is not read as audio. :func:`read_frames` seeks to 0.5 s before the segment and decodes from
there, so the segment equals the same part of a whole-file decode (the decoder has settled by then).

PyAV is imported only when one of these functions runs. Which extensions are written this way, with
which muxer and encoder, is :data:`aeib.audio.formats.ENCODED_OUTPUTS`.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np

from aeib.audio.formats import ENCODED_OUTPUTS, VIDEO_OUTPUTS
from aeib.errors import AudioError, OutputError

PREROLL_S = 0.5
""":func:`read_frames` starts decoding this long before the segment (decoder warm-up after a seek)."""

DEFAULT_BITRATE_KBPS = 192
"""AAC and MP3 bit rate unless one is given (kbit/s, whole stream)."""

BITRATE_RANGE_KBPS = (32, 320)

_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "4.0", 5: "5.0"}
"""FFmpeg channel layout written for each channel count (aeib keeps channels in file order)."""


def _av():
    try:
        import av
    except ImportError:  # pragma: no cover - av is a base dependency
        raise AudioError("reading this format needs PyAV; run pip install av") from None
    av.logging.set_level(None)  # FFmpeg's own log lines would bypass aeib's one-line errors
    return av


def _describe(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    text = text[-1] if text else type(exc).__name__
    # PyAV appends the path ("[Errno 1094995529] Invalid data found ...: '/x/y.m4a'"); keep the reason.
    return text.split(": '", 1)[0].split("] ", 1)[-1]


def _open(path: Path):
    av = _av()
    try:
        return av.open(str(path), mode="r")
    except Exception as exc:  # FFmpeg raises many error types for files it cannot probe
        raise AudioError(f"cannot read {path}: not a readable audio file ({_describe(exc)})") from None


def _audio_stream(container, path: Path):
    if not container.streams.audio:
        kinds = "a video without sound" if container.streams.video else "no audio stream"
        raise AudioError(f"cannot read {path}: not a readable audio file ({kinds})")
    return container.streams.audio[0]


def _declared_frames(container, stream) -> tuple[int, bool]:
    """(frames, exact): from the stream's duration (exact), the container's (estimate), or the packets."""
    rate = stream.codec_context.sample_rate
    if stream.duration and stream.time_base:
        return int(round(stream.duration * stream.time_base * rate)), True
    if container.duration:
        return int(round(container.duration / 1_000_000 * rate)), False
    total = 0
    for packet in container.demux(stream):  # no decoding: packet durations only
        if packet.duration and packet.time_base:
            total += packet.duration * packet.time_base
    return int(round(total * rate)), False


def probe(path: Path):
    """:class:`~aeib.audio.AudioInfo` of a file FFmpeg reads (first audio stream).

    Raises:
        AudioError: if FFmpeg cannot open it or it has no audio stream.
    """
    from aeib.audio import AudioInfo

    with _open(path) as container:
        stream = _audio_stream(container, path)
        context = stream.codec_context
        if context is None:  # FFmpeg found the stream but has no decoder for it (a damaged header)
            raise AudioError(f"cannot read {path}: not a readable audio file (no decoder for its audio stream)")
        rate, channels = int(context.sample_rate or 0), int(context.channels or 0)
        if rate <= 0 or channels <= 0:
            raise AudioError(f"cannot read {path}: invalid audio stream (rate {rate}, channels {channels})")
        try:
            frames, exact = _declared_frames(container, stream)
        except Exception as exc:
            raise AudioError(f"cannot read {path}: not a readable audio file ({_describe(exc)})") from None
        video_context = container.streams.video[0].codec_context if container.streams.video else None
        video = video_context.name if video_context is not None else None
        return AudioInfo(path, rate, channels, frames, container.format.name.split(",")[0].upper(),
                         context.name.upper(), backend="av", video_codec=video, exact_frames=exact)


def _decoded(container, stream, info) -> Iterator[tuple[int | None, np.ndarray]]:
    """(first frame index or None, float32[frames, channels]) per decoded frame."""
    av = _av()
    resampler = av.AudioResampler(format="fltp")
    rate = info.sample_rate
    start = stream.start_time or 0
    for packet in container.demux(stream):
        for frame in packet.decode():
            position = (None if frame.pts is None
                        else int(round((frame.pts - start) * frame.time_base * rate)))
            if frame.sample_rate != rate or frame.layout.nb_channels != info.channels:
                raise AudioError(f"cannot read {info.path}: the audio stream changes its format part-way "
                                 f"({frame.sample_rate} Hz, {frame.layout.nb_channels} ch); convert it to WAV first")
            for converted in resampler.resample(frame):
                yield position, converted.to_ndarray().T
                position = None


def iter_blocks(info, block_frames: int) -> Iterator[np.ndarray]:
    """Stream the first audio stream as float32[frames, channels] blocks of ``block_frames`` frames.

    Raises:
        AudioError: if the file cannot be opened, or is damaged part-way.
    """
    done, pending, held = 0, [], 0
    limit = info.frames if info.exact_frames else None
    with _open(info.path) as container:
        stream = _audio_stream(container, info.path)
        decoded = _decoded(container, stream, info)
        while True:
            try:
                item = next(decoded, None)
            except AudioError:
                raise
            except Exception as exc:  # FFmpeg's decoders raise several types
                raise AudioError(f"cannot read {info.path}: damaged or truncated after "
                                 f"{done / info.sample_rate:.1f} s ({_describe(exc)})") from None
            if item is not None:
                chunk = item[1]
                if limit is not None:
                    chunk = chunk[:max(0, limit - done - held)]
                pending.append(chunk)
                held += chunk.shape[0]
            while held >= block_frames or (item is None and held):
                joined = np.concatenate(pending) if len(pending) > 1 else pending[0]
                block, rest = joined[:block_frames], joined[block_frames:]
                pending, held = ([rest] if rest.shape[0] else []), rest.shape[0]
                done += block.shape[0]
                yield np.ascontiguousarray(block, dtype=np.float32)
            if item is None or (limit is not None and done + held >= limit):
                if held:
                    yield np.ascontiguousarray(np.concatenate(pending), dtype=np.float32)
                return


def read_frames(info, start_frame: int, n_frames: int) -> np.ndarray:
    """``n_frames`` frames from ``start_frame`` on (zeros outside the stream): float32[n, channels].

    Raises:
        AudioError: if the file cannot be read.
    """
    out = np.zeros((max(0, n_frames), info.channels), dtype=np.float32)
    first, stop = max(0, start_frame), start_frame + n_frames
    if info.exact_frames:
        stop = min(stop, info.frames)
    if stop <= first:
        return out
    rate = info.sample_rate
    try:
        with _open(info.path) as container:
            stream = _audio_stream(container, info.path)
            seek_s = first / rate - PREROLL_S
            if seek_s > 0 and stream.time_base:
                container.seek(int(seek_s / stream.time_base) + (stream.start_time or 0), stream=stream, backward=True)
            position = 0
            for pts_position, chunk in _decoded(container, stream, info):
                position = pts_position if pts_position is not None else position
                lo, hi = max(position, first), min(position + chunk.shape[0], stop)
                if hi > lo:
                    out[lo - start_frame:hi - start_frame] = chunk[lo - position:hi - position]
                position += chunk.shape[0]
                if position >= stop:
                    break
    except AudioError:
        raise
    except Exception as exc:
        raise AudioError(f"cannot read {info.path}: damaged or truncated ({_describe(exc)})") from None
    return out


def check_bitrate(bitrate_kbps: int | None) -> int:
    """The bit rate to use (kbit/s).

    Raises:
        OutputError: outside :data:`BITRATE_RANGE_KBPS`.
    """
    if bitrate_kbps is None:
        return DEFAULT_BITRATE_KBPS
    low, high = BITRATE_RANGE_KBPS
    if isinstance(bitrate_kbps, bool) or not isinstance(bitrate_kbps, int) or not low <= bitrate_kbps <= high:
        raise OutputError(f"bit rate must be a whole number of kbit/s from {low} to {high}, got {bitrate_kbps!r}")
    return bitrate_kbps


def check_bitrate_applies(output: str | os.PathLike, bitrate_kbps: int | None) -> None:
    """Refuse a bit rate for an output that is not AAC or MP3 (it would be silently ignored).

    Raises:
        OutputError: ``bitrate_kbps`` is given and ``output``'s extension is not in :data:`ENCODED_OUTPUTS`.
    """
    if bitrate_kbps is not None and Path(output).suffix.lower() not in ENCODED_OUTPUTS:
        raise OutputError(f"`bitrate_kbps` applies only to AAC/MP3 outputs ({', '.join(ENCODED_OUTPUTS)}), not to "
                          f"{Path(output).name}; leave it out")


def check_encodable(output: Path, sample_rate: int, channels: int) -> None:
    """Refuse, before any work, a rate or channel count the output's encoder cannot take.

    Raises:
        OutputError: with what would work instead.
    """
    suffix = output.suffix.lower()
    fmt = ENCODED_OUTPUTS[suffix]
    kind, max_channels, rates = fmt.codec, fmt.max_channels, fmt.sample_rates_hz
    if channels > max_channels:
        raise OutputError(f"cannot write {output.name}: {kind} holds at most {max_channels} channels and the "
                          f"input has {channels}; choose a .wav or .flac output")
    if sample_rate not in rates:
        raise OutputError(f"cannot write {output.name}: {kind} takes sample rates of "
                          f"{', '.join(f'{r / 1000:g}' for r in rates)} kHz and the input is "
                          f"{sample_rate / 1000:g} kHz; choose a .wav or .flac output")


class EncodedWriter:
    """Encode float blocks into an AAC/MP3 file at ``tmp`` (an :class:`~aeib.audio.AtomicAudioWriter` backend).

    With ``video_from`` (an input holding a video stream) and a video container, that file's first
    video stream is copied packet by packet, interleaved with the audio by time.

    Raises:
        OutputError: if the file cannot be created, the encoder refuses the stream, or the video
            cannot be copied into this container.
    """

    def __init__(self, tmp: Path, target: Path, sample_rate: int, channels: int, bitrate_kbps: int | None = None,
                 video_from: Path | None = None):
        av = _av()
        self.target = target
        suffix = target.suffix.lower()
        muxer, codec = ENCODED_OUTPUTS[suffix].muxer, ENCODED_OUTPUTS[suffix].encoder
        check_encodable(target, sample_rate, channels)
        self._rate = sample_rate
        self._layout = _LAYOUTS[channels]
        self._written = 0
        self._source = None
        options = {"movflags": "+faststart"} if muxer in ("ipod", "mp4", "mov") else {}
        try:
            self._out = av.open(str(tmp), mode="w", format=muxer, options=options)
            self._audio = self._out.add_stream(codec, rate=sample_rate, layout=self._layout)
            self._audio.bit_rate = check_bitrate(bitrate_kbps) * 1000
            if video_from is not None and suffix in VIDEO_OUTPUTS:
                self._source = av.open(str(video_from), mode="r")
                if self._source.streams.video:
                    template = self._source.streams.video[0]
                    self._video = self._out.add_stream_from_template(template)
                    self._packets = self._source.demux(template)
                    self._next_packet = None
                else:
                    self._source.close()
                    self._source = None
        except OutputError:
            self._abort()
            raise
        except Exception as exc:
            self._abort()
            raise OutputError(f"cannot write {target}: {_describe(exc)}") from None

    def _abort(self) -> None:
        for handle in (getattr(self, "_source", None), getattr(self, "_out", None)):
            if handle is not None:
                try:
                    handle.close()
                except Exception:
                    pass

    def _mux_video_until(self, time_s: float | None) -> None:
        """Copy the source's video packets whose time is ≤ ``time_s`` (all remaining if None)."""
        while True:
            packet = self._next_packet if self._next_packet is not None else next(self._packets, None)
            self._next_packet = None
            if packet is None:
                return
            if packet.dts is None and packet.pts is None:  # FFmpeg's flush packet at the end
                continue
            stamp = packet.dts if packet.dts is not None else packet.pts
            if time_s is not None and stamp * packet.time_base > time_s:
                self._next_packet = packet
                return
            packet.stream = self._video
            self._out.mux(packet)

    def write(self, block: np.ndarray) -> None:
        av = _av()
        block = np.asarray(block, dtype=np.float32)
        planar = np.ascontiguousarray((block[:, None] if block.ndim == 1 else block).T)
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=self._layout)
        frame.sample_rate = self._rate
        frame.pts = self._written
        frame.time_base = Fraction(1, self._rate)
        try:
            for packet in self._audio.encode(frame):
                self._out.mux(packet)
            self._written += planar.shape[1]
            if self._source is not None:
                self._mux_video_until(self._written / self._rate)
        except Exception as exc:
            raise OutputError(f"cannot write {self.target}: {_describe(exc)}") from None

    def close(self) -> None:
        """Flush the encoder, copy the rest of the video and finish the file.

        Raises:
            OutputError: if finishing fails (a full disk, a video codec the container refuses).
        """
        try:
            for packet in self._audio.encode(None):
                self._out.mux(packet)
            if self._source is not None:
                self._mux_video_until(None)
            self._out.close()
        except Exception as exc:
            raise OutputError(f"cannot write {self.target}: {_describe(exc)}") from None
        finally:
            self._abort()


def source_has_video(path: str | os.PathLike) -> bool:
    """True if ``path`` is a file FFmpeg opens with at least one video stream (False if unreadable)."""
    try:
        with _open(Path(path)) as container:
            return bool(container.streams.video)
    except AudioError:
        return False
