"""Self-supervised style pairs: planning (what each example is) and rendering (its audio).

One example, all mono at :attr:`PairConfig.sample_rate`:

* two non-overlapping, non-silent segments A and B of one track, ``segment_s`` long;
* one gain for both, set once at the source so the louder of the two peaks at
  ``source_peak_dbfs`` — the relative level of A and B is the track's own, and nothing is
  renormalized after the style (the compressor's makeup gain stays visible);
* a style setting drawn for this example (:func:`aeib.data.styles.sample_style`) and applied to A
  with the project's chain, :func:`aeib.dsp.process`;
* one capture path for all three signals — room IR, optional crowd noise, phone IR, optional AGC:
  ``input = capture(style(A))``, ``target = capture(A)``, ``reference = capture(B)``. The noise
  under input and target is the same recording (they are the same moment); B gets its own.

Planning is cheap and happens in the main process from the seed alone; rendering is a pure function
of an :class:`ExampleSpec` (which carries its own ``render_seed``) and so runs in any worker, in any
order, with the same bytes out.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from aeib.audio import read_frames, resample
from aeib.data.activity import pick_pair
from aeib.data.corpus import Track
from aeib.data.irs import IRBank, convolve_causal
from aeib.data.phone import apply_agc, crowd_noise
from aeib.data.splits import DEFAULT_FRACTIONS
from aeib.data.styles import STYLE_NAMES, check_style_names, sample_style, style_index
from aeib.dsp import CHAIN_SCHEMA, process

RESAMPLE_CONTEXT_S = 0.02
"""Audio read on each side of a segment so the resampler's filter has context at its edges."""


@dataclass(frozen=True)
class PairConfig:
    """How examples are drawn and rendered (everything that changes the audio).

    Attributes:
        sample_rate: Output sample rate in Hz.
        segment_s: Length of segments A and B in seconds.
        source_peak_dbfs: Peak level of the louder of A and B after the one source gain.
        styles: Style names to draw from, uniformly.
        noise_prob: Probability that an example has crowd noise.
        snr_db: Range of the crowd-noise SNR (dB, relative to the room-convolved source).
        agc_prob: Probability that the phone's AGC is applied (off by default: it renormalizes level).
        min_source_rate_hz: Tracks recorded at a lower rate lack the highs and are skipped.
        split_fractions: Train, valid, test shares (of tracks, via the hash, and of examples).
    """

    sample_rate: int = 24_000
    segment_s: float = 5.0
    source_peak_dbfs: float = -12.0
    styles: tuple[str, ...] = STYLE_NAMES
    noise_prob: float = 0.5
    snr_db: tuple[float, float] = (15.0, 35.0)
    agc_prob: float = 0.0
    min_source_rate_hz: int = 22_050
    split_fractions: tuple[float, float, float] = DEFAULT_FRACTIONS

    @property
    def segment_samples(self) -> int:
        return round(self.segment_s * self.sample_rate)

    def __post_init__(self) -> None:
        check_style_names(self.styles)


@dataclass(frozen=True)
class UsableTrack:
    """A track that passed the scan.

    Attributes:
        track: The track.
        split: Its split.
        hop: Source frames per energy frame.
        span: Energy frames one segment covers.
        starts: Energy-frame indices where a non-silent segment may start.
        pairable: How many of those starts have a non-overlapping partner (the track's weight).
    """

    track: Track
    split: str
    hop: int
    span: int
    starts: np.ndarray = field(repr=False)
    pairable: int


@dataclass(frozen=True)
class ExampleSpec:
    """Everything needed to render one example and to explain it afterwards (JSON-ready)."""

    split: str
    index: int
    seed: int
    track_id: str
    file: str
    source_sample_rate: int
    a_start_frame: int
    b_start_frame: int
    segment_frames: int
    style: str
    settings: dict
    room_ir: str
    phone_ir: str
    noise_snr_db: float | None
    agc: bool
    render_seed: int

    def to_json(self) -> dict:
        record = asdict(self)
        record["a_offset_s"] = self.a_start_frame / self.source_sample_rate
        record["b_offset_s"] = self.b_start_frame / self.source_sample_rate
        record["style_index"] = style_index(self.style)
        return record

    @classmethod
    def from_json(cls, record: dict) -> "ExampleSpec":
        names = cls.__dataclass_fields__
        return cls(**{key: value for key, value in record.items() if key in names})


def example_seed(seed: int, split: str, index: int) -> int:
    """A 63-bit seed for example ``index`` of ``split``: depends on nothing else, so adding examples
    or changing the worker count never changes the existing ones."""
    digest = hashlib.sha256(f"aeib-pairs-v1|{seed}|{split}|{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def plan_split(split: str, n_examples: int, tracks: list[UsableTrack], bank: IRBank, config: PairConfig,
               seed: int) -> list[ExampleSpec]:
    """Draw ``n_examples`` example specs for one split from that split's tracks.

    Tracks are drawn in proportion to their number of usable segment starts (every usable second
    of music is equally likely).
    """
    if n_examples == 0:
        return []
    weights = np.array([t.pairable for t in tracks], dtype=np.float64)
    weights /= weights.sum()
    specs = []
    for index in range(n_examples):
        ex_seed = example_seed(seed, split, index)
        rng = np.random.default_rng(ex_seed)
        usable = tracks[int(rng.choice(len(tracks), p=weights))]
        a, b = pick_pair(usable.starts, usable.span, rng)
        style = config.styles[int(rng.integers(len(config.styles)))]
        settings = sample_style(style, rng)
        room = bank.room_ids[int(rng.integers(len(bank.room_ids)))]
        phone = bank.phone_ids[int(rng.integers(len(bank.phone_ids)))]
        noisy = rng.uniform() < config.noise_prob
        snr_db = float(rng.uniform(*config.snr_db))
        agc = bool(rng.uniform() < config.agc_prob)
        render_seed = int(rng.integers(2**63 - 1))
        track = usable.track
        specs.append(ExampleSpec(
            split=split, index=index, seed=ex_seed, track_id=track.track_id, file=track.rel_path,
            source_sample_rate=track.sample_rate, a_start_frame=a * usable.hop, b_start_frame=b * usable.hop,
            segment_frames=math.ceil(config.segment_s * track.sample_rate), style=style, settings=settings,
            room_ir=room, phone_ir=phone, noise_snr_db=snr_db if noisy else None, agc=agc,
            render_seed=render_seed,
        ))
    return specs


def load_segment(path: str | Path, start_frame: int, segment_frames: int, source_rate: int,
                 sample_rate: int, n_samples: int) -> np.ndarray:
    """Read a segment, downmix to mono and resample it.

    Args:
        path: Audio file.
        start_frame: First source frame of the segment.
        segment_frames: Source frames in the segment.
        source_rate: Sample rate of the file in Hz.
        sample_rate: Output rate in Hz.
        n_samples: Output length (the segment is cut or zero-padded to it).

    Returns:
        float32[n_samples], unscaled (the file's own level).

    Raises:
        AudioError: if the file cannot be read.
    """
    context = math.ceil(RESAMPLE_CONTEXT_S * source_rate)
    block = read_frames(path, start_frame - context, segment_frames + 2 * context)
    mono = resample(block.mean(axis=1), source_rate, sample_rate)
    first = round(context * sample_rate / source_rate)
    out = np.zeros(n_samples, dtype=np.float32)
    piece = mono[first:first + n_samples]
    out[:piece.shape[0]] = piece
    return out


def source_gain_db(a: np.ndarray, b: np.ndarray, peak_dbfs: float) -> float:
    """The one gain (dB) that brings the louder peak of ``a`` and ``b`` to ``peak_dbfs``."""
    peak = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    if peak <= 0:
        raise ValueError("both segments are digital silence")
    return peak_dbfs - 20.0 * math.log10(peak)


def capture(audio: np.ndarray, chain_ir: np.ndarray, phone_noise: np.ndarray | None, agc: bool,
            sample_rate: int) -> np.ndarray:
    """The capture path ``phone(room ⊛ audio + noise)`` (then the AGC if asked); causal, length-preserving.

    Args:
        audio: float[samples], the sound at the PA.
        chain_ir: Room IR followed by phone IR (:meth:`~aeib.data.irs.IRBank.chain_ir`).
        phone_noise: Crowd noise already filtered by the phone IR, float[samples], or None.
        agc: Apply :func:`~aeib.data.phone.apply_agc` at the end.
        sample_rate: Sample rate in Hz.
    """
    return _finish(convolve_causal(audio, chain_ir), phone_noise, agc, sample_rate)


def _finish(clean_capture: np.ndarray, phone_noise: np.ndarray | None, agc: bool, sample_rate: int) -> np.ndarray:
    captured = clean_capture if phone_noise is None else clean_capture + phone_noise
    return apply_agc(captured, sample_rate) if agc else captured


def crowd_at_phone(clean_capture: np.ndarray, snr_db: float, phone_ir: np.ndarray, sample_rate: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Crowd noise through the phone IR, scaled to ``snr_db`` below the RMS of ``clean_capture``."""
    noise = convolve_causal(crowd_noise(clean_capture.shape[0], sample_rate, rng), phone_ir)
    signal_rms = float(np.sqrt(np.mean(clean_capture.astype(np.float64) ** 2)))
    noise_rms = float(np.sqrt(np.mean(noise.astype(np.float64) ** 2))) + 1e-12
    return (noise * (signal_rms * 10 ** (-snr_db / 20) / noise_rms)).astype(np.float32)


def render_example(spec: ExampleSpec, root: Path, bank: IRBank, config: PairConfig) -> tuple[dict[str, np.ndarray], dict]:
    """Render one example.

    Returns:
        ``(signals, facts)``: ``signals`` maps ``input``, ``target``, ``reference`` to float32[n_samples];
        ``facts`` holds ``source_gain_db`` and the peak level (dBFS) of each signal.

    Raises:
        AudioError: if the source file cannot be read.
    """
    n, rate = config.segment_samples, config.sample_rate
    path = Path(root) / spec.file
    a = load_segment(path, spec.a_start_frame, spec.segment_frames, spec.source_sample_rate, rate, n)
    b = load_segment(path, spec.b_start_frame, spec.segment_frames, spec.source_sample_rate, rate, n)
    gain_db = source_gain_db(a, b, config.source_peak_dbfs)
    gain = np.float32(10 ** (gain_db / 20))
    a, b = a * gain, b * gain
    styled = process(a, rate, CHAIN_SCHEMA.complete(spec.settings))
    chain_ir, phone_ir = bank.chain_ir(spec.room_ir, spec.phone_ir), bank[spec.phone_ir].samples
    clean = {"input": convolve_causal(styled, chain_ir), "target": convolve_causal(a, chain_ir),
             "reference": convolve_causal(b, chain_ir)}
    noise_a = noise_b = None
    if spec.noise_snr_db is not None:
        # The SNR is measured on the clean captures, so it is what the phone's recording has. Input and
        # target share the noise of segment A's moment; the reference gets its own.
        rng = np.random.default_rng(spec.render_seed)
        noise_a = crowd_at_phone(clean["target"], spec.noise_snr_db, phone_ir, rate, rng)
        noise_b = crowd_at_phone(clean["reference"], spec.noise_snr_db, phone_ir, rate, rng)
    signals = {
        "input": _finish(clean["input"], noise_a, spec.agc, rate),
        "target": _finish(clean["target"], noise_a, spec.agc, rate),
        "reference": _finish(clean["reference"], noise_b, spec.agc, rate),
    }
    with np.errstate(divide="ignore"):
        peaks = {name: round(float(20 * np.log10(np.max(np.abs(x)))), 3) for name, x in signals.items()}
    return signals, {"source_gain_db": gain_db, "peak_dbfs": peaks}


def segment_ranges(spec: ExampleSpec) -> tuple[tuple[int, int], tuple[int, int]]:
    """Source-frame ranges ``[start, stop)`` of A and B."""
    return ((spec.a_start_frame, spec.a_start_frame + spec.segment_frames),
            (spec.b_start_frame, spec.b_start_frame + spec.segment_frames))


__all__ = ["ExampleSpec", "PairConfig", "UsableTrack", "capture", "example_seed", "load_segment",
           "crowd_at_phone", "plan_split", "render_example", "segment_ranges", "source_gain_db"]
