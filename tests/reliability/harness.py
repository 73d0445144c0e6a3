"""Shared machinery of the reliability tests: running the CLI, snapshots of folders, hostile files.

Every bad-input case is judged the same way (:func:`assert_clean_failure`): exit code 2, exactly one
``aeib: error: ...`` line on stderr, no traceback, and the folder it ran in byte-for-byte as it was
(so the input is untouched, an existing output is untouched, and no partial or temporary file is
left). A case that aeib can handle is judged by :func:`assert_clean_success`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pytest
import soundfile as sf

from aeib.cli.main import main
from aeib.dsp.limiter import CEILING_DBFS
from tests.conftest import music_like

REPO = Path(__file__).resolve().parents[2]
AEIB = (sys.executable, "-m", "aeib.cli.main")
SENTINEL = b"an existing output that must survive any failure"
CEILING = 10 ** (CEILING_DBFS / 20)


@dataclass
class Outcome:
    """What one CLI run did."""

    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def run_inprocess(capsys, argv: list) -> Outcome:
    """``aeib ARGV`` through :func:`aeib.cli.main.main` in this process (fast)."""
    capsys.readouterr()
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def run_subprocess(argv: list, *, preexec_fn: Callable[[], None] | None = None, cwd: Path | None = None,
                   timeout_s: float = 300, env: dict[str, str] | None = None) -> Outcome:
    """``aeib ARGV`` as a separate process (real exit code, real signals and limits); ``env`` adds variables."""
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    env.pop("AEIB_DEBUG", None)
    done = subprocess.run([*AEIB, *[str(a) for a in argv]], capture_output=True, text=True, env=env,
                          preexec_fn=preexec_fn, cwd=cwd, timeout=timeout_s)
    return Outcome(done.returncode, done.stdout, done.stderr)


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root``: relative path → SHA-256 of a file's bytes, ``<dir>`` or ``<link>``."""
    state = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            state[rel] = "<link>"
        elif path.is_dir():
            state[rel] = "<dir>"
        elif path.is_file():
            state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            state[rel] = "<special>"
    return state


def assert_clean_failure(outcome: Outcome, before: dict[str, str], after: dict[str, str],
                         message: str | None = None, ignore: Callable[[str], bool] = lambda rel: False) -> str:
    """Exit code 2, one ``aeib: error:`` line, no traceback, nothing changed on disk; returns the line.

    Args:
        outcome: The run.
        before, after: :func:`snapshot` of the working folder around the run.
        message: A fragment the error line must contain.
        ignore: Relative paths that may appear (caches, never outputs).
    """
    assert "Traceback" not in outcome.err, outcome.err
    assert outcome.code == 2, (outcome.code, outcome.err)
    assert len(outcome.err_lines) == 1, outcome.err
    line = outcome.err_lines[0]
    assert line.startswith("aeib: error: "), line
    if message is not None:
        assert message in line, line
    kept = {rel: digest for rel, digest in after.items() if rel in before or not ignore(rel)}
    assert kept == before, f"files changed: {sorted(set(kept.items()) ^ set(before.items()))}"
    return line


def assert_clean_success(outcome: Outcome, before: dict[str, str], after: dict[str, str],
                         created: set[str]) -> None:
    """Exit code 0, no error line or traceback, inputs untouched, exactly ``created`` added."""
    assert "Traceback" not in outcome.err, outcome.err
    assert outcome.code == 0, (outcome.code, outcome.err)
    assert not [line for line in outcome.err_lines if line.startswith("aeib: error")], outcome.err
    assert {rel: d for rel, d in after.items() if rel in before} == before, "an existing file changed"
    assert set(after) - set(before) == created, sorted(set(after) - set(before))


def assert_audio_like(output: Path, source_rate: int, source_channels: int, source_frames: int) -> np.ndarray:
    """The output has the source's rate, channels and length, finite samples within the limiter ceiling."""
    info = sf.info(str(output))
    assert (info.samplerate, info.channels, info.frames) == (source_rate, source_channels, source_frames)
    audio, _ = sf.read(str(output), dtype="float64", always_2d=True)
    assert np.isfinite(audio).all()
    assert np.max(np.abs(audio), initial=0.0) <= CEILING + 1e-6
    return audio


def temporaries(folder: Path) -> list[str]:
    """Names of aeib temporary files (finished or left by a killed run) under ``folder``."""
    return sorted(p.name for p in folder.rglob(".*") if ".partial" in p.name or ".aeib-" in p.name)


# -- hostile and unusual input files ---------------------------------------------------------------

def _wav_bytes(audio: np.ndarray, rate: int, subtype: str = "PCM_16", container: str = "WAV") -> bytes:
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"aeib-reliability-{os.getpid()}.tmp"
    try:
        sf.write(str(path), audio, rate, subtype=subtype, format=container)
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def _with_inf(seconds: float, rate: int) -> np.ndarray:
    audio = music_like(seconds, rate, 2)
    audio[int(0.8 * len(audio)):int(0.8 * len(audio)) + 7] = np.inf  # late: the output is half written by then
    return audio


def _write(folder: Path, name: str, audio: np.ndarray, rate: int, subtype: str) -> Path:
    path = folder / name
    sf.write(str(path), audio, rate, subtype=subtype)
    return path


def _write_bytes(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _corrupt_header(folder: Path) -> Path:
    raw = bytearray(_wav_bytes(music_like(GOOD_S, 48_000, 2), 48_000))
    raw[20:36] = b"\xff" * 16  # the whole 'fmt ' body: format tag, channels, rate, alignment
    return _write_bytes(folder, "corrupt_header.wav", bytes(raw))


def _truncated_wav(folder: Path) -> Path:
    raw = _wav_bytes(music_like(2 * GOOD_S, 48_000, 2), 48_000)
    return _write_bytes(folder, "truncated_wav.wav", raw[:len(raw) // 2 + 1])  # header promises all; cut mid-frame


def _truncated_flac(folder: Path) -> Path:
    raw = _wav_bytes(music_like(2 * GOOD_S, 48_000, 2), 48_000, "PCM_16", "FLAC")
    return _write_bytes(folder, "truncated_flac.flac", raw[:len(raw) // 2])


GOOD_S = 3.0
_N = int(GOOD_S * 48_000)

# name → builder writing one file into a folder and returning its path. The audio cases are long
# enough for the analyzer of `aeib enhance` where they are meant to succeed.
INPUT_BUILDERS: dict[str, Callable[[Path], Path]] = {
    "corrupt_header": _corrupt_header,
    "truncated_wav": _truncated_wav,
    "truncated_flac": _truncated_flac,
    "random_bytes": lambda d: _write_bytes(d, "random.wav", np.random.default_rng(5).bytes(20_000)),
    "empty_file": lambda d: _write_bytes(d, "empty.wav", b""),
    "header_only": lambda d: _write_bytes(d, "header_only.wav", _wav_bytes(np.zeros((0, 2), np.float32), 48_000)),
    "one_sample": lambda d: _write(d, "one_sample.wav", np.array([[0.5, -0.5]], np.float32), 48_000, "FLOAT"),
    "all_nan": lambda d: _write(d, "all_nan.wav", np.full((_N, 2), np.nan, np.float32), 48_000, "FLOAT"),
    "some_inf": lambda d: _write(d, "some_inf.wav", _with_inf(GOOD_S, 48_000), 48_000, "FLOAT"),
    "silence": lambda d: _write(d, "silence.wav", np.zeros((_N, 2), np.float32), 48_000, "PCM_16"),
    "dc_only": lambda d: _write(d, "dc.wav", np.full((_N, 1), 0.4, np.float32), 48_000, "PCM_16"),
    "six_channels": lambda d: _write(d, "six.wav", music_like(GOOD_S, 48_000, 6), 48_000, "PCM_24"),
    "rate_8k": lambda d: _write(d, "r8k.wav", music_like(GOOD_S, 8_000, 1), 8_000, "PCM_16"),
    "rate_192k": lambda d: _write(d, "r192k.wav", music_like(GOOD_S, 192_000, 2), 192_000, "PCM_24"),
    "rate_4k": lambda d: _write(d, "r4k.wav", music_like(GOOD_S, 4_000, 1), 4_000, "PCM_16"),
    "pcm32": lambda d: _write(d, "pcm32.wav", music_like(GOOD_S, 48_000, 2), 48_000, "PCM_32"),
    "float64": lambda d: _write(d, "float64.wav", music_like(GOOD_S, 48_000, 2), 48_000, "DOUBLE"),
    "hot_float": lambda d: _write(d, "hot.wav", 4.0 * music_like(GOOD_S, 48_000, 2), 48_000, "FLOAT"),  # +12 dBFS
    "good": lambda d: _write(d, "good.wav", music_like(GOOD_S, 44_100, 2), 44_100, "PCM_16"),
}


# -- destinations that cannot be written ---------------------------------------------------------

@contextlib.contextmanager
def unwritable_folder(folder: Path) -> Iterator[str]:
    """Make ``folder`` refuse new files for this process; yields how (for the test's id).

    A normal user gets ``chmod 555``. Root ignores permission bits, so as root the folder is made
    immutable (``chattr +i``, refused even to root on ext4/xfs/btrfs) and restored afterwards.
    """
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield "chmod 555"
        finally:
            folder.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("running as root on a file system without chattr +i: no way to make a folder unwritable")
    try:
        yield "chattr +i"
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def limit_file_size(max_bytes: int) -> Callable[[], None]:
    """A ``preexec_fn`` that makes writes beyond ``max_bytes`` fail like a full disk (EFBIG, not a signal)."""

    def apply_limit() -> None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply_limit


# Runs argv[2:] as its child, then writes that child's peak RSS (ru_maxrss) into the file argv[1] and
# exits with the child's exit code. The measuring process is a fresh interpreter because Linux carries
# a process's peak RSS over into what it forks and execs: measured straight from pytest (hundreds of
# MB once TensorFlow is loaded), every child would report at least pytest's own size.
_MEASURE = ("import os, subprocess, sys\n"
            "child = subprocess.Popen(sys.argv[2:])\n"
            "_, status, usage = os.wait4(child.pid, 0)\n"
            "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
            "sys.exit(os.waitstatus_to_exitcode(status))\n")


def run_measuring_memory(argv: list) -> tuple[Outcome, float]:
    """``aeib ARGV`` as a child process; its outcome and its own peak resident set size in MiB."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with tempfile.NamedTemporaryFile("r", suffix=".maxrss") as report:
        done = subprocess.run([sys.executable, "-c", _MEASURE, report.name, *AEIB, *[str(a) for a in argv]],
                              env=env, capture_output=True, text=True)
        max_rss = int(report.read() or 0)
    peak_mib = max_rss / (1 << 20) if sys.platform == "darwin" else max_rss / 1024  # bytes on macOS, KiB on Linux
    return Outcome(done.returncode, done.stdout, done.stderr), peak_mib
