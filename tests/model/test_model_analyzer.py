"""Analyzer and enhancer: one shared encoder, schema-sized head, any length, serialization round trips."""

import keras
import numpy as np
import pytest

from aeib.dsp import CHAIN_SCHEMA
from aeib.model import build_analyzer, build_enhancer, load_keras_model
from aeib.model.autodiff_dsp import AutodiffDspLayer
from aeib.model.controller import ParameterController, neutral_output_bias
from aeib.model.encoder import AudioEncoder
from aeib.model.spsa import SpsaDspLayer


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)


def test_analyzer_holds_exactly_one_encoder_shared_by_both_inputs(tiny_config, audio_batch):
    analyzer = build_analyzer(tiny_config)
    encoders = [layer for layer in _all_layers(analyzer) if isinstance(layer, AudioEncoder)]
    assert len(encoders) == 1
    encoder, controller = encoders[0], analyzer.get_layer("controller")
    # All weights are the one encoder's plus the controller's: nothing is duplicated per input.
    assert {id(w) for w in analyzer.weights} == {id(w) for w in encoder.weights + controller.weights}
    assert analyzer.count_params() == encoder.count_params() + controller.count_params()

    # Behaviour: the two halves of the joint embedding are that encoder applied to each signal.
    joint = keras.Model(analyzer.inputs, analyzer.get_layer("joint_embedding").output)
    frontend = analyzer.get_layer("log_mel")
    audio, reference = audio_batch(2, 4000, seed=1), audio_batch(2, 4000, seed=2)
    both = np.asarray(joint([audio, reference]))
    dim = tiny_config.encoder.embedding_dim
    np.testing.assert_allclose(both[:, :dim], np.asarray(encoder(frontend(audio))), atol=1e-6)
    np.testing.assert_allclose(both[:, dim:], np.asarray(encoder(frontend(reference))), atol=1e-6)
    swapped = np.asarray(joint([reference, audio]))
    np.testing.assert_allclose(swapped, np.concatenate([both[:, dim:], both[:, :dim]], axis=1), atol=1e-6)


@pytest.mark.parametrize("n_samples", [256, 3000, 9001])
def test_analyzer_output_is_schema_sized_and_in_unit_range_for_any_length(tiny_config, audio_batch, n_samples):
    analyzer = build_analyzer(tiny_config)
    params01 = np.asarray(analyzer([audio_batch(3, n_samples), audio_batch(3, 5000, seed=4)]))
    assert params01.shape == (3, len(CHAIN_SCHEMA))
    assert np.all((params01 > 0.0) & (params01 < 1.0))


def test_untrained_controller_starts_near_the_neutral_setting(tiny_config):
    neutral01 = CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.default_vector())
    controller = ParameterController(len(CHAIN_SCHEMA), (8,), 0.0, output_bias=neutral_output_bias(neutral01, 0.1))
    controller.build((None, 4))
    for layer in controller.hidden:
        layer.kernel.assign(np.zeros(layer.kernel.shape))
    params01 = np.asarray(controller(np.ones((1, 4), np.float32)))[0]
    expected = np.clip(neutral01, 0.1, 0.9)
    np.testing.assert_allclose(params01, expected, atol=1e-6)
    physical = CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.denormalize(params01))
    assert physical["eq.band2.gain_db"] == pytest.approx(0.0, abs=1e-4)


def test_controller_rejects_a_bias_of_the_wrong_size():
    with pytest.raises(ValueError, match="output_bias has 2 entries"):
        ParameterController(3, output_bias=[0.0, 0.0])


@pytest.mark.parametrize("layer", [
    AudioEncoder((4, 8), 5, 12, name="enc"),
    ParameterController(5, (7, 3), 0.25, output_bias=[0.1, 0.2, 0.3, 0.4, 0.5], name="ctl"),
    SpsaDspLayer(16_000, epsilon=0.02, limiter=True, backend="serial", workers=3, seed=7, name="spsa"),
    AutodiffDspLayer(16_000, compressor_block_size=32, jit_compile=False, name="ad"),
], ids=lambda layer: type(layer).__name__)
def test_layer_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    revived = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(revived) is type(layer) and revived.get_config() == config


def test_saved_analyzer_reloads_with_identical_outputs(tiny_config, audio_batch, tmp_path):
    analyzer = build_analyzer(tiny_config)
    audio, reference = audio_batch(2, 4000, seed=1), audio_batch(2, 4000, seed=2)
    # Move batch-norm statistics away from their initial values so that they must be saved too.
    for _ in range(2):
        analyzer([audio, reference], training=True)
    path = tmp_path / "analyzer.keras"
    analyzer.save(path)
    reloaded = load_keras_model(path)
    np.testing.assert_array_equal(np.asarray(reloaded([audio, reference])), np.asarray(analyzer([audio, reference])))


@pytest.mark.parametrize("gradient", ["spsa", "autodiff"])
def test_saved_enhancer_reloads_with_identical_outputs(tiny_config, audio_batch, tmp_path, gradient):
    enhancer = build_enhancer(tiny_config.replace_training(gradient=gradient))
    audio, reference = audio_batch(2, 4000, seed=1), audio_batch(2, 4000, seed=2)
    path = tmp_path / "enhancer.keras"
    enhancer.save(path)
    reloaded = load_keras_model(path)
    assert type(reloaded.get_layer("dsp")) is type(enhancer.get_layer("dsp"))
    expected = np.asarray(enhancer([audio, reference]))
    np.testing.assert_array_equal(np.asarray(reloaded([audio, reference])), expected)
    assert np.abs(expected - audio).max() > 0.0  # the chain really processed the audio


def test_neutral_prior_adds_its_penalty_and_round_trips(tmp_path):
    from aeib.model.controller import NeutralPrior

    neutral = [0.5, 0.2, 0.9]
    layer = NeutralPrior(neutral, 0.3)
    params = np.array([[0.5, 0.2, 0.9], [1.0, 0.0, 0.5]], dtype=np.float32)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layer(inputs))
    out = model(params)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), params)
    expected = 0.3 * np.mean((params - np.array(neutral)) ** 2)
    assert float(keras.ops.convert_to_numpy(model.losses[0])) == pytest.approx(expected, rel=1e-5)
    again = NeutralPrior.from_config(layer.get_config())
    assert again.neutral01 == neutral and again.weight == 0.3
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.layers[-1], NeutralPrior)


def test_enhancer_with_a_prior_weight_carries_the_prior(tiny_config):
    import dataclasses

    config = dataclasses.replace(tiny_config, loss=dataclasses.replace(tiny_config.loss, prior_weight=0.1))
    names = [layer.name for layer in build_enhancer(config).layers]
    assert "neutral_prior" in names and "neutral_prior" not in [layer.name for layer in build_enhancer(tiny_config).layers]


def test_the_bound_penalty_is_zero_inside_the_margin_and_one_at_a_bound():
    from aeib.model.controller import NeutralPrior

    def penalty(layer, params):
        inputs = keras.Input((params.shape[1],))
        model = keras.Model(inputs, layer(inputs))
        model(params)
        return float(keras.ops.convert_to_numpy(model.losses[0]))

    layer = NeutralPrior([0.5, 0.5], 0.0, bound_weight=2.0, bound_margin=0.05)
    inside = np.array([[0.05, 0.95], [0.5, 0.2]], dtype=np.float32)
    assert penalty(layer, inside) == pytest.approx(0.0, abs=1e-9)
    # One of four entries at a bound (1.0), one halfway into the margin (0.025): (1 + 0.25) / 4.
    near = np.array([[1.0, 0.5], [0.025, 0.5]], dtype=np.float32)
    assert penalty(NeutralPrior([0.5, 0.5], 0.0, bound_weight=2.0, bound_margin=0.05), near) == \
        pytest.approx(2.0 * 1.25 / 4, rel=1e-5)
    # Both terms add.
    both = NeutralPrior([0.5, 0.5], 0.3, bound_weight=2.0, bound_margin=0.05)
    expected = 0.3 * np.mean((near - 0.5) ** 2) + 2.0 * 1.25 / 4
    assert penalty(both, near) == pytest.approx(expected, rel=1e-5)
    again = NeutralPrior.from_config(both.get_config())
    assert (again.bound_weight, again.bound_margin) == (2.0, 0.05)
    old = NeutralPrior.from_config({k: v for k, v in layer.get_config().items()
                                    if k not in ("bound_weight", "bound_margin")})
    assert old.bound_weight == 0.0  # a model saved before the option loads without it


def test_enhancer_with_only_a_bound_weight_carries_the_prior(tiny_config):
    import dataclasses

    loss = dataclasses.replace(tiny_config.loss, prior_weight=0.0, bound_weight=1.0)
    layer = build_enhancer(dataclasses.replace(tiny_config, loss=loss)).get_layer("neutral_prior")
    assert (layer.weight, layer.bound_weight, layer.bound_margin) == (0.0, 1.0, 0.03)
