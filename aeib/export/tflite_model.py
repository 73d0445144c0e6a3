"""Run an exported ``.tflite`` analyzer with LiteRT (``ai_edge_litert``) during export and parity.

The model's inputs and outputs are found through its serving signature, whose keys are the
contract names (``input_features``, ``reference_embedding``, ``params01``, ``input_embedding``); the
interpreter's own tensor names (what the bundle JSON records for the runtime) are read from there.
This module imports no TensorFlow.
"""

from __future__ import annotations

import numpy as np

from aeib.export.config import INPUT_NAMES, OUTPUT_NAMES, ExportError
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
        runner = self.interpreter.get_signature_runner()
        by_index = {d["index"]: d for d in self.interpreter.get_input_details() + self.interpreter.get_output_details()}
        signature = {**runner.get_input_details(), **runner.get_output_details()}
        missing = [name for name in INPUT_NAMES + OUTPUT_NAMES if name not in signature]
        if missing:
            raise ExportError(f"exported model lacks signature tensor(s) {missing}")
        self.details = {name: by_index[signature[name]["index"]] for name in INPUT_NAMES + OUTPUT_NAMES}

    def tensor_spec(self, name: str) -> dict:
        """``{"name", "tensor_name", "shape", "dtype"}`` of a contract tensor, as the bundle JSON holds it."""
        detail = self.details[name]
        return {"name": name, "tensor_name": detail["name"], "shape": [int(s) for s in detail["shape"]],
                "dtype": np.dtype(detail["dtype"]).name}

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(int(s) for s in self.details[name]["shape"])

    def run(self, features: np.ndarray, reference_embedding: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One invocation.

        Args:
            features: float32[frames, n_mels] (or with a leading 1) log-mel of one window.
            reference_embedding: float32[E] (or [1, E]).

        Returns:
            ``(params01 float32[P], input_embedding float32[E])``.
        """
        interpreter = self.interpreter
        interpreter.set_tensor(self.details["input_features"]["index"],
                               np.asarray(features, dtype=np.float32).reshape(self.shape("input_features")))
        interpreter.set_tensor(self.details["reference_embedding"]["index"],
                               np.asarray(reference_embedding, dtype=np.float32).reshape(self.shape("reference_embedding")))
        interpreter.invoke()
        params01 = interpreter.get_tensor(self.details["params01"]["index"])[0].copy()
        embedding = interpreter.get_tensor(self.details["input_embedding"]["index"])[0].copy()
        return params01, embedding

    def embed(self, features: np.ndarray) -> np.ndarray:
        """Embeddings of a batch of windows: float32[n, frames, n_mels] → float32[n, E]."""
        zeros = np.zeros(self.shape("reference_embedding"), dtype=np.float32)
        return np.stack([self.run(row, zeros)[1] for row in features])

    def predict(self, features: np.ndarray, reference_embeddings: np.ndarray) -> np.ndarray:
        """params01 for each (input window, reference embedding) pair: float32[n, P]."""
        return np.stack([self.run(f, e)[0] for f, e in zip(features, reference_embeddings)])
