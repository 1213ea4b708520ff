"""Fan one stream of chunks out to several consumers at once, in bounded memory.

``fan_out(source, sinks)`` reads ``source`` once, in the calling thread, and hands every chunk
to every sink. Each sink runs in its own thread and receives an iterator over the chunks (the
``stdin`` of a ``node.run`` call, typically). Each sink has a bounded queue: the reader waits
for the slowest sink, so at most ``depth`` chunks per sink are held at any time, and since the
sinks share the same ``bytes`` objects, peak memory does not grow with the stream's length.

A sink that fails or stops reading early is dropped: the others go on. A failing source ends
every sink's iterator with :class:`SourceError`.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

#: Chunks buffered per sink before the reader waits.
DEFAULT_DEPTH = 4


class SourceError(Exception):
    """The source stream failed; raised inside the sinks' iterators."""


class _Channel:
    """A bounded single-producer, single-consumer queue of chunks."""

    def __init__(self, depth: int) -> None:
        self._depth = max(1, depth)
        self._items: deque[bytes] = deque()
        self._cond = threading.Condition()
        self._eof = False
        self._closed = False
        self._error: BaseException | None = None

    @property
    def closed(self) -> bool:
        return self._closed

    def put(self, chunk: bytes) -> bool:
        """Queue ``chunk``; False when the consumer is gone (the chunk is dropped)."""
        with self._cond:
            while len(self._items) >= self._depth and not self._closed:
                self._cond.wait()
            if self._closed:
                return False
            self._items.append(chunk)
            self._cond.notify_all()
            return True

    def finish(self, error: BaseException | None = None) -> None:
        """No more chunks will come (``error`` set: the source failed)."""
        with self._cond:
            self._eof = True
            self._error = error
            self._cond.notify_all()

    def close(self) -> None:
        """The consumer stops reading: drop what is queued and release the producer."""
        with self._cond:
            self._closed = True
            self._items.clear()
            self._cond.notify_all()

    def __iter__(self) -> Iterator[bytes]:
        while True:
            with self._cond:
                while not self._items and not self._eof and not self._closed:
                    self._cond.wait()
                if self._items:
                    chunk = self._items.popleft()
                    self._cond.notify_all()
                elif self._error is not None and not self._closed:
                    raise SourceError(str(self._error)) from self._error
                else:
                    return
            yield chunk


@dataclass(frozen=True)
class SinkOutcome(Generic[T]):
    """What one sink returned, or the exception it raised."""

    value: T | None = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class FanOutResult(Generic[T]):
    """Per-sink outcomes (in the order of the sinks) and the source's own failure, if any."""

    outcomes: tuple[SinkOutcome[T], ...]
    source_error: BaseException | None = None
    #: Bytes read from the source.
    size: int = 0


def fan_out(
    source: Iterable[bytes],
    sinks: Sequence[Callable[[Iterator[bytes]], T]],
    *,
    depth: int = DEFAULT_DEPTH,
    thread_name: str = "pykind-fan-out",
) -> FanOutResult[T]:
    """Stream ``source`` into every sink concurrently; wait for all of them to finish."""
    if not sinks:
        return FanOutResult(outcomes=())
    channels = [_Channel(depth) for _ in sinks]
    outcomes: list[SinkOutcome[T]] = [SinkOutcome() for _ in sinks]

    def consume(index: int) -> None:
        channel = channels[index]
        try:
            outcomes[index] = SinkOutcome(value=sinks[index](iter(channel)))
        except BaseException as exc:
            outcomes[index] = SinkOutcome(error=exc)
        finally:
            channel.close()

    threads = [
        threading.Thread(target=consume, args=(i,), name=f"{thread_name}-{i}", daemon=True)
        for i in range(len(sinks))
    ]
    for thread in threads:
        thread.start()

    source_error: BaseException | None = None
    size = 0
    iterator = iter(source)
    try:
        for chunk in iterator:
            if not chunk:
                continue
            size += len(chunk)
            delivered = False
            for channel in channels:
                if not channel.closed and channel.put(chunk):
                    delivered = True
            del chunk
            if not delivered:
                break  # every sink is gone: stop reading the source
    except Exception as exc:
        source_error = exc
    finally:
        close = getattr(iterator, "close", None)
        if callable(close):
            try:
                close()
            except Exception as exc:  # a generator's cleanup failing
                source_error = source_error or exc
        for channel in channels:
            channel.finish(source_error)
        for thread in threads:
            thread.join()
    return FanOutResult(outcomes=tuple(outcomes), source_error=source_error, size=size)
