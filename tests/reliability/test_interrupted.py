"""Interrupted work: real processes killed mid-run.

* `aeib make-data` killed with SIGKILL after some shards exist, then run again with the same command,
  ends byte-identical to an uninterrupted run (manifest and every shard).
* `aeib apply` / `aeib enhance` interrupted while writing: Ctrl-C (SIGINT) and SIGTERM exit 130 / 143,
  leave no output and no temporary file, and an existing output untouched. SIGKILL cannot be caught:
  the hidden temporary file stays (never the output), and the next run writing the same output
  removes it.

`aeib train` killed after an epoch and resumed is checked by hand (too slow for the suite); see
docs/RELIABILITY.md for the command and the result.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from aeib.audio import stale_temporaries
from tests.conftest import music_like
from tests.reliability.harness import AEIB, REPO, SENTINEL, assert_audio_like, snapshot, temporaries

ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def _like_a_terminal_job() -> None:
    """Child set-up: Ctrl-C handled as in a terminal, even when the test run itself was started in the
    background (``nohup … &`` hands children an *ignored* SIGINT, and Python then never raises
    KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(argv: list) -> subprocess.Popen:
    return subprocess.Popen([*AEIB, *[str(a) for a in argv]], env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_like_a_terminal_job)


def _wait_for(condition, process: subprocess.Popen, timeout_s: float = 120.0) -> None:
    """Poll ``condition()`` every 5 ms until true; fail if the process ends first or time runs out."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the process ended (exit {process.returncode}) before the moment to interrupt it: "
                        f"{process.stderr.read()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("timed out waiting for the moment to interrupt")
        time.sleep(0.005)


# -- make-data --------------------------------------------------------------------------------

def _make_data_argv(music: Path, out: Path) -> list:
    return ["make-data", "--music", music, "--out", out, "--examples", "16", "--seed", "4", "--workers", "1",
            "--sample-rate", "24000", "--segment-s", "1", "--rooms", "1", "--mics-per-room", "2",
            "--room-max-order", "3", "--phones", "2", "--shard-size", "2", "--splits", "0.5,0.25,0.25", "-q"]


def _dataset_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_make_data_killed_and_rerun_equals_an_uninterrupted_run(tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    for i in range(6):
        sf.write(str(music / f"track{i}.flac"), music_like(4.0, 44_100, 2, seed=i), 44_100)

    reference = tmp_path / "reference"
    done = subprocess.run([*AEIB, *map(str, _make_data_argv(music, reference))], env=ENV, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr

    out = tmp_path / "out"
    process = _start(_make_data_argv(music, out))
    _stop_while(lambda: out.is_dir() and len(list(out.glob("*.npz"))) >= 2 and not (out / "manifest.json").exists(),
                process)
    _signal_frozen(process, signal.SIGKILL)
    finished = sorted(p.name for p in out.glob("*.npz"))
    assert process.returncode == -signal.SIGKILL
    assert 2 <= len(finished) < len(_dataset_files(reference)) - 1

    rerun = subprocess.run([*AEIB, *map(str, _make_data_argv(music, out))], env=ENV, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert _dataset_files(out) == _dataset_files(reference)
    assert temporaries(out) == []


# -- apply / enhance ----------------------------------------------------------------------------

LONG_S = 120


@pytest.fixture(scope="module")
def long_input(tmp_path_factory) -> Path:
    """Two minutes of 48 kHz stereo float WAV (46 MB): a write that lasts a fraction of a second at least."""
    path = tmp_path_factory.mktemp("long") / "long.wav"
    second = music_like(1.0, 48_000, 2, seed=3)
    with sf.SoundFile(str(path), "w", 48_000, 2, subtype="FLOAT") as handle:
        for k in range(LONG_S):
            handle.write(second * (0.5 + 0.5 * np.sin(k / 7.0) ** 2))
    return path


COMMANDS = ["apply", "enhance"]


def _argv(command: str, source: Path, output: Path) -> list:
    extra = ["--params", "club-fix"] if command == "apply" else []
    return [command, source, "-o", output, "-q", *extra]


def _stop_while(condition, process: subprocess.Popen) -> None:
    """Wait until ``condition()`` holds, freeze the process (SIGSTOP) and check it still holds.

    Freezing first makes the test independent of machine speed: the signal that follows is
    guaranteed to arrive in the middle of the work, however fast the rest of it would have gone.
    """
    _wait_for(condition, process)
    process.send_signal(signal.SIGSTOP)
    if not condition():
        process.send_signal(signal.SIGCONT)
        process.kill()
        pytest.fail("the work finished between the check and the stop; use a longer input")


def _signal_frozen(process: subprocess.Popen, signum: int) -> None:
    process.send_signal(signum)
    if signum != signal.SIGKILL:
        process.send_signal(signal.SIGCONT)  # the pending signal is handled as soon as it runs again
    process.wait(timeout=120)


def _interrupt_mid_write(command: str, source: Path, folder: Path, signum: int) -> subprocess.Popen:
    """Start writing folder/out.wav (an old one is in place) and send ``signum`` while the temporary file exists."""
    output = folder / "out.wav"
    output.write_bytes(SENTINEL)
    process = _start(_argv(command, source, output))
    _stop_while(lambda: any(p.name.startswith(".out.wav.aeib-") for p in folder.iterdir()), process)
    _signal_frozen(process, signum)
    return process


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("signum, exit_code, word", [(signal.SIGINT, 130, "interrupted"),
                                                     (signal.SIGTERM, 143, "terminated")])
def test_interrupt_leaves_no_partial_output(command, signum, exit_code, word, long_input, tmp_path):
    process = _interrupt_mid_write(command, long_input, tmp_path, signum)
    err = process.stderr.read()
    assert process.returncode == exit_code, err
    assert err.strip() == f"aeib: {word}; no partial output was left behind"
    assert (tmp_path / "out.wav").read_bytes() == SENTINEL
    assert temporaries(tmp_path) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_kill_9_leaves_only_a_temporary_that_the_next_run_removes(command, long_input, tmp_path):
    process = _interrupt_mid_write(command, long_input, tmp_path, signal.SIGKILL)
    assert process.returncode == -signal.SIGKILL
    assert (tmp_path / "out.wav").read_bytes() == SENTINEL  # the output is never partial
    left = temporaries(tmp_path)
    assert len(left) == 1 and left[0].startswith(f".out.wav.aeib-{process.pid}-") and left[0].endswith(".partial.wav")
    assert stale_temporaries(tmp_path / "out.wav") == [tmp_path / left[0]]

    short = tmp_path / "short.wav"  # the next run writing the same output (any input will do)
    sf.write(str(short), music_like(2.0, 48_000, 2), 48_000)
    before = snapshot(long_input.parent)
    done = subprocess.run([*AEIB, *map(str, _argv(command, short, tmp_path / "out.wav"))], env=ENV,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert temporaries(tmp_path) == []
    assert snapshot(long_input.parent) == before  # the killed run's input was never touched
    assert_audio_like(tmp_path / "out.wav", 48_000, 2, 2 * 48_000)


def test_only_temporaries_of_dead_processes_are_removed(tmp_path, capsys):
    """A temporary whose writer still runs (another aeib writing the same output) is left alone."""
    from aeib.cli.main import main

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    sf.write(str(tmp_path / "in.wav"), music_like(0.5, 48_000, 2), 48_000)
    stale = tmp_path / f".out.wav.aeib-{dead.pid}-x1y2z3.partial.wav"
    live = tmp_path / f".out.wav.aeib-{os.getpid()}-a1b2c3.partial.wav"
    other = tmp_path / f".other.wav.aeib-{dead.pid}-q1w2e3.partial.wav"
    for path in (stale, live, other):
        path.write_bytes(b"left behind")
    assert main(["apply", str(tmp_path / "in.wav"), "-o", str(tmp_path / "out.wav"), "--params", "neutral", "-q"]) == 0
    assert not stale.exists() and live.exists() and other.exists()


SWALLOWED_INTERRUPT = """
import argparse, ctypes, os, signal, sys, time
from aeib.cli import main as cli

def body():  # the signal arrives while C code is calling back into Python: the callback swallows it
    os.kill(os.getpid(), signal.{signal_name})
    for _ in range(1000):
        pass

callback = ctypes.CFUNCTYPE(None)(body)

def handler(args):
    callback()
    for _ in range(500):  # busy for 5 s, as real work would be
        time.sleep(0.01)
    print("not interrupted", file=sys.stderr)
    return 0

def parser():
    p = argparse.ArgumentParser()
    p.set_defaults(handler=handler)
    return p

cli.build_parser = parser
sys.exit(cli.main([]))
"""


@pytest.mark.parametrize("signal_name, exit_code, word",
                         [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")])
def test_an_interrupt_swallowed_by_a_c_callback_still_stops_the_command(signal_name, exit_code, word):
    """Seen for real: Ctrl-C while numba compiled through a ctypes callback was lost and the run went on."""
    done = subprocess.run([sys.executable, "-c", SWALLOWED_INTERRUPT.format(signal_name=signal_name)], env=ENV,
                          capture_output=True, text=True, timeout=60, preexec_fn=_like_a_terminal_job)
    assert (done.returncode, done.stderr.strip()) == (exit_code, f"aeib: {word}; no partial output was left behind")


def _create_then_interrupt(real_create):
    def create(tmp, target):
        real_create(tmp, target)
        raise KeyboardInterrupt  # Ctrl-C the instant the temporary file exists

    return create


def test_ctrl_c_the_instant_the_temporary_file_appears(tmp_path, monkeypatch):
    """Seen for real (the SIGSTOP tests above stop exactly there): the file was created, the clean-up not yet armed."""
    import aeib.audio as audio
    from aeib.audio import atomic

    monkeypatch.setattr(atomic, "create_empty", _create_then_interrupt(atomic.create_empty))
    (tmp_path / "out.wav").write_bytes(SENTINEL)
    with pytest.raises(KeyboardInterrupt):
        with audio.AtomicAudioWriter(tmp_path / "out.wav", 48_000, 2, "WAV", "FLOAT"):
            pass
    with pytest.raises(KeyboardInterrupt):
        with audio.atomic_output(tmp_path / "out.wav"):
            pass
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]
    assert (tmp_path / "out.wav").read_bytes() == SENTINEL


def test_ctrl_c_during_the_final_rename(tmp_path, monkeypatch):
    import aeib.audio as audio
    from aeib.audio import atomic

    def interrupted_replace(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        with audio.AtomicAudioWriter(tmp_path / "out.wav", 48_000, 1, "WAV", "FLOAT") as writer:
            writer.write(np.zeros(100, np.float32))
    with pytest.raises(KeyboardInterrupt):
        with audio.atomic_output(tmp_path / "out.json") as tmp:
            tmp.write_text("{}")
    assert list(tmp_path.iterdir()) == []
