"""``make-data`` from end to end: scan, IR bank, plan, render shards (in parallel), manifest.

The stages, each deterministic for a seed:

1. **Scan** the corpus (:mod:`aeib.data.corpus`), drop low-rate and too-short files by header, decode
   the rest once for their energy profile (:mod:`aeib.data.activity`, cached) and keep the tracks
   with at least one pair of non-overlapping non-silent segments. Every file left out is counted.
2. **IR bank**: simulated club rooms (cached by seed), parametric phones, and measured IRs from
   ``ir_dir`` besides or instead of them.
3. **Plan**: split the tracks by hash, allocate examples to splits, draw every example's spec.
4. **Render** the shards — ``{split}-{k:05d}.npz`` of ``shard_size`` examples — in ``workers``
   processes. A shard that already exists, is undamaged and was made from the same plan (its digest
   matches) is kept, so an interrupted run resumes where it stopped. Worker count and order of
   completion do not change a byte.
5. **Manifest** (:mod:`aeib.data.manifest`), written last and atomically.

Held-out sources and the out-of-family test set: ``holdout_sources`` names top-level folders of the
corpus (e.g. ``drascula``) that a training dataset leaves out entirely (counted as ``held_out``).
With ``test_family=True`` the same option selects *only* those folders, every example goes to the
``test`` split, rooms come from the held-out ``algorithmic`` family and the held-out degradation
kinds are drawn (:data:`aeib.data.degrade.HELD_OUT_KINDS`): music, rooms and one recipe that no
training example has seen.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import multiprocessing
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

import aeib
from aeib.data import activity as act
from aeib.data.corpus import CorpusError, CorpusScan, scan_corpus
from aeib.data.degrade import describe_families
from aeib.data.irs import IRBank, load_ir_dir
from aeib.data.manifest import MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, write_manifest
from aeib.data.pairs import ExampleSpec, PairConfig, UsableTrack, plan_split, render_example
from aeib.data.phone import parametric_phones
from aeib.data.reverb import family_rooms
from aeib.data.rooms import RoomConfig, load_or_simulate_rooms
from aeib.data.shards import (
    AUDIO_DTYPE,
    SHARD_FORMAT_VERSION,
    SIGNALS,
    encode_meta,
    read_meta,
    shard_is_valid,
    write_npz,
)
from aeib.data.splits import SPLITS, allocate_examples, split_of
from aeib.data.styles import describe_styles, style_index
from aeib.dsp import CHAIN_SCHEMA
from aeib.errors import AudioError, ParameterError
from aeib.hashing import file_sha256


@dataclass(frozen=True)
class MakeDataConfig:
    """Everything ``aeib make-data`` needs; the CLI builds one from its flags.

    Attributes:
        music_dir: Corpus folder.
        out_dir: Output folder (created if missing; its parent must exist).
        examples: Total number of examples over all splits.
        seed: Seed of the whole dataset.
        workers: Worker processes (does not change the output). They are started with ``spawn``, so a
            script calling :func:`make_data` with ``workers > 1`` needs an ``if __name__ == "__main__":`` guard.
        ir_dir: Optional folder of measured IRs.
        ir_dir_only: Measured IRs replace the built-in ones of the same kind (room / phone).
        layout: Corpus layout (``auto``, ``folder``, ``musdb``, ``jamendo``).
        shard_size: Examples per shard file.
        cache_dir: Cache of energy profiles and simulated rooms (default ``out_dir/cache``).
        n_phones: Number of parametric phone responses.
        pair: Pair drawing and rendering options.
        rooms: Room simulation options (the ``shoebox`` family).
        n_stochastic_rooms: Rooms of the ``stochastic`` family (when the pair config draws it).
        n_algorithmic_rooms: Rooms of the ``algorithmic`` family (when the pair config draws it).
        holdout_sources: Top-level corpus folders held out of training (see the module docstring).
        test_family: Make the out-of-family test set from ``holdout_sources`` instead.
        progress: Show progress bars on stderr.
    """

    music_dir: Path
    out_dir: Path
    examples: int = 1000
    seed: int = 0
    workers: int = 1
    ir_dir: Path | None = None
    ir_dir_only: bool = False
    layout: str = "auto"
    shard_size: int = 64
    cache_dir: Path | None = None
    n_phones: int = 16
    pair: PairConfig = field(default_factory=PairConfig)
    rooms: RoomConfig = field(default_factory=RoomConfig)
    n_stochastic_rooms: int = 32
    n_algorithmic_rooms: int = 16
    holdout_sources: tuple[str, ...] = ()
    test_family: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        if self.examples < 1:
            raise ParameterError(f"`examples` must be at least 1, got {self.examples}")
        if self.shard_size < 1:
            raise ParameterError(f"`shard_size` must be at least 1, got {self.shard_size}")
        if self.workers < 1:
            raise ParameterError(f"`workers` must be at least 1, got {self.workers}")
        if self.n_phones < 1 and not (self.ir_dir and self.ir_dir_only):
            raise ParameterError("at least one phone response is needed (`n_phones` >= 1)")
        if self.test_family and not self.holdout_sources:
            raise ParameterError("`test_family` needs the held-out sources (`holdout_sources`)")
        if self.test_family and self.pair.recipe != "v2":
            raise ParameterError("`test_family` needs recipe v2")
        if self.n_stochastic_rooms < 0 or self.n_algorithmic_rooms < 0:
            raise ParameterError("room counts must be >= 0")

    @property
    def effective_pair(self) -> PairConfig:
        """The pair config as used: the test family forces its rooms, recipe and split."""
        if not self.test_family:
            return self.pair
        return dataclasses.replace(self.pair, room_families=("algorithmic",), held_out_recipe=True,
                                   split_fractions=(0.0, 0.0, 1.0))

    def content_dict(self) -> dict:
        """The options that shape the data (not where it goes or how fast): recorded in the manifest."""
        return {
            "examples": self.examples, "seed": self.seed, "layout": self.layout, "shard_size": self.shard_size,
            "ir_dir": None if self.ir_dir is None else str(Path(self.ir_dir).resolve()),
            "ir_dir_only": self.ir_dir_only, "n_phones": self.n_phones,
            "pair": asdict(self.effective_pair), "rooms": asdict(self.rooms),
            "n_stochastic_rooms": self.n_stochastic_rooms, "n_algorithmic_rooms": self.n_algorithmic_rooms,
            "holdout_sources": list(self.holdout_sources), "test_family": self.test_family,
        }


@dataclass
class MakeDataResult:
    """What a run did: the manifest, its path, and how much work was new."""

    manifest: dict
    manifest_path: Path
    shards_rendered: int
    shards_reused: int
    examples_rendered: int
    render_seconds: float
    workers: int


# -- stage 1: tracks --------------------------------------------------------------------------------

def _analyze(job: tuple[str, int, str | None]):
    path, sample_rate, cache_dir = job
    try:
        return act.load_or_analyze(path, sample_rate, None if cache_dir is None else Path(cache_dir))
    except AudioError:
        return None


def source_of(track) -> str:
    """The top-level corpus folder a track is in (its source: a game soundtrack, a collection)."""
    return track.rel_path.split("/", 1)[0] if "/" in track.rel_path else ""


def prepare_tracks(scan: CorpusScan, pair: PairConfig, cache_dir: Path | None, pool, progress: bool,
                   holdout_sources: tuple[str, ...] = (), only_holdout: bool = False) -> list[UsableTrack]:
    """Filter the scanned tracks down to usable ones; every rejected file is added to ``scan.skipped``.

    Tracks of ``holdout_sources`` are left out (``held_out``); with ``only_holdout`` all others are.
    """
    candidates = []
    for track in scan.tracks:
        held_out = source_of(track) in holdout_sources
        if held_out != only_holdout:
            scan.skip("held_out" if held_out else "not_held_out", track.rel_path)
        elif track.sample_rate < pair.min_source_rate_hz:
            scan.skip("low_sample_rate", track.rel_path)
        elif track.frames < 2 * np.ceil(pair.segment_s * track.sample_rate):
            scan.skip("too_short", track.rel_path)
        else:
            candidates.append(track)
    jobs = [(str(scan.path_of(t)), t.sample_rate, None if cache_dir is None else str(cache_dir)) for t in candidates]
    results = pool.imap(_analyze, jobs) if pool is not None else map(_analyze, jobs)
    usable = []
    bar = tqdm(zip(candidates, results), total=len(jobs), desc="scan", unit="track", file=sys.stderr,
               disable=not progress, leave=False)
    for track, activity in bar:
        if activity is None:
            scan.skip("unreadable", track.rel_path)
            continue
        if activity.frames < 2 * np.ceil(pair.segment_s * track.sample_rate):
            scan.skip("too_short", track.rel_path)
            continue
        span = act.segment_span(pair.segment_s, track.sample_rate, activity.hop)
        starts = act.valid_starts(activity.frame_db, span)
        pairable = int(act.pairable_starts(starts, span).size)
        if pairable == 0:
            scan.skip("silent", track.rel_path)
            continue
        usable.append(UsableTrack(track, split_of(track.track_id, pair.split_fractions), activity.hop, span,
                                  starts, pairable))
    return usable


def _no_usable_track_error(scan: CorpusScan, pair: PairConfig) -> CorpusError:
    counts = ", ".join(f"{len(paths)} {reason.replace('_', ' ')}" for reason, paths in sorted(scan.skipped.items()))
    return CorpusError(
        f"no usable track in {scan.root}: each needs two non-overlapping non-silent {pair.segment_s:g} s segments "
        f"at >= {pair.min_source_rate_hz} Hz ({counts or 'no files'})")


# -- stage 2: IR bank -------------------------------------------------------------------------------

def build_bank(config: MakeDataConfig, cache_dir: Path | None) -> tuple[IRBank, dict[str, list[str]]]:
    """Simulated rooms, parametric phones and measured IRs, as the config asks."""
    rate = config.pair.sample_rate
    measured, skipped = ([], {}) if config.ir_dir is None else load_ir_dir(config.ir_dir, rate)
    if config.ir_dir is not None and not measured:
        raise CorpusError(f"no readable impulse response ({', '.join(('.wav', '.flac', '.aiff', '.ogg'))}) in {config.ir_dir}")
    measured_rooms = [ir for ir in measured if ir.kind == "room"]
    measured_phones = [ir for ir in measured if ir.kind == "phone"]
    families = config.effective_pair.room_families if config.effective_pair.recipe == "v2" else ("shoebox",)
    rooms = []
    if not (config.ir_dir_only and measured_rooms):
        if "shoebox" in families:
            rooms += load_or_simulate_rooms(config.rooms, rate, config.seed, cache_dir)
        if "stochastic" in families:
            rooms += family_rooms("stochastic", config.n_stochastic_rooms, rate, config.seed)
        if "algorithmic" in families:
            rooms += family_rooms("algorithmic", config.n_algorithmic_rooms, rate, config.seed)
    phones = [] if config.ir_dir_only and measured_phones else parametric_phones(config.n_phones, rate, config.seed)
    bank = IRBank(rooms + measured_rooms, phones + measured_phones)
    if not bank.rooms:
        raise ParameterError("no room IRs: simulate at least one room (`rooms`) or give room IRs in `ir_dir`")
    if not bank.phones:
        raise ParameterError("no phone responses: use `n_phones` >= 1 or put phone IRs in a phone/ folder of `ir_dir`")
    return bank, skipped


# -- stage 3: plan ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShardJob:
    file: str
    split: str
    specs: tuple[ExampleSpec, ...]
    digest: str


def _ir_hashes(bank: IRBank) -> dict[str, str]:
    return {ir.ir_id: hashlib.sha1(np.ascontiguousarray(ir.samples).tobytes()).hexdigest()
            for ir in bank.rooms + bank.phones}


def plan_shards(config: MakeDataConfig, usable: list[UsableTrack], bank: IRBank) -> list[ShardJob]:
    """Allocate examples to splits, draw their specs and cut them into shard jobs."""
    by_split = {name: [t for t in usable if t.split == name] for name in SPLITS}
    pair = config.effective_pair
    counts = allocate_examples(config.examples, pair.split_fractions,
                               {name: bool(tracks) for name, tracks in by_split.items()})
    ir_hashes = _ir_hashes(bank)
    jobs = []
    for split in SPLITS:
        specs = plan_split(split, counts[split], by_split[split], bank, pair, config.seed)
        for k, start in enumerate(range(0, len(specs), config.shard_size)):
            chunk = tuple(specs[start:start + config.shard_size])
            used_irs = sorted({s.room_ir for s in chunk} | {s.phone_ir for s in chunk})
            key = {"format_version": SHARD_FORMAT_VERSION, "aeib_version": aeib.__version__,
                   "pair": asdict(pair), "specs": [s.to_json() for s in chunk],
                   "irs": {ir_id: ir_hashes[ir_id] for ir_id in used_irs}}
            digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
            jobs.append(ShardJob(f"{split}-{k:05d}.npz", split, chunk, digest))
    return jobs


# -- stage 4: render --------------------------------------------------------------------------------

_WORKER_STATE: dict = {}


def _init_worker(root: Path, bank: IRBank, pair: PairConfig, out_dir: Path) -> None:
    _WORKER_STATE.update(root=root, bank=bank, pair=pair, out_dir=out_dir)


def render_shard(job: ShardJob, root: Path, bank: IRBank, pair: PairConfig, out_dir: Path) -> dict:
    """Render and write one shard; returns its meta (digest and example records)."""
    signals = {name: [] for name in SIGNALS}
    records = []
    for row, spec in enumerate(job.specs):
        rendered, facts = render_example(spec, root, bank, pair)
        for name in SIGNALS:
            signals[name].append(rendered[name].astype(AUDIO_DTYPE))
        records.append({**spec.to_json(), **facts, "shard": job.file, "row": row})
    vectors = np.stack([CHAIN_SCHEMA.to_vector(spec.settings) for spec in job.specs])
    meta = {"format_version": SHARD_FORMAT_VERSION, "digest": job.digest, "split": job.split, "examples": records}
    arrays = {name: np.stack(values) for name, values in signals.items()}
    arrays.update(params=vectors.astype(np.float32), params01=CHAIN_SCHEMA.normalize(vectors).astype(np.float32),
                  style=np.array([style_index(s.style) for s in job.specs], dtype=np.int16), meta=encode_meta(meta))
    write_npz(Path(out_dir) / job.file, arrays)
    return meta


def _render_in_worker(job: ShardJob) -> tuple[str, dict]:
    state = _WORKER_STATE
    return job.file, render_shard(job, state["root"], state["bank"], state["pair"], state["out_dir"])


def _remove_stale_partials(out_dir: Path) -> None:
    for stale in out_dir.glob(".*.partial.npz"):
        stale.unlink(missing_ok=True)


# -- orchestration ----------------------------------------------------------------------------------

def make_data(config: MakeDataConfig) -> MakeDataResult:
    """Run the whole pipeline (see the module docstring).

    Raises:
        CorpusError: missing music or IR folder, empty corpus, or no usable track.
        OutputError: the output folder cannot be created or written.
        ParameterError: inconsistent options.
    """
    out_dir = Path(config.out_dir).expanduser()
    if not out_dir.parent.is_dir():
        raise CorpusError(f"cannot create {out_dir}: folder {out_dir.parent} does not exist")
    if out_dir.exists() and not out_dir.is_dir():
        raise CorpusError(f"`out_dir` {out_dir} is a file, not a folder")
    scan = scan_corpus(config.music_dir, config.layout)
    out_dir.mkdir(exist_ok=True)
    cache_dir = Path(config.cache_dir) if config.cache_dir is not None else out_dir / "cache"
    _remove_stale_partials(out_dir)
    pair = config.effective_pair
    if config.holdout_sources:
        known = {source_of(t) for t in scan.tracks}
        unknown = [name for name in config.holdout_sources if name not in known]
        if unknown:
            raise CorpusError(f"`holdout_sources`: no folder {', '.join(unknown)} in {scan.root} "
                              f"(its sources: {', '.join(sorted(k for k in known if k)) or 'none'})")

    context = multiprocessing.get_context("spawn")
    pool = context.Pool(config.workers) if config.workers > 1 else None
    try:
        usable = prepare_tracks(scan, pair, cache_dir, pool, config.progress, tuple(config.holdout_sources),
                                only_holdout=config.test_family)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    if not usable:
        raise _no_usable_track_error(scan, pair)
    bank, skipped_irs = build_bank(config, cache_dir)
    jobs = plan_shards(config, usable, bank)

    metas: dict[str, dict] = {}
    todo = []
    for job in jobs:
        if shard_is_valid(out_dir / job.file, job.digest, len(job.specs)):
            metas[job.file] = read_meta(out_dir / job.file)
        else:
            todo.append(job)
    rendered_examples = sum(len(job.specs) for job in todo)
    bar = tqdm(total=config.examples, initial=config.examples - rendered_examples, desc="make-data", unit="ex",
               file=sys.stderr, disable=not config.progress, smoothing=0.1)
    started = time.perf_counter()
    try:
        if config.workers > 1 and len(todo) > 1:
            with context.Pool(min(config.workers, len(todo)), initializer=_init_worker,
                              initargs=(scan.root, bank, pair, out_dir)) as render_pool:
                for file, meta in render_pool.imap_unordered(_render_in_worker, todo):
                    metas[file] = meta
                    bar.update(len(meta["examples"]))
        else:
            for job in todo:
                metas[job.file] = render_shard(job, scan.root, bank, pair, out_dir)
                bar.update(len(job.specs))
    finally:
        bar.close()
    render_seconds = time.perf_counter() - started

    manifest = _assemble_manifest(config, scan, usable, bank, skipped_irs, jobs, metas, out_dir)
    path = write_manifest(out_dir, manifest)
    manifest = json.loads(path.read_text(encoding="utf-8"))  # tuples became lists: return what readers see
    return MakeDataResult(manifest, path, len(todo), len(jobs) - len(todo), rendered_examples, render_seconds,
                          min(config.workers, max(1, len(todo))))


def _assemble_manifest(config: MakeDataConfig, scan: CorpusScan, usable: list[UsableTrack], bank: IRBank,
                       skipped_irs: dict, jobs: list[ShardJob], metas: dict[str, dict], out_dir: Path) -> dict:
    tracks = [{"id": u.track.track_id, "file": u.track.rel_path, "split": u.split,
               "duration_s": round(u.track.duration_s, 3), "sample_rate": u.track.sample_rate,
               "channels": u.track.channels} for u in usable]
    hours = {name: round(sum(t["duration_s"] for t in tracks if t["split"] == name) / 3600, 4) for name in SPLITS}
    skipped = {reason: sorted(paths) for reason, paths in sorted({**scan.skipped, **skipped_irs}.items())}
    shards = [{"file": job.file, "split": job.split, "examples": len(job.specs),
               "sha256": file_sha256(out_dir / job.file)} for job in jobs]
    examples = [record for job in jobs for record in metas[job.file]["examples"]]
    return {
        "format": MANIFEST_FORMAT,
        "format_version": MANIFEST_FORMAT_VERSION,
        "aeib_version": aeib.__version__,
        "config": config.content_dict(),
        "audio": {"sample_rate": config.pair.sample_rate, "channels": 1,
                  "segment_samples": config.pair.segment_samples, "dtype": np.dtype(AUDIO_DTYPE).name,
                  "signals": list(SIGNALS)},
        "corpus": {
            "root": str(scan.root), "layout": scan.layout, "tracks": tracks,
            "tracks_per_split": {name: sum(t["split"] == name for t in tracks) for name in SPLITS},
            "hours_per_split": hours, "hours": round(sum(hours.values()), 4),
            "skipped": skipped, "skipped_counts": {reason: len(paths) for reason, paths in skipped.items()},
        },
        "irs": bank.describe(),
        "schema": CHAIN_SCHEMA.to_json_dict(),
        "styles": describe_styles(),
        "degradations": describe_families() if config.effective_pair.recipe == "v2" else None,
        "splits": {name: sum(job.split == name for job in jobs for _ in job.specs) for name in SPLITS},
        "shards": shards,
        "examples": examples,
    }
