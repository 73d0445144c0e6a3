"""Loading saved models: registers every aeib layer before Keras deserializes a file."""

from __future__ import annotations

from pathlib import Path

import keras

# Importing these modules registers their serializable classes under the "aeib" package.
from aeib.model import autodiff_dsp, controller, encoder, frontend, losses, spsa, style_token  # noqa: F401


def load_keras_model(path: str | Path, compile: bool = False) -> keras.Model:
    """Load a ``.keras`` file saved from an aeib model (safe mode: no Lambda layers, no pickles).

    Named apart from :func:`aeib.runtime.load_model`, which loads an exported TFLite bundle.
    """
    return keras.saving.load_model(path, compile=compile, safe_mode=True)
