"""Evaluation of the analyzer against baselines: test sets, methods, the scoring loop, reports.

TensorFlow is imported only when a Keras checkpoint is evaluated. ``aeib evaluate`` is the
command-line front end; from Python::

    from aeib.evaluation import open_dataset, make_baselines, model_method, run_evaluation, write_report
    dataset = open_dataset("data/pairs_v1", split="test", limit=50)
    methods = make_baselines(["input", "rb-dsp"]) + [model_method("tflite_models/aeib-small-v2.float32.json")]
    result = run_evaluation(dataset, methods)
    write_report(result, "eval/run1")

Modules: :mod:`~aeib.evaluation.datasets` (shards or WAV triplets), :mod:`~aeib.evaluation.methods`
(baselines), :mod:`~aeib.evaluation.models` (Keras and TFLite analyzers),
:mod:`~aeib.evaluation.runner` (the loop), :mod:`~aeib.evaluation.summary` (the statistics row and
metric labels), :mod:`~aeib.evaluation.report` (tables and files),
:mod:`~aeib.evaluation.plots`, :mod:`~aeib.evaluation.inversion` (settings comparison),
:mod:`~aeib.evaluation.synthetic` (a tiny generated test set). Definitions: docs/EVALUATION.md.
"""

from aeib.evaluation.datasets import DataError, EvalDataset, EvalExample, open_dataset
from aeib.evaluation.methods import BASELINES, Method, MethodOutput, make_baselines
from aeib.evaluation.models import ModelLoadError, model_method
from aeib.evaluation.report import summarize, write_report
from aeib.evaluation.runner import ALL_METRICS, EvaluationResult, run_evaluation
from aeib.evaluation.synthetic import synthetic_dataset

__all__ = [
    "ALL_METRICS", "BASELINES", "DataError", "EvalDataset", "EvalExample", "EvaluationResult", "Method",
    "MethodOutput", "ModelLoadError", "make_baselines", "model_method", "open_dataset", "run_evaluation",
    "summarize", "synthetic_dataset", "write_report",
]
