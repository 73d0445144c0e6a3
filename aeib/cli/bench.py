"""``aeib bench``: measure speed (real-time factors, analyzer latency) and memory. Printed, never asserted."""

from __future__ import annotations

import argparse
import json
import sys

from aeib.settings import preset_names

PARTS = ("analyzer", "enhance", "stream", "memory", "process")
DEFAULT_MODELS_DIR = "tflite_models"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="measure the DSP chain, the analyzer, `aeib enhance` and its memory on this machine",
        description="Benchmark aeib on this machine. (1) DSP: the full EQ → compressor → limiter chain "
        "on music (the bundled clip, resampled and tiled), real-time factor (processing time / audio "
        "duration; lower is faster), best of --repeats runs on one core. (2) Analyzer: latency of one "
        "analysis window for every bundle in --models plus the bundled default, median of --runs calls "
        "on --threads interpreter threads, with and without the numpy log-mel front end; model sizes. "
        "(3) Enhance: end-to-end real-time factor of `aeib enhance` (read, analyse, process, write "
        "24-bit WAV) on a generated --seconds file, fixed and --adaptive. (4) Stream: StreamEnhancer on "
        "--block-sample blocks of the same music, analysis inline and on a background thread (median "
        "and worst block time against the block's duration). (5) Memory: peak resident memory (getrusage ru_maxrss) of a fresh `aeib enhance` "
        "process on that file, and of one that only loads the model. (6) Process: whole-process wall time "
        "(Python start-up and imports included) and peak memory of `aeib --help`, `aeib enhance` on a 6 s "
        "clip and on the --seconds file, median of --repeats fresh processes.",
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="audio length in seconds (default 60)")
    parser.add_argument("--sample-rate", type=int, default=48_000, help="sample rate in Hz (default 48000)")
    parser.add_argument("--channels", type=int, default=2, help="channel count (default 2)")
    parser.add_argument("--preset", default="club-fix", choices=preset_names(),
                        help="chain setting of the DSP benchmark (default club-fix)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="timed runs of the DSP and enhance benchmarks; the best is reported (default 5)")
    parser.add_argument("--runs", type=int, default=50, help="analyzer calls per measurement; median reported (default 50)")
    parser.add_argument("--threads", type=int, default=1, help="interpreter threads (default 1)")
    parser.add_argument("--models", metavar="DIR",
                        help="folder of exported bundles to time (default ./tflite_models, skipped if missing); "
                        "a JSON file in it that is not a bundle is reported, not timed")
    parser.add_argument("--block", type=int, default=512, help="stream benchmark block size in samples (default 512)")
    parser.add_argument("--model", metavar="PATH", help="bundle used for enhance/memory (default: the bundled model)")
    parser.add_argument("--skip", action="append", choices=PARTS, default=[],
                        help="leave out a part (repeatable); the DSP benchmark always runs")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.set_defaults(handler=run)


def _analyzers(args: argparse.Namespace) -> list[dict]:
    """Analyzer latency for every bundle in --models and the bundled default (timed once if identical)."""
    from aeib.bench import bench_analyzer, find_bundles
    from aeib.runtime.bundle import default_bundle_json
    from aeib.runtime.errors import ModelError

    results, seen = [], {}
    candidates = [(path, False) for path in find_bundles(args.models or DEFAULT_MODELS_DIR)]
    try:
        candidates.append((default_bundle_json(), True))
    except ModelError:
        pass
    for path, bundled in candidates:
        try:
            result = bench_analyzer(path, args.runs, args.threads)
        except ModelError as exc:
            results.append({"path": str(path), "error": str(exc), "bundled_default": bundled})
            continue
        if result["sha256"] in seen:
            seen[result["sha256"]]["bundled_default"] |= bundled
            continue
        result["bundled_default"] = bundled
        seen[result["sha256"]] = result
        results.append(result)
    return results


def _check_models(args: argparse.Namespace) -> None:
    """Refuse model paths given explicitly that cannot be used, before any timing starts.

    Without this, a bad ``--model`` only turned the enhance, stream and memory parts into "skipped"
    and the command succeeded; a folder given as ``--models`` that does not exist was silently empty.
    """
    from pathlib import Path

    from aeib.errors import ParameterError
    from aeib.runtime.bundle import read_bundle

    if args.models is not None and not Path(args.models).is_dir():
        raise ParameterError(f"--models {args.models} is not a folder of exported bundles")
    if args.model is not None:
        read_bundle(args.model)  # ModelError: a folder without one bundle, a .keras file, foreign JSON, ...


def run(args: argparse.Namespace) -> int:
    from aeib.bench import bench_dsp, bench_enhance, bench_stream
    from aeib.cli.bench_processes import bench_memory, bench_process
    from aeib.errors import ParameterError
    from aeib.runtime.errors import ModelError

    if args.seconds <= 0 or args.repeats < 1 or args.channels < 1 or args.runs < 1 or args.threads < 1 \
            or args.block < 1:
        raise ParameterError("--seconds must be > 0; --repeats, --runs, --threads, --channels and --block >= 1")
    _check_models(args)
    result = bench_dsp(args.seconds, args.sample_rate, args.channels, args.preset, args.repeats)
    if "analyzer" not in args.skip:
        result["analyzer"] = _analyzers(args)
    if "enhance" not in args.skip:
        try:
            result["enhance"], result["enhance_adaptive"] = (
                bench_enhance(args.seconds, args.sample_rate, args.channels, args.model, args.repeats, adaptive,
                              args.threads) for adaptive in (False, True))
        except ModelError as exc:
            result["enhance"] = {"skipped": str(exc)}
    if "stream" not in args.skip:
        try:
            result["stream"], result["stream_background"] = (
                bench_stream(args.seconds, args.sample_rate, args.channels, args.block, args.model, args.threads,
                             background) for background in (False, True))
        except ModelError as exc:
            result["stream"] = {"skipped": str(exc)}
    if "memory" not in args.skip:
        try:
            result["memory"] = bench_memory(args.seconds, args.sample_rate, args.channels, args.model)
        except ModelError as exc:
            result["memory"] = {"skipped": str(exc)}
    if "process" not in args.skip:
        result["process"] = bench_process(args.seconds, args.sample_rate, args.channels, args.model, args.repeats)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0


def _print(result: dict) -> None:
    out = sys.stdout
    print(f"DSP chain ({result['preset']}), {result['audio_seconds']:g} s at "
          f"{result['sample_rate_hz'] / 1000:g} kHz, {result['channels']} ch: "
          f"best {result['best_s'] * 1000:.1f} ms, median {result['median_s'] * 1000:.1f} ms, "
          f"real-time factor {result['rtf']:.5f}", file=out)
    for item in result.get("analyzer", []):
        if "error" in item:
            print(f"analyzer {item['path']}: {item['error']}", file=out)
            continue
        tag = " (bundled default)" if item["bundled_default"] else ""
        print(f"analyzer {item['name']} {item['variant']}{tag}, {item['tflite_bytes'] / 1024:.1f} KiB, "
              f"per {item['window_seconds']:g} s window (median / min of {item['runs']}, {item['threads']} thread): "
              f"model {item['model_ms']:.2f} / {item['model_ms_min']:.2f} ms, "
              f"front end {item['features_ms']:.2f} / {item['features_ms_min']:.2f} ms, "
              f"both {item['with_features_ms']:.2f} / {item['with_features_ms_min']:.2f} ms", file=out)
    for key in ("enhance", "enhance_adaptive"):
        item = result.get(key)
        if item is None:
            continue
        if "skipped" in item:
            print(f"{key}: skipped ({item['skipped']})", file=out)
            continue
        print(f"{key} ({item['model']}, {item['windows']} windows), {item['audio_seconds']:g} s at "
              f"{item['sample_rate_hz'] / 1000:g} kHz, {item['channels']} ch: best {item['best_s'] * 1000:.1f} ms, "
              f"real-time factor {item['rtf']:.5f} (CPU time: {item['cpu_rtf']:.5f})", file=out)
    for key in ("stream", "stream_background"):
        item = result.get(key)
        if item is None:
            continue
        if "skipped" in item:
            print(f"{key}: skipped ({item['skipped']})", file=out)
        else:
            print(f"{key} ({item['model']}), {item['block']}-sample blocks at {item['sample_rate_hz'] / 1000:g} kHz, "
                  f"{item['channels']} ch, {item['analyses']} analyses: median {item['median_block_ms']:.3f} ms, "
                  f"worst {item['max_block_ms']:.2f} ms per block (budget {item['block_budget_ms']:.2f} ms), "
                  f"real-time factor {item['rtf']:.5f}", file=out)
    item = result.get("memory")
    if item is not None:
        if "skipped" in item:
            print(f"memory: skipped ({item['skipped']})", file=out)
        else:
            print(f"peak memory of `aeib enhance` on {item['audio_seconds']:g} s: {item['enhance_peak_mib']:.0f} MiB "
                  f"({item['load_only_peak_mib']:.0f} MiB to import aeib and load the model; "
                  f"{item['enhance_extra_mib']:.0f} MiB more to enhance), ru_maxrss of a child process", file=out)
    item = result.get("process")
    if item is not None:
        labels = {"help": "`aeib --help`", "enhance_clip": f"`aeib enhance` on {item['clip_seconds']:g} s",
                  "enhance": f"`aeib enhance` on {item['audio_seconds']:g} s"}
        for key, label in labels.items():
            figure = item[key]
            print(f"whole process, {label}: median {figure['median_s']:.3f} s, minimum {figure['min_s']:.3f} s "
                  f"of {figure['runs']}, peak {figure['peak_mib']:.0f} MiB", file=out)
