"""``aeib make-data``: render self-supervised style pairs from a music corpus into shards."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aeib.errors import ParameterError

# Only light modules at import time: `aeib --help` must stay fast. aeib.data is imported in run().
_PAIR_DEFAULTS = dict(sample_rate=24_000, segment_s=5.0, source_peak_dbfs=-12.0, noise_prob=0.5, agc_prob=0.0,
                      min_source_rate_hz=22_050, recipe="v2", identity_prob=0.12, board_prob=0.3,
                      room_families="shoebox,stochastic")
_ROOM_DEFAULTS = dict(n_rooms=16, mics_per_room=4)

SETTING_FLAGS = {"music_dir": "--music", "out_dir": "--out", "n_phones": "--phones", "holdout_sources": "--holdout",
                 "n_stochastic_rooms": "--stochastic-rooms"}
"""Flags for the :class:`~aeib.data.MakeDataConfig` fields whose names differ from them (error messages)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "make-data",
        help="render self-supervised style pairs (input, target, reference) from a music corpus",
        description="Scan a music folder (any folder of audio files, MUSDB18-HQ or MTG-Jamendo layout), split "
        "it by track into train/valid/test, and render examples from two non-overlapping non-silent segments A "
        "and B of one track. Recipe v2 (default): per example a mode (live: target and reference captured in "
        "the room; board: target and reference as the desk recorded them; identity: input = target), 0-3 "
        "degradation steps from distinct families (tonal incl. aeib's own styles, dynamics, capture: noise, "
        "bandwidth, MP3/AAC, clipping; level: AGC, limiter) made with pedalboard, a room from one of several "
        "room families, and absolute levels (reference and input -45..-6 dBFS RMS, input +-21 dB from the reference). Recipe v1: A "
        "in a drawn style applied by aeib's own chain, all three captured through one room and phone. Writes "
        "{split}-NNNNN.npz shards (mono float16) and manifest.json into OUT. Deterministic for a seed whatever "
        "--workers is; rerunning an interrupted command keeps the shards already finished.",
    )
    parser.add_argument("--music", required=True, type=Path, metavar="DIR", help="music corpus folder")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder for shards and manifest")
    parser.add_argument("--examples", type=int, default=1000, metavar="N", help="examples over all splits (default 1000)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the dataset (default 0)")
    parser.add_argument("--workers", type=int, default=1, metavar="K",
                        help="worker processes; the output does not depend on it (default 1)")
    parser.add_argument("--ir-dir", type=Path, metavar="DIR",
                        help="measured impulse responses to use besides the simulated ones; files under a "
                        "phone/ (or mic/, device/) folder are phone IRs, all others room IRs")
    parser.add_argument("--ir-dir-only", action="store_true",
                        help="measured IRs replace the built-in rooms/phones of the same kind")
    parser.add_argument("--layout", default="auto", choices=("auto", "folder", "musdb", "jamendo"),
                        help="corpus layout (default: detect)")
    parser.add_argument("--sample-rate", type=int, default=_PAIR_DEFAULTS["sample_rate"], metavar="HZ",
                        help="output sample rate (default %(default)s)")
    parser.add_argument("--segment-s", type=float, default=_PAIR_DEFAULTS["segment_s"], metavar="S",
                        help="length of segments A and B in seconds (default %(default)s)")
    parser.add_argument("--source-peak-dbfs", type=float, default=_PAIR_DEFAULTS["source_peak_dbfs"], metavar="DB",
                        help="peak level set once at the source, before style and capture (default %(default)s)")
    parser.add_argument("--styles", metavar="LIST",
                        help="comma-separated styles to draw from (default: all; see docs/DATA.md)")
    parser.add_argument("--splits", default="0.8,0.1,0.1", metavar="T,V,E",
                        help="train,valid,test fractions of tracks and examples (default %(default)s)")
    parser.add_argument("--noise-prob", type=float, default=_PAIR_DEFAULTS["noise_prob"], metavar="P",
                        help="probability of crowd noise in an example (default %(default)s)")
    parser.add_argument("--agc-prob", type=float, default=_PAIR_DEFAULTS["agc_prob"], metavar="P",
                        help="probability of the phone AGC (default %(default)s: it would renormalize level)")
    parser.add_argument("--min-source-rate", type=int, default=_PAIR_DEFAULTS["min_source_rate_hz"], metavar="HZ",
                        help="skip tracks recorded below this rate (default %(default)s)")
    parser.add_argument("--rooms", type=int, default=_ROOM_DEFAULTS["n_rooms"], metavar="N",
                        help="simulated club rooms (default %(default)s)")
    parser.add_argument("--mics-per-room", type=int, default=_ROOM_DEFAULTS["mics_per_room"], metavar="N",
                        help="audience phone positions per room (default %(default)s)")
    parser.add_argument("--room-max-order", type=int, metavar="N",
                        help="cap the image-source order (default: as the RT60 needs)")
    parser.add_argument("--phones", type=int, default=16, metavar="N",
                        help="parametric phone microphone responses (default %(default)s)")
    parser.add_argument("--recipe", default=_PAIR_DEFAULTS["recipe"], choices=("v1", "v2"),
                        help="data recipe (default %(default)s; see docs/DATA.md)")
    parser.add_argument("--identity-prob", type=float, default=_PAIR_DEFAULTS["identity_prob"], metavar="P",
                        help="v2: share of identity examples, input = target (default %(default)s)")
    parser.add_argument("--board-prob", type=float, default=_PAIR_DEFAULTS["board_prob"], metavar="P",
                        help="v2: share of board-mix examples (default %(default)s)")
    parser.add_argument("--room-families", default=_PAIR_DEFAULTS["room_families"], metavar="LIST",
                        help="v2: room families to draw from: shoebox, stochastic, algorithmic (default %(default)s; "
                        "measured rooms from --ir-dir are always drawn)")
    parser.add_argument("--stochastic-rooms", type=int, default=32, metavar="N",
                        help="v2: rooms of the stochastic family (default %(default)s)")
    parser.add_argument("--holdout", metavar="LIST",
                        help="top-level corpus folders (sources) to leave out entirely, e.g. drascula")
    parser.add_argument("--test-family", action="store_true",
                        help="make the out-of-family test set instead: only the --holdout sources, algorithmic "
                        "rooms and the held-out degradation recipe, every example in the test split")
    parser.add_argument("--shard-size", type=int, default=64, metavar="N", help="examples per shard (default %(default)s)")
    parser.add_argument("--cache-dir", type=Path, metavar="DIR",
                        help="cache of track energy profiles and simulated rooms (default OUT/cache)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or summary")
    parser.set_defaults(handler=run)


def _in_unit_interval(value: float, flag: str) -> float:
    if not 0.0 <= value <= 1.0:
        raise ParameterError(f"{flag} must be between 0 and 1, got {value}")
    return value


def config_from_args(args: argparse.Namespace):
    """Build a :class:`~aeib.data.MakeDataConfig` from parsed arguments.

    Raises:
        ParameterError: for out-of-range values.
    """
    from aeib.data import MakeDataConfig, PairConfig, RoomConfig
    from aeib.data.splits import parse_fractions
    from aeib.data.styles import STYLE_NAMES, check_style_names
    from aeib.dsp.processor import MAX_SAMPLE_RATE_HZ, MIN_SAMPLE_RATE_HZ

    if not MIN_SAMPLE_RATE_HZ <= args.sample_rate <= MAX_SAMPLE_RATE_HZ:
        raise ParameterError(f"--sample-rate must be within {MIN_SAMPLE_RATE_HZ}–{MAX_SAMPLE_RATE_HZ} Hz")
    if not 0.1 <= args.segment_s <= 60.0:
        raise ParameterError(f"--segment-s must be within 0.1–60 s, got {args.segment_s}")
    if not -60.0 <= args.source_peak_dbfs <= 0.0:
        raise ParameterError(f"--source-peak-dbfs must be within -60–0 dBFS, got {args.source_peak_dbfs}")
    if args.rooms < 0 or args.mics_per_room < 1:
        raise ParameterError("--rooms must be >= 0 and --mics-per-room >= 1")
    styles = STYLE_NAMES if args.styles is None else check_style_names(
        [s.strip() for s in args.styles.split(",") if s.strip()])
    families = tuple(f.strip() for f in args.room_families.split(",") if f.strip())
    if not families:
        raise ParameterError("--room-families needs at least one family")
    identity = _in_unit_interval(args.identity_prob, "--identity-prob")
    board = _in_unit_interval(args.board_prob, "--board-prob")
    if identity + board > 1.0:
        raise ParameterError(f"--identity-prob + --board-prob must be at most 1, got {identity + board:g}")
    pair = PairConfig(sample_rate=args.sample_rate, segment_s=args.segment_s, source_peak_dbfs=args.source_peak_dbfs,
                      styles=styles, noise_prob=_in_unit_interval(args.noise_prob, "--noise-prob"),
                      agc_prob=_in_unit_interval(args.agc_prob, "--agc-prob"),
                      min_source_rate_hz=args.min_source_rate, split_fractions=parse_fractions(args.splits),
                      recipe=args.recipe, identity_prob=identity, board_prob=board, room_families=families)
    holdout = () if args.holdout is None else tuple(s.strip() for s in args.holdout.split(",") if s.strip())
    rooms = RoomConfig(n_rooms=args.rooms, mics_per_room=args.mics_per_room, max_order=args.room_max_order)
    return MakeDataConfig(music_dir=args.music, out_dir=args.out, examples=args.examples, seed=args.seed,
                          workers=args.workers, ir_dir=args.ir_dir, ir_dir_only=args.ir_dir_only, layout=args.layout,
                          shard_size=args.shard_size, cache_dir=args.cache_dir, n_phones=args.phones, pair=pair,
                          rooms=rooms, n_stochastic_rooms=args.stochastic_rooms, holdout_sources=holdout,
                          test_family=args.test_family, progress=not args.quiet)


def run(args: argparse.Namespace) -> int:
    from aeib.data import make_data

    result = make_data(config_from_args(args))
    if not args.quiet:
        corpus = result.manifest["corpus"]
        skipped = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in corpus["skipped_counts"].items())
        rate = result.examples_rendered / result.render_seconds if result.render_seconds > 0 else 0.0
        print(f"corpus: {len(corpus['tracks'])} usable tracks, {corpus['hours']:.2f} h "
              f"(train/valid/test {'/'.join(str(corpus['tracks_per_split'][s]) for s in ('train', 'valid', 'test'))} tracks)"
              f"; skipped: {skipped or 'none'}", file=sys.stderr)
        print(f"wrote {result.manifest_path}: {sum(result.manifest['splits'].values())} examples in "
              f"{len(result.manifest['shards'])} shards ({result.shards_reused} kept from an earlier run)", file=sys.stderr)
        if result.examples_rendered:
            print(f"rendered {result.examples_rendered} examples in {result.render_seconds:.1f} s: {rate:.2f} examples/s "
                  f"with {result.workers} worker(s), {rate / result.workers:.2f} examples/s/worker", file=sys.stderr)
    return 0
