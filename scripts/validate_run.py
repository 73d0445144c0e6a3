"""Validation metrics of a training run's best analyzer against no processing.

    python scripts/validate_run.py runs/small-v1 data/pairs_v1 [--split valid] [--out metrics.json]

Prints a markdown table and writes the full result (overall and per style) as JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from aeib.model.saving import load_keras_model
from aeib.train.validate import format_table, validate_analyzer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="run folder with analyzer.keras (or best.keras)")
    parser.add_argument("data", type=Path, help="folder written by aeib make-data")
    parser.add_argument("--split", default="valid")
    parser.add_argument("--out", type=Path, help="JSON output (default RUN/metrics_SPLIT.json)")
    args = parser.parse_args()
    path = args.run / "analyzer.keras"
    analyzer = load_keras_model(path) if path.is_file() else load_keras_model(args.run / "best.keras").get_layer("analyzer")
    result = validate_analyzer(analyzer, args.data, args.split)
    out = args.out or args.run / f"metrics_{args.split}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(format_table(result))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
