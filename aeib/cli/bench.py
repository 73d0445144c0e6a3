"""``aeib bench``: measure speed (real-time factors). Results are printed, never asserted."""

from __future__ import annotations

import argparse
import json

from aeib.settings import preset_names


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="measure the DSP chain's real-time factor on this machine",
        description="Benchmark aeib on this machine. --dsp times the full EQ → compressor → limiter "
        "chain on music (the bundled clip, resampled and tiled) and reports the real-time factor "
        "(processing time / audio duration; lower is faster), best of --repeats runs on one core.",
    )
    parser.add_argument("--dsp", action="store_true", default=True,
                        help="benchmark the DSP chain (the default and, for now, only benchmark)")
    parser.add_argument("--seconds", type=float, default=60.0, help="audio length in seconds (default 60)")
    parser.add_argument("--sample-rate", type=int, default=48_000, help="sample rate in Hz (default 48000)")
    parser.add_argument("--channels", type=int, default=2, help="channel count (default 2)")
    parser.add_argument("--preset", default="club-fix", choices=preset_names(),
                        help="chain setting to run (default club-fix)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs; the best is reported (default 5)")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from aeib.bench import bench_dsp
    from aeib.errors import ParameterError

    if args.seconds <= 0 or args.repeats < 1 or args.channels < 1:
        raise ParameterError("--seconds must be > 0, --repeats and --channels >= 1")
    result = bench_dsp(args.seconds, args.sample_rate, args.channels, args.preset, args.repeats)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"DSP chain ({result['preset']}), {result['audio_seconds']:g} s at "
              f"{result['sample_rate_hz'] / 1000:g} kHz, {result['channels']} ch: "
              f"best {result['best_s'] * 1000:.1f} ms, median {result['median_s'] * 1000:.1f} ms, "
              f"real-time factor {result['rtf']:.5f}")
    return 0
