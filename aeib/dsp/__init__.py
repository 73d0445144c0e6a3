"""TensorFlow-free DSP core: parameter schema, parametric EQ, compressor, safety limiter, chain.

Only numpy is imported here, so the edge runtime can use it without TensorFlow; numba is imported
at the first call of a compiled kernel (:mod:`aeib.dsp.jit`).
"""

from aeib.dsp.chain import CHAIN_SCHEMA, DEFAULT_CHAIN, ChainProcessor, build_schema, process, process_normalized
from aeib.dsp.eq import EQ_BANDS, NYQUIST_FRACTION, EQBand, band_frequency_cap_hz
from aeib.dsp.processor import Processor, register_processor, registered_processors
from aeib.dsp.schema import ParameterSchema, ParamSpec

__all__ = [
    "CHAIN_SCHEMA",
    "DEFAULT_CHAIN",
    "EQ_BANDS",
    "NYQUIST_FRACTION",
    "ChainProcessor",
    "EQBand",
    "ParamSpec",
    "ParameterSchema",
    "Processor",
    "band_frequency_cap_hz",
    "build_schema",
    "process",
    "process_normalized",
    "register_processor",
    "registered_processors",
]
