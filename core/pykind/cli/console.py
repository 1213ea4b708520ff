"""The CLI's stderr: whole lines written under one lock, so that status lines, the TTY
spinner, log records and warnings never tear each other apart."""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO

#: Upstream kind's spinner frames.
SPINNER_FRAMES = (
    "⠈⠁",
    "⠈⠑",
    "⠈⠱",
    "⠈⡱",
    "⢀⡱",
    "⢄⡱",
    "⢄⡱",
    "⢆⡱",
    "⢎⡱",
    "⢎⡰",
    "⢎⡠",
    "⢎⡀",
    "⢎⠁",
    "⠎⠁",
    "⠊⠁",
)
SPINNER_INTERVAL = 0.1
_CLEAR_LINE = "\r\x1b[2K"


def is_smart_terminal(stream: TextIO) -> bool:
    """Upstream's rule: a TTY that is not ``dumb`` (or ``st-256color``), and no NO_COLOR."""
    try:
        if not stream.isatty():
            return False
    except (AttributeError, ValueError):
        return False
    if "NO_COLOR" in os.environ:
        return False
    return os.environ.get("TERM", "") not in ("dumb", "st-256color")


class Console:
    """Line-oriented writer to stderr, with an optional spinner on the last line."""

    def __init__(self, stream: TextIO | None = None, *, smart: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.smart = is_smart_terminal(self.stream) if smart is None else smart
        self._lock = threading.RLock()
        self._spinner_text: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ plain lines
    def line(self, text: str = "") -> None:
        """Write ``text`` and a newline above the spinner (if one runs)."""
        with self._lock:
            if self._spinner_text is not None:
                self._raw(_CLEAR_LINE)
            self._raw(text + "\n")
            if self._spinner_text is not None:
                self._draw(0)

    def color(self, text: str, code: str) -> str:
        """``text`` in an ANSI color when the terminal is smart (upstream colors ✓/✗/ERROR)."""
        return f"\x1b[{code}m{text}\x1b[0m" if self.smart else text

    def _raw(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # closed or broken stderr: nothing useful to do
            pass

    # ------------------------------------------------------------------ spinner
    def spin(self, text: str) -> None:
        """Show ``<frame> text`` animated on the last line until :meth:`stop_spinner`."""
        with self._lock:
            self._spinner_text = text
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._animate, name="pykind-spinner", daemon=True
                )
                self._thread.start()

    def stop_spinner(self) -> None:
        """Stop the animation and clear its line."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        if thread is not threading.current_thread():
            thread.join()
        with self._lock:
            self._thread = None
            self._spinner_text = None
            self._raw(_CLEAR_LINE)

    def _animate(self) -> None:
        index = 0
        while True:
            with self._lock:
                if self._stop.is_set() or self._spinner_text is None:
                    return
                self._draw(index)
            index += 1
            if self._stop.wait(SPINNER_INTERVAL):
                return

    def _draw(self, index: int) -> None:
        frame = SPINNER_FRAMES[index % len(SPINNER_FRAMES)]
        # Like upstream: no line wrapping while drawing, then back to the line start.
        self._raw(f"\x1b[?7l\r {frame}{self._spinner_text}\x1b[?7h")

    def close(self) -> None:
        self.stop_spinner()
