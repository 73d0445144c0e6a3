"""Impulse responses: the bank of rooms and phones, measured IR folders, causal convolution.

A capture is modelled as ``phone(room ⊛ x + crowd noise)``: a *room* IR (club PA → audience
position, simulated by :mod:`aeib.data.rooms` or measured) followed by a *phone* IR (the phone's
microphone and processing, parametric from :mod:`aeib.data.phone` or measured). Every IR is a
float32 FIR kernel at the dataset's sample rate, applied causally: the output sample ``n`` depends on
input samples ``<= n`` only, and the output keeps the input's length (the tail that rings past the
end of the segment is dropped, never the start — no centred "same"-mode trim that would shift the
signal earlier and smear pre-echo over it).

Measured IRs (``--ir-dir``) are read with :mod:`aeib.audio`, downmixed, resampled, trimmed causally
(leading silence up to 1 ms before the first sample within 20 dB of the peak is dropped — the direct
sound still arrives at t >= 0), truncated to :data:`MAX_IR_S` and normalized like the built-in ones.
Files below a folder named ``phone``/``phones``/``mic``/``device`` are phone IRs; all others are room IRs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import signal

from aeib.audio import read_audio, resample
from aeib.errors import AudioError

MAX_IR_S = 2.0
"""Longest IR kept, in seconds (club reverb tails beyond this are below audibility after a fade)."""
ONSET_MARGIN_S = 0.001
ONSET_BELOW_PEAK_DB = 20.0
PHONE_FOLDER_NAMES = ("phone", "phones", "mic", "mics", "device", "devices")
IR_SUFFIXES = (".wav", ".flac", ".aif", ".aiff", ".ogg")


@dataclass(frozen=True)
class ImpulseResponse:
    """One FIR impulse response.

    Attributes:
        ir_id: Stable id recorded with every example (e.g. ``sim-room-003-mic1``, ``file:club/a.wav``).
        kind: ``room`` or ``phone``.
        samples: float32[n_taps] at the bank's sample rate.
        info: JSON-ready description (geometry, RT60, filter settings, source file, ...).
    """

    ir_id: str
    kind: str
    samples: np.ndarray
    info: dict = field(default_factory=dict)

    def describe(self) -> dict:
        return {"id": self.ir_id, "kind": self.kind, "taps": int(self.samples.shape[0]), **self.info}


def convolve_causal(audio: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """Causal, length-preserving convolution ``y[n] = sum_k ir[k] · audio[n − k]`` for ``n < len(audio)``.

    Args:
        audio: float[samples] (mono; the dataset works in mono).
        ir: float[taps].

    Returns:
        float32[samples].
    """
    audio = np.asarray(audio, dtype=np.float64)
    ir = np.asarray(ir, dtype=np.float64)
    if audio.ndim != 1 or ir.ndim != 1 or ir.size == 0:
        raise ValueError(f"need 1-D audio and a non-empty 1-D IR, got {audio.shape} and {ir.shape}")
    if audio.size == 0:
        return np.zeros(0, dtype=np.float32)
    return signal.oaconvolve(audio, ir)[: audio.shape[0]].astype(np.float32)


def trim_causal(ir: np.ndarray, sample_rate: int) -> np.ndarray:
    """Drop leading silence up to :data:`ONSET_MARGIN_S` before the onset; cut to :data:`MAX_IR_S`.

    The onset is the first sample within :data:`ONSET_BELOW_PEAK_DB` of the peak magnitude. Only
    samples *before* the onset are removed, so nothing of the response is moved ahead of t = 0.
    A 10 ms half-cosine fade ends a truncated tail.
    """
    ir = np.asarray(ir, dtype=np.float64)
    peak = np.max(np.abs(ir)) if ir.size else 0.0
    if peak <= 0:
        raise ValueError("impulse response is all zeros")
    onset = int(np.argmax(np.abs(ir) >= peak * 10 ** (-ONSET_BELOW_PEAK_DB / 20)))
    ir = ir[max(0, onset - round(ONSET_MARGIN_S * sample_rate)):]
    max_taps = round(MAX_IR_S * sample_rate)
    if ir.shape[0] > max_taps:
        ir = ir[:max_taps].copy()
        fade = round(0.01 * sample_rate)
        ir[-fade:] *= 0.5 * (1 + np.cos(np.linspace(0, np.pi, fade)))
    return ir


def normalize_energy(ir: np.ndarray) -> np.ndarray:
    """Scale to unit energy (``sum ir² = 1``): white noise keeps its RMS level through the IR."""
    ir = np.asarray(ir, dtype=np.float64)
    energy = float(np.sum(ir**2))
    if energy <= 0:
        raise ValueError("impulse response is all zeros")
    return (ir / np.sqrt(energy)).astype(np.float32)


def _kind_of(rel: Path) -> str:
    return "phone" if any(part.lower() in PHONE_FOLDER_NAMES for part in rel.parts[:-1]) else "room"


def load_ir_dir(ir_dir: str | Path, sample_rate: int) -> tuple[list[ImpulseResponse], dict[str, list[str]]]:
    """Read every IR file below ``ir_dir``.

    Room IRs are normalized to unit energy; phone IRs to unit gain at their loudest frequency
    (a microphone response should colour, not change, the level).

    Returns:
        ``(irs, skipped)``: the IRs sorted by id, and reason → relative paths of unusable files.

    Raises:
        CorpusError: if ``ir_dir`` is not a folder.
    """
    from aeib.data.corpus import CorpusError

    root = Path(ir_dir).expanduser()
    if not root.is_dir():
        raise CorpusError(f"IR folder {root} does not exist or is not a folder")
    root = root.resolve()
    irs, skipped = [], {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.suffix.lower() not in IR_SUFFIXES or not path.is_file() or any(p.startswith(".") for p in rel.parts):
            continue
        try:
            audio, rate = read_audio(path, always_2d=True)
            mono = resample(audio.mean(axis=1), rate, sample_rate)
            taps = trim_causal(mono, sample_rate)
        except (AudioError, ValueError):
            skipped.setdefault("unreadable_ir", []).append(rel.as_posix())
            continue
        kind = _kind_of(rel)
        if kind == "phone":
            peak_gain = np.max(np.abs(np.fft.rfft(taps, 1 << 16)))
            taps = (taps / peak_gain).astype(np.float32)
        else:
            taps = normalize_energy(taps)
        info = {"source": "measured", "file": rel.as_posix(), "file_sample_rate": int(rate)}
        irs.append(ImpulseResponse(f"file:{rel.as_posix()}", kind, taps, info))
    return irs, skipped


@dataclass
class IRBank:
    """The rooms and phones examples draw from, by id."""

    rooms: list[ImpulseResponse]
    phones: list[ImpulseResponse]

    def __post_init__(self) -> None:
        self._by_id = {ir.ir_id: ir for ir in self.rooms + self.phones}
        self._chains: dict[tuple[str, str], np.ndarray] = {}

    def chain_ir(self, room_id: str, phone_id: str) -> np.ndarray:
        """The room IR followed by the phone IR, as one causal kernel (float32; memoized).

        Its length is ``len(room) + len(phone) − 1``: the full convolution, nothing trimmed.
        """
        key = (room_id, phone_id)
        if key not in self._chains:
            if len(self._chains) >= 256:
                self._chains.clear()
            room, phone = self[room_id].samples, self[phone_id].samples
            self._chains[key] = signal.oaconvolve(room.astype(np.float64), phone.astype(np.float64)).astype(np.float32)
        return self._chains[key]

    def __getitem__(self, ir_id: str) -> ImpulseResponse:
        return self._by_id[ir_id]

    @property
    def room_ids(self) -> list[str]:
        return [ir.ir_id for ir in self.rooms]

    @property
    def phone_ids(self) -> list[str]:
        return [ir.ir_id for ir in self.phones]

    def describe(self) -> dict:
        return {"rooms": [ir.describe() for ir in self.rooms], "phones": [ir.describe() for ir in self.phones]}
