"""``aeib example``: write the bundled example clip (a real song, recorded by a simulated phone in a club)."""

from __future__ import annotations

import argparse
import shutil
import sys
from importlib import resources
from pathlib import Path

from aeib.audio import WRITABLE_SUFFIXES, atomic_output

EXAMPLE_CLIP = "club_phone_clip.flac"
EXAMPLE_CLIP_LICENSE = "club_phone_clip.COPYRIGHT.txt"
EXAMPLE_CLIP_CREDIT = '"Mutilated Mime" by Muldjord (El Senator), CC BY-SA 3.0'


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "example",
        help="write the bundled example clip (a simulated boomy, harsh phone recording) to a file",
        description=f"Write the bundled example clip to OUTPUT: 8 s of a real song, {EXAMPLE_CLIP_CREDIT}, "
        "played through a simulated club room and phone by scripts/make_example_clip.py (pyroomacoustics "
        "and pedalboard, not aeib's own DSP); see docs/EXAMPLE_CLIP.md. The clip is licensed under CC BY-SA 3.0, "
        "not under aeib's Apache-2.0: its attribution and license travel with the package as "
        f"aeib/examples/{EXAMPLE_CLIP_LICENSE}. It is stored as FLAC and copied as is to a .flac OUTPUT; any "
        f"other extension aeib writes ({', '.join(WRITABLE_SUFFIXES)}) converts it.",
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
    print(f"wrote {args.output}: {EXAMPLE_CLIP_CREDIT} (license: aeib/examples/{EXAMPLE_CLIP_LICENSE})",
          file=sys.stderr)
    return 0
