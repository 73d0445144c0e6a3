"""aeib — Audio Engineer in a Box.

A tiny neural analyzer predicts the settings of a classic parametric EQ and compressor
(:mod:`aeib.dsp`); the DSP itself is plain, interpretable signal processing.

Array layout used everywhere in the package: audio is ``float[samples]`` (mono) or
``float[samples, channels]``, exactly as :mod:`soundfile` returns it.

The array API (:mod:`aeib.api`, ``docs/API.md``) is reachable from here and loaded on first use, so
``import aeib`` stays light (no numpy, no TensorFlow, no LiteRT)::

    import aeib
    result = aeib.enhance(audio, 48_000)          # -> aeib.Result(audio, setting, summary, ...)
    same = aeib.apply(audio, 48_000, result.setting)
    enhancer = aeib.Enhancer(strength=0.5)        # enhancer.enhance(...), enhancer.process(block, rate)
"""

__version__ = "0.1.0"

_API = ("Enhancer", "Result", "apply", "enhance")
__all__ = ["__version__", *_API]  # noqa: PLE0604 (_API is a tuple of str, written once)


def __getattr__(name: str):
    if name in _API:
        from aeib import api

        return getattr(api, name)
    raise AttributeError(f"module 'aeib' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_API])
