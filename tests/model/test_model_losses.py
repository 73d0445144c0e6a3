"""The training loss: zero for a perfect match, physically scaled, configurable, serializable."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from aeib.model.losses import MultiResolutionLogMelLoss
from aeib.model.train_step import make_loss


def test_loss_is_zero_for_identical_signals_and_positive_otherwise(audio_batch, tiny_config):
    loss = make_loss(tiny_config)
    audio = audio_batch(2, 4000)
    assert float(loss(audio, audio)) == 0.0
    assert float(loss(audio, audio_batch(2, 4000, seed=9))) > 0.1


def test_mel_term_measures_a_level_change_in_nepers_of_power(audio_batch):
    """A ×2 amplitude change is ln 4 in log mel power in every band and frame."""
    loss = MultiResolutionLogMelLoss(24_000, (1024, 256), (64, 16), mel_weight=1.0, time_weight=0.0)
    audio = 3.0 * audio_batch(2, 8000)  # loud: log_eps negligible
    assert float(loss(audio, 2.0 * audio)) == pytest.approx(np.log(4.0), rel=2e-3)


def test_time_term_is_the_mean_absolute_sample_difference(audio_batch):
    loss = MultiResolutionLogMelLoss(24_000, (512,), (32,), mel_weight=0.0, time_weight=2.5)
    a, b = audio_batch(3, 3000, seed=1), audio_batch(3, 3000, seed=2)
    assert float(loss(a, b)) == pytest.approx(2.5 * np.mean(np.abs(a - b)), rel=1e-5)


def test_per_example_values_without_reduction(audio_batch):
    loss = MultiResolutionLogMelLoss(24_000, (512, 256), (32, 16), reduction=None, jit_compile=False)
    a = audio_batch(3, 3000)
    b = a.copy()
    b[1] *= 0.5
    values = np.asarray(loss(a, b))
    assert values.shape == (3,) and values[0] == 0.0 and values[2] == 0.0 and values[1] > 0.0


def test_loss_gradient_points_towards_the_target(audio_batch):
    loss = MultiResolutionLogMelLoss(24_000, (1024, 256), (64, 16))
    target = audio_batch(1, 6000)
    gain = tf.Variable(0.5)
    with tf.GradientTape() as tape:
        value = loss(target, gain * target)
    assert float(tape.gradient(value, gain)) < 0.0  # raising the too-quiet output lowers the loss


def test_mismatched_resolution_lists_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        MultiResolutionLogMelLoss(24_000, (512, 256), (32,))


def test_loss_config_round_trip(audio_batch):
    loss = MultiResolutionLogMelLoss(16_000, (512, 128), (40, 8), mel_weight=0.7, time_weight=0.3, log_eps=1e-6,
                                     jit_compile=False)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert clone.get_config() == loss.get_config()
    a, b = audio_batch(2, 2000, seed=1), audio_batch(2, 2000, seed=2)
    assert float(clone(a, b)) == pytest.approx(float(loss(a, b)), rel=1e-6)


def test_level_matched_loss_ignores_a_pure_gain_but_not_a_tone_change(audio_batch):
    """The measured loudness stage sets the level, so a level-matched loss must not charge for it."""
    plain = MultiResolutionLogMelLoss(24_000, (1024, 256), (64, 16), time_weight=0.1)
    matched = MultiResolutionLogMelLoss(24_000, (1024, 256), (64, 16), time_weight=0.1, level_matched=True)
    audio = audio_batch(2, 8000)
    assert float(matched(audio, 0.25 * audio)) == pytest.approx(0.0, abs=1e-4)
    assert float(plain(audio, 0.25 * audio)) > 1.0
    darker = tf.signal.frame(audio, 2, 1, pad_end=True)   # two-tap average: a low-pass, not a gain
    darker = tf.reduce_mean(darker, axis=-1).numpy()
    assert float(matched(audio, darker)) > 0.05
    assert MultiResolutionLogMelLoss.from_config(matched.get_config()).level_matched
