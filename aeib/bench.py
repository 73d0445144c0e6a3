"""Benchmarks (speed, not correctness): measured here, never asserted in unit tests.

``bench_dsp`` times the full chain (EQ → compressor → limiter) on music: the bundled example clip
resampled to the benchmark rate and tiled to the requested length. The real-time factor (RTF) is
processing time divided by audio duration; the best of several repeats is reported, after one
warm-up run that also triggers numba compilation. Everything runs on one core (no threads).

The runtime benchmarks time the exported analyzer per analysis window (``bench_analyzer``: median of
N runs on one interpreter thread, with and without the numpy front end), :func:`aeib.runtime.enhance_file`
end to end on a generated WAV (``bench_enhance``) and the streaming enhancer per block
(``bench_stream``). :func:`run_process` and :func:`time_processes` time fresh processes with their
peak memory; the benchmarks of whole ``aeib`` command processes that use them live with the command
line, in :mod:`aeib.cli.bench_processes`.
"""

from __future__ import annotations

import os
import platform
import time
from importlib import resources
from pathlib import Path

import numpy as np

from aeib import __version__
from aeib.audio import read_audio, resample
from aeib.dsp import ChainProcessor
from aeib.settings import load_params


def benchmark_signal(seconds: float, sample_rate: int, channels: int) -> np.ndarray:
    """The example clip at ``sample_rate``, tiled to ``seconds``: float64[samples, channels]."""
    with resources.as_file(resources.files("aeib.examples").joinpath("club_phone_clip.flac")) as clip:
        audio, rate = read_audio(clip, always_2d=True)
    audio = resample(audio, rate, sample_rate)
    audio = audio[:, np.arange(channels) % audio.shape[1]]
    n = int(round(seconds * sample_rate))
    return np.ascontiguousarray(np.resize(audio.T, (channels, n)).T, dtype=np.float64)


def bench_dsp(seconds: float = 60.0, sample_rate: int = 48_000, channels: int = 2,
              preset: str = "club-fix", repeats: int = 5) -> dict:
    """Time the chain on ``seconds`` of music.

    Returns:
        A dict with ``rtf`` (best processing time / duration), ``best_s``, ``median_s`` and the
        benchmark settings.
    """
    params = load_params(preset)
    audio = benchmark_signal(seconds, sample_rate, channels)
    chain = ChainProcessor(sample_rate, channels, params)
    chain.process_block(audio[: sample_rate // 10])  # warm-up (JIT) run
    times = []
    for _ in range(repeats):
        chain.reset()
        started = time.perf_counter()
        chain.process_block(audio)
        times.append(time.perf_counter() - started)
    best = min(times)
    return {
        "benchmark": "dsp_chain",
        "audio_seconds": seconds,
        "sample_rate_hz": sample_rate,
        "channels": channels,
        "preset": preset,
        "repeats": repeats,
        "best_s": best,
        "median_s": float(np.median(times)),
        "rtf": best / seconds,
        "aeib_version": __version__,
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
    }


# -- runtime benchmarks: analyzer latency, end-to-end enhance, peak memory, model sizes -------------

def find_bundles(models_dir: str | os.PathLike | None) -> list[Path]:
    """Bundle JSONs in ``models_dir`` (sorted; none if the folder is missing or None)."""
    if models_dir is None or not Path(models_dir).is_dir():
        return []
    return sorted(Path(models_dir).glob("*.json"))


def _times_ms(fn, runs: int) -> tuple[float, float]:
    """(median, minimum) wall time of ``fn()`` over ``runs`` calls, in ms. The minimum is the best
    estimate of the uncontended cost on a busy machine; the median is what the goals refer to."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return float(np.median(times) * 1000.0), float(np.min(times) * 1000.0)


def bench_analyzer(json_path: str | os.PathLike | None, runs: int = 50, num_threads: int = 1) -> dict:
    """Latency of one analysis window: the interpreter alone, the features alone, and both.

    Args:
        json_path: A bundle JSON, or None for the bundled default.
        runs: Timed runs per measurement (after 3 warm-up runs); the median is reported.
        num_threads: Interpreter threads.

    Returns:
        ``model_ms`` (interpreter call on precomputed features), ``features_ms`` (numpy front end),
        ``with_features_ms`` (both) — medians, each with a ``*_min`` companion — plus the variant,
        name and ``tflite_bytes``.
    """
    from aeib.runtime import load_model

    model = load_model(json_path, num_threads)
    audio = benchmark_signal(model.window_seconds, model.sample_rate, 1)[:, 0].astype(np.float32)
    reference = model.style_embedding()
    features = model.features(audio)
    for _ in range(3):
        model.run(model.features(audio), reference)
    result = {
        "name": model.name,
        "variant": model.variant,
        "path": str(model.path),
        "tflite_bytes": model.path.stat().st_size,
        "sha256": model.bundle.tflite_sha256,
        "threads": num_threads,
        "runs": runs,
        "window_seconds": model.window_seconds,
    }
    for key, fn in (("model_ms", lambda: model.run(features, reference)),
                    ("features_ms", lambda: model.features(audio)),
                    ("with_features_ms", lambda: model.run(model.features(audio), reference))):
        result[key], result[key + "_min"] = _times_ms(fn, runs)
    return result


def write_benchmark_file(folder: Path, seconds: float, sample_rate: int, channels: int) -> Path:
    """The benchmark music as a 24-bit WAV written in one-minute pieces (memory stays small).

    Written like every aeib output (:class:`aeib.audio.AtomicAudioWriter`), so a full disk is a
    one-line ``cannot write ...`` error, not libsndfile's bare "System error."
    """
    from aeib.audio import AtomicAudioWriter

    path = folder / f"bench_{seconds:g}s_{sample_rate}Hz_{channels}ch.wav"
    minute = benchmark_signal(min(seconds, 60.0), sample_rate, channels)
    total = int(round(seconds * sample_rate))
    with AtomicAudioWriter(path, sample_rate, channels, "WAV", "PCM_24") as writer:
        for start in range(0, total, minute.shape[0]):
            writer.write(minute[: min(minute.shape[0], total - start)])
    return path


def bench_enhance(seconds: float = 60.0, sample_rate: int = 48_000, channels: int = 2,
                  json_path: str | os.PathLike | None = None, repeats: int = 3, adaptive: bool = False,
                  num_threads: int = 1) -> dict:
    """End-to-end real-time factor of :func:`aeib.runtime.enhance_file` on a generated WAV.

    Reads a 24-bit WAV of the benchmark music, analyses it, processes and writes the result
    (24-bit WAV); best of ``repeats`` timed runs after one warm-up run. Model loading is excluded.
    ``rtf`` is wall-clock time / duration; ``cpu_rtf`` uses the process's CPU time instead, which a
    busy machine inflates less (other processes' time is not counted, only their cache pressure).
    """
    import tempfile

    from aeib.runtime import AnalysisOptions, enhance_file, load_model

    model = load_model(json_path, num_threads)
    with tempfile.TemporaryDirectory() as tmp:
        source = write_benchmark_file(Path(tmp), seconds, sample_rate, channels)
        output = Path(tmp) / "out.wav"
        times, cpu_times = [], []
        for run in range(repeats + 1):
            started, cpu_started = time.perf_counter(), time.process_time()
            result = enhance_file(source, output, model, adaptive=adaptive, options=AnalysisOptions(), warn=lambda _: None)
            if run:
                times.append(time.perf_counter() - started)
                cpu_times.append(time.process_time() - cpu_started)
    best = min(times)
    return {
        "benchmark": "enhance_adaptive" if adaptive else "enhance",
        "audio_seconds": seconds, "sample_rate_hz": sample_rate, "channels": channels,
        "model": f"{model.name} {model.variant}", "windows": len(result.analysis.windows),
        "repeats": repeats, "best_s": best, "median_s": float(np.median(times)), "rtf": best / seconds,
        "cpu_s": min(cpu_times), "cpu_rtf": min(cpu_times) / seconds,
    }


_RUNNER = """import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print("RESULT", time.perf_counter() - started, os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def run_process(argv: list[str]) -> tuple[float, float]:
    """Run ``argv`` as a fresh process: wall-clock seconds and its peak resident memory in MiB.

    It is started by a small intermediate Python process that times it and reads its ``ru_maxrss``
    from ``os.wait4``: a child forked straight from this (large) process would report this
    process's size as its own peak (Linux carries the high-water mark across fork and exec).
    """
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _RUNNER, *argv], capture_output=True, text=True)
    lines = [line.split() for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines or lines[-1][2] != "0":
        code = lines[-1][2] if lines else done.returncode
        raise RuntimeError(f"{' '.join(argv[-6:])} exited with {code}: {done.stderr.strip()[-300:]}")
    elapsed, maxrss = float(lines[-1][1]), float(lines[-1][3])
    return elapsed, maxrss / (1 << 20) if platform.system() == "Darwin" else maxrss / 1024.0


def compile_bytecode(package_dir: str | os.PathLike | None = None) -> bool:
    """Byte-compile aeib's modules (or those under ``package_dir``) into their ``__pycache__``, as
    ``pip install`` does when it installs a package and as Python does at the first import.

    Where ``PYTHONDONTWRITEBYTECODE`` is set (this project's build machine sets it), an editable
    install never gets its bytecode, and every process would compile aeib's 50-odd modules again
    (about 0.05 s here, ``scripts/bench_startup_pieces.py --only bytecode``) — a cost no installed copy
    pays. The whole-process benchmarks call this first.
    Returns False where the folder cannot be written (nothing else happens).
    """
    import compileall

    folder = Path(package_dir) if package_dir is not None else Path(__file__).resolve().parent
    try:
        return bool(compileall.compile_dir(str(folder), quiet=1))
    except OSError:
        return False


def time_processes(commands: dict[str, list[str]], repeats: int) -> dict[str, dict]:
    """Median / minimum wall time and the largest peak memory of each command over ``repeats``
    rounds; the commands alternate within a round, so load changes hit them alike. aeib's modules
    are byte-compiled first (:func:`compile_bytecode`)."""
    compile_bytecode()
    times: dict[str, list[float]] = {name: [] for name in commands}
    peaks: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, argv in commands.items():
            elapsed, peak = run_process(argv)
            times[name].append(elapsed)
            peaks[name].append(peak)
    return {name: {"median_s": float(np.median(times[name])), "min_s": min(times[name]),
                   "peak_mib": max(peaks[name]), "runs": repeats} for name in commands}


def bench_stream(seconds: float = 60.0, sample_rate: int = 48_000, channels: int = 2, block: int = 512,
                 json_path: str | os.PathLike | None = None, num_threads: int = 1, background: bool = False) -> dict:
    """Per-block cost of :class:`aeib.runtime.StreamEnhancer` (analysis every 3 s, default ramps),
    with the analysis inside ``process`` or (``background``) on its worker thread.

    Returns:
        ``rtf`` (total processing time / duration), ``median_block_ms`` (a block without analysis),
        ``max_block_ms`` (the worst block, one that ran the analyzer) and ``block_budget_ms`` (the
        block's duration: every block must finish within it to run live).
    """
    from aeib.runtime import StreamEnhancer, load_model

    model = load_model(json_path, num_threads)
    audio = benchmark_signal(seconds, sample_rate, channels).astype(np.float32)
    stream = StreamEnhancer(model, sample_rate, channels, background=background)
    stream.process(audio[:block])  # warm-up (JIT, first allocation)
    stream.reset()
    times = []
    for start in range(0, audio.shape[0] - block + 1, block):
        started = time.perf_counter()
        stream.process(audio[start:start + block])
        times.append(time.perf_counter() - started)
    stream.close()
    times_ms = np.array(times) * 1000.0
    return {
        "benchmark": "stream_background" if background else "stream", "audio_seconds": seconds, "sample_rate_hz": sample_rate, "channels": channels,
        "block": block, "model": f"{model.name} {model.variant}", "analyses": stream.analysis_count,
        "rtf": float(times_ms.sum() / 1000.0 / seconds), "median_block_ms": float(np.median(times_ms)),
        "max_block_ms": float(times_ms.max()), "block_budget_ms": block / sample_rate * 1000.0,
    }
