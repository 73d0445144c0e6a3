"""Files as a phone writes them, made here with PyAV (never downloaded): AAC in m4a, an H.264 video
with AAC sound in mp4, MP3."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from tests.conftest import music_like

_LAYOUT = {1: "mono", 2: "stereo"}


def write_phone_file(path: Path, seconds: float = 1.5, sample_rate: int = 48_000, channels: int = 1,
                     video: bool = False, audio: np.ndarray | None = None) -> np.ndarray:
    """Write ``path`` (.m4a: AAC; .mp4/.mov: H.264 64×48 at 30 fps + AAC; .mp3: MP3); returns the audio encoded."""
    import av

    muxer, codec = {".m4a": ("ipod", "aac"), ".mp4": ("mp4", "aac"), ".mov": ("mov", "aac"),
                    ".mp3": ("mp3", "libmp3lame")}[path.suffix]
    data = music_like(seconds, sample_rate, channels) if audio is None else audio
    with av.open(str(path), "w", format=muxer) as container:
        if video:
            picture = container.add_stream("libx264", rate=30)
            picture.width, picture.height, picture.pix_fmt = 64, 48, "yuv420p"
        sound = container.add_stream(codec, rate=sample_rate, layout=_LAYOUT[channels])
        sound.bit_rate = 128_000
        for start in range(0, data.shape[0], 1024):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[start:start + 1024].T), format="fltp",
                                               layout=_LAYOUT[channels])
            frame.sample_rate, frame.pts, frame.time_base = sample_rate, start, Fraction(1, sample_rate)
            for packet in sound.encode(frame):
                container.mux(packet)
        for packet in sound.encode(None):
            container.mux(packet)
        if video:
            for index in range(int(seconds * 30)):
                image = np.zeros((48, 64, 3), np.uint8)
                image[:, : (index * 2) % 64] = (200, 40, 40)  # a moving bar
                frame = av.VideoFrame.from_ndarray(image, format="rgb24")
                frame.pts = index
                for packet in picture.encode(frame):
                    container.mux(packet)
            for packet in picture.encode(None):
                container.mux(packet)
    return data


def streams(path: Path) -> list[tuple[str, str]]:
    """(type, codec) of every stream."""
    import av

    with av.open(str(path)) as container:
        return [(s.type, s.codec_context.name) for s in container.streams]


def video_packets(path: Path) -> list[bytes]:
    """The bytes of every video packet, in file order."""
    import av

    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(container.streams.video[0]) if p.size]
