"""Test sets for ``aeib evaluate``: dataset shards or folders of WAV triplets, at one evaluation rate.

Two sources are accepted:

* **shards** written by ``aeib make-data`` — a dataset folder (``manifest.json`` + shards; the
  ``--split`` picks the shards), a folder of bare ``{split}-*.npz`` shards, or one ``.npz`` file.
  Shards also record each example's style and the exact setting applied to make its input, so
  settings can be compared (see :mod:`aeib.evaluation.inversion`).
* **triplets** — a folder of ``NAME_input.wav``, ``NAME_target.wav`` and ``NAME_reference.wav``
  (``.flac`` too), any sample rate and channel count. Input and target of a triplet must have the
  same duration; every file must last at least 0.4 s, at 8–192 kHz.

A damaged file refuses the whole test set (:class:`DataError` naming the file), before any method
runs: every file's header is checked and every triplet's audio read once up front. Skipping it
instead would silently change which examples the scores average over, so two runs (or two
models) could no longer be compared; the fix is one rename or deletion. A ``manifest.json`` that
is not an aeib dataset manifest (another tool's list of files, say) beside complete triplets is
ignored with a warning (:attr:`EvalDataset.warnings`).

Every example is delivered as mono float32 at the evaluation rate (soxr resampling), examples one
at a time (a whole test split does not need to fit in memory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from aeib.audio import audio_info, read_audio, resample, to_mono
from aeib.data.manifest import MANIFEST_NAME, load_manifest, shard_files
from aeib.data.shards import member_layout, read_meta, read_shard
from aeib.data.styles import STYLE_NAMES
from aeib.dsp import CHAIN_SCHEMA
from aeib.dsp.processor import MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ
from aeib.errors import AeibError, AudioError, DataError

TRIPLET_ROLES = ("input", "target", "reference")
TRIPLET_SUFFIXES = (".wav", ".flac")
MIN_REFERENCE_S = 0.4
MIN_TRIPLET_S = MIN_REFERENCE_S
"""Shortest input, target or reference accepted (the metrics' STFTs need a few frames)."""
_TRIPLET_RE = re.compile(r"^(?P<name>.+)_(?P<role>input|target|reference)$")


@dataclass(frozen=True)
class EvalExample:
    """One test case.

    Attributes:
        example_id: Unique, human-readable id (``test-00003.npz#12`` or the triplet's name).
        input: float32[samples] mono recording to fix, at ``sample_rate``.
        target: float32[samples] mono, what the fix should sound like.
        reference: float32[samples'] mono reference the methods may listen to.
        sample_rate: Evaluation rate in Hz.
        style: Name of the style that made the input (``None`` if unknown).
        applied_params: The setting (physical units, complete) that was applied to make the input,
            or ``None`` if unknown.
        groups: Further scopes the example is reported in (data v2: its mode and each degradation
            family or kind it went through, e.g. ``mode:board``, ``family:capture``, ``kind:gsm``).
    """

    example_id: str
    input: np.ndarray
    target: np.ndarray
    reference: np.ndarray
    sample_rate: int
    style: str | None = None
    applied_params: dict[str, float] | None = None
    groups: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float:
        return len(self.input) / self.sample_rate


class EvalDataset:
    """An iterable test set (see :func:`open_dataset`).

    Attributes:
        description: One line saying what was loaded (for reports).
        native_rate: The rate the audio is stored at (``None`` if the triplets mix rates).
        sample_rate: The evaluation rate examples are delivered at.
        count: Number of examples that iteration yields.
        warnings: Lines for the user about what was ignored while opening it.
    """

    def __init__(self, description: str, native_rate: int | None, sample_rate: int, count: int, loader,
                 warnings: tuple[str, ...] = ()):
        self.description = description
        self.native_rate = native_rate
        self.sample_rate = int(sample_rate)
        self.count = int(count)
        self._loader = loader
        self.warnings = tuple(warnings)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[EvalExample]:
        return self._loader()


def _to_rate(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    return resample(to_mono(audio).astype(np.float32), rate_in, rate_out)


# -- shards --------------------------------------------------------------------------------------

def _shard_paths(path: Path, split: str) -> tuple[list[Path], int, str]:
    """(shard files, native rate or 0 if unknown, description)."""
    if path.is_file():
        if path.suffix != ".npz":
            raise DataError(f"{path} is neither a folder nor a .npz shard")
        return [path], 0, f"shard {path}"
    if (path / MANIFEST_NAME).is_file():
        try:
            manifest = load_manifest(path)
        except AeibError as exc:
            raise DataError(str(exc)) from None
        try:
            files = shard_files(path, split, manifest)
            splits = sorted({str(s["split"]) for s in manifest["shards"]})
            rate = int(manifest["audio"]["sample_rate"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path / MANIFEST_NAME} is malformed (shards or audio: {type(exc).__name__} {exc})") from None
        if not files:
            raise DataError(f"{path} has no shards of split {split!r} (it has: {', '.join(splits) or 'none'})")
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise DataError(f"{path}: {len(missing)} shard(s) of split {split!r} are missing, e.g. {missing[0]}")
        return files, rate, f"{path} split {split!r} ({len(files)} shards)"
    files = sorted(path.glob(f"{split}-*.npz"))
    return files, 0, f"{path} split {split!r} ({len(files)} shards, no manifest)"


def _shard_count(path: Path) -> int:
    try:
        return len(read_meta(path)["examples"])
    except Exception as exc:  # zip, JSON or key errors: a damaged or foreign file
        raise DataError(f"cannot read shard {path}: {exc}") from None


def _shard_dataset(files: list[Path], native_rate: int, description: str, sample_rate: int | None,
                   limit: int | None) -> EvalDataset:
    total = sum(_shard_count(f) for f in files)  # also checks that every shard is readable
    if not native_rate:  # no manifest: samples per segment over its seconds at the source rate
        try:
            record = read_meta(files[0])["examples"][0]
            samples = member_layout(files[0])["input"][3][1]
            native_rate = int(round(samples * record["source_sample_rate"] / record["segment_frames"]))
        except Exception as exc:
            raise DataError(f"cannot tell the sample rate of {files[0]} ({exc}); pass the dataset folder "
                            "with its manifest.json") from None
    rate = sample_rate or native_rate
    count = total if limit is None else min(limit, total)

    def load() -> Iterator[EvalExample]:
        produced = 0
        for file in files:
            try:
                shard = read_shard(file)
            except Exception as exc:
                raise DataError(f"cannot read shard {file}: {exc}") from None
            records = shard["meta"].get("examples", []) if isinstance(shard.get("meta"), dict) else []
            for row in range(shard["input"].shape[0]):
                if produced >= count:
                    return
                style_index = int(shard["style"][row])
                v2 = row < len(records) and records[row].get("recipe") == "v2"
                yield EvalExample(
                    example_id=f"{file.name}#{row}",
                    input=_to_rate(shard["input"][row], native_rate, rate),
                    target=_to_rate(shard["target"][row], native_rate, rate),
                    reference=_to_rate(shard["reference"][row], native_rate, rate),
                    sample_rate=rate,
                    style=STYLE_NAMES[style_index] if 0 <= style_index < len(STYLE_NAMES) else None,
                    applied_params=CHAIN_SCHEMA.to_dict(np.clip(
                        shard["params"][row].astype(np.float64),
                        [s.min for s in CHAIN_SCHEMA], [s.max for s in CHAIN_SCHEMA])),
                    groups=example_groups(records[row]) if v2 else (),
                )
                produced += 1

    return EvalDataset(description, native_rate, rate, count, load)


def example_groups(record: dict) -> tuple[str, ...]:
    """The report scopes of a data-v2 example record: its mode, then each family and kind it went through."""
    groups = [f"mode:{record.get('mode', 'live')}"]
    steps = [s for s in record.get("degradations", []) if isinstance(s, dict)]
    if record.get("mode") != "identity" and not steps:
        groups.append("family:level-only")
    groups += [f"family:{s.get('family')}" for s in steps]
    groups += [f"kind:{s.get('kind')}" for s in steps]
    return tuple(groups)


# -- triplets ------------------------------------------------------------------------------------

def find_triplets(folder: Path) -> dict[str, dict[str, Path]]:
    """``{name: {role: path}}`` of the complete triplets in ``folder`` (sorted by name).

    Raises:
        DataError: if a name lacks one of its three files, or has two files for one role.
    """
    groups: dict[str, dict[str, Path]] = {}
    for file in sorted(folder.iterdir()):
        if file.name.startswith(".") or file.suffix.lower() not in TRIPLET_SUFFIXES:
            continue
        match = _TRIPLET_RE.match(file.stem)
        if not match:
            continue
        roles = groups.setdefault(match["name"], {})
        if match["role"] in roles:
            raise DataError(f"{folder}: two {match['role']} files for {match['name']!r}: "
                            f"{roles[match['role']].name} and {file.name}")
        roles[match["role"]] = file
    for name, roles in groups.items():
        missing = [role for role in TRIPLET_ROLES if role not in roles]
        if missing:
            raise DataError(f"{folder}: {name!r} has no {' or '.join(f'{name}_{m}.wav' for m in missing)}")
    return groups


def _check_triplet(folder: Path, name: str, files: dict[str, Path]) -> set[int]:
    """Refuse a triplet that cannot be evaluated (headers, lengths, rates, then every sample); its rates."""
    refuse = f"test set {folder} refused: triplet {name!r}"
    try:
        infos = {role: audio_info(files[role]) for role in TRIPLET_ROLES}
    except AudioError as exc:
        raise DataError(f"{refuse}: {exc}") from None
    for info in infos.values():
        if not MIN_SAMPLE_RATE_HZ <= info.sample_rate <= MAX_SAMPLE_RATE_HZ:
            raise DataError(f"{refuse}: {info.path.name} is at {info.sample_rate} Hz, outside the supported "
                            f"{MIN_SAMPLE_RATE_HZ}–{MAX_SAMPLE_RATE_HZ} Hz")
        if info.duration_s < MIN_TRIPLET_S:
            raise DataError(f"{refuse}: {info.path.name} lasts {info.duration_s:.2f} s; need ≥ {MIN_TRIPLET_S} s")
    for role in TRIPLET_ROLES:  # damage past the header (NaN, a broken frame) shows only when read
        try:
            read_audio(files[role])
        except AudioError as exc:
            raise DataError(f"{refuse}: {exc}") from None
    if abs(infos["input"].duration_s - infos["target"].duration_s) > 1.0 / infos["input"].sample_rate:
        raise DataError(f"{refuse}: input ({infos['input'].duration_s:.3f} s) and target "
                        f"({infos['target'].duration_s:.3f} s) differ in length")
    return {info.sample_rate for info in infos.values()}


def _triplet_dataset(folder: Path, groups: dict[str, dict[str, Path]], sample_rate: int | None,
                     limit: int | None, warnings: tuple[str, ...] = ()) -> EvalDataset:
    names = sorted(groups)[: limit if limit is not None else None]
    rates = set()
    for name in names:
        rates |= _check_triplet(folder, name, groups[name])
    native = rates.pop() if len(rates) == 1 else None
    rate = sample_rate or native or 24_000

    def load() -> Iterator[EvalExample]:
        for name in names:
            audio = {}
            for role in TRIPLET_ROLES:
                data, file_rate = read_audio(groups[name][role])
                if not np.isfinite(data).all():
                    raise AudioError(f"{groups[name][role]} contains NaN or infinite samples")
                audio[role] = _to_rate(data, file_rate, rate)
            n = min(len(audio["input"]), len(audio["target"]))  # resampling may differ by a sample
            yield EvalExample(name, audio["input"][:n], audio["target"][:n], audio["reference"], rate)

    return EvalDataset(f"{folder} ({len(names)} triplets)", native, rate, len(names), load, warnings)


# -- entry point ---------------------------------------------------------------------------------

def open_dataset(path: str | Path, split: str = "test", sample_rate: int | None = None,
                 limit: int | None = None) -> EvalDataset:
    """Open a test set.

    Args:
        path: Dataset folder (with ``manifest.json``), folder of ``{split}-*.npz`` shards, one
            ``.npz`` shard, or a folder of ``*_input/_target/_reference`` WAV or FLAC triplets.
        split: Which split's shards to use (shard sources only).
        sample_rate: Evaluation rate in Hz; ``None`` keeps the stored rate (24 kHz if the
            triplets mix rates).
        limit: Use at most this many examples (the first ones, in storage order).

    Returns:
        The dataset (iterating reads the audio lazily).

    Raises:
        DataError: missing path, no examples, unreadable or inconsistent files.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"no such file or folder: {path}")
    if limit is not None and limit < 1:
        raise DataError(f"`limit` must be ≥ 1, got {limit}")
    if path.is_dir():
        groups = find_triplets(path)
        if groups:
            if not (path / MANIFEST_NAME).exists():
                return _triplet_dataset(path, groups, sample_rate, limit)
            try:
                load_manifest(path)  # ours: the shards it lists are the test set
            except AeibError as exc:  # another tool's manifest.json beside the triplets
                note = f"{exc}; ignoring it and evaluating the {len(groups)} triplets beside it"
                return _triplet_dataset(path, groups, sample_rate, limit, (note,))
    files, native_rate, description = _shard_paths(path, split)
    if not files:
        raise DataError(f"{path} holds no test data: expected a dataset folder (manifest.json + shards), "
                        f"{split}-*.npz shards, or *_input.wav/*_target.wav/*_reference.wav triplets")
    dataset = _shard_dataset(files, native_rate, description, sample_rate, limit)
    if dataset.count == 0:
        raise DataError(f"{path} holds no examples")
    return dataset
