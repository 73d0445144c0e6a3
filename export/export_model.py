#!/usr/bin/env python3
"""Export a trained analyzer to TFLite: a thin wrapper around ``aeib export`` (same options).

Example (the command that made the shipped model; see docs/EXPORT.md)::

    python export/export_model.py --model training/checkpoints/small-v2/best.keras --data data/pairs_v1 \\
        --out tflite_models --name aeib-small-v2 --install-default dynamic-int8

Defaults (variants, analysis window, calibration and parity sizes) come from
``aeib/configs/export/default.json``, the parity tolerances from ``aeib.export.config.PARITY_TOLERANCES``.
The work is done by :func:`aeib.export.export_model`.
"""

import sys

from aeib.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["export", *sys.argv[1:]]))
