"""TFLite export of the trained analyzer (``aeib export``): see ``docs/EXPORT.md``.

The ``.tflite`` model takes log-mel *features* (computed outside the graph by
:func:`aeib.features.log_mel_spectrogram`) — or, for the ``raw-*`` variants, one window of *audio*
(front end in the graph) — and a reference *embedding*, and returns the normalized chain parameters
and the input's embedding. :func:`export_model` writes the variants of :data:`VARIANTS` (float32,
float16, dynamic-range int8, full int8, raw-float32, raw-float16), each loadable on tflite-runtime
2.14 and LiteRT and each with a JSON beside it that :mod:`aeib.runtime` reads.
Conversion needs TensorFlow (the ``[train]`` extra); it is imported only when a conversion runs.
"""

from aeib.export.config import VARIANTS, ExportConfig, ExportError
from aeib.export.pipeline import ExportRequest, ExportResult, VariantResult, export_model

__all__ = ["VARIANTS", "ExportConfig", "ExportError", "ExportRequest", "ExportResult", "VariantResult", "export_model"]
