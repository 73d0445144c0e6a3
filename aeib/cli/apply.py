"""``aeib apply``: run the EQ → compressor → limiter chain with a given setting over a file."""

from __future__ import annotations

import argparse
import sys
import time

from aeib.audio import (
    WRITABLE_SUFFIXES,
    AtomicAudioWriter,
    audio_info,
    check_finite,
    check_output_path,
    header_overstates_length,
    iter_blocks,
    output_format,
    same_file,
)
from aeib.avio import check_bitrate_applies
from aeib.dsp.processor import MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ
from aeib.errors import AudioError, OutputError
from aeib.progress import progress_bar
from aeib.settings import load_setting, preset_names

BLOCK_FRAMES = 1 << 16
"""Frames read, processed and written at a time: memory use does not grow with file length."""

SETTING_FLAGS = {"bitrate_kbps": "--bitrate"}
"""Flags for the library arguments whose names differ from them (error messages)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "apply",
        help="apply an EQ/compressor setting (parameter file or preset) to an audio file",
        description="Apply a parameter file (physical units; parameters left out take their neutral "
        "defaults) to INPUT at its own sample rate and channel count, streaming in blocks. "
        "INPUT may be anything `aeib enhance` reads (WAV, FLAC, OGG, Opus, AIFF, MP3, m4a, and the first "
        "audio stream of an mp4/mov/mkv/webm video). The output format follows OUTPUT's extension "
        f"({', '.join(WRITABLE_SUFFIXES)}), or INPUT's when OUTPUT has none; WAV/AIFF output is 32-bit float "
        "if the input was float, else 24-bit PCM; .m4a/.mp4/.mov/.mkv are AAC and .mp3 MP3, and an "
        ".mp4/.mov/.mkv output of a video input carries its video stream copied untouched. "
        "A version 2 file (written by `aeib enhance --params-out`) also carries the strength (0 copies "
        "INPUT through unchanged) and the loudness gain, so the output of that enhance is reproduced exactly. "
        "The output is written to a temporary file and renamed into place only when complete.",
    )
    parser.add_argument("input", metavar="INPUT",
                        help="audio or video file to process (WAV, FLAC, OGG, Opus, AIFF, MP3, m4a, mp4, mov, "
                        "mkv, webm, ...)")
    parser.add_argument("-o", "--output", required=True, metavar="OUTPUT", help="where to write the result")
    parser.add_argument("--params", required=True, metavar="P",
                        help=f"parameter JSON file, or a bundled preset: {', '.join(preset_names())} "
                        "(see `aeib params` for names and ranges)")
    subtype = parser.add_mutually_exclusive_group()
    subtype.add_argument("--float", dest="float_output", action="store_true", default=None,
                         help="write 32-bit float WAV/AIFF regardless of the input's format")
    subtype.add_argument("--pcm24", dest="float_output", action="store_false",
                         help="write 24-bit PCM WAV/AIFF regardless of the input's format")
    parser.add_argument("--bitrate", type=int, default=None, metavar="KBPS",
                        help="bit rate of an AAC (.m4a/.mp4/.mov/.mkv) or MP3 output in kbit/s, 32-320 (default 192); "
                        "refused for other outputs")
    parser.add_argument("--plot", metavar="PNG", help="also draw the EQ curve and compressor static curve")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    info = audio_info(args.input)
    if same_file(args.input, args.output):
        raise OutputError(f"output {args.output} is the input file; choose another path (aeib never overwrites its input)")
    check_output_path(args.output)
    check_bitrate_applies(args.output, args.bitrate)
    if args.plot:
        if same_file(args.plot, args.input) or same_file(args.plot, args.output):
            raise OutputError(f"--plot {args.plot} would overwrite the input or the output; choose another path")
        check_output_path(args.plot)
    setting = load_setting(args.params)
    params = setting.applied_params()
    if not MIN_SAMPLE_RATE_HZ <= info.sample_rate <= MAX_SAMPLE_RATE_HZ:
        raise AudioError(f"{info.path}: sample rate {info.sample_rate} Hz is outside the supported "
                         f"{MIN_SAMPLE_RATE_HZ}–{MAX_SAMPLE_RATE_HZ} Hz")
    if info.frames == 0:
        raise AudioError(f"{info.path} holds no audio samples")
    container, subtype = output_format(args.output, info, args.float_output)

    started = time.perf_counter()
    from aeib.api import setting_processor

    process = setting_processor(setting, info.sample_rate, info.channels)
    # Load the DSP's compiled kernels on a worker thread before the output exists: a Ctrl-C can then
    # never land inside numba's loader on the main thread (aeib.dsp.warmup).
    from aeib.dsp.warmup import load_kernels
    from aeib.runtime.background import in_background

    in_background(load_kernels, info.channels, float(info.sample_rate)).result()
    frames = 0
    with AtomicAudioWriter(args.output, info.sample_rate, info.channels, container, subtype, bitrate_kbps=args.bitrate,
                           video_from=info.path if info.video_codec else None) as writer, \
            progress_bar(total=info.frames, unit="frame", unit_scale=True, desc="apply", leave=False,
                         disable=args.quiet or None) as bar:
        for block in iter_blocks(info.path, BLOCK_FRAMES):
            check_finite(block, info.path)
            writer.write(process(block))
            frames += block.shape[0]
            bar.update(block.shape[0])
        if frames == 0:  # header claimed frames but none could be read; raised before the output is kept
            raise AudioError(f"{info.path} holds no audio samples")
    if args.plot:
        from aeib.plots import plot_settings

        plot_settings(params, info.sample_rate, args.plot, title=f"aeib apply {args.params}")
    if header_overstates_length(info.path):
        print(f"aeib: warning: {info.path} is truncated (its header promises more audio than the file holds); "
              f"processed the {frames / info.sample_rate:.1f} s present", file=sys.stderr)
    if not args.quiet:
        elapsed = time.perf_counter() - started
        print(f"wrote {args.output}: {frames / info.sample_rate:.1f} s, {info.sample_rate} Hz, "
              f"{info.channels} ch, {container} {subtype} ({elapsed:.2f} s)", file=sys.stderr)
    return 0
