"""The compressor in TensorFlow: same detector and static curve, block-parallel ballistics.

The detector (per-sample peak level in dBFS) and the soft-knee static curve are those of
:mod:`aeib.dsp.compressor`. The ballistics are the same switching one-pole smoother,
``s[n] = c[n]·s[n−1] + (1 − c[n])·target[n]`` with the attack coefficient where the wanted
reduction is deeper than the current one and the release coefficient elsewhere. A sample-by-sample
loop would be far too slow in TensorFlow, so:

1. **Which samples are in attack** is estimated without gradient: a ``tf.scan`` over blocks of
   ``block_size`` samples carries the state; inside a block the choice is made against the state at
   the block start and then refined once against the states this gives (:data:`COMPRESSOR_PASSES`).
2. **With that choice fixed the recursion is linear** and is solved exactly and in parallel: in
   closed form inside each block (cumulative sums of log-coefficients) and across blocks by a
   log-depth prefix scan of the affine block maps ``S_b = D_b·S_{b−1} + R_b``. Gradients flow
   through this step to threshold, ratio, knee, attack, release and makeup.

Where the estimated choice is right, the result equals the numpy compressor; it can differ only
for very short attack times (well under a block), see ``docs/MODEL.md`` for measured errors.
"""

from __future__ import annotations

import math

import tensorflow as tf

from aeib.dsp import CHAIN_SCHEMA
from aeib.dsp.compressor import LEVEL_FLOOR_DB
from aeib.model.autodiff_eq import column

COMPRESSOR_PASSES = 2
"""Attack/release decisions per block: one against the block-start state, one refinement."""

MAX_LOG_DECAY = 600.0
"""Bound on ``block_size × rate`` so that ``exp(±log_decay)`` stays finite in float64."""


def check_block_size(block_size: int, sample_rate: float) -> None:
    """Raise ValueError if ``block_size`` is too long for the fastest attack the schema allows."""
    fastest_rate = 1000.0 / (CHAIN_SCHEMA["comp.attack_ms"].min * sample_rate)
    if not 1 <= block_size <= MAX_LOG_DECAY / fastest_rate:
        raise ValueError(f"compressor block size must be in [1, {int(MAX_LOG_DECAY / fastest_rate)}] at "
                         f"{sample_rate:g} Hz, got {block_size}")


def static_gain_reduction_db(level_db: tf.Tensor, threshold_db: tf.Tensor, ratio: tf.Tensor,
                             knee_db: tf.Tensor) -> tf.Tensor:
    """Soft-knee gain reduction in dB (≤ 0), as :func:`aeib.dsp.compressor.static_gain_reduction_db`.

    All arguments broadcast; a zero knee is a hard knee.
    """
    over = level_db - threshold_db
    slope = 1.0 / ratio - 1.0
    half_knee = knee_db / 2.0
    safe_knee = tf.maximum(knee_db, 1e-9)
    soft = slope * tf.square(over + half_knee) / (2.0 * safe_knee)
    hard = tf.where(over > 0.0, slope * over, tf.zeros_like(over))
    in_knee = tf.logical_and(over > -half_knee, over < half_knee)
    return tf.where(in_knee, soft, hard)


def _to_blocks(signal: tf.Tensor, block_size: int) -> tf.Tensor:
    """float[batch, samples] → float[batch, blocks, block_size], zero-padded at the end."""
    n_blocks = -(-signal.shape[-1] // block_size)
    padded = tf.pad(signal, [[0, 0], [0, n_blocks * block_size - signal.shape[-1]]])
    return tf.reshape(padded, [-1, n_blocks, block_size])


def _from_blocks(blocks: tf.Tensor, n_samples: int) -> tf.Tensor:
    return tf.reshape(blocks, [tf.shape(blocks)[0], -1])[:, :n_samples]


def _closed_form_block(start: tf.Tensor, target: tf.Tensor, log_coef: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """``s[n] = c[n]·s[n−1] + (1 − c[n])·target[n]`` inside blocks, from state ``start`` at each block start.

    With ``log_decay[n] = Σ_{k≤n} log c[k]``: ``s[n] = e^{log_decay[n]}·(start + Σ_{k≤n}
    e^{−log_decay[k]}·(1 − c[k])·target[k])``. ``log_decay`` is bounded by ``block_size × rate``, so
    the exponentials stay in float64 range for every time constant in the schema.

    Returns:
        ``(smoothed, decay)``, both float64 like ``target``; ``decay = e^{log_decay}``.
    """
    log_decay = tf.cumsum(log_coef, axis=-1)
    decay = tf.exp(log_decay)
    increments = tf.exp(-log_decay) * -tf.math.expm1(log_coef) * target
    return decay * (start + tf.cumsum(increments, axis=-1)), decay


def _attack_mask(target_blocks: tf.Tensor, attack_rate: tf.Tensor, release_rate: tf.Tensor) -> tf.Tensor:
    """Where the smoother is in attack (``target[n] < s[n−1]``), estimated block by block; no gradient.

    Args:
        target_blocks: float64[batch, blocks, block_size] wanted reduction.
        attack_rate: float64[batch, 1].
        release_rate: float64[batch, 1].

    Returns:
        bool[batch, blocks, block_size].
    """
    def block_step(carry, target):  # carry: the previous block's states; target: [batch, block_size]
        start = carry[:, -1:]
        before = tf.broadcast_to(start, tf.shape(target))
        for _ in range(COMPRESSOR_PASSES):
            log_coef = tf.where(target < before, -attack_rate, -release_rate)
            smoothed, _ = _closed_form_block(start, target, log_coef)
            before = tf.concat([start, smoothed[:, :-1]], axis=1)
        return smoothed

    blocks = tf.transpose(target_blocks, [1, 0, 2])  # [blocks, batch, block_size]
    states = tf.transpose(tf.scan(block_step, blocks, initializer=tf.zeros_like(blocks[0])), [1, 0, 2])
    flat = tf.reshape(states, [tf.shape(states)[0], -1])
    before = tf.reshape(tf.concat([tf.zeros_like(flat[:, :1]), flat[:, :-1]], axis=1), tf.shape(states))
    return tf.stop_gradient(tf.cast(target_blocks < before, tf.bool))


def smooth_gain_reduction(target_db: tf.Tensor, attack_rate: tf.Tensor, release_rate: tf.Tensor,
                          block_size: int) -> tf.Tensor:
    """Attack/release one-pole smoothing of a gain-reduction signal, as in the numpy compressor.

    Computes ``s[n] = c[n]·s[n−1] + (1 − c[n])·target[n]`` from ``s = 0``, with
    ``c = exp(−attack_rate)`` where ``target[n] < s[n−1]`` and ``exp(−release_rate)`` elsewhere.

    1. The attack/release choice per sample is estimated without gradient (:func:`_attack_mask`).
    2. With the choice fixed the recursion is linear and is solved in parallel: in closed form
       inside blocks, then across blocks by a log-depth prefix scan of the affine block maps
       ``S_b = D_b·S_{b−1} + R_b``. Gradients flow through this step only.

    Args:
        target_db: float64[batch, samples] wanted gain reduction (≤ 0), static number of samples.
        attack_rate: float64[batch, 1] per-sample rate ``1000 / (attack_ms · sample_rate)``.
        release_rate: float64[batch, 1] likewise for the release.
        block_size: Samples per block.

    Returns:
        float64[batch, samples] smoothed gain reduction in dB.
    """
    target = _to_blocks(target_db, block_size)
    attack = _attack_mask(tf.stop_gradient(target), tf.stop_gradient(attack_rate), tf.stop_gradient(release_rate))
    log_coef = tf.where(attack, -attack_rate[:, :, None], -release_rate[:, :, None])
    local, decay = _closed_form_block(tf.zeros_like(target[:, :, :1]), target, log_coef)
    # Block-end states: S_b = D_b·S_{b−1} + R_b, by doubling (Hillis–Steele) over the block axis.
    gain, state = decay[:, :, -1], local[:, :, -1]
    shift = 1
    while shift < target.shape[1]:
        state = state + gain * tf.pad(state[:, :-shift], [[0, 0], [shift, 0]])
        gain = gain * tf.pad(gain[:, :-shift], [[0, 0], [shift, 0]], constant_values=1.0)
        shift *= 2
    start = tf.concat([tf.zeros_like(state[:, :1]), state[:, :-1]], axis=1)  # state before each block
    return _from_blocks(local + decay * start[:, :, None], target_db.shape[-1])


def apply_compressor(audio: tf.Tensor, physical: tf.Tensor, sample_rate: float, block_size: int) -> tf.Tensor:
    """Differentiable compressor: per-sample detector and static curve, block-parallel ballistics.

    Args:
        audio: float64[batch, samples] with a static number of samples.
        physical: float64[batch, n_params].
        sample_rate: Hz.
        block_size: Samples per ballistics block.

    Returns:
        float64[batch, samples].
    """
    def col(name):
        return column(physical, f"comp.{name}")[:, None]

    floor = 10.0 ** (LEVEL_FLOOR_DB / 20.0)
    level_db = (20.0 / math.log(10.0)) * tf.math.log(tf.maximum(tf.abs(audio), floor))
    target = static_gain_reduction_db(level_db, col("threshold_db"), col("ratio"), col("knee_db"))
    attack_rate = 1000.0 / (col("attack_ms") * sample_rate)
    release_rate = 1000.0 / (col("release_ms") * sample_rate)
    gain_db = smooth_gain_reduction(target, attack_rate, release_rate, block_size) + col("makeup_db")
    return audio * tf.exp(gain_db * (math.log(10.0) / 20.0))
