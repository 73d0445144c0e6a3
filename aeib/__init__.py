"""aeib — Audio Engineer in a Box.

A tiny neural analyzer predicts the settings of a classic parametric EQ and compressor
(:mod:`aeib.dsp`); the DSP itself is plain, interpretable signal processing.

Array layout used everywhere in the package: audio is ``float[samples]`` (mono) or
``float[samples, channels]``, exactly as :mod:`soundfile` returns it.
"""

__version__ = "0.1.0"
