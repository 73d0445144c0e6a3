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
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from aeib.data.corpus import CorpusError
from aeib.data.manifest import load_manifest, shard_files
from aeib.data.shards import SIGNALS, read_shard
from aeib.errors import ParameterError

DEFAULT_CROP_S = 2.5


def _examples_of(path: bytes):
    """Yield the examples of one shard (generator for ``tf.data.Dataset.from_generator``)."""
    data = read_shard(path.decode("utf-8"))
    for row in range(data["params"].shape[0]):
        yield tuple(data[name][row] for name in SIGNALS) + (data["params"][row], data["params01"][row],
                                                          np.int32(data["style"][row]))


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

    audio_spec = tf.TensorSpec([segment], tf.float16)
    signature = (audio_spec, audio_spec, audio_spec, tf.TensorSpec([n_params], tf.float32),
                 tf.TensorSpec([n_params], tf.float32), tf.TensorSpec([], tf.int32))
    shard_ds = tf.data.Dataset.from_tensor_slices(files)
    if shuffle:
        shard_ds = shard_ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        shard_ds = shard_ds.repeat()
    ds = shard_ds.interleave(
        lambda path: tf.data.Dataset.from_generator(_examples_of, output_signature=signature, args=(path,)),
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
        inp, tgt, ref, params, params01, style = example
        same, other = offsets(index)
        return {
            "input": tf.cast(inp[same:same + crop], tf.float32),
            "target": tf.cast(tgt[same:same + crop], tf.float32),
            "reference": tf.cast(ref[other:other + crop], tf.float32),
            "params": params, "params01": params01, "style": style,
        }

    ds = ds.enumerate().map(crop_example, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    return ds.prefetch(tf.data.AUTOTUNE)
