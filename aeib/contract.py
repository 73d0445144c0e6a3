"""The exported analyzer's contract: what ``aeib export`` writes and :mod:`aeib.runtime` reads.

A bundle is a ``.tflite`` file and a JSON beside it (format :data:`BUNDLE_FORMAT`, version
:data:`BUNDLE_FORMAT_VERSION`). The model is called through one signature, :data:`SIGNATURE_KEY`,
with the tensors named here. The names are the signature's keys, so both sides write them once, in
this module; the field list of the JSON is in ``docs/RUNTIME.md``.

Standard library only (no numpy, no TensorFlow), so that the export side and the runtime both use it.
"""

from __future__ import annotations

BUNDLE_FORMAT = "aeib-analyzer"
"""The ``format`` marker of a bundle JSON."""
BUNDLE_FORMAT_VERSION = 1
"""The ``format_version`` this code writes and reads."""
SIGNATURE_KEY = "serving_default"
"""The model's one signature (new bundles record it as ``signature_key``)."""

INPUT_NAMES = ("input_features", "reference_embedding")
"""Inputs of a feature model: the log-mel features of one analysis window (computed by the caller)
and a reference embedding."""
RAW_INPUT_NAMES = ("input_audio", "reference_embedding")
"""Inputs of a raw-audio model (``"model_input": "audio"``: the log-mel front end is in the graph):
one analysis window of mono audio at the model's sample rate, and a reference embedding."""
RAW_INPUT_NAME = RAW_INPUT_NAMES[0]
"""The raw-audio model's first input."""
OUTPUT_NAMES = ("params01", "input_embedding")
"""Outputs of either model: the normalized chain parameters (0–1, in schema order) and the embedding
of the input window."""
