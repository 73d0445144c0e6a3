"""``tf.data`` loader for the style-pair shards written by ``aeib make-data``.

Streams the ``.npz`` shards of one split (a few at a time, interleaved), shuffles, crops every example
to the training length and batches. Input and target are cropped at the *same* offset (they are the
same moment of the track, one styled); the reference gets its own offset (it is another segment
anyway). With ``seed`` fixed the sequence of batches is reproducible: shard order, shuffle and crops
all derive from it, the crops through stateless random ops keyed by ``(seed, example counter)``.

Batch layout (a dict of float32/int32 tensors)::

    input, target, reference : float32[batch, crop_samples]   mono audio, dataset sample rate
    params                   : float32[batch, n_params]        applied setting, physical units
    params01                 : float32[batch, n_params]        the same, normalized to [0, 1]
    style                    : int32[batch]                    index into aeib.data.STYLE_NAMES
    token_eligible           : float32[batch]                  1 where the target is a board mix or
                                                               the input itself (data v2), else 0
    token_draw               : float32[batch]                  uniform in [0, 1), reproducible per
                                                               example (the style-token draw)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from aeib.data.corpus import CorpusError
from aeib.data.manifest import load_manifest, shard_files
from aeib.data.shards import SIGNALS, member_layout, read_meta
from aeib.errors import ParameterError

DEFAULT_CROP_S = 2.5


_COLUMNS = SIGNALS + ("params", "params01", "style")


def token_eligible(record: dict) -> bool:
    """Whether an example may stand in for the reference-free board-mix style (its target is a
    board mix, or it is a clean recording to be left alone)."""
    return record.get("recipe") == "v2" and (record.get("target_mode") == "board" or record.get("mode") == "identity")


def _eligible_flags(path: str, n_examples: int) -> np.ndarray:
    """float32[n_examples] of :func:`token_eligible` from a shard's metadata (zeros if it has none)."""
    try:
        records = read_meta(path).get("examples", [])
    except Exception:  # noqa: BLE001 - v1 shards or missing metadata: nothing is eligible
        records = []
    flags = np.zeros(n_examples, dtype=np.float32)
    for index, record in enumerate(records[:n_examples]):
        flags[index] = float(token_eligible(record))
    return flags


def _shard_table(files: list[str]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Byte offsets and lengths of every column in every shard, read from the zip and npy headers,
    and each shard's style-token eligibility flags (padded to the largest shard)."""
    offsets, sizes, flags = [], [], []
    for path in files:
        layout = member_layout(path)
        offsets.append([layout[name][0] for name in _COLUMNS])
        sizes.append([layout[name][1] for name in _COLUMNS])
        flags.append(_eligible_flags(path, int(layout["style"][3][0])))
    width = max(len(f) for f in flags)
    padded = np.zeros((len(files), width), dtype=np.float32)
    for row, values in enumerate(flags):
        padded[row, :len(values)] = values
    return files, np.array(offsets, dtype=np.int64), np.array(sizes, dtype=np.int64), padded


def _shard_examples(path: tf.Tensor, offsets: tf.Tensor, sizes: tf.Tensor, eligible: tf.Tensor, segment: int,
                    n_params: int) -> tf.data.Dataset:
    """The examples of one shard, decoded with TensorFlow ops only.

    No Python runs inside the pipeline (``from_generator`` would): a Python callback in tf.data's
    threads needs the GIL, and destroying a half-read iterator while holding it deadlocks.
    """
    contents = tf.io.read_file(path)

    def column(index: int, dtype: tf.DType, width: int | None) -> tf.Tensor:
        values = tf.io.decode_raw(tf.strings.substr(contents, offsets[index], sizes[index]), dtype)
        return values if width is None else tf.reshape(values, [-1, width])

    signals = tuple(column(i, tf.float16, segment) for i in range(len(SIGNALS)))
    params = column(3, tf.float32, n_params)
    params01 = column(4, tf.float32, n_params)
    style = tf.cast(column(5, tf.int16, None), tf.int32)
    return tf.data.Dataset.from_tensor_slices(signals + (params, params01, style, eligible[:tf.shape(style)[0]]))


def pair_dataset(data_dir: str | Path, split: str = "train", batch_size: int = 16, crop_s: float = DEFAULT_CROP_S,
                 shuffle: bool = True, seed: int = 0, repeat: bool = False, shuffle_buffer: int = 512,
                 random_crop: bool | None = None, drop_remainder: bool = True, cycle_length: int = 4) -> tf.data.Dataset:
    """Build the input pipeline for one split.

    Args:
        data_dir: Folder with ``manifest.json`` and the shards.
        split: ``train``, ``valid`` or ``test``.
        batch_size: Examples per batch.
        crop_s: Training length in seconds (at most the dataset's segment length).
        shuffle: Shuffle shard order and examples (buffer ``shuffle_buffer``).
        seed: Seed of shard order, shuffling and crop offsets.
        repeat: Cycle forever (reshuffled each epoch) instead of stopping after one pass.
        shuffle_buffer: Size of the example shuffle buffer.
        random_crop: Random crop offsets (default: same as ``shuffle``); else a centred crop.
        drop_remainder: Drop a last, smaller batch.
        cycle_length: Shards read concurrently (interleaved).

    Returns:
        A dataset of batches as described in the module docstring.

    Raises:
        CorpusError: if the folder has no manifest or the split has no shards.
        ParameterError: if ``crop_s`` is longer than the stored segments.
    """
    manifest = load_manifest(data_dir)
    files = [str(path) for path in shard_files(data_dir, split, manifest)]
    if not files:
        raise CorpusError(f"{data_dir} has no {split} shards")
    sample_rate = int(manifest["audio"]["sample_rate"])
    segment = int(manifest["audio"]["segment_samples"])
    crop = round(crop_s * sample_rate)
    if not 0 < crop <= segment:
        raise ParameterError(f"crop of {crop_s} s ({crop} samples) must be within the {segment}-sample segments")
    n_params = len(manifest["schema"]["parameters"])
    random_crop = shuffle if random_crop is None else random_crop

    shard_ds = tf.data.Dataset.from_tensor_slices(_shard_table(files))
    if shuffle:
        shard_ds = shard_ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        shard_ds = shard_ds.repeat()
    ds = shard_ds.interleave(
        lambda path, offsets, sizes, eligible: _shard_examples(path, offsets, sizes, eligible, segment, n_params),
        cycle_length=min(cycle_length, len(files)), block_length=1)
    if shuffle:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)

    max_offset = segment - crop

    def offsets(index: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        if not random_crop or max_offset == 0:
            centre = tf.constant(max_offset // 2, tf.int32)
            return centre, centre
        key = tf.stack([tf.cast(seed, tf.int64), index])
        pair = tf.random.stateless_uniform([2], seed=key, minval=0, maxval=max_offset + 1, dtype=tf.int32)
        return pair[0], pair[1]

    def crop_example(index, example):
        inp, tgt, ref, params, params01, style, eligible = example
        same, other = offsets(index)
        draw = tf.random.stateless_uniform([], seed=tf.stack([tf.cast(seed, tf.int64) + 7919, index]))

        def window(signal, start):  # a static length, which the autodiff chain needs when traced
            return tf.ensure_shape(tf.cast(signal[start:start + crop], tf.float32), [crop])

        return {
            "input": window(inp, same),
            "target": window(tgt, same),
            "reference": window(ref, other),
            "params": params, "params01": params01, "style": style,
            "token_eligible": eligible, "token_draw": draw,
        }

    ds = ds.enumerate().map(crop_example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    return ds.prefetch(tf.data.AUTOTUNE)
