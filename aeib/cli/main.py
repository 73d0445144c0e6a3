"""Entry point of the ``aeib`` console script.

Each subcommand lives in its own module under :mod:`aeib.cli` and exposes
``register(subparsers)``, which adds its parser and sets ``handler`` to a function taking the
parsed arguments and returning an exit code. Errors caused by input (:class:`~aeib.errors.AeibError`)
print one line to stderr and exit non-zero; set ``AEIB_DEBUG=1`` to see tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from aeib import __version__
from aeib.errors import AeibError

# Subcommand modules, in the order `aeib --help` lists them.
COMMAND_MODULES = (
    "aeib.cli.apply",
    "aeib.cli.params",
    "aeib.cli.example",
    "aeib.cli.make_data",
    "aeib.cli.train",
    "aeib.cli.bench",
)

EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aeib",
        description="Audio Engineer in a Box: repair live phone recordings with an interpretable "
        "parametric EQ and compressor whose settings a tiny neural analyzer predicts.",
        epilog="Run `aeib COMMAND --help` for the options of a command. Exit codes: 0 success, "
        "2 bad input or arguments, 70 internal error, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"aeib {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the command, return the exit code."""
    args = build_parser().parse_args(argv)
    debug = os.environ.get("AEIB_DEBUG") == "1"
    try:
        return int(args.handler(args) or 0)
    except AeibError as exc:
        if debug:
            raise
        print(f"aeib: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("aeib: interrupted; no partial output was left behind", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: still one line, with a way to get the traceback
        if debug:
            raise
        print(f"aeib: internal error: {type(exc).__name__}: {exc} (set AEIB_DEBUG=1 for a traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
