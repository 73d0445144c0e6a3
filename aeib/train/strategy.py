"""Distribution strategies for ``aeib train --strategy``.

* ``default`` — one device (the CPU, or a GPU if TensorFlow sees one).
* ``mirrored`` — synchronous data parallelism across the local devices. On a machine without
  GPUs the CPU is split into two *logical* devices, so the mirrored code path can be exercised
  (and tested) on any laptop; the global batch is divided between the replicas.
* ``multiworker`` — ``tf.distribute.MultiWorkerMirroredStrategy``: every worker runs the same
  ``aeib train`` command with a ``TF_CONFIG`` environment variable describing the cluster, e.g.
  ``{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}``
  (index 1 on the second host). See docs/TRAINING.md.
"""

from __future__ import annotations

import os

import tensorflow as tf

from aeib.errors import ParameterError
from aeib.jsonio import parse_json

STRATEGIES = ("default", "mirrored", "multiworker")
LOGICAL_CPUS_FOR_MIRRORED = 2


def split_cpu(n_logical: int = LOGICAL_CPUS_FOR_MIRRORED) -> list[str]:
    """Split the first physical CPU into ``n_logical`` logical devices (before TF initializes them)."""
    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * n_logical)
    except RuntimeError:
        pass  # already initialized: use whatever logical devices exist
    return [device.name for device in tf.config.list_logical_devices("CPU")]


def make_strategy(name: str) -> tf.distribute.Strategy:
    """The strategy called ``name``.

    Raises:
        ParameterError: for an unknown name, or ``multiworker`` without a valid ``TF_CONFIG``.
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            return tf.distribute.MirroredStrategy()
        devices = split_cpu()
        if len(devices) < 2:
            raise ParameterError("`strategy` mirrored needs two devices, and TensorFlow was already initialized "
                                 "with one CPU device")
        return tf.distribute.MirroredStrategy(devices=devices[:LOGICAL_CPUS_FOR_MIRRORED])
    if name == "multiworker":
        raw = os.environ.get("TF_CONFIG")
        if not raw:
            raise ParameterError("`strategy` multiworker needs the TF_CONFIG environment variable (see docs/TRAINING.md)")
        try:
            cluster = parse_json(raw, "TF_CONFIG", error=ParameterError, required={"cluster": dict, "task": dict})
            cluster["cluster"]["worker"], cluster["task"]["index"]
        except (ParameterError, KeyError, TypeError) as exc:
            raise ParameterError(f"TF_CONFIG is not a valid cluster description: {exc}") from None
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ParameterError(f"unknown strategy {name!r}; choose from {', '.join(STRATEGIES)}")
