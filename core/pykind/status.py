"""Progress reporting. The library reports through a :class:`Status`; the CLI renders it.

Kind prints one status line per create step (``✓ Preparing nodes 📦``). Library code calls
``with status.step("Preparing nodes 📦"): ...``; :class:`NullStatus` (the default) shows nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol


class Status(Protocol):
    """Receiver of progress events from long-running library calls."""

    def start(self, message: str) -> None:
        """A unit of work begins (a status line appears)."""

    def end(self, ok: bool) -> None:
        """The current unit of work ends with success (``✓``) or failure (``✗``)."""

    def info(self, message: str) -> None:
        """A side note (a warning, a hint) shown under the current line."""


class NullStatus:
    """A status that shows nothing: the library's default."""

    def start(self, message: str) -> None:
        pass

    def end(self, ok: bool) -> None:
        pass

    def info(self, message: str) -> None:
        pass


@contextlib.contextmanager
def step(status: Status, message: str) -> Iterator[None]:
    """Report ``message`` as one step: ``✓`` when the block succeeds, ``✗`` when it raises."""
    status.start(message)
    try:
        yield
    except BaseException:
        status.end(False)
        raise
    status.end(True)


@dataclass
class RecordingStatus:
    """A status that records events, for tests and embedding tools: ``(kind, message)``."""

    events: list[tuple[str, str]] = field(default_factory=list)

    def start(self, message: str) -> None:
        self.events.append(("start", message))

    def end(self, ok: bool) -> None:
        self.events.append(("end", "ok" if ok else "failed"))

    def info(self, message: str) -> None:
        self.events.append(("info", message))


NULL_STATUS = NullStatus()
