"""Training: the ``tf.data`` input pipeline (and, later, the training loop).

This package imports TensorFlow; nothing outside it (:mod:`aeib.dsp`, :mod:`aeib.data`, the runtime)
may import it. The modules are imported on demand: ``from aeib.train.dataset import pair_dataset``.
"""
