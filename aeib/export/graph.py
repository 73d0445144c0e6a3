"""The export graph: the trained encoder and controller re-wired to take features, not audio.

::

    input_features [1, F, n_mels] ─ encoder ─┬─────────────────────────────── input_embedding [1, E]
    reference_embedding [1, E] ──────────────┴─ concat ─ controller ─ params01 [1, P]

The log-mel front end stays outside (its DFT kernel alone would be 4.2 MB of constants); callers
compute it with :func:`aeib.features.log_mel_spectrogram`. The encoder and controller are the trained
layer instances themselves, called in inference mode (batch norm uses its moving statistics,
dropout is off), so the export graph holds exactly the trained weights.
"""

from __future__ import annotations

import keras

from aeib.model.config import ModelConfig
from aeib.export.config import INPUT_NAMES, OUTPUT_NAMES  # noqa: F401  (re-exported)


def export_shapes(config: ModelConfig, window_samples: int) -> dict[str, tuple[int, ...]]:
    """Fixed tensor shapes of the export model, by name.

    Raises:
        ValueError: if the window is shorter than one frame.
    """
    from aeib.dsp import CHAIN_SCHEMA

    spec = config.log_mel_spec
    frames = spec.n_frames(window_samples)
    if frames < 1:
        raise ValueError(f"a {window_samples}-sample window is shorter than one {spec.frame_length}-sample frame")
    embedding = config.encoder.embedding_dim
    return {
        "input_features": (1, frames, spec.n_mels),
        "reference_embedding": (1, embedding),
        "params01": (1, len(CHAIN_SCHEMA)),
        "input_embedding": (1, embedding),
    }


def build_export_model(analyzer: keras.Model, config: ModelConfig, window_samples: int) -> keras.Model:
    """Functional model ``[input_features, reference_embedding] → {params01, input_embedding}``.

    Args:
        analyzer: Trained analyzer with layers ``encoder`` and ``controller``.
        config: Its model configuration.
        window_samples: Analysis window in samples at the model rate (fixes the frame count).

    Returns:
        A ``keras.Model`` named ``aeib_analyzer_export`` with batch size 1 and a dict output.
    """
    shapes = export_shapes(config, window_samples)
    encoder = analyzer.get_layer("encoder")
    controller = analyzer.get_layer("controller")
    features = keras.Input(shapes["input_features"][1:], batch_size=1, name="input_features")
    reference = keras.Input(shapes["reference_embedding"][1:], batch_size=1, name="reference_embedding")
    embedding = encoder(features, training=False)
    joint = keras.layers.Concatenate(axis=-1, name="joint_embedding")([embedding, reference])
    params01 = controller(joint, training=False)
    outputs = {
        "params01": keras.layers.Identity(name="params01")(params01),
        "input_embedding": keras.layers.Identity(name="input_embedding")(embedding),
    }
    return keras.Model([features, reference], outputs, name="aeib_analyzer_export")
