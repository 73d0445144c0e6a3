"""Work on a second core while the first one runs the chain: background calls, prefetched blocks, a
block sink.

``aeib enhance`` is a pipeline of stages that each wait on the one before — decode, chain, loudness
meter, encode — and the chain's numba kernels, libsndfile's decoding and encoding and the meter all
release the GIL, so on a machine with two or more cores they overlap. Three small tools, each
bounded (a few blocks queued at most, so memory does not grow with the file's length) and each
re-raising a worker's exception in the calling thread, where it would have been raised without them:

* :func:`in_background` — one call on a worker thread (the reference's measurement while the
  analyzer runs); :meth:`Background.result` waits for it;
* :func:`prefetched` — an iterator advanced on a worker thread, a few items ahead (decoding);
* :class:`BlockSink` — a ``block -> None`` function run on a worker thread, in order (the loudness
  meter of the measuring pass, the file writer of the writing pass).

The results are the same as without them, bit for bit: each stage still sees its blocks in order,
on one thread. Workers are daemon threads, so an interrupted command does not wait for them.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Generic, Iterable, Iterator, TypeVar

T = TypeVar("T")

QUEUE_BLOCKS = 4
"""Items a worker may run ahead of (or behind) the calling thread."""

_POLL_S = 0.05
"""How often a blocked worker looks whether it has been told to stop, seconds."""

_END = object()


class Background(Generic[T]):
    """A call running on a worker thread; see :func:`in_background`."""

    def __init__(self, function: Callable[..., T], *args: object):
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(function, args), daemon=True,
                                        name=f"aeib-{getattr(function, '__name__', 'call')}")
        self._thread.start()

    def _run(self, function: Callable[..., T], args: tuple[object, ...]) -> None:
        try:
            self._value = function(*args)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self) -> T:
        """Wait for the call and return its value, or raise its exception here."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def in_background(function: Callable[..., T], *args: object) -> Background[T]:
    """Start ``function(*args)`` on a worker thread now; ``.result()`` waits for it."""
    return Background(function, *args)


def _put(items: "queue.Queue[object]", item: object, stop: threading.Event) -> bool:
    """Put ``item``, waiting for room unless ``stop`` is set; False if stopped."""
    while not stop.is_set():
        try:
            items.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def prefetched(iterable: Iterable[T], depth: int = QUEUE_BLOCKS) -> Iterator[T]:
    """The items of ``iterable``, advanced on a worker thread up to ``depth`` items ahead.

    An exception raised by the iterable is raised by this iterator at the same place in the
    sequence. Closing this iterator early (``break``, an exception in the loop) stops the worker.
    """
    items: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in iterable:
                if not _put(items, item, stop):
                    return
        except BaseException as exc:  # re-raised in the consumer, in sequence
            _put(items, _Failure(exc), stop)
            return
        _put(items, _END, stop)

    worker = threading.Thread(target=produce, daemon=True, name="aeib-prefetch")
    worker.start()
    try:
        while True:
            item = items.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


class BlockSink:
    """Feed blocks to ``consume`` on a worker thread, in order: a context manager.

    ``put(block)`` hands a block over (waiting if ``depth`` blocks are queued); leaving the ``with``
    block normally waits until every block is consumed and raises the worker's exception, if any,
    here. An exception raised by ``consume`` is also raised by the next ``put``; after it nothing
    more is consumed. Leaving by an exception stops the worker without consuming the rest.

    The caller must not modify a block after putting it.
    """

    def __init__(self, consume: Callable[[object], object], depth: int = QUEUE_BLOCKS):
        self._consume = consume
        self._items: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._worker = threading.Thread(target=self._run, daemon=True, name="aeib-sink")

    def __enter__(self) -> "BlockSink":
        self._worker.start()
        return self

    def _run(self) -> None:
        while True:
            try:
                item = self._items.get(timeout=_POLL_S)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            if item is _END or self._stop.is_set():
                return
            try:
                self._consume(item)
            except BaseException as exc:  # handed to the caller by put() or __exit__
                self._error = exc
                self._stop.set()
                return

    def put(self, block: object) -> None:
        """Queue ``block`` for ``consume``; raises the worker's exception if it has failed."""
        if self._error is not None:
            raise self._error
        if not _put(self._items, block, self._stop):
            if self._error is not None:
                raise self._error
            raise RuntimeError("the block sink has been stopped")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc_type is not None:  # the caller failed: drop what is queued
            self._stop.set()
        else:
            _put(self._items, _END, self._stop)
        self._worker.join()
        if exc_type is None and self._error is not None:
            raise self._error


__all__ = ["QUEUE_BLOCKS", "Background", "BlockSink", "in_background", "prefetched"]
