"""TensorFlow-free DSP core: parameter schema, parametric EQ, compressor, safety limiter, chain.

Only numpy, scipy and numba are imported here, so the edge runtime can use it without TensorFlow.
"""

from aeib.dsp.chain import CHAIN_SCHEMA, DEFAULT_CHAIN, ChainProcessor, build_schema, process, process_normalized
from aeib.dsp.processor import Processor, register_processor, registered_processors
from aeib.dsp.schema import ParameterSchema, ParamSpec

__all__ = [
    "CHAIN_SCHEMA",
    "DEFAULT_CHAIN",
    "ChainProcessor",
    "ParamSpec",
    "ParameterSchema",
    "Processor",
    "build_schema",
    "process",
    "process_normalized",
    "register_processor",
    "registered_processors",
]
