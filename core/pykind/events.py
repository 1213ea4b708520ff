"""Machine-readable progress for tools that embed pykind or drive its CLI.

:class:`JsonEventsStatus` is a :class:`~pykind.status.Status` writing one JSON object per
line (JSON Lines) to a text stream::

    {"event": "start", "message": "Preparing nodes 📦", "time": "2025-01-01T10:00:00.123456Z"}
    {"event": "end", "message": "Preparing nodes 📦", "ok": true, "time": "...", "elapsed": 4.2}
    {"event": "info", "message": "WARNING: ...", "time": "..."}

``end`` repeats the message of the step it ends (``null`` when no step was running) and
carries ``ok`` and ``elapsed`` (seconds since its ``start``); steps may nest. Keys are
stable; new keys may be added. Use it from Python::

    from pykind import ClusterManager
    from pykind.events import JsonEventsStatus

    ClusterManager(status=JsonEventsStatus(sys.stdout)).create("dev")

or from the command line with ``--progress json`` (events on stdout).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TextIO

EVENT_START = "start"
EVENT_END = "end"
EVENT_INFO = "info"


def utc_timestamp() -> str:
    """Now, as RFC 3339 UTC with microseconds (``2025-01-01T10:00:00.123456Z``)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class JsonEventsStatus:
    """A :class:`~pykind.status.Status` emitting JSON Lines events to ``stream``.

    Thread-safe: lines never interleave; each line is flushed at once. Steps nest: a step
    started inside another (a provider's own step inside a create step) gets its ``end``
    first, so every ``start`` is matched by exactly one ``end`` naming the same message.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        clock: Callable[[], str] = utc_timestamp,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        #: Steps started and not ended yet: (message, start time), innermost last.
        self._steps: list[tuple[str, float]] = []

    def _emit(self, event: dict[str, Any]) -> None:
        event["time"] = self._clock()
        line = json.dumps(event, ensure_ascii=False)
        self.stream.write(line + "\n")
        self.stream.flush()

    def start(self, message: str) -> None:
        with self._lock:
            self._steps.append((message, self._monotonic()))
            self._emit({"event": EVENT_START, "message": message})

    def end(self, ok: bool) -> None:
        with self._lock:
            now = self._monotonic()
            message, started = self._steps.pop() if self._steps else (None, now)
            elapsed = round(now - started, 6)
            self._emit({"event": EVENT_END, "message": message, "ok": ok, "elapsed": elapsed})

    def info(self, message: str) -> None:
        with self._lock:
            self._emit({"event": EVENT_INFO, "message": message})


def parse_events(text: str) -> list[dict[str, Any]]:
    """The events of a JSON Lines text (blank lines ignored); for consumers and tests."""
    events = []
    for line in text.splitlines():
        if line.strip():
            value = json.loads(line)
            if isinstance(value, dict):
                events.append(value)
    return events


__all__ = ["EVENT_END", "EVENT_INFO", "EVENT_START", "JsonEventsStatus", "parse_events"]
