"""Model builders: the analyzer (exported to TFLite later) and the enhancer used for training.

::

    input_audio ───── LogMelSpectrogram ─ AudioEncoder ─┐
    reference_audio ─ LogMelSpectrogram ─ AudioEncoder ─┴─ concat ─ ParameterController ─ params01
                      (the same layer instances for both signals)                        │
    input_audio ─────────────────────────── DSP layer (SPSA or autodiff) ◄────────────────┘ → output

Both signals go through the *same* front-end and encoder instances, so the analyzer holds exactly
one encoder's weights. Audio layout: float32[batch, samples], mono, at the config's sample rate.
"""

from __future__ import annotations

import keras

from aeib.dsp import CHAIN_SCHEMA
from aeib.model.autodiff_dsp import AutodiffDspLayer
from aeib.model.config import ModelConfig
from aeib.model.controller import NeutralPrior, ParameterController, neutral_output_bias
from aeib.model.encoder import AudioEncoder
from aeib.model.frontend import LogMelSpectrogram
from aeib.model.spsa import SpsaDspLayer
from aeib.model.style_token import STYLE_TOKEN_INPUT, STYLE_TOKEN_LAYER, StyleToken, has_style_token

NEUTRAL_MARGIN = 0.1
"""The untrained controller starts at the neutral setting, clipped to [0.1, 0.9] in normalized units."""


def build_analyzer(config: ModelConfig, n_samples: int | None = None) -> keras.Model:
    """The analyzer: (input audio, reference audio) → normalized chain parameters.

    Args:
        config: Model configuration.
        n_samples: Fixed signal length for both inputs, or ``None`` for any length
            (at least one frame). Export uses a fixed length.

    Returns:
        A functional ``keras.Model`` named ``analyzer`` with inputs ``input_audio`` and
        ``reference_audio`` (float32[batch, samples]) and output float32[batch, len(CHAIN_SCHEMA)]
        in (0, 1), in ``CHAIN_SCHEMA`` order. With ``training.style_token_prob > 0`` it has a third
        input ``use_style_token`` (float32[batch, 1]): where it is 1 the reference's embedding is
        replaced by a learned style token (:mod:`aeib.model.style_token`).
    """
    input_audio = keras.Input((n_samples,), name="input_audio")
    reference_audio = keras.Input((n_samples,), name="reference_audio")
    frontend = LogMelSpectrogram.from_spec(config.log_mel_spec, name="log_mel")
    encoder = AudioEncoder(config.encoder.filters, config.encoder.kernel_size, config.encoder.embedding_dim,
                           name="encoder")
    controller = ParameterController(
        len(CHAIN_SCHEMA),
        config.controller.hidden_units,
        config.controller.dropout_rate,
        output_bias=neutral_output_bias(CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.default_vector()), NEUTRAL_MARGIN),
        name="controller",
    )
    reference_embedding = encoder(frontend(reference_audio))
    inputs = [input_audio, reference_audio]
    if config.training.style_token_prob > 0:
        use_token = keras.Input((1,), name=STYLE_TOKEN_INPUT)
        inputs.append(use_token)
        reference_embedding = StyleToken(config.encoder.embedding_dim, name=STYLE_TOKEN_LAYER)(
            [reference_embedding, use_token])
    joint = keras.layers.Concatenate(axis=-1, name="joint_embedding")(
        [encoder(frontend(input_audio)), reference_embedding]
    )
    return keras.Model(inputs, controller(joint), name="analyzer")


def build_dsp_layer(config: ModelConfig) -> keras.layers.Layer:
    """The differentiable chain the config's ``training.gradient`` asks for."""
    training = config.training
    if training.gradient == "spsa":
        return SpsaDspLayer(config.sample_rate, epsilon=training.spsa_epsilon, limiter=training.limiter,
                            backend=training.dsp_backend, workers=training.dsp_workers, seed=training.seed,
                            name="dsp")
    return AutodiffDspLayer(config.sample_rate, compressor_block_size=training.compressor_block_size,
                            jit_compile=training.jit_compile, name="dsp")


def build_enhancer(config: ModelConfig, analyzer: keras.Model | None = None) -> keras.Model:
    """The training model: the analyzer followed by the DSP chain applied to the input audio.

    Args:
        config: Model configuration (``training.gradient`` picks the DSP layer).
        analyzer: An existing analyzer to wrap (its weights are shared); a new one if ``None``.

    Returns:
        A ``keras.Model`` named ``enhancer``: ``[input_audio, reference_audio]`` (plus
        ``use_style_token`` when the analyzer has a style token) →
        processed input audio float32[batch, samples]. The analyzer is its layer ``"analyzer"``.
    """
    analyzer = build_analyzer(config) if analyzer is None else analyzer
    input_audio = keras.Input((None,), name="input_audio")
    reference_audio = keras.Input((None,), name="reference_audio")
    inputs = [input_audio, reference_audio]
    if has_style_token(analyzer):
        inputs.append(keras.Input((1,), name=STYLE_TOKEN_INPUT))
    params01 = analyzer(inputs)
    if config.loss.prior_weight > 0 or config.loss.bound_weight > 0:
        neutral01 = CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.default_vector())
        params01 = NeutralPrior(neutral01, config.loss.prior_weight, bound_weight=config.loss.bound_weight,
                                bound_margin=config.loss.bound_margin, name="neutral_prior")(params01)
    output = build_dsp_layer(config)([input_audio, params01])
    return keras.Model(inputs, output, name="enhancer")
