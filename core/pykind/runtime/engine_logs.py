"""Follow a container's log until a pattern shows (upstream's ``docker logs -f`` boot wait).

One streaming request instead of polling: the boot is noticed the moment systemd prints its
line, at the cost of one idle connection per node. Works on unix-socket and plain-TCP engine
endpoints (written by hand, like exec); other transports return None and callers poll.
"""

from __future__ import annotations

import re
import threading
import time
from urllib.parse import quote

from pykind.runtime.engine_exec import _plain_socket

#: Bytes kept from earlier reads so a line split across reads still matches.
_KEEP = 4096
#: Longest wait for data before ``stop`` is looked at again.
_TICK = 0.5


def follow_log_until(
    endpoint: str,
    container: str,
    pattern: re.Pattern[bytes],
    deadline: float,
    stop: threading.Event | None = None,
) -> bool | None:
    """True once ``pattern`` appears in the container's log (stdout and stderr, from the
    start); False when the log ends first (the container stopped), the engine refuses,
    ``deadline`` (a ``time.monotonic()`` value) passes or ``stop`` is set; None when
    ``endpoint`` is a transport this cannot stream from. OSError when the engine cannot be
    reached."""
    sock = _plain_socket(endpoint)
    if sock is None:
        return None
    try:
        path = f"/containers/{quote(container, safe='')}/logs?follow=1&stdout=1&stderr=1"
        # HTTP/1.0: the body is the raw stream until the engine closes it (no chunking).
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: engine\r\n\r\n".encode())
        buffer = b""
        head_done = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (stop is not None and stop.is_set()):
                return False
            sock.settimeout(min(remaining, _TICK))
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            if not data:
                return False
            buffer += data
            if not head_done:
                head, sep, rest = buffer.partition(b"\r\n\r\n")
                if not sep:
                    continue
                if b" 200 " not in head.split(b"\r\n", 1)[0] + b" ":
                    return False
                head_done, buffer = True, rest
            if pattern.search(buffer):
                return True
            buffer = buffer[-_KEEP:]
    finally:
        sock.close()
