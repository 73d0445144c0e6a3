"""The exported analyzer as a plain-numpy object: features, embeddings, normalized parameters.

::

    from aeib.runtime import load_model
    model = load_model()                       # the bundle shipped with the package
    ref = model.style_embedding()              # or model.embed(reference_window)
    params01 = model.predict01(window, ref)    # float32[24] in (0, 1), CHAIN_SCHEMA order

All audio given to these methods is mono at :attr:`AnalyzerModel.sample_rate`; any length of at
least one frame is accepted and fitted to one window by :func:`~aeib.runtime.frontend.fit_to_window`
(centre crop, or mirror padding). Whole files, other rates and channel counts: :mod:`aeib.runtime.analysis`.

Tensors are found by the model's signature names (``input_features`` or, for a raw-audio model,
``input_audio``; ``reference_embedding``; ``params01``; ``input_embedding``), the names the bundle
JSON lists; a raw-audio model computes the log-mel front end in its graph, so :meth:`features`
returns the fitted window itself for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from aeib.dsp.schema import ParameterSchema
from aeib.runtime.bundle import BundleSpec, Style, read_bundle
from aeib.runtime.errors import ModelError
from aeib.runtime.frontend import LogMelFrontend, fit_to_window
from aeib.runtime.interpreter import make_interpreter


class AnalyzerModel:
    """A loaded, checked analyzer bundle (use :func:`load_model`).

    Attributes:
        bundle: The checked JSON contents.
        sample_rate: Model rate in Hz (audio given to the methods must be at this rate).
        window_samples: Samples per analysis window at the model rate.
        schema: The parameter schema of :meth:`predict01`'s output (``CHAIN_SCHEMA``).
        styles: Names of the built-in styles, in bundle order.
        default_style: The style used when no reference is given.
        variant: ``float32``, ``float16``, ``dynamic-int8``, ``int8``, ``raw-float32`` or ``raw-float16``.
        raw_audio: Whether the model takes audio (front end in the graph) rather than log-mel features.
        name: Model name, e.g. ``aeib-small-v1``.
        num_threads: Interpreter threads.
    """

    def __init__(self, bundle: BundleSpec, num_threads: int = 1):
        self.bundle = bundle
        self.sample_rate: int = bundle.sample_rate
        self.window_samples: int = bundle.window_samples
        self.schema: ParameterSchema = bundle.schema
        self.styles: tuple[str, ...] = tuple(bundle.styles)
        self.default_style: str = bundle.default_style
        self.variant: str = bundle.variant
        self.raw_audio: bool = bundle.raw_audio
        self.name: str = bundle.name
        self.num_threads = num_threads
        self.frontend = LogMelFrontend(bundle.frontend)
        self._interpreter = make_interpreter(bundle.tflite_path, num_threads, bundle=bundle.raw)
        self._index = self._tensor_indices()
        self._zero_embedding = np.zeros(bundle.embedding_dim, dtype=np.float32)

    def __repr__(self) -> str:
        return (f"AnalyzerModel({self.name} {self.variant}, {self.sample_rate} Hz, "
                f"window {self.window_seconds:g} s, {len(self.schema)} params, styles {list(self.styles)})")

    @property
    def window_seconds(self) -> float:
        """Length of one analysis window in seconds."""
        return self.window_samples / self.sample_rate

    @property
    def embedding_dim(self) -> int:
        """E, the size of an embedding."""
        return self.bundle.embedding_dim

    @property
    def min_samples(self) -> int:
        """Fewest samples (model rate) the front end can use: one frame."""
        return self.bundle.frontend.frame_length

    @property
    def path(self) -> Path:
        """The ``.tflite`` file."""
        return self.bundle.tflite_path

    def _signature_details(self) -> dict[str, dict[str, Any]] | None:
        """``{signature name: tensor detail}`` of the bundle's signature, or None if the model has none."""
        interpreter = self._interpreter
        if self.bundle.signature_key not in interpreter.get_signature_list():
            return None
        runner = interpreter.get_signature_runner(self.bundle.signature_key)
        return {**runner.get_input_details(), **runner.get_output_details()}

    def _tensor_indices(self) -> dict[str, int]:
        """Interpreter tensor index of each contract tensor, found by signature name and checked against the
        JSON's shapes (and against its legacy ``tensor_name`` where the JSON has one)."""
        interpreter = self._interpreter
        by_name = {d["name"]: d for d in interpreter.get_input_details() + interpreter.get_output_details()}
        signature = self._signature_details()
        if signature is None and any(spec.tensor_name is None for spec in
                                     [*self.bundle.inputs.values(), *self.bundle.outputs.values()]):
            raise ModelError(f"{self.bundle.tflite_path}: the model has no signature "
                             f"{self.bundle.signature_key!r}; re-export it with `aeib export`")
        index = {}
        for spec in [*self.bundle.inputs.values(), *self.bundle.outputs.values()]:
            if spec.tensor_name is not None and spec.tensor_name not in by_name:
                raise ModelError(f"{self.bundle.json_path}: the model has no tensor {spec.tensor_name!r} "
                                 f"({spec.name}); its tensors are {sorted(by_name)}")
            if signature is None:
                detail = by_name[spec.tensor_name]
            else:
                detail = signature.get(spec.name)
                if detail is None:
                    raise ModelError(f"{self.bundle.json_path}: the model's signature has no tensor {spec.name!r}; "
                                     f"its names are {sorted(signature)}")
            if spec.tensor_name is not None and by_name[spec.tensor_name]["index"] != detail["index"]:
                raise ModelError(f"{self.bundle.json_path}: tensor_name {spec.tensor_name!r} of {spec.name!r} is not "
                                 f"the model's {spec.name!r} tensor ({detail['name']!r}); the JSON does not "
                                 "describe this model")
            shape = tuple(int(n) for n in detail["shape"])
            if shape != spec.shape:
                raise ModelError(f"{self.bundle.json_path}: tensor {spec.name!r} is {list(shape)} in the model "
                                 f"but {list(spec.shape)} in the JSON")
            if np.dtype(detail["dtype"]) != np.float32:
                raise ModelError(f"{self.bundle.json_path}: tensor {spec.name!r} is {np.dtype(detail['dtype'])}, "
                                 "expected float32")
            index[spec.name] = detail["index"]
        return index

    # -- the contract's four operations -------------------------------------------------------
    def features(self, audio: np.ndarray) -> np.ndarray:
        """The model input of one analysis window: its log-mel features (or, for a raw-audio model, the
        fitted window itself).

        Args:
            audio: float[samples] mono at :attr:`sample_rate`, at least one frame
                (:attr:`min_samples`). Longer than a window: its centre window is used; shorter:
                it is extended by mirroring (see :func:`~aeib.runtime.frontend.fit_to_window`).

        Returns:
            float32[F, n_mels], equal to ``aeib.features.log_mel_spectrogram`` of the fitted window
            within :data:`~aeib.runtime.frontend.FEATURE_TOLERANCE`; for a raw-audio model
            float32[window_samples], the fitted window.

        Raises:
            ModelError: if the audio is shorter than one frame.
        """
        audio = np.asarray(audio)
        if audio.ndim != 1:
            raise ModelError(f"the analyzer takes mono audio float[samples], got shape {audio.shape}")
        if audio.shape[0] < self.min_samples:
            raise ModelError(f"{audio.shape[0]} samples is shorter than one analysis frame "
                             f"({self.min_samples} samples at {self.sample_rate} Hz)")
        window = fit_to_window(audio, self.window_samples)
        return window if self.raw_audio else self.frontend(window)

    def run(self, features: np.ndarray, reference_embedding: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """One interpreter call on precomputed features.

        Args:
            features: The model input from :meth:`features` (float[F, n_mels], or float[samples] for a
                raw-audio model).
            reference_embedding: float[E], or None (zeros: only the returned embedding is meaningful).

        Returns:
            ``(params01 float32[P], input_embedding float32[E])`` (copies).
        """
        reference = self._zero_embedding if reference_embedding is None else reference_embedding
        reference = np.asarray(reference, dtype=np.float32).reshape(1, -1)
        if reference.shape[1] != self.embedding_dim:
            raise ModelError(f"reference embedding has {reference.shape[1]} values, the model takes {self.embedding_dim}")
        interpreter = self._interpreter
        interpreter.set_tensor(self._index[self.bundle.input_name], np.asarray(features, dtype=np.float32)[None])
        interpreter.set_tensor(self._index["reference_embedding"], reference)
        interpreter.invoke()
        params01 = interpreter.get_tensor(self._index["params01"])[0].copy()
        embedding = interpreter.get_tensor(self._index["input_embedding"])[0].copy()
        return params01, embedding

    def run_toward(self, features: np.ndarray, target: np.ndarray | Style | None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`run` steered towards a reference embedding or a built-in :class:`Style` (None: as :meth:`run`).

        A partial style (:attr:`Style.partial`) needs the window's own embedding first, so it costs two
        interpreter calls: one for the input embedding, one with the style's target for it. So does a
        reference embedding when the bundle's :attr:`~aeib.runtime.bundle.BundleSpec.reference_pull` is
        below 1 (the window is steered that share of the way toward it).

        Returns:
            ``(params01 float32[P], input_embedding float32[E])``.
        """
        if target is not None and not isinstance(target, Style) and self.bundle.reference_pull < 1.0:
            # A reference embedding is followed part of the way from each window's own sound, as a
            # partial style is (BundleSpec.reference_pull).
            target = Style("reference", "a reference recording", np.asarray(target, dtype=np.float32).reshape(-1),
                           self.bundle.reference_pull)
        if isinstance(target, Style):
            if not target.partial:
                return self.run(features, target.embedding)
            _, embedding = self.run(features)
            return self.run(features, target.target_for(embedding))[0], embedding
        return self.run(features, target)

    def embed(self, audio: np.ndarray) -> np.ndarray:
        """Encoder embedding of one window of mono model-rate audio (see :meth:`features`): float32[E]."""
        return self.run(self.features(audio))[1]

    def predict01(self, audio: np.ndarray, reference_embedding: np.ndarray | Style) -> np.ndarray:
        """Normalized chain parameters for one window of mono model-rate audio.

        Args:
            audio: float[samples] mono at :attr:`sample_rate` (see :meth:`features` for the length).
            reference_embedding: float[E] from :meth:`embed` or :meth:`style_embedding`, or a built-in
                :class:`Style` from :meth:`style` (see :meth:`run_toward`).

        Returns:
            float32[P] in [0, 1] (a quantized model may give exactly 0 or 1), in :attr:`schema` order
            (``schema.denormalize`` gives physical units).
        """
        return self.run_toward(self.features(audio), reference_embedding)[0]

    def style(self, name: str | None = None) -> Style:
        """A built-in style (None: :attr:`default_style`), for :meth:`run_toward`.

        Raises:
            ModelError: for an unknown style name (the message lists the styles).
        """
        name = self.default_style if name is None else name
        style = self.bundle.styles.get(name)
        if style is None:
            raise ModelError(f"unknown style {name!r}; this model's styles: {', '.join(self.styles)}")
        return style

    def style_embedding(self, name: str | None = None) -> np.ndarray:
        """Embedding of a built-in style: float32[E] (a copy).

        Args:
            name: One of :attr:`styles`; None means :attr:`default_style`.

        Raises:
            ModelError: for an unknown style name (the message lists the styles).
        """
        embedding: np.ndarray = self.style(name).embedding.copy()
        return embedding

    def style_description(self, name: str | None = None) -> str:
        """One-line description of a built-in style."""
        return self.style(name).description


def load_model(path: str | Path | None = None, num_threads: int = 1) -> AnalyzerModel:
    """Load and check an analyzer bundle.

    Args:
        path: The bundle's ``.json``, its ``.tflite`` (with the JSON beside it), a folder holding one
            bundle, or None for the bundle shipped in ``aeib/runtime/models/``.
        num_threads: Interpreter threads (default 1, the configuration the latency goal is for).

    Raises:
        ModelError: missing or corrupt files, JSON/model mismatch (hash, schema, tensor names or
            shapes), or no interpreter installed.
    """
    return AnalyzerModel(read_bundle(path), num_threads)
