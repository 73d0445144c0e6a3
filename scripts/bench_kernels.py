#!/usr/bin/env python3
"""Time the DSP kernels of ``aeib enhance``'s two passes, optionally A/B against an older commit's ``aeib/dsp``.

The signal is synthetic, noise-like music: ``--seconds`` (default 300) of 48 kHz stereo, pink-ish noise
under a beat envelope, partly correlated between the channels, float32 as the decoder delivers it.
Timed, each on the same input:

* ``eq``, ``comp``, ``limiter``: one stage's ``process_block`` over the signal in 8192-sample chunks
  (float64; the limiter's input carries the loudness gain, so it limits);
* ``meter``: :class:`~aeib.dsp.loudness.LoudnessMeter` (no true peak) fed the chain's float32 output;
* ``measure_pass``: the measuring pass — chain without loudness gain and limiter, then the meter,
  65 536-frame blocks;
* ``write_pass``: the writing pass — chain with the loudness gain and the limiter.

With ``--baseline REV`` the ``aeib/dsp`` of that commit is loaded beside the working tree's (a copy
under a temporary package name; ``aeib.errors`` and the rest are shared), the two alternate round by
round, each kernel's outputs are checked bit-identical between them, and the medians, minimums and
the new/old ratio of each kernel are printed. Decoding, encoding and worker threads are not timed.

Example::

    .venv/bin/python scripts/bench_kernels.py --baseline HEAD --rounds 7
"""

from __future__ import annotations

import argparse
import importlib
import io
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

RATE = 48_000
CHUNK = 8192
BLOCK = 1 << 16
PRESET = "club-fix"
LOUDNESS_GAIN_DB = 6.0


def synthetic_music(seconds: float, seed: int = 0) -> np.ndarray:
    """Pink-ish noise under a 120 BPM beat envelope, partly correlated L/R: float32[samples, 2], peak 0.9."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * RATE))
    white = rng.standard_normal((n, 3))
    spectrum = np.fft.rfft(white, axis=0)
    spectrum /= np.sqrt(np.maximum(np.fft.rfftfreq(n, 1.0 / RATE), 20.0))[:, None]  # -3 dB/octave
    noise = np.fft.irfft(spectrum, n, axis=0)
    beat = np.exp(-((np.arange(n) / RATE) % 0.5) / 0.08)  # a decaying hit every 500 ms
    audio = (noise[:, :2] + noise[:, 2:3]) * (0.3 + beat)[:, None]
    audio *= 0.9 / np.abs(audio).max()
    return np.ascontiguousarray(audio, dtype=np.float32)


def baseline_dsp(rev: str, into: Path) -> str:
    """Copy ``aeib/dsp`` at ``rev`` into ``into`` as a package of its own; returns the package name."""
    name = "_bench_dsp_" + "".join(ch if ch.isalnum() else "_" for ch in rev)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "aeib/dsp"], capture_output=True,
                             check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.endswith(".py"):
                extracted = tar.extractfile(member)
                assert extracted is not None
                text = extracted.read().decode("utf-8").replace("aeib.dsp", name)
                target = into / name / Path(member.name).relative_to("aeib/dsp")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(into))
    return name


class Kernels:
    """The timed kernels of one version of ``aeib/dsp`` (package ``package``)."""

    def __init__(self, package: str, params: dict[str, float]):
        self.chain = importlib.import_module(package + ".chain")
        self.eq = importlib.import_module(package + ".eq")
        self.comp = importlib.import_module(package + ".compressor")
        self.limiter = importlib.import_module(package + ".limiter")
        self.loudness = importlib.import_module(package + ".loudness")
        self.params = self.chain.ChainProcessor(RATE, 2, params).params
        self._buffers: dict[str, np.ndarray] = {}

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
        """A kernel's output array, made once (fresh pages would time the page faults, not the kernel)."""
        if name not in self._buffers:
            self._buffers[name] = np.zeros(shape, dtype=dtype)
        return self._buffers[name]

    def _stage(self, make: Callable[[], object], x: np.ndarray, with_params: bool) -> np.ndarray:
        stage = make()
        out = self._buffer(make.__name__, x.shape, np.float64)
        for start in range(0, x.shape[0], CHUNK):
            chunk = x[start:start + CHUNK]
            out[start:start + CHUNK] = (stage.process_block(chunk, self.params) if with_params  # type: ignore[attr-defined]
                                        else stage.process_block(chunk))  # type: ignore[attr-defined]
        return out

    def run_eq(self, x: np.ndarray) -> np.ndarray:
        return self._stage(self._make_eq, x, True)

    def _make_eq(self) -> object:
        return self.eq.ParametricEQ(RATE, 2)

    def _make_comp(self) -> object:
        return self.comp.Compressor(RATE, 2)

    def _make_limiter(self) -> object:
        return self.limiter.SafetyLimiter(RATE)

    def run_comp(self, x: np.ndarray) -> np.ndarray:
        return self._stage(self._make_comp, x, True)

    def run_limiter(self, x: np.ndarray) -> np.ndarray:
        return self._stage(self._make_limiter, x, False)

    def run_meter(self, blocks: list[np.ndarray]) -> np.ndarray:
        meter = self.loudness.LoudnessMeter(RATE, 2, true_peak=False)
        for block in blocks:
            meter.add(block)
        return np.array([meter.integrated_lufs(), meter.sample_peak_dbfs()])

    def run_measure_pass(self, blocks: list[np.ndarray]) -> np.ndarray:
        chain = self.chain.ChainProcessor(RATE, 2, self.params, limiter=False)
        meter = self.loudness.LoudnessMeter(RATE, 2, true_peak=False)
        for block in blocks:
            meter.add(chain.process_block(block))
        return np.array([meter.integrated_lufs(), meter.sample_peak_dbfs()])

    def run_write_pass(self, blocks: list[np.ndarray]) -> np.ndarray:
        chain = self.chain.ChainProcessor(RATE, 2, self.params, loudness_gain_db=LOUDNESS_GAIN_DB)
        out = self._buffer("write_pass", (sum(len(block) for block in blocks), 2), np.float32)
        start = 0
        for block in blocks:
            out[start:start + len(block)] = chain.process_block(block)
            start += len(block)
        return out


def inputs(kernels: Kernels, audio: np.ndarray) -> dict[str, object]:
    """Each kernel's input, made once with ``kernels`` (the same arrays for every version)."""
    x64 = audio.astype(np.float64)
    eq_out = kernels.run_eq(x64)
    comp_out = kernels.run_comp(eq_out)
    blocks = [audio[start:start + BLOCK] for start in range(0, audio.shape[0], BLOCK)]
    return {"eq": x64, "comp": eq_out, "limiter": comp_out * 10.0 ** (LOUDNESS_GAIN_DB / 20.0),
            "meter": [comp_out[start:start + BLOCK].astype(np.float32) for start in range(0, audio.shape[0], BLOCK)],
            "measure_pass": blocks, "write_pass": blocks}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="signal length (default 300)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--baseline", help="commit whose aeib/dsp is timed against the working tree's")
    parser.add_argument("--only", nargs="*", help="kernels to time (default all)")
    args = parser.parse_args()

    from aeib.settings import load_params

    params = load_params(PRESET)
    versions = {"new": Kernels("aeib.dsp", params)}
    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline:
            versions = {"old": Kernels(baseline_dsp(args.baseline, Path(tmp)), params), **versions}
        audio = synthetic_music(args.seconds)
        data = inputs(versions["new"], audio)
        names = args.only or list(data)
        times: dict[tuple[str, str], list[float]] = {(v, k): [] for v in versions for k in names}
        outputs: dict[tuple[str, str], np.ndarray] = {}
        for r in range(-1, args.rounds):  # round -1: warm-up (numba's cache or compilation), not timed
            order = list(versions) if r % 2 == 0 else list(versions)[::-1]
            for name in names:
                for version in order:
                    run = getattr(versions[version], "run_" + name)
                    started = time.perf_counter()
                    result = run(data[name])
                    if r >= 0:
                        times[version, name].append(time.perf_counter() - started)
                    if (version, name) not in outputs:
                        outputs[version, name] = result.copy()
        print(f"{args.seconds:g} s of 48 kHz stereo, {args.rounds} rounds; seconds per kernel: median (min)")
        for name in names:
            cells = [f"{v} {np.median(times[v, name]):.3f} ({min(times[v, name]):.3f})" for v in versions]
            line = f"  {name:13s} " + "   ".join(cells)
            if "old" in versions:
                ratio = np.median(times["new", name]) / np.median(times["old", name])
                same = np.array_equal(outputs["old", name], outputs["new", name])
                line += f"   new/old {ratio:.2f}   {'bit-identical' if same else 'OUTPUTS DIFFER'}"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
