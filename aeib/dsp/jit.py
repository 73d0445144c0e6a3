"""numba kernels that import numba at their first call, not when their module is imported.

Importing numba takes about a quarter of a second of Python work (issue 15; ``python -X importtime -c
"import numba"``). ``aeib enhance`` imports the DSP's modules on its main thread (the parameter schema
lives beside the processors), but calls no kernel there until the analysis is done: its first kernel
call is on a worker thread (:mod:`aeib.dsp.warmup`) that runs while the main thread decodes and runs
the analyzer, work that releases the GIL. Decorating the kernels with :func:`njit` from here instead of
``numba.njit`` moves numba's import, and its on-disk cache folder check, to that first call.

On the first call of any kernel, every kernel defined so far becomes a numba dispatcher (compiled with
the options given here, loaded from numba's cache when it is there), and every module global that
names one is replaced by its dispatcher, so jitted code that calls another kernel finds a dispatcher
when numba types it. A module imported later is handled the same way at its own kernels' first call.
Calls from Python through a name imported before that (``from aeib.dsp.compressor import
channel_peak``) go through the small :class:`LazyKernel` wrapper, which forwards to the dispatcher.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import threading
from typing import Any, Callable

_LOCK = threading.RLock()
_KERNELS: list["LazyKernel"] = []
_before_import: list[Callable[[], None]] = []


class LazyKernel:
    """A function to be compiled by ``numba.njit(**options)`` at its first call (see the module docstring).

    Attribute access other than the call (``signatures``, ``py_func``…) is the dispatcher's.
    """

    def __init__(self, py_func: Callable[..., Any], options: dict[str, Any]):
        self.dispatcher: Any = None
        self.py_func = py_func
        self.options = options
        functools.update_wrapper(self, py_func)
        with _LOCK:
            _KERNELS.append(self)

    def __call__(self, *args: Any) -> Any:
        dispatcher = self.dispatcher
        if dispatcher is None:
            dispatcher = compile_kernels(self)
        return dispatcher(*args)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dispatcher if self.dispatcher is not None else compile_kernels(self), name)

    def __repr__(self) -> str:
        return f"<aeib lazy numba kernel {self.py_func.__module__}.{self.py_func.__qualname__}>"


def njit(**options: Any) -> Callable[[Callable[..., Any]], LazyKernel]:
    """``numba.njit(**options)``, applied at the first call of any kernel (see the module docstring)."""
    def wrap(py_func: Callable[..., Any]) -> LazyKernel:
        return LazyKernel(py_func, options)
    return wrap


def run_before_numba_import(hook: Callable[[], None]) -> None:
    """Call ``hook()`` just before the kernels' first import of numba (on the thread that imports it);
    a command process uses it to start numba its own way (:mod:`aeib.cli.numba_start`)."""
    with _LOCK:
        if hook not in _before_import:
            _before_import.append(hook)


def compile_kernels(kernel: LazyKernel | None = None) -> Any:
    """Turn every kernel defined so far into its numba dispatcher; returns ``kernel``'s dispatcher.

    Safe to call from any thread and more than once: the first caller does the work, others wait.
    """
    with _LOCK:
        pending = [k for k in _KERNELS if k.dispatcher is None]
        if pending:
            while _before_import:
                _before_import.pop(0)()
            ensure_numba_cache_dir()
            import numba

            for k in pending:
                k.dispatcher = numba.njit(**k.options)(k.py_func)
            # jitted code resolves the kernels it calls from its module's globals when numba types it
            for module_name in {k.py_func.__module__ for k in _KERNELS}:
                module = sys.modules.get(module_name)
                if module is None:
                    continue
                for name, value in list(vars(module).items()):
                    if isinstance(value, LazyKernel) and value.dispatcher is not None:
                        setattr(module, name, value.dispatcher)
        return None if kernel is None else kernel.dispatcher


def ensure_numba_cache_dir() -> None:
    """Give numba a private cache folder when it would have none.

    ``numba.njit(cache=True)`` raises when neither the package folder nor the user's cache folder is
    writable (a read-only install used by an account without a writable home).
    """
    import numba
    from numba.misc.appdirs import AppDirs

    # numba.config sets its settings as module globals at run time, so type checkers do not see them.
    if numba.config.CACHE_DIR:  # type: ignore[attr-defined]
        return

    def can_create_in(folder: str) -> bool:
        while not os.path.exists(folder):
            parent = os.path.dirname(folder)
            if parent == folder:
                return False
            folder = parent
        return os.access(folder, os.W_OK | os.X_OK)

    def user_cache_dir() -> str:
        return str(AppDirs(appname="numba", appauthor=False).user_cache_dir)  # type: ignore[no-untyped-call]

    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "__pycache__")
    if not (can_create_in(here) or can_create_in(user_cache_dir())):
        user = os.getuid() if hasattr(os, "getuid") else "user"
        numba.config.CACHE_DIR = os.path.join(tempfile.gettempdir(), f"aeib-numba-{user}")  # type: ignore[attr-defined]


__all__ = ["LazyKernel", "compile_kernels", "ensure_numba_cache_dir", "njit", "run_before_numba_import"]
