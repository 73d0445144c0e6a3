#!/usr/bin/env python3
"""Add the tonal target (``spectrum``) to the built-in styles of an exported bundle JSON, in place.

    .venv/bin/python scripts/add_style_spectrum.py data/pairs_v2_final \\
        aeib/runtime/models/aeib-small-v3.dynamic-int8.json

For bundles exported before styles carried one (a new ``aeib export`` writes it itself). For each
style in :data:`aeib.export.bundle.STYLE_TONAL_TARGETS` (``board-mix``: reference kind ``board``), the
spectrum is measured exactly as the export measures it (:func:`aeib.export.data.style_spectra`: every
training-split reference of that kind of the data the bundle was exported from, at the bundle's rate)
and written into the style's entry; nothing else in the JSON changes (the ``.tflite`` and its hash are
untouched). Deterministic: the same data gives the same file. The data's manifest must be the one the
bundle records (``training.export_data_manifest_sha256``), so the target comes from the same training
split the style's embedding was averaged over.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from aeib.export.bundle import STYLE_TONAL_TARGETS
from aeib.export.data import manifest_sha256, style_spectra


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the data folder the bundle was exported from")
    parser.add_argument("bundle", type=Path, nargs="+", help="bundle JSON file(s) to update in place")
    args = parser.parse_args()
    for path in args.bundle:
        bundle = json.loads(path.read_text(encoding="utf-8"))
        recorded = bundle.get("training", {}).get("export_data_manifest_sha256")
        if recorded is not None and recorded != manifest_sha256(args.data):
            print(f"{path}: exported from other data than {args.data} (manifest hash differs)", file=sys.stderr)
            return 2
        wanted = {name: kind for name, kind in STYLE_TONAL_TARGETS.items() if name in bundle["styles"]}
        measured = style_spectra(args.data, tuple(wanted.values()), int(bundle["sample_rate"]))
        for name, kind in wanted.items():
            if kind in measured:
                bundle["styles"][name]["spectrum"] = {**measured[kind], "split": "train", "target_mode": kind}
                print(f"{path}: style {name}: spectrum of {measured[kind]['references']} {kind} references, "
                      f"{len(measured[kind]['freqs_hz'])} points")
        path.write_text(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
