"""The array API: enhance numpy audio in memory, repeatedly or as a stream; apply a saved setting.

::

    import aeib
    result = aeib.enhance(audio, 48_000)                  # analyzer + chain + loudness stage
    result.audio, result.params, result.summary           # output, setting run, one line
    same = aeib.apply(audio, 48_000, result.setting)      # reproduces result.audio exactly

    enhancer = aeib.Enhancer(reference=ref, reference_sample_rate=44_100, strength=0.5)
    out = enhancer.enhance(audio, 48_000).audio           # model loaded, reference embedded once
    for block in blocks:                                  # streaming: one block in, one out
        y = enhancer.process(block, 48_000)
    enhancer.reset()

Audio is ``float[samples]`` or ``float[samples, channels]`` in [-1, 1] (float32 in → float32 out,
otherwise float64). Errors a caller can cause raise :class:`~aeib.errors.AeibError` subclasses
(``ParameterError`` is also a ``ValueError``). Described in ``docs/API.md``; the command line
(``aeib enhance``, ``aeib apply``) is a thin layer over these functions.

Nothing heavy is imported with :mod:`aeib`: this module loads the runtime (and LiteRT) only when
a model is first needed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

import numpy as np

from aeib.dsp.processor import MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ
from aeib.dsp.schema import check_strength
from aeib.errors import AudioError, ParameterError
from aeib.settings import Setting, load_setting, setting_to_json

if TYPE_CHECKING:
    from aeib.runtime.bundle import Style

__all__ = ["Enhancer", "Result", "apply", "enhance", "setting_processor"]


@dataclass(frozen=True)
class Result:
    """What :func:`enhance` made.

    Attributes:
        audio: The enhanced audio, the input's shape (float32 in → float32 out, else float64).
        setting: Full-strength chain parameters, strength and loudness gain: pass it to
            :func:`apply`, or save it with :meth:`to_json` for ``aeib apply --params``.
        summary: One line saying what was done.
        mode: ``"fixed"``, ``"adaptive"``, ``"bypass"`` (strength 0) or ``"passthrough"`` (silence).
        target: What the setting was steered towards (``style clean-live-mix``, ``reference ...``).
    """

    audio: np.ndarray
    setting: Setting
    summary: str
    mode: str
    target: str

    @property
    def params(self) -> dict[str, float]:
        """The chain setting that was run (scaled by the strength), physical units."""
        return self.setting.applied_params()

    def to_json(self) -> str:
        """The setting as a parameter file (``aeib apply --params`` reproduces :attr:`audio` exactly)."""
        return setting_to_json(self.setting)


def _check_audio(audio: object, sample_rate: object, what: str = "audio") -> np.ndarray:
    """``audio`` as a float ndarray of shape (samples,) or (samples, channels), finite, non-empty."""
    array = np.asarray(audio)
    if not np.issubdtype(array.dtype, np.floating):
        raise AudioError(f"{what} must be a floating-point array in [-1, 1], got dtype {array.dtype}")
    if array.ndim not in (1, 2) or array.shape[0] == 0 or (array.ndim == 2 and array.shape[1] == 0):
        raise AudioError(f"{what} must have shape (samples,) or (samples, channels) with samples ≥ 1, "
                         f"got {array.shape}")
    if not np.isfinite(array).all():
        raise AudioError(f"{what} contains NaN or infinite samples")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, float, np.integer, np.floating)) \
            or not MIN_SAMPLE_RATE_HZ <= sample_rate <= MAX_SAMPLE_RATE_HZ or sample_rate != int(sample_rate):
        raise AudioError(f"sample rate of the {what} must be a whole number of Hz from {MIN_SAMPLE_RATE_HZ} "
                         f"to {MAX_SAMPLE_RATE_HZ}, got {sample_rate!r}")
    return array


def _as_setting(params: Setting | Mapping[str, float] | str | os.PathLike) -> Setting:
    if isinstance(params, Setting):
        return params
    if isinstance(params, (str, os.PathLike)):
        return load_setting(params)
    if isinstance(params, Mapping):
        from aeib.dsp import CHAIN_SCHEMA

        return Setting(CHAIN_SCHEMA.complete(params))
    raise ParameterError(f"params must be a Setting, a mapping of parameter names to values, or a parameter "
                         f"file/preset name, got {type(params).__name__}")


def apply(audio: np.ndarray, sample_rate: int, params: Setting | Mapping[str, float] | str | os.PathLike) -> np.ndarray:
    """Run EQ → compressor → loudness gain → safety limiter with a given setting.

    Args:
        audio: float[samples] or float[samples, channels].
        sample_rate: Hz (8 000 – 192 000).
        params: A :class:`~aeib.settings.Setting` (e.g. ``Result.setting``), a partial
            ``{name: physical value}`` mapping (defaults fill the rest; no loudness gain), or the path
            of a parameter file / the name of a bundled preset.

    Returns:
        The processed audio, the input's shape; at strength 0 an exact copy of the input.

    Raises:
        AudioError: bad audio or sample rate. ParameterError: bad setting.
    """
    array = _check_audio(audio, sample_rate)
    out = setting_processor(params, int(sample_rate), 1 if array.ndim == 1 else array.shape[1])(array)
    return array.copy() if out is array else out


def setting_processor(params: Setting | Mapping[str, float] | str | os.PathLike, sample_rate: int,
                      channels: int) -> Callable[[np.ndarray], np.ndarray]:
    """A stateful ``block -> processed block`` function applying a setting to a signal in order.

    What :func:`apply` and ``aeib apply`` (block by block, bounded memory) run: the chain with the
    setting's parameters scaled by its strength and its loudness gain, then the safety limiter; at
    strength 0 the identity (blocks are returned as they are).

    Raises:
        ParameterError: bad setting.
    """
    from aeib.dsp import ChainProcessor

    setting = _as_setting(params)
    if setting.bypass:
        return lambda block: block
    return ChainProcessor(sample_rate, channels, setting.applied_params(),
                          loudness_gain_db=setting.loudness.gain_db).process_block


class Enhancer:
    """The analyzer and its target, loaded once, for many :meth:`enhance` calls or a stream.

    Args:
        model: An analyzer bundle path, a loaded :class:`~aeib.runtime.AnalyzerModel`, or None for
            the model shipped with aeib.
        reference: A recording to sound like: an array (at ``reference_sample_rate``) or a file path.
        reference_sample_rate: Rate of an array ``reference``, Hz.
        style: A built-in target style instead (None: the model's default style).
        strength: 0…1 (default 1): how far the setting moves from neutral; 0 returns the input
            unchanged, bit for bit.
        loudness: ``"auto"`` (the reference's integrated loudness, or −16 LUFS without one), a
            target in LUFS, ``"keep"`` (the input's own; not for streaming) or ``"off"``.
        adaptive: Let the setting follow the music over time in :meth:`enhance`.
        refine: The test-time refinement strength 0…1, toward the reference's spectrum or, reference-free,
            the style's tonal target (see :func:`enhance`).
        dead_zone_db: The EQ's dead zone in dB (see :func:`enhance`).
        match: With a reference, how far the refinement's curve moves on to the measured match (see :func:`enhance`).
        threads: Interpreter threads.

    Raises:
        ParameterError: bad options (also reference together with style). ModelError: bad model.
        AudioError: an unusable reference.
    """

    def __init__(self, model=None, *, reference: np.ndarray | str | os.PathLike | None = None,
                 reference_sample_rate: int | None = None, style: str | None = None, strength: float = 1.0,
                 loudness: float | str | None = "auto", adaptive: bool = False, threads: int = 1,
                 refine: float | None = None, dead_zone_db: float | None = None, match: float | None = None):
        from aeib.runtime.dead_zone import check_dead_zone
        from aeib.runtime.render import check_loudness

        if reference is not None and style is not None:
            raise ParameterError("give either a reference recording or a style, not both")
        self.strength = check_strength(strength)
        self.loudness = check_loudness(loudness)
        from aeib.runtime.refine import check_match, check_refine

        self.refine = check_refine(refine)
        self.match = check_match(match, reference is not None)
        self.dead_zone_db = check_dead_zone(dead_zone_db)
        self.style, self.adaptive = style, bool(adaptive)
        self._model_arg, self._threads = model, threads
        self._model = None
        self._reference = self._reference_source(reference, reference_sample_rate)
        self._embedding: tuple[np.ndarray | Style, str] | None = None
        self._measures = None  # the reference's loudness and spectrum, measured once (aeib.runtime.reference)
        self._stream = None
        self._stream_format: tuple[int, int] | None = None

    @staticmethod
    def _reference_source(reference, sample_rate):
        if reference is None or isinstance(reference, (str, os.PathLike)):
            if sample_rate is not None and reference is not None:
                raise ParameterError("reference_sample_rate is for an array reference, not a file")
            return reference
        from aeib.runtime.windows import ArrayAudio

        if sample_rate is None:
            raise ParameterError("an array reference needs reference_sample_rate")
        return ArrayAudio(_check_audio(reference, sample_rate, "reference"), int(sample_rate), "the reference")

    @property
    def model(self):
        """The analyzer (loaded on first use)."""
        if self._model is None:
            from aeib.runtime.model import AnalyzerModel, load_model

            self._model = self._model_arg if isinstance(self._model_arg, AnalyzerModel) \
                else load_model(self._model_arg, self._threads)
        return self._model

    def _target(self) -> tuple[np.ndarray | Style, str]:
        """The embedding or built-in style to steer towards and its label (computed once)."""
        if self._embedding is None:
            from aeib.runtime.analysis import reference_embedding_from_file

            if self._reference is None:
                name = self.model.default_style if self.style is None else self.style
                self._embedding = (self.model.style(name), f"style {name}")
            else:
                label = Path(self._reference).name if isinstance(self._reference, (str, os.PathLike)) \
                    else "the reference array"
                self._embedding = (reference_embedding_from_file(self.model, self._reference), f"reference {label}")
        return self._embedding

    def _reference_measures(self):
        """The reference's :class:`~aeib.runtime.reference.ReferenceMeasures` (measured once), or None."""
        if self._reference is not None and self._measures is None:
            from aeib.runtime.reference import measure_reference

            self._measures = measure_reference(self._reference)
        return self._measures

    def enhance(self, audio: np.ndarray, sample_rate: int) -> Result:
        """Analyse and enhance a whole signal (see :func:`enhance`)."""
        from aeib.runtime.analysis import analyze_file
        from aeib.runtime.enhance import predicted_setting
        from aeib.runtime.render import make_plan
        from aeib.runtime.windows import ArrayAudio

        array = _check_audio(audio, sample_rate)
        sample_rate = int(sample_rate)
        block = array[:, None] if array.ndim == 1 else array
        embedding, target = self._target()
        source = ArrayAudio(block, sample_rate)
        analysis = analyze_file(self.model, source, embedding, self.adaptive)
        measures = None if analysis.silent else self._reference_measures()
        setting = predicted_setting(self.model, analysis, source, measures, self.adaptive, self.refine,
                                    dead_zone_db=self.dead_zone_db, match=self.match)
        plan = make_plan(setting, analysis, sample_rate, block.shape[1],
                         lambda: iter([block]), adaptive=self.adaptive, strength=self.strength,
                         loudness=self.loudness, reference=measures, source=source)
        out = block.copy() if plan.mode in ("bypass", "passthrough") else plan.processor()(block)
        out = out[:, 0] if array.ndim == 1 else out
        return Result(out, plan.setting, _summary(plan, target), plan.mode, target)

    def enhance_file(self, input_path: str | os.PathLike, output_path: str | os.PathLike, **options):
        """:func:`aeib.runtime.enhance_file` with this enhancer's model, target, strength and loudness.

        ``options`` are that function's other keyword arguments (``float_output``, ``spectra``,
        ``progress``, ``warn``, ``options``, ...). Needs a file (or no) reference.
        """
        from aeib.runtime.enhance import enhance_file

        if self._reference is not None and not isinstance(self._reference, (str, os.PathLike)):
            raise ParameterError("enhance_file needs the reference as a file path")
        return enhance_file(input_path, output_path, self.model, reference=self._reference, style=self.style,
                            adaptive=self.adaptive, strength=self.strength, loudness=self.loudness,
                            refine=self.refine, dead_zone_db=self.dead_zone_db, match=self.match, **options)

    def process(self, block: np.ndarray, sample_rate: int) -> np.ndarray:
        """Enhance the next block of a stream (causal, no lookahead; see :class:`~aeib.runtime.StreamEnhancer`).

        The first call fixes the stream's rate and channel count until :meth:`reset`. The analyzer
        re-listens every 3 s; the loudness stage follows the short-term loudness to the target.

        Returns:
            The processed block, same shape (float32 in → float32 out).

        Raises:
            AudioError: bad block, or a rate/channel count other than the stream's.
            ParameterError: ``loudness="keep"`` (a stream's own loudness is not known in advance).
        """
        array = _check_audio(block, sample_rate, "block")
        channels = 1 if array.ndim == 1 else array.shape[1]
        if self._stream is None:
            self._stream = self._open_stream(int(sample_rate), channels)
            self._stream_format = (int(sample_rate), channels)
        elif self._stream_format != (int(sample_rate), channels):
            raise AudioError(f"this stream is {self._stream_format[0]} Hz, {self._stream_format[1]} ch; got "
                             f"{sample_rate} Hz, {channels} ch (call reset() to start a new stream)")
        return self._stream.process(array)

    def _open_stream(self, sample_rate: int, channels: int):
        from aeib.dsp.loudness import DEFAULT_TARGET_LUFS
        from aeib.runtime.stream import StreamEnhancer

        if self.loudness == "keep":
            raise ParameterError("loudness='keep' needs the whole signal; for a stream give a level in LUFS, "
                                 "'auto' or 'off'")
        if self.loudness == "auto":
            target = DEFAULT_TARGET_LUFS if self._reference is None else self._reference_measures().loudness_lufs
            target = target if math.isfinite(target) else DEFAULT_TARGET_LUFS
        else:
            target = None if self.loudness == "off" else float(self.loudness)
        if self.strength == 0.0:
            return StreamEnhancer(None, sample_rate, channels, analyze=False, strength=0.0)
        return StreamEnhancer(self.model, sample_rate, channels, reference_embedding=self._target()[0],
                              strength=self.strength, loudness_target_lufs=target)

    def reset(self) -> None:
        """Forget the stream (its rate, channels, filter and loudness state, predictions)."""
        if self._stream is not None:
            self._stream.close()
        self._stream, self._stream_format = None, None


def _summary(plan, target: str) -> str:
    if plan.mode == "bypass":
        return "strength 0: the input is returned unchanged"
    if plan.mode == "passthrough":
        return "silent input: returned unchanged"
    loudness = plan.setting.loudness
    level = "" if loudness.mode == "off" else (
        f"; loudness {loudness.measured_lufs if loudness.measured_lufs is not None else float('-inf'):.1f} → "
        f"{(loudness.measured_lufs or 0.0) + loudness.gain_db:.1f} LUFS (gain {loudness.gain_db:+.1f} dB, "
        f"target {loudness.mode}{'' if loudness.target_lufs is None else f' {loudness.target_lufs:.1f} LUFS'})")
    return f"{plan.mode} setting for {target}, strength {plan.setting.strength:g}{level}"


def enhance(audio: np.ndarray, sample_rate: int, *, reference: np.ndarray | str | os.PathLike | None = None,
            reference_sample_rate: int | None = None, style: str | None = None, strength: float = 1.0,
            loudness: float | str | None = "auto", model=None, adaptive: bool = False,
            refine: float | None = None, dead_zone_db: float | None = None, match: float | None = None) -> Result:
    """Repair a recording held in memory: the analyzer picks the setting, the chain applies it.

    Args:
        audio: float[samples] or float[samples, channels] at ``sample_rate``.
        sample_rate: Hz (8 000 – 192 000).
        reference: A recording to sound like (array at ``reference_sample_rate``, or a file path).
        reference_sample_rate: Rate of an array reference, Hz.
        style: A built-in target style instead (None: the model's default style).
        strength: 0…1 (default 1); 0 returns the input unchanged, bit for bit.
        loudness: ``"auto"`` (the reference's loudness, or −16 LUFS without one), a target in LUFS,
            ``"keep"`` (the input's) or ``"off"``.
        model: Analyzer bundle path or loaded model; None for the shipped model.
        adaptive: Let the setting follow the music over time.
        refine: How far the EQ moves from the analyzer's toward the measured spectral match of the
            reference (None: :data:`aeib.runtime.refine.REFINE_STRENGTH`; with a bundle that carries a
            learned refinement, toward its curve, None: 1, :mod:`aeib.runtime.learned_refine`) or, reference-free, of the
            style's tonal target if the bundle has one (None: :data:`aeib.runtime.refine.STYLE_REFINE_STRENGTH`,
            or 1 toward a style's learned map, :func:`aeib.runtime.refine.style_strength`), 0…1; 0: off.
        dead_zone_db: Each EQ band's gain is moved this many dB toward 0 after the refinement, so a
            smaller move is not made (None: 1 dB reference-free, off with a reference,
            :func:`aeib.runtime.dead_zone.default_dead_zone_db`; 0: off; not in adaptive mode).
        match: With a reference, how far the refinement's curve moves on to the reference's measured
            spectral match (limited to the EQ's ±18 dB), 0…1 (None: :data:`aeib.runtime.refine.MATCH`,
            0). More repairs more and changes a recording that needed nothing more (docs/TRAINING.md,
            "How much to trust the reference"). Refused without a reference.

    Returns:
        :class:`Result` (audio, setting, summary).

    Raises:
        AudioError, ParameterError, ModelError: bad audio, options or model.
    """
    return Enhancer(model, reference=reference, reference_sample_rate=reference_sample_rate, style=style,
                    strength=strength, loudness=loudness, adaptive=adaptive, refine=refine,
                    dead_zone_db=dead_zone_db, match=match).enhance(audio, sample_rate)
