"""The Keras model: log-mel front end, shared encoder, controller, DSP layers (SPSA / autodiff), loss.

This is the only package (with training and export) that imports TensorFlow. Names are loaded on
first use, so ``aeib.model.config`` and ``aeib.model.batch_dsp`` stay importable without it; the
TensorFlow modules are imported when one of their names is asked for.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "ModelConfig": "aeib.model.config",
    "ConfigError": "aeib.model.config",
    "LogMelSpectrogram": "aeib.model.frontend",
    "AudioEncoder": "aeib.model.encoder",
    "ParameterController": "aeib.model.controller",
    "build_analyzer": "aeib.model.analyzer",
    "build_enhancer": "aeib.model.analyzer",
    "build_dsp_layer": "aeib.model.analyzer",
    "SpsaDspLayer": "aeib.model.spsa",
    "AutodiffDspLayer": "aeib.model.autodiff_dsp",
    "MultiResolutionLogMelLoss": "aeib.model.losses",
    "make_train_step": "aeib.model.train_step",
    "compile_enhancer": "aeib.model.train_step",
    "load_keras_model": "aeib.model.saving",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 (a list of the lazily loaded names, written once)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'aeib.model' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
