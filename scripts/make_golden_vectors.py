"""Regenerate the golden vectors of every model in tflite_models/ and aeib/runtime/models/ (tflite_models/vectors/<name>/).

Run after every `aeib export` into tflite_models/ (and `--install-default`); the vectors test
(tests/export/test_golden_vectors.py) fails until you do. TensorFlow-free (LiteRT + numpy).

    python scripts/make_golden_vectors.py [--models tflite_models]
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aeib.errors import AeibError  # noqa: E402
from aeib.export.vectors import write_vectors  # noqa: E402
from aeib.runtime.bundle import DEFAULT_MODEL_DIR  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=ROOT / "tflite_models",
                        help="folder of exported bundles (the bundled default in aeib/runtime/models/ joins them)")
    args = parser.parse_args()
    try:
        for path in write_vectors(args.models, DEFAULT_MODEL_DIR):
            print(f"wrote {path.parent}")
    except AeibError as exc:
        print(f"aeib: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
