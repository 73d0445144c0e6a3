"""End-to-end training steps of the tiny enhancer, in both gradient modes, and the model.fit path."""

import numpy as np
import pytest
import tensorflow as tf

from aeib.dsp import CHAIN_SCHEMA, process
from aeib.model import build_enhancer, compile_enhancer, make_train_step
from aeib.model.train_step import make_loss, make_optimizer

SETTING = {"eq.band2.gain_db": -8.0, "eq.high_shelf.gain_db": 6.0, "comp.ratio": 3.0, "comp.threshold_db": -25.0}


def _batch(audio_batch, config, n_examples=4):
    audio = audio_batch(n_examples, config.crop_samples, seed=11)
    reference = audio_batch(n_examples, config.crop_samples, seed=12)
    target = np.stack([process(a.astype(np.float64), config.sample_rate, SETTING, limiter=False) for a in audio])
    return [tf.constant(a) for a in (audio, reference, target.astype(np.float32))]


@pytest.mark.parametrize("gradient", ["spsa", "autodiff"])
def test_training_steps_lower_the_loss_on_a_fixed_batch(tiny_config, audio_batch, gradient):
    config = tiny_config.replace_training(gradient=gradient, learning_rate=0.01)
    tf.keras.utils.set_random_seed(0)
    model = build_enhancer(config)
    step = make_train_step(model, make_loss(config), make_optimizer(config))
    batch = _batch(audio_batch, config)
    before = [w.numpy().copy() for w in model.trainable_weights]
    losses = [float(step(*batch)) for _ in range(40)]
    assert np.isfinite(losses).all()
    assert np.mean(losses[-5:]) < 0.8 * losses[0], losses
    assert all(np.any(w.numpy() != b) for w, b in zip(model.trainable_weights, before))


def test_compiled_enhancer_fits_with_keras(tiny_config, audio_batch):
    model = build_enhancer(tiny_config)
    compile_enhancer(model, tiny_config)
    audio, reference, target = _batch(audio_batch, tiny_config)
    history = model.fit([audio, reference], target, batch_size=2, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    assert model.predict([audio, reference], verbose=0).shape == tuple(audio.shape)
    assert model.get_layer("analyzer").output.shape[-1] == len(CHAIN_SCHEMA)


def test_compiled_enhancer_resumes_from_a_saved_file(tiny_config, audio_batch, tmp_path):
    from aeib.model import load_keras_model

    model = build_enhancer(tiny_config)
    compile_enhancer(model, tiny_config)
    audio, reference, target = _batch(audio_batch, tiny_config, n_examples=2)
    model.fit([audio, reference], target, batch_size=2, epochs=1, verbose=0)
    model.save(tmp_path / "last.keras")
    resumed = load_keras_model(tmp_path / "last.keras", compile=True)
    assert not resumed.jit_compile  # XLA stays off: the SPSA layer calls numpy
    np.testing.assert_array_equal(resumed.predict([audio, reference], verbose=0),
                                  model.predict([audio, reference], verbose=0))
    history = resumed.fit([audio, reference], target, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert int(resumed.optimizer.iterations) == 2
