"""The fan-out that streams one image archive into several nodes at once."""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Iterator

import pytest

from pykind.images.tee import SourceError, fan_out

CHUNK = 64 * 1024


def generated(total: int, chunk: int = CHUNK) -> Iterator[bytes]:
    """``total`` bytes in fresh chunks (nothing kept between chunks)."""
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        yield bytes([sent // chunk % 251]) * n
        sent += n


def counter(chunks: Iterator[bytes]) -> int:
    return sum(len(c) for c in chunks)


def test_every_sink_gets_every_byte_in_order() -> None:
    data = [bytes([i]) * (i + 1) for i in range(200)]
    collected: list[list[bytes]] = [[], [], []]

    def sink(i: int):  # type: ignore[no-untyped-def]
        def run(chunks: Iterator[bytes]) -> int:
            collected[i].extend(chunks)
            return i

        return run

    result = fan_out(iter(data), [sink(0), sink(1), sink(2)], depth=2)
    assert [o.value for o in result.outcomes] == [0, 1, 2]
    assert all(c == data for c in collected)
    assert result.size == sum(len(d) for d in data)
    assert result.source_error is None


def test_one_gigabyte_through_three_sinks_in_bounded_memory() -> None:
    total = 1 << 30
    tracemalloc.start()
    try:
        result = fan_out(generated(total), [counter, counter, counter], depth=4)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [o.value for o in result.outcomes] == [total] * 3
    # depth (4) chunks per sink are shared between sinks: well under 4 MiB for 64 KiB chunks.
    assert peak < 4 * 1024 * 1024, f"peak traced memory {peak} bytes"


def test_failing_sink_does_not_stop_the_others() -> None:
    def failing(chunks: Iterator[bytes]) -> int:
        next(chunks)
        raise RuntimeError("import failed")

    total = 50 * CHUNK
    result = fan_out(generated(total), [counter, failing, counter], depth=1)
    assert result.outcomes[0].value == total
    assert result.outcomes[2].value == total
    assert isinstance(result.outcomes[1].error, RuntimeError)
    assert not result.outcomes[1].ok


def test_sink_that_stops_reading_early_is_dropped() -> None:
    def stops(chunks: Iterator[bytes]) -> int:
        return len(next(chunks))

    total = 20 * CHUNK
    result = fan_out(generated(total), [stops, counter], depth=1)
    assert result.outcomes[0].value == CHUNK
    assert result.outcomes[1].value == total


def test_reading_stops_when_every_sink_is_gone() -> None:
    pulled = 0

    def endless() -> Iterator[bytes]:
        nonlocal pulled
        while True:
            pulled += 1
            yield b"x" * 10

    def stops(chunks: Iterator[bytes]) -> None:
        next(chunks)

    result = fan_out(endless(), [stops, stops], depth=1)
    assert all(o.ok for o in result.outcomes)
    assert pulled < 100


def test_source_failure_reaches_every_sink() -> None:
    def broken() -> Iterator[bytes]:
        yield b"abc"
        raise OSError("engine went away")

    seen: list[BaseException] = []
    lock = threading.Lock()

    def sink(chunks: Iterator[bytes]) -> None:
        try:
            for _ in chunks:
                pass
        except SourceError as exc:
            with lock:
                seen.append(exc)
            raise

    result = fan_out(broken(), [sink, sink], depth=1)
    assert isinstance(result.source_error, OSError)
    assert len(seen) == 2
    assert all(isinstance(o.error, SourceError) for o in result.outcomes)


def test_no_sinks_reads_nothing() -> None:
    def never() -> Iterator[bytes]:
        raise AssertionError("source read without sinks")
        yield b""  # pragma: no cover

    result = fan_out(never(), [], depth=1)
    assert result.outcomes == ()


@pytest.mark.parametrize("depth", [0, 1, 8])
def test_any_depth_delivers_everything(depth: int) -> None:
    total = 10 * CHUNK + 7
    result = fan_out(generated(total), [counter, counter], depth=depth)
    assert [o.value for o in result.outcomes] == [total, total]
