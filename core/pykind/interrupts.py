"""Treat SIGTERM like Ctrl-C, so that cleanup code (``finally`` blocks, the create pipeline's
delete-on-failure) runs when a CI system or ``timeout`` stops us."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from types import FrameType

log = logging.getLogger(__name__)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, the first SIGTERM raises KeyboardInterrupt in the main thread.

    Later SIGTERMs are ignored so that the cleanup started by the first one can finish (a
    supervisor that insists sends SIGKILL). Outside the main thread this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal received
        if received:
            log.warning("received SIGTERM again; still cleaning up")
            return
        received = True
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
