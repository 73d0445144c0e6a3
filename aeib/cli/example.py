"""``aeib example``: copy the bundled example clip (a simulated phone recording in a club)."""

from __future__ import annotations

import argparse
import shutil
import sys
from importlib import resources

from aeib.audio import atomic_output
from aeib.errors import OutputError

EXAMPLE_CLIP = "club_phone_clip.flac"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "example",
        help="write the bundled example clip (a simulated boomy, harsh phone recording) to a file",
        description="Copy the bundled example clip to OUTPUT. The clip is synthesized by "
        "scripts/make_example_clip.py with aeib's own code (no third-party audio); see "
        "docs/EXAMPLE_CLIP.md. It is FLAC; OUTPUT should end in .flac.",
    )
    parser.add_argument("output", metavar="OUTPUT", nargs="?", default=EXAMPLE_CLIP,
                        help=f"destination path (default: ./{EXAMPLE_CLIP})")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.output.lower().endswith(".flac"):
        raise OutputError(f"the example clip is FLAC; give OUTPUT a .flac extension (got {args.output})")
    source = resources.files("aeib.examples").joinpath(EXAMPLE_CLIP)
    with resources.as_file(source) as clip, atomic_output(args.output) as tmp:
        shutil.copyfile(clip, tmp)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
