"""The TensorFlow-free edge runtime: load an exported analyzer, enhance files, stream audio.

Imports only numpy, scipy, soundfile, soxr, the DSP core and a TFLite interpreter (LiteRT first;
see :mod:`aeib.runtime.interpreter`) — never TensorFlow and never the training code.

::

    from aeib.runtime import load_model, enhance_file, StreamEnhancer
    model = load_model()                                  # bundled default model
    enhance_file("in.flac", "out.wav", model)             # whole file, fixed setting
    stream = StreamEnhancer(model, 48_000, channels=2)    # live: stream.process(block)

The API and the bundle format are described in ``docs/RUNTIME.md``.
"""

from aeib.runtime.analysis import AnalysisOptions, FileAnalysis, analyze_file, reference_embedding_from_file
from aeib.runtime.bundle import BundleSpec, read_bundle
from aeib.runtime.enhance import EnhanceResult, enhance_file
from aeib.runtime.errors import AeibWarning, ModelError
from aeib.runtime.frontend import FEATURE_TOLERANCE, LogMelFrontend, fit_to_window
from aeib.runtime.model import AnalyzerModel, load_model
from aeib.runtime.stream import StreamEnhancer

__all__ = [
    "AeibWarning",
    "AnalysisOptions",
    "AnalyzerModel",
    "BundleSpec",
    "EnhanceResult",
    "FEATURE_TOLERANCE",
    "FileAnalysis",
    "LogMelFrontend",
    "ModelError",
    "StreamEnhancer",
    "analyze_file",
    "enhance_file",
    "fit_to_window",
    "load_model",
    "read_bundle",
    "reference_embedding_from_file",
]
