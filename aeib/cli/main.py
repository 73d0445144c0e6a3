"""Entry point of the ``aeib`` console script.

Each subcommand lives in its own module under :mod:`aeib.cli` and exposes
``register(subparsers)``, which adds its parser and sets ``handler`` to a function taking the
parsed arguments and returning an exit code. Errors caused by input (:class:`~aeib.errors.AeibError`)
print one line to stderr and exit non-zero; set ``AEIB_DEBUG=1`` to see tracebacks. Exit codes and
failure behaviour: docs/RELIABILITY.md.
"""

from __future__ import annotations

import _thread
import argparse
import atexit
import contextlib
import gc
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable

from aeib import __version__
from aeib.cli.messages import error_text, parser_flags
from aeib.errors import AeibError

# Subcommands, in the order `aeib --help` lists them: (name, module, one-line help). The help line is
# repeated here so that `aeib --help` and an unknown command need none of the command modules (they
# import numpy, scipy, numba, LiteRT ...); tests/test_startup.py checks that it equals the module's own.
COMMANDS = (
    ("apply", "aeib.cli.apply",
     "apply an EQ/compressor setting (parameter file or preset) to an audio file"),
    ("params", "aeib.cli.params", "list every parameter of the chain with unit, range, scale and default"),
    ("example", "aeib.cli.example",
     "write the bundled example clip (a simulated boomy, harsh phone recording) to a file"),
    ("make-data", "aeib.cli.make_data",
     "render self-supervised style pairs (input, target, reference) from a music corpus"),
    ("train", "aeib.cli.train",
     "train the analyzer (Keras fit, SPSA or autodiff gradients) on `aeib make-data` shards"),
    ("export", "aeib.cli.export",
     "export the trained analyzer to TFLite (float32, float16, dynamic-int8, int8) with JSON metadata"),
    ("enhance", "aeib.cli.enhance",
     "repair a recording (or a folder of them): the analyzer picks the EQ/compressor setting"),
    ("evaluate", "aeib.cli.evaluate",
     "compare trained models and baselines (input, rb-dsp, matchering, oracle) on a test set"),
    ("bench", "aeib.cli.bench",
     "measure the DSP chain, the analyzer, `aeib enhance` and its memory on this machine"),
)
COMMAND_NAMES = tuple(name for name, _, _ in COMMANDS)
NUMBA_FAST_START_COMMANDS = ("apply", "enhance")
"""Short-lived commands whose first DSP call skips numba's BLAS probe (:mod:`aeib.cli.numba_start`)."""
COMMAND_MODULES = tuple(module for _, module, _ in COMMANDS)

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
EXIT_INTERNAL = 70


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same clean-up runs (temporary files removed)."""


def _raise_terminated(signum, frame):
    raise Terminated()


@contextlib.contextmanager
def _interrupts_as_exceptions():
    """While the command runs, turn SIGTERM into :class:`Terminated` and never lose a Ctrl-C (main thread only).

    An interrupt that arrives while C code is calling back into Python (numba compiling through
    ctypes, for instance) is swallowed by that callback ("Exception ignored ...") and the command
    would simply go on; the unraisable hook delivers it again to the main thread instead.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_handler = signal.signal(signal.SIGTERM, _raise_terminated)
    previous_hook = sys.unraisablehook

    def redeliver(unraisable) -> None:
        if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
            signum = signal.SIGTERM if issubclass(unraisable.exc_type, Terminated) else signal.SIGINT
            # From another thread, a moment later: by then the main thread has left the callback
            # (if not, it is swallowed again and comes back here).
            threading.Timer(0.05, _thread.interrupt_main, args=(signum,)).start()
        else:
            previous_hook(unraisable)

    sys.unraisablehook = redeliver
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        signal.signal(signal.SIGTERM, previous_handler)


def build_parser(load: Iterable[str] = ()) -> argparse.ArgumentParser:
    """The ``aeib`` parser.

    Args:
        load: Names of the subcommands whose modules are imported and registered in full; every other
            subcommand gets a placeholder parser holding its help line, which is all ``aeib --help``
            and an "invalid choice" error need. ``COMMAND_NAMES`` loads them all.
    """
    load = frozenset(load)
    parser = argparse.ArgumentParser(
        prog="aeib",
        description="Audio Engineer in a Box: repair live phone recordings with an interpretable "
        "parametric EQ and compressor whose settings a tiny neural analyzer predicts.",
        epilog="Run `aeib COMMAND --help` for the options of a command. Exit codes: 0 success, "
        "2 bad input or arguments, 70 internal error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).",
    )
    parser.add_argument("--version", action="version", version=f"aeib {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name, module_name, help_line in COMMANDS:
        if name in load:
            module = importlib.import_module(module_name)
            module.register(subparsers)
            command_parser = subparsers.choices[name]
            # For error messages: the library's argument names and this command's flags for them.
            command_parser.set_defaults(setting_flags=parser_flags(command_parser, getattr(module, "SETTING_FLAGS", None)))
        else:
            subparsers.add_parser(name, help=help_line, add_help=False)
    return parser


def _command_in(argv: list[str]) -> str | None:
    """The subcommand ``argv`` names: its first word not starting with ``-`` (aeib's own options take
    no values), or ``None``."""
    for word in argv:
        if word == "--":
            return None
        if not word.startswith("-"):
            return word
    return None


def main(argv: list[str] | None = None, *, on_started: Callable[[], None] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the command, return the exit code.

    ``on_started`` is called once the command's modules are imported, just before its work begins
    (:func:`console_main` turns the garbage collector on there).
    """
    debug = os.environ.get("AEIB_DEBUG") == "1"
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        command = _command_in(argv)
        if command in NUMBA_FAST_START_COMMANDS:
            from aeib.cli.numba_start import import_numba_without_scipy

            import_numba_without_scipy()  # before the command's modules import numba
        parser = build_parser((command,)) if command in COMMAND_NAMES else build_parser()
    except Exception as exc:  # a broken install (a command module fails to import): still one line
        if debug:
            raise
        print(f"aeib: internal error: cannot load the commands: {type(exc).__name__}: {_one_line(exc)} "
              "(set AEIB_DEBUG=1 for a traceback)", file=sys.stderr)
        return EXIT_INTERNAL
    args = parser.parse_args(argv)
    try:
        if command in NUMBA_FAST_START_COMMANDS:
            from aeib.cli.numba_start import start_numba_without_blas_probe

            start_numba_without_blas_probe()
        if on_started is not None:
            on_started()
        with _interrupts_as_exceptions():
            return int(args.handler(args) or 0)
    except AeibError as exc:
        if debug:
            raise
        print(f"aeib: error: {error_text(exc, getattr(args, 'setting_flags', {}))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        print(f"aeib: {'terminated' if terminated else 'interrupted'}; no partial output was left behind",
              file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    except OSError as exc:  # the environment (permissions, a full disk, a missing folder), not bad code
        if debug:
            raise
        where = f": {exc.filename}" if exc.filename else ""
        print(f"aeib: error: {exc.strerror or _one_line(exc)}{where}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: still one line, with a way to get the traceback
        if debug:
            raise
        print(f"aeib: internal error: {type(exc).__name__}: {_one_line(exc)} (set AEIB_DEBUG=1 for a traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL


def console_main() -> None:
    """The ``aeib`` console script: :func:`main`, with the garbage collector kept out of start-up and exit.

    Importing numpy, numba and LiteRT and loading numba's cached kernels creates a few hundred
    thousand long-lived objects and no garbage worth collecting; the collector's passes over them,
    and the interpreter's final collection at exit, cost about half a second per process here
    (`aeib enhance` on a 6 s clip: 0.90 s vs 1.29 s median, docs/RUNTIME.md). So the collector is
    off while the command's modules load; those objects are then frozen (never scanned again) and
    collection is on while the command works, so a long batch frees its cycles as usual; at exit
    everything is frozen again, so the final collection has nothing to walk. Files, atexit
    handlers and buffered output are closed as in any exit.
    """
    gc.disable()

    def collect_from_here() -> None:
        gc.freeze()
        gc.enable()

    try:
        code = main(on_started=collect_from_here)
    finally:  # also when argparse exits (--help, a usage error)
        gc.freeze()
    exit_without_teardown(code)


def exit_without_teardown(code: int) -> None:
    """End the process with ``code`` after the atexit handlers and a flush of stdout and stderr, but
    without the interpreter's teardown of every module and object (numba, LiteRT, numpy: about
    0.03 s per process here, docs/RUNTIME.md). Every file the command wrote is closed by then; its
    threads are daemons that have finished. Only for the console script, never inside a program."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (aeib … | head) or a closed stream
            pass
    os._exit(code)


def _one_line(exc: BaseException) -> str:
    """The exception's message on one line (a multi-line message would break the one-line promise)."""
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":
    console_main()
