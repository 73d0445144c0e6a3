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

That is recipe ``v1``. Recipe ``v2`` (the default, "data v2", docs/DATA.md §9) widens the world:

* a **mode** per example: ``live`` (target and reference are captured in the room, as in v1),
  ``board`` (target = A and reference = B as the mixing desk recorded them, with no room or phone;
  only the input is captured) or ``identity`` (input = target: nothing to repair);
* instead of one chain style, a **recipe** of 0–3 degradation steps from distinct families
  (:mod:`aeib.data.degrade`: tonal — the chain's own styles among pedalboard filters —, dynamics,
  capture, level), tonal/dynamics steps before the room, capture/level steps after it;
* rooms from more than one **room family** (:mod:`aeib.data.reverb`);
* **absolute levels** drawn per example (:mod:`aeib.data.levels`, :func:`draw_levels`): reference and
  input each −45…−6 dBFS RMS, the input ±21 dB from the reference, the target at the reference's
  integrated loudness.

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
from aeib.data import levels as lv
from aeib.data.activity import pick_pair
from aeib.data.corpus import Track
from aeib.data.degrade import apply_steps, sample_recipe, split_stages
from aeib.data.irs import IRBank, convolve_causal
from aeib.data.phone import apply_agc, crowd_noise
from aeib.data.reverb import ROOM_FAMILIES, room_family
from aeib.data.splits import DEFAULT_FRACTIONS
from aeib.data.styles import STYLE_NAMES, check_style_names, sample_style, style_index
from aeib.dsp import CHAIN_SCHEMA, process
from aeib.errors import ParameterError

RECIPES = ("v1", "v2")
MODES = ("live", "board", "identity")

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
        recipe: ``v2`` (default: modes, degradation families, room families, absolute levels) or
            ``v1`` (one chain style per example; ``noise_prob``, ``snr_db`` and ``agc_prob`` apply only to v1).
        identity_prob: v2: share of identity examples (input = target).
        board_prob: v2: share of board-mix examples (target and reference without room and phone).
        room_families: v2: room families examples draw from (those present in the IR bank; measured
            rooms from ``--ir-dir`` form the family ``measured`` and are always drawn when present).
        held_out_recipe: v2: also draw the held-out degradation kinds (out-of-family test set only).
        reference_rms_dbfs: v2: range of the reference's RMS level.
        input_offset_db: v2: range of the input's RMS level relative to the reference's.
        input_rms_dbfs: v2: the input's RMS level is kept within this range.
        ceiling_dbfs: v2: peak ceiling of the mastering / phone limiter.
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
    recipe: str = "v2"
    identity_prob: float = 0.12
    board_prob: float = 0.3
    room_families: tuple[str, ...] = ("shoebox", "stochastic")
    held_out_recipe: bool = False
    reference_rms_dbfs: tuple[float, float] = (-45.0, -6.0)
    input_offset_db: tuple[float, float] = (-21.0, 21.0)
    input_rms_dbfs: tuple[float, float] = (-45.0, -6.0)
    ceiling_dbfs: float = -0.5

    @property
    def segment_samples(self) -> int:
        return round(self.segment_s * self.sample_rate)

    def __post_init__(self) -> None:
        check_style_names(self.styles)
        if self.recipe not in RECIPES:
            raise ParameterError(f"recipe must be one of {', '.join(RECIPES)}, got {self.recipe!r}")
        if not (0.0 <= self.identity_prob and 0.0 <= self.board_prob and self.identity_prob + self.board_prob <= 1.0):
            raise ParameterError("identity and board-mix shares must be >= 0 and sum to at most 1")
        for name in self.room_families:
            if name not in ROOM_FAMILIES:
                raise ParameterError(f"unknown room family {name!r} (known: {', '.join(ROOM_FAMILIES)})")


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
    recipe: str = "v1"
    mode: str = "live"
    target_mode: str = "live"
    degradations: list = field(default_factory=list)
    room_family: str = "shoebox"
    levels: dict = field(default_factory=dict)

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
    rooms = _room_choices(bank, config) if config.recipe == "v2" else {}
    specs = []
    for index in range(n_examples):
        ex_seed = example_seed(seed, split, index)
        rng = np.random.default_rng(ex_seed)
        usable = tracks[int(rng.choice(len(tracks), p=weights))]
        a, b = pick_pair(usable.starts, usable.span, rng)
        if config.recipe == "v2":
            specs.append(_plan_v2(split, index, ex_seed, usable, a, b, bank, config, rng, rooms))
            continue
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


def _room_choices(bank: IRBank, config: PairConfig) -> dict[str, list[str]]:
    by_family: dict[str, list[str]] = {}
    for ir in bank.rooms:
        family = room_family(ir)
        if family in config.room_families or family == "measured":
            by_family.setdefault(family, []).append(ir.ir_id)
    if not by_family:
        raise ParameterError(f"the IR bank has no room of the families {', '.join(config.room_families)}")
    return by_family


def draw_levels(rng: np.random.Generator, identity: bool, config: PairConfig) -> tuple[float, float]:
    """``(reference_rms_dbfs, input_rms_dbfs)`` of one example.

    The offset (input − reference) is drawn first, uniform in ``input_offset_db``; the reference level
    is then uniform over what keeps both levels in their ranges, so neither range is piled up at a
    clamp and large offsets in both directions stay as common as small ones. Identity examples keep
    the input at the reference's level (offset 0).
    """
    if identity:
        reference = float(rng.uniform(*config.reference_rms_dbfs))
        return reference, reference
    offset = float(rng.uniform(*config.input_offset_db))
    low = max(config.reference_rms_dbfs[0], config.input_rms_dbfs[0] - offset)
    high = min(config.reference_rms_dbfs[1], config.input_rms_dbfs[1] - offset)
    if low > high:   # an offset wider than the ranges allow: the nearest feasible pair
        low = high = min(max(config.reference_rms_dbfs[0], config.input_rms_dbfs[0] - offset),
                         config.reference_rms_dbfs[1])
    reference = float(rng.uniform(low, high))
    return reference, float(np.clip(reference + offset, *config.input_rms_dbfs))


def _plan_v2(split: str, index: int, ex_seed: int, usable: UsableTrack, a: int, b: int, bank: IRBank,
             config: PairConfig, rng: np.random.Generator, rooms: dict[str, list[str]]) -> ExampleSpec:
    """The v2 draws of one example (mode, recipe, room family and room, phone, levels).

    ``rooms`` is :func:`_room_choices` of the bank (computed once per split)."""
    u = rng.uniform()
    mode = "identity" if u < config.identity_prob else "board" if u < config.identity_prob + config.board_prob else "live"
    target_mode = ("board" if rng.uniform() < 0.5 else "live") if mode == "identity" else mode
    steps = [] if mode == "identity" else sample_recipe(rng, config.styles, held_out=config.held_out_recipe)
    family = sorted(rooms)[int(rng.integers(len(rooms)))]
    room = rooms[family][int(rng.integers(len(rooms[family])))]
    phone = bank.phone_ids[int(rng.integers(len(bank.phone_ids)))]
    reference_rms, input_rms = draw_levels(rng, mode == "identity", config)
    chain_steps = [s for s in steps if s["kind"] == "chain-style"]
    style = chain_steps[0]["style"] if chain_steps else "neutral"
    settings = chain_steps[0]["settings"] if chain_steps else {}
    track = usable.track
    return ExampleSpec(
        split=split, index=index, seed=ex_seed, track_id=track.track_id, file=track.rel_path,
        source_sample_rate=track.sample_rate, a_start_frame=a * usable.hop, b_start_frame=b * usable.hop,
        segment_frames=math.ceil(config.segment_s * track.sample_rate), style=style, settings=settings,
        room_ir=room, phone_ir=phone, noise_snr_db=next((s["snr_db"] for s in steps if "snr_db" in s), None),
        agc=any(s["kind"] == "agc" for s in steps), render_seed=int(rng.integers(2**63 - 1)), recipe="v2",
        mode=mode, target_mode=target_mode, degradations=steps, room_family=family,
        levels={"reference_rms_dbfs": round(reference_rms, 3), "input_rms_dbfs": round(input_rms, 3),
                "input_offset_db": round(input_rms - reference_rms, 3)},
    )


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
    if spec.recipe == "v2":
        signals, facts = _render_v2(spec, a, b, bank, config)
        return signals, {"source_gain_db": gain_db, **facts}
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


def _render_v2(spec: ExampleSpec, a: np.ndarray, b: np.ndarray, bank: IRBank,
               config: PairConfig) -> tuple[dict[str, np.ndarray], dict]:
    rate, ceiling = config.sample_rate, config.ceiling_dbfs
    chain_ir, phone_ir = bank.chain_ir(spec.room_ir, spec.phone_ir), bank[spec.phone_ir].samples
    rng = np.random.default_rng(spec.render_seed)
    pre, post = split_stages(spec.degradations)
    live = spec.target_mode == "live"
    target = convolve_causal(a, chain_ir) if live else a
    reference = convolve_causal(b, chain_ir) if live else b
    reference, reference_limited = lv.place_level(reference, rate, spec.levels["reference_rms_dbfs"], ceiling)
    target, target_limited = lv.match_loudness(target, rate, lv.loudness_lufs(reference, rate), ceiling)
    if spec.mode == "identity":
        inp, input_limited = target, target_limited
    else:
        captured = convolve_causal(apply_steps(a, rate, pre, rng), chain_ir)
        inp, input_limited = lv.place_level(apply_steps(captured, rate, post, rng, phone_ir), rate,
                                            spec.levels["input_rms_dbfs"], ceiling)
    signals = {"input": inp.astype(np.float32), "target": target.astype(np.float32),
               "reference": reference.astype(np.float32)}
    facts = {
        "peak_dbfs": {k: round(lv.peak_dbfs(x), 3) for k, x in signals.items()},
        "rms_dbfs": {k: round(lv.rms_dbfs(x), 3) for k, x in signals.items()},
        "limited": {"input": input_limited, "target": target_limited, "reference": reference_limited},
    }
    return signals, facts


def segment_ranges(spec: ExampleSpec) -> tuple[tuple[int, int], tuple[int, int]]:
    """Source-frame ranges ``[start, stop)`` of A and B."""
    return ((spec.a_start_frame, spec.a_start_frame + spec.segment_frames),
            (spec.b_start_frame, spec.b_start_frame + spec.segment_frames))


__all__ = ["ExampleSpec", "PairConfig", "UsableTrack", "capture", "example_seed", "load_segment",
           "crowd_at_phone", "plan_split", "render_example", "segment_ranges", "source_gain_db"]
