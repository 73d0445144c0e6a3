"""Run an exported ``.tflite`` analyzer with LiteRT (``ai_edge_litert``) during export and parity.

The model's inputs and outputs are found through its serving signature, whose keys are the names
of :mod:`aeib.contract` (``input_features`` — or ``input_audio`` for a raw-audio model —,
``reference_embedding``, ``params01``, ``input_embedding``); the bundle JSON records those names and
the signature key.
This module imports no TensorFlow.
"""

from __future__ import annotations

import numpy as np

from aeib.contract import INPUT_NAMES, OUTPUT_NAMES, RAW_INPUT_NAME, SIGNATURE_KEY
from aeib.export.config import ExportError
from aeib.export.quiet import quiet_fds


class TfliteAnalyzer:
    """One ``.tflite`` analyzer held in memory.

    Args:
        tflite_bytes: The flatbuffer.
        num_threads: Interpreter threads (1 keeps results reproducible and matches a phone core).

    Raises:
        ExportError: if the model's signature lacks one of the contract's tensors.
    """

    def __init__(self, tflite_bytes: bytes, num_threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        with quiet_fds():  # LiteRT announces its CPU delegate on stderr
            self.interpreter = Interpreter(model_content=tflite_bytes, num_threads=num_threads)
            self.interpreter.allocate_tensors()
        runner = self.interpreter.get_signature_runner(SIGNATURE_KEY)
        signature = {**runner.get_input_details(), **runner.get_output_details()}
        self.input_name = RAW_INPUT_NAME if RAW_INPUT_NAME in signature else INPUT_NAMES[0]
        self.names = (self.input_name, *INPUT_NAMES[1:], *OUTPUT_NAMES)
        missing = [name for name in self.names if name not in signature]
        if missing:
            raise ExportError(f"exported model lacks signature tensor(s) {missing}")
        self.details = {name: signature[name] for name in self.names}

    def tensor_spec(self, name: str) -> dict:
        """``{"name", "shape", "dtype"}`` of a contract tensor (its signature key), as the bundle JSON holds it."""
        detail = self.details[name]
        return {"name": name, "shape": [int(s) for s in detail["shape"]], "dtype": np.dtype(detail["dtype"]).name}

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(int(s) for s in self.details[name]["shape"])

    def run(self, features: np.ndarray, reference_embedding: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One invocation.

        Args:
            features: The model input of one window (or with a leading 1): float32[frames, n_mels]
                log-mel features, or float32[samples] audio for a raw-audio model.
            reference_embedding: float32[E] (or [1, E]).

        Returns:
            ``(params01 float32[P], input_embedding float32[E])``.
        """
        interpreter = self.interpreter
        interpreter.set_tensor(self.details[self.input_name]["index"],
                               np.asarray(features, dtype=np.float32).reshape(self.shape(self.input_name)))
        interpreter.set_tensor(self.details["reference_embedding"]["index"],
                               np.asarray(reference_embedding, dtype=np.float32).reshape(self.shape("reference_embedding")))
        interpreter.invoke()
        params01 = interpreter.get_tensor(self.details["params01"]["index"])[0].copy()
        embedding = interpreter.get_tensor(self.details["input_embedding"]["index"])[0].copy()
        return params01, embedding

    def embed(self, features: np.ndarray) -> np.ndarray:
        """Embeddings of a batch of model inputs (float32[n, frames, n_mels] or float32[n, samples]) → float32[n, E]."""
        zeros = np.zeros(self.shape("reference_embedding"), dtype=np.float32)
        return np.stack([self.run(row, zeros)[1] for row in features])

    def predict(self, features: np.ndarray, reference_embeddings: np.ndarray) -> np.ndarray:
        """params01 for each (input window, reference embedding) pair: float32[n, P]."""
        return np.stack([self.run(f, e)[0] for f, e in zip(features, reference_embeddings)])
