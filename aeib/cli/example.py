"""``aeib example``: write the bundled example clip (a simulated phone recording in a club)."""

from __future__ import annotations

import argparse
import shutil
import sys
from importlib import resources
from pathlib import Path

from aeib.audio import WRITABLE_SUFFIXES, atomic_output

EXAMPLE_CLIP = "club_phone_clip.flac"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "example",
        help="write the bundled example clip (a simulated boomy, harsh phone recording) to a file",
        description="Write the bundled example clip to OUTPUT. The clip is synthesized by "
        "scripts/make_example_clip.py with aeib's own code (no third-party audio); see "
        "docs/EXAMPLE_CLIP.md. It is stored as FLAC and copied as is to a .flac OUTPUT; any other "
        f"extension aeib writes ({', '.join(WRITABLE_SUFFIXES)}) converts it.",
    )
    parser.add_argument("output", metavar="OUTPUT", nargs="?", default=EXAMPLE_CLIP,
                        help=f"destination path (default: ./{EXAMPLE_CLIP})")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from aeib.audio import AtomicAudioWriter, audio_info, iter_blocks, output_format

    output = Path(args.output)
    source = resources.files("aeib.examples").joinpath(EXAMPLE_CLIP)
    with resources.as_file(source) as clip:
        if output.suffix.lower() == ".flac":
            with atomic_output(output) as tmp:
                shutil.copyfile(clip, tmp)
        else:
            info = audio_info(clip)
            container, subtype = output_format(output, info)
            with AtomicAudioWriter(output, info.sample_rate, info.channels, container, subtype) as writer:
                for block in iter_blocks(clip, 1 << 16):
                    writer.write(block)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0
