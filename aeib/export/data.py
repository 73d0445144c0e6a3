"""Audio windows for calibration, built-in styles and parity, and their log-mel features.

Windows come from the ``aeib make-data`` shards (float16 mono at the model rate): calibration and
styles use the *train* split, parity the *valid* split. Only the ``input`` and ``reference`` arrays
are read, straight from their byte ranges in the stored (uncompressed) ``.npz`` members, so picking a
few hundred examples spread over all shards does not read the whole dataset. Without a valid split,
parity uses :func:`generated_windows` (the bundled example clip at several offsets and levels).
This module imports no TensorFlow.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aeib.data.manifest import MANIFEST_NAME
from aeib.data.shards import member_layout, read_meta
from aeib.export.config import ExportError
from aeib.features import LogMelSpec, frame_signal, frame_window, mel_filterbank
from aeib.hashing import file_sha256

SIGNALS = ("input", "reference")


@dataclass(frozen=True)
class Windows:
    """Paired analysis windows.

    Attributes:
        input: float32[n, samples], mono input recordings.
        reference: float32[n, samples], mono references (clean mixes in the training data).
        source: Where they came from, for the bundle's ``parity`` block (e.g. ``"valid shards"``).
        reference_kinds: Per window, how its reference was recorded (data v2: ``board`` — the desk's
            clean mix — or ``live`` — captured in the room by a phone); ``None`` when unknown.
    """

    input: np.ndarray
    reference: np.ndarray
    source: str
    reference_kinds: tuple[str, ...] | None = None

    def __len__(self) -> int:
        return self.input.shape[0]


def check_data_dir(data_dir: str | Path) -> Path:
    """The data folder, checked to hold training shards.

    Raises:
        ExportError: if the folder is missing or holds no ``train-*.npz`` shard.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ExportError(f"no such data folder: {data_dir} (expected the output of `aeib make-data`)")
    if not shard_paths(data_dir, "train"):
        raise ExportError(f"{data_dir} holds no training shards (train-*.npz); run `aeib make-data` first")
    return data_dir


def shard_paths(data_dir: Path, split: str) -> list[Path]:
    """Shards of one split, sorted by name."""
    return sorted(Path(data_dir).glob(f"{split}-*.npz"))


def manifest_sha256(data_dir: str | Path) -> str | None:
    """SHA-256 of the data folder's manifest (``None`` without one)."""
    path = Path(data_dir) / MANIFEST_NAME
    return file_sha256(path) if path.is_file() else None


def _crop(audio: np.ndarray, n_samples: int) -> np.ndarray:
    """Centre ``n_samples`` of a longer signal."""
    start = (audio.shape[-1] - n_samples) // 2
    return audio[..., start:start + n_samples]


def _shard_members(path: Path) -> dict[str, np.memmap]:
    try:
        layout = member_layout(path)
        arrays = {}
        for name in SIGNALS:
            offset, _, dtype, shape = layout[name]
            arrays[name] = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ExportError(f"cannot read shard {path}: {exc}") from None
    return arrays


def shard_windows(data_dir: str | Path, split: str, count: int, n_samples: int) -> Windows | None:
    """``count`` examples spread evenly over a split's shards, centre-cropped to ``n_samples``.

    Returns:
        The windows (fewer if the split is smaller), or ``None`` if the split has no shards.

    Raises:
        ExportError: for an unreadable shard or examples shorter than ``n_samples``.
    """
    paths = shard_paths(Path(data_dir), split)
    if not paths:
        return None
    shards = [_shard_members(path) for path in paths]
    sizes = np.array([shard["input"].shape[0] for shard in shards])
    segment = shards[0]["input"].shape[1]
    if segment < n_samples:
        raise ExportError(f"{split} examples hold {segment} samples, fewer than the {n_samples}-sample "
                          "analysis window; export with a shorter `window_seconds` or remake the data")
    total = int(sizes.sum())
    picks = np.unique(np.linspace(0, total - 1, min(count, total)).round().astype(int))
    starts = np.concatenate([[0], np.cumsum(sizes)])
    out = {name: np.empty((len(picks), n_samples), dtype=np.float32) for name in SIGNALS}
    records: dict[int, list] = {}
    kinds = []
    for row, pick in enumerate(picks):
        shard = int(np.searchsorted(starts, pick, side="right") - 1)
        for name in SIGNALS:
            out[name][row] = _crop(np.asarray(shards[shard][name][pick - starts[shard]], dtype=np.float32), n_samples)
        if shard not in records:
            try:
                records[shard] = read_meta(paths[shard]).get("examples", [])
            except Exception:  # noqa: BLE001 - the kinds are optional information
                records[shard] = []
        record = records[shard][pick - starts[shard]] if pick - starts[shard] < len(records[shard]) else {}
        kinds.append(record.get("target_mode") if record.get("recipe") == "v2" else None)
    if not np.isfinite(out["input"]).all() or not np.isfinite(out["reference"]).all():
        raise ExportError(f"{split} shards in {data_dir} hold NaN or infinite samples")
    known = tuple(kinds) if all(k is not None for k in kinds) else None
    return Windows(out["input"], out["reference"], f"{split} shards", known)


def generated_windows(count: int, n_samples: int, sample_rate: int, seed: int = 0) -> Windows:
    """Music-like windows without a dataset: the bundled example clip at random offsets and levels.

    Each input is the clip from a random offset (looped) at a random peak level between −30 and
    −3 dBFS; its reference is the clip from another offset at another level.
    """
    from aeib.bench import benchmark_signal

    clip = benchmark_signal(30.0, sample_rate, 1)[:, 0]
    rng = np.random.default_rng(seed)

    def window() -> np.ndarray:
        start = int(rng.integers(0, clip.shape[0]))
        audio = np.resize(np.roll(clip, -start), n_samples)
        peak = np.max(np.abs(audio)) or 1.0
        return (audio / peak * 10.0 ** (rng.uniform(-30.0, -3.0) / 20.0)).astype(np.float32)

    inputs = np.stack([window() for _ in range(count)])
    references = np.stack([window() for _ in range(count)])
    return Windows(inputs, references, "generated (bundled example clip, random offsets and levels)")


def features(audio: np.ndarray, spec: LogMelSpec) -> np.ndarray:
    """The model's input features: :func:`aeib.features.log_mel_spectrogram`, via an FFT, as float32.

    The DFT-matrix product of the reference definition is replaced by ``np.fft.rfft`` of the
    windowed frames divided by ``Σw`` — the same transform (agreement to about 1e-12 in the log-mel
    values, checked by a test) and about a hundred times faster for 1024-sample frames.

    Args:
        audio: float[n, samples] mono windows at ``spec.sample_rate``.
        spec: The model's front end.

    Returns:
        float32[n, frames, n_mels].
    """
    audio = np.asarray(audio)
    window = frame_window(spec.frame_length)
    filterbank = mel_filterbank(spec)
    out = np.empty((audio.shape[0], spec.n_frames(audio.shape[-1]), spec.n_mels), dtype=np.float32)
    for row in range(audio.shape[0]):  # one window at a time keeps the float64 frames small
        frames = frame_signal(np.asarray(audio[row], dtype=np.float64), spec.frame_length, spec.hop_length)
        power = np.abs(np.fft.rfft(frames * window, axis=-1)) ** 2
        out[row] = np.log(power @ filterbank + spec.log_eps)
    return out


# -- tonal targets -------------------------------------------------------------------------------

SPECTRUM_STEP_OCTAVES = 1.0 / 12.0
"""Spacing of a style spectrum's frequency grid (each point: the mean of the FFT bins within half a step)."""
SPECTRUM_LOW_HZ = 20.0


def aligned_spectrum_db(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """``(freqs_hz, level_db)``: the :class:`~aeib.runtime.spectrum.LongTermSpectrum` of mono ``audio``,
    level-aligned to 0 dB total power."""
    from aeib.runtime.spectrum import LongTermSpectrum

    spectrum = LongTermSpectrum(sample_rate)
    spectrum.add(np.asarray(audio, dtype=np.float64))
    freqs, level = spectrum.level_db()
    return freqs, level - 10.0 * np.log10(np.sum(10.0 ** (level / 10.0)))


def log_grid_spectrum(freqs: np.ndarray, level_db: np.ndarray, top_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """A per-bin spectrum on the 1/12-octave grid from 20 Hz up to ``top_hz`` (each point the mean of
    the bins within ±1/24 octave; interpolated where there is none)."""
    from aeib.baselines.rule_based import band_means

    n = int(np.floor(np.log2(top_hz / SPECTRUM_LOW_HZ) / SPECTRUM_STEP_OCTAVES)) + 1
    grid = SPECTRUM_LOW_HZ * 2.0 ** (SPECTRUM_STEP_OCTAVES * np.arange(n))
    return grid, band_means(freqs, level_db, grid, SPECTRUM_STEP_OCTAVES / 2)


def style_spectra(data_dir: str | Path, kinds: tuple[str, ...], sample_rate: int, split: str = "train") -> dict[str, dict]:
    """The tonal target of each reference kind: the mean, in dB, of the level-aligned long-term spectra
    (:func:`aligned_spectrum_db`) of *every* ``split`` reference whose example's ``target_mode`` is that
    kind (data v2), on :func:`log_grid_spectrum`'s grid up to the Nyquist frequency of the shards'
    ``sample_rate`` (the model rate).

    Returns:
        ``{kind: {"freqs_hz", "level_db", "references"}}`` (lists rounded to 0.01), for the kinds found
        (none for shards without example records, e.g. data v1's).

    Raises:
        ExportError: for a shard whose audio cannot be read.
    """
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    freqs = np.zeros(0)
    for path in shard_paths(Path(data_dir), split):
        try:
            records = read_meta(path).get("examples", [])
        except Exception:  # noqa: BLE001 - the kinds are optional information (as in shard_windows)
            continue
        references = _shard_members(path)["reference"]
        for row, record in enumerate(records[: references.shape[0]]):
            kind = record.get("target_mode") if record.get("recipe") == "v2" else None
            if kind not in kinds:
                continue
            freqs, level = aligned_spectrum_db(np.asarray(references[row], dtype=np.float32), sample_rate)
            sums[kind] = sums[kind] + level if kind in sums else level
            counts[kind] = counts.get(kind, 0) + 1
    out = {}
    for kind, total in sums.items():
        grid, level = log_grid_spectrum(freqs, total / counts[kind], sample_rate / 2.0)
        out[kind] = {"freqs_hz": [round(float(f), 2) for f in grid], "level_db": [round(float(v), 2) for v in level],
                     "references": counts[kind]}
    return out
