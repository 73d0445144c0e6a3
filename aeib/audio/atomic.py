"""Atomic outputs: a file is written to a temporary name beside its target and renamed over the
target only once complete, so an interrupted or failed write never leaves a partial file and never
damages an existing one.

Temporary files are hidden and named ``.<target name>.aeib-<pid>-<random>.partial<target suffix>``;
a process killed outright (``kill -9``) can leave one behind, and the next write to the same target
removes it once no process with that pid is running (see docs/RELIABILITY.md). Standard library
only: any writer (JSON, CSV, figures, audio) uses :func:`atomic_output`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import secrets
from pathlib import Path
from typing import Iterator

from aeib.audio.messages import exception_text
from aeib.errors import OutputError

TEMP_MARKER = ".aeib-"
"""Temporary outputs are called ``.<name>.aeib-<pid>-<random>.partial<suffix>``."""
_TEMP_PID = re.compile(r"\.aeib-(\d+)-[^.]*\.partial")


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True if the two paths name the same file (following links)."""
    a, b = Path(a), Path(b)
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()

def _pid_is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return pid > 0  # PermissionError: someone else's live process
    return True

def stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Temporary files that a killed aeib process left beside ``path`` while writing it.

    A temporary file counts as stale when the process whose pid is in its name is no longer
    running on this machine.
    """
    path = Path(path)
    stale = []
    try:
        pattern = f".{glob.escape(path.name)}{TEMP_MARKER}*.partial{glob.escape(path.suffix)}"
        candidates = list(path.parent.glob(pattern))
    except OSError:
        return []
    for candidate in candidates:
        match = _TEMP_PID.search(candidate.name[len(path.name) + 1:])
        if match and not _pid_is_running(int(match.group(1))):
            stale.append(candidate)
    return stale

def check_output_path(path: str | os.PathLike) -> Path:
    """Fail early, before any work, if ``path`` cannot be written.

    Raises:
        OutputError: if ``path`` is a directory, or its directory is missing, not a directory or
            not writable by this user.
    """
    path = Path(path)
    directory = path.parent
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a directory")
    if not directory.exists():
        raise OutputError(f"cannot write {path}: directory {directory} does not exist")
    if not directory.is_dir():
        raise OutputError(f"cannot write {path}: {directory} is not a directory")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: no permission to create files in {directory}")
    return path

def temporary_path_for(path: Path) -> Path:
    """A fresh temporary name beside ``path`` (not created yet); stale leftovers for ``path`` are removed.

    The name is chosen before the file exists so that clean-up code covering the creation always
    knows what to delete, even when an interrupt lands right after the file appears.
    """
    directory = check_output_path(path).parent
    for stale in stale_temporaries(path):
        with contextlib.suppress(OSError):
            stale.unlink()
    return directory / f".{path.name}{TEMP_MARKER}{os.getpid()}-{secrets.token_hex(4)}.partial{path.suffix}"

def create_empty(tmp: Path, target: Path) -> None:
    """Create ``tmp`` exclusively, with the permissions an ordinary new file gets (0666 minus the umask).

    Raises:
        OutputError: if it cannot be created.
    """
    try:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None

def commit(tmp: Path, path: Path) -> None:
    """Rename the finished temporary file ``tmp`` over ``path``.

    Raises:
        OutputError: if the rename fails.
    """
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None

@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    Whatever ends the block early (an error, Ctrl-C, SIGTERM) removes the temporary file.

    Raises:
        OutputError: if the directory does not exist or is not writable, or an ``OSError`` (such
            as a full disk) interrupts the block.
    """
    path = Path(path)
    tmp = temporary_path_for(path)
    try:
        create_empty(tmp, path)
        try:
            yield tmp
        except OSError as exc:  # a full disk, a quota, a vanished folder: the environment, not a bug
            raise OutputError(f"cannot write {path}: {exc.strerror or exception_text(exc)}") from None
        commit(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
