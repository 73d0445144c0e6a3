"""The processor interface and registry.

A processor is one stage of the chain (EQ, compressor, ...). It declares its parameters as
:class:`~aeib.dsp.schema.ParamSpec` objects whose names start with the processor's ``name`` and a
dot, and it processes blocks of audio while keeping its own state (filter memories, envelopes), so
that feeding a signal block by block gives the same output as feeding it at once.

Adding a processor (say a clipper) means writing one module with a :class:`Processor` subclass
decorated with :func:`register_processor`; no other processor changes. The chain's parameter schema
is assembled from the processors it is built from (see :mod:`aeib.dsp.chain`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Mapping

import numpy as np

from aeib.dsp.schema import ParamSpec
from aeib.errors import SignalError

MIN_SAMPLE_RATE_HZ = 8_000
MAX_SAMPLE_RATE_HZ = 192_000


class Processor(ABC):
    """One stateful stage of the chain.

    Args:
        sample_rate: Audio sample rate in Hz.
        channels: Number of audio channels the processor will see.

    Subclasses set :attr:`name` and :attr:`specs` and implement :meth:`process_block` and
    :meth:`reset`.
    """

    name: ClassVar[str]
    specs: ClassVar[tuple[ParamSpec, ...]]

    def __init__(self, sample_rate: float, channels: int):
        if not MIN_SAMPLE_RATE_HZ <= sample_rate <= MAX_SAMPLE_RATE_HZ:
            raise SignalError(
                f"sample rate {sample_rate:g} Hz is outside the supported "
                f"{MIN_SAMPLE_RATE_HZ}–{MAX_SAMPLE_RATE_HZ} Hz"
            )
        if channels < 1:
            raise SignalError(f"need at least one channel, got {channels}")
        self.sample_rate = float(sample_rate)
        self.channels = int(channels)

    @abstractmethod
    def process_block(self, block: np.ndarray, params: Mapping[str, float]) -> np.ndarray:
        """Process one block.

        Args:
            block: float64[samples, channels], C-contiguous.
            params: Physical values for at least this processor's parameters (full names).

        Returns:
            float64[samples, channels], the processed block.
        """

    @abstractmethod
    def reset(self) -> None:
        """Forget all state, as if no audio had been processed yet."""


_REGISTRY: dict[str, type[Processor]] = {}


def register_processor(cls: type[Processor]) -> type[Processor]:
    """Class decorator adding a processor to the registry under ``cls.name``."""
    prefix = cls.name + "."
    bad = [spec.name for spec in cls.specs if not spec.name.startswith(prefix)]
    if bad:
        raise ValueError(f"processor {cls.name!r} declares parameters outside its prefix: {bad}")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"a processor named {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


def get_processor_class(name: str) -> type[Processor]:
    """The registered processor class called ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"no processor named {name!r}; registered: {sorted(_REGISTRY)}") from None


def registered_processors() -> tuple[str, ...]:
    """Names of all registered processors."""
    return tuple(sorted(_REGISTRY))
