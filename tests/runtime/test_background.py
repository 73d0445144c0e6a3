"""aeib.runtime.background: same results as without the worker threads, exceptions where they belong."""

import threading
import time

import pytest

from aeib.runtime.background import BlockSink, in_background, prefetched


def _no_worker_left(prefix: str, timeout_s: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not any(t.name.startswith(prefix) and t.is_alive() for t in threading.enumerate()):
            return True
        time.sleep(0.01)
    return False


def test_in_background_returns_the_value_and_raises_the_error_in_the_caller():
    assert in_background(sum, [1, 2, 3]).result() == 6

    def fail():
        raise ValueError("bad reference")

    with pytest.raises(ValueError, match="bad reference"):
        in_background(fail).result()


@pytest.mark.parametrize("depth", [1, 4])
def test_prefetched_yields_every_item_in_order(depth):
    assert list(prefetched(iter(range(100)), depth)) == list(range(100))


def test_prefetched_raises_the_iterables_error_after_the_items_before_it():
    def blocks():
        yield 1
        yield 2
        raise OSError("damaged after 2 blocks")

    seen = []
    with pytest.raises(OSError, match="damaged after 2 blocks"):
        for item in prefetched(blocks()):
            seen.append(item)
    assert seen == [1, 2]


def test_prefetched_stops_its_worker_when_the_loop_ends_early():
    produced = []

    def endless():
        while True:
            produced.append(len(produced))
            yield produced[-1]

    for item in prefetched(endless(), depth=2):
        if item == 3:
            break
    assert _no_worker_left("aeib-prefetch")
    assert len(produced) <= 3 + 1 + 2 + 1   # the items taken, the queue and the one in hand


def test_the_sink_consumes_every_block_in_order_before_the_with_block_ends():
    consumed = []
    with BlockSink(lambda block: (time.sleep(0.001), consumed.append(block)), depth=2) as sink:
        for i in range(50):
            sink.put(i)
    assert consumed == list(range(50))


def test_a_failing_consumer_raises_in_the_caller_and_consumes_nothing_after():
    consumed = []

    def write(block):
        if block == 5:
            raise OSError("disk full")
        consumed.append(block)

    with pytest.raises(OSError, match="disk full"):
        with BlockSink(write, depth=2) as sink:
            for i in range(1000):
                sink.put(i)
    assert consumed == [0, 1, 2, 3, 4]
    assert _no_worker_left("aeib-sink")


def test_a_failing_caller_keeps_its_own_error_and_the_rest_is_dropped():
    consumed = []
    release = threading.Event()

    def slow(block):
        release.wait(0.2)
        consumed.append(block)

    with pytest.raises(KeyError, match="the caller's"):
        with BlockSink(slow, depth=8) as sink:
            for i in range(5):
                sink.put(i)
            raise KeyError("the caller's")
    release.set()
    assert _no_worker_left("aeib-sink")
    assert len(consumed) <= 1   # at most the block in hand when the caller failed
