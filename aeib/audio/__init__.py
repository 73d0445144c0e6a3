"""Audio files — the one place the package touches them — and the atomic writes every output uses.

Arrays follow the package layout: ``float32[samples]`` or ``float32[samples, channels]``.
Reading uses soundfile (WAV, FLAC, OGG/Vorbis, Opus, AIFF, MP3, ...) and, for everything soundfile
does not read (m4a/AAC/ALAC, mp4/mov/mkv/webm videos, ...), FFmpeg's libraries through PyAV
(:mod:`aeib.avio`); writing uses soundfile for WAV/FLAC/AIFF/OGG/Opus and PyAV for m4a (AAC), mp3
and mp4/mov/mkv (AAC, with the video of a video input copied). Resampling uses soxr; loudness is
measured in :mod:`aeib.dsp.loudness`. Every failure a user can cause raises
:class:`~aeib.errors.AudioError` or :class:`~aeib.errors.OutputError` with a one-line message.

Modules, one concern each:

* :mod:`~aeib.audio.info` — what a file holds (:class:`AudioInfo`, :func:`audio_info`);
* :mod:`~aeib.audio.read` — samples: whole file, blocks, one segment; finite check, downmix;
* :mod:`~aeib.audio.resampling` — sample-rate conversion;
* :mod:`~aeib.audio.formats` — which extensions aeib writes and the container/subtype of an output;
* :mod:`~aeib.audio.atomic` — atomic outputs (temporary file beside the target, renamed on success);
* :mod:`~aeib.audio.write` — audio writers on top of it.

Every public name is importable from here (``from aeib.audio import read_frames``); each is loaded on
first use, so reading :data:`WRITABLE_SUFFIXES` or using :func:`atomic_output` imports neither
numpy nor soundfile.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "AudioInfo": "aeib.audio.info",
    "audio_info": "aeib.audio.info",
    "header_overstates_length": "aeib.audio.info",
    "read_audio": "aeib.audio.read",
    "iter_blocks": "aeib.audio.read",
    "read_frames": "aeib.audio.read",
    "check_finite": "aeib.audio.read",
    "to_mono": "aeib.audio.read",
    "resample": "aeib.audio.resampling",
    "WRITABLE_SUFFIXES": "aeib.audio.formats",
    "output_format": "aeib.audio.formats",
    "TEMP_MARKER": "aeib.audio.atomic",
    "atomic_output": "aeib.audio.atomic",
    "check_output_path": "aeib.audio.atomic",
    "same_file": "aeib.audio.atomic",
    "stale_temporaries": "aeib.audio.atomic",
    "AtomicAudioWriter": "aeib.audio.write",
    "write_audio": "aeib.audio.write",
}
"""Public name → the module that defines it. No module is named like a name it defines (importing
``aeib.audio.<module>`` sets that attribute of the package to the module)."""

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 (a list of the lazily loaded names, written once)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'aeib.audio' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
