"""Status renderers: implementations of :class:`pykind.status.Status` for the terminal.

They print upstream kind's status lines on stderr::

     • Preparing nodes 📦  ...        (not a terminal: when the step starts)
     ✓ Preparing nodes 📦             (success)
     ✗ Preparing nodes 📦             (failure)

On a smart terminal the ``•`` line is replaced by a spinner (``⠈⠁ Preparing nodes 📦``).
"""

from __future__ import annotations

import threading

from pykind.cli.console import Console


class ConsoleStatus:
    """Shared behaviour: one active step at a time (starting a step ends the previous one
    successfully, as upstream) and lines announced ahead of the first event."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._current = ""
        self._pending: list[str] = []
        self._shown: list[str] = []
        self._lock = threading.RLock()

    def announce(self, line: str) -> None:
        """Print ``line`` just before the first status event (or at :meth:`flush`), so a
        call that fails before doing anything prints only its error."""
        with self._lock:
            self._pending.append(line)

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            for line in pending:
                self.console.line(line)

    @property
    def shown_infos(self) -> list[str]:
        """Messages printed through :meth:`info` so far."""
        return list(self._shown)

    def start(self, message: str) -> None:
        with self._lock:
            self.flush()
            self.end(True)
            self._current = message
            self._show_start(message)

    def end(self, ok: bool) -> None:
        with self._lock:
            if not self._current:
                return
            message, self._current = self._current, ""
            self._show_end(message, ok)

    def info(self, message: str) -> None:
        with self._lock:
            self.flush()
            self._shown.append(message)
            self.console.line(message)

    def close(self) -> None:
        """End an unfinished step as failed (the command is leaving early)."""
        self.end(False)

    def _mark(self, ok: bool) -> str:
        return self.console.color("✓", "32") if ok else self.console.color("✗", "31")

    def _show_start(self, message: str) -> None:
        raise NotImplementedError

    def _show_end(self, message: str, ok: bool) -> None:
        self.console.line(f" {self._mark(ok)} {message}")


class LineStatus(ConsoleStatus):
    """Plain lines, for logs and pipes."""

    def _show_start(self, message: str) -> None:
        self.console.line(f" • {message}  ...")


class SpinnerStatus(ConsoleStatus):
    """A spinner while a step runs, for terminals."""

    def _show_start(self, message: str) -> None:
        self.console.spin(f" {message} ")

    def _show_end(self, message: str, ok: bool) -> None:
        self.console.stop_spinner()
        super()._show_end(message, ok)


class QuietStatus(ConsoleStatus):
    """Shows nothing (``-q``), but keeps the bookkeeping so callers need no special case."""

    def flush(self) -> None:
        with self._lock:
            self._pending = []

    def info(self, message: str) -> None:
        with self._lock:
            self._shown.append(message)

    def _show_start(self, message: str) -> None:
        pass

    def _show_end(self, message: str, ok: bool) -> None:
        pass


def make_status(console: Console, *, quiet: bool = False) -> ConsoleStatus:
    """The right renderer for ``console``."""
    if quiet:
        return QuietStatus(console)
    if console.smart:
        return SpinnerStatus(console)
    return LineStatus(console)
