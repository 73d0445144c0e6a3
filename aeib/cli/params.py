"""``aeib params``: print the parameter schema (names, units, ranges, scales, defaults)."""

from __future__ import annotations

import argparse

from aeib.dsp import CHAIN_SCHEMA


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "params",
        help="list every parameter of the chain with unit, range, scale and default",
        description="Print the parameter schema of the EQ → compressor chain. It is the single source "
        "of the names used in parameter files, of the model's output size and of export metadata.",
    )
    parser.add_argument("--json", action="store_true", help="print the schema as JSON")
    parser.set_defaults(handler=run)


def format_table() -> str:
    """The schema as an aligned text table."""
    rows = [("name", "unit", "min", "max", "scale", "default", "description")]
    for spec in CHAIN_SCHEMA:
        rows.append((spec.name, spec.unit or "-", f"{spec.min:g}", f"{spec.max:g}", spec.scale,
                     f"{spec.default:g}", spec.description))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1] for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def run(args: argparse.Namespace) -> int:
    print(CHAIN_SCHEMA.to_json() if args.json else format_table())
    return 0
