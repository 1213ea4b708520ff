"""Following a container's log until the boot line (pykind.runtime.engine_logs), against a
fake engine on a unix socket; and the provider's boot wait using it before polling."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pykind.runtime.engine import BOOT_PATTERN, EngineProvider
from pykind.runtime.engine_logs import follow_log_until

BOOT_LINE = b"[  OK  ] Reached target multi-user.target - Multi-User System.\r\n"


class LogServer:
    """Answers each connection with ``head`` then ``parts`` (with ``pause`` seconds between),
    then closes, or keeps the connection open when ``hold`` is set."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.head = b"HTTP/1.0 200 OK\r\nServer: fake\r\n\r\n"
        self.parts: list[bytes] = []
        self.pause = 0.0
        self.hold = False
        self.requests: list[bytes] = []
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(path)
        self._listener.listen(8)
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            self.requests.append(data)
            try:
                conn.sendall(self.head)
                for part in self.parts:
                    time.sleep(self.pause)
                    conn.sendall(part)
                if self.hold:
                    self._stop.wait(10)
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self._listener.close()


@pytest.fixture
def server() -> Iterator[LogServer]:
    with tempfile.TemporaryDirectory(prefix="pkl") as folder:
        srv = LogServer(os.path.join(folder, "engine.sock"))
        yield srv
        srv.close()


def soon(seconds: float = 5.0) -> float:
    return time.monotonic() + seconds


def test_finds_the_boot_line_even_split_across_reads(server: LogServer) -> None:
    server.parts = [b"INFO: starting\r\n", BOOT_LINE[:20], BOOT_LINE[20:]]
    server.pause = 0.05
    server.hold = True  # the engine keeps following: we must stop on the match
    started = time.monotonic()
    assert follow_log_until(server.url, "n1", BOOT_PATTERN, soon()) is True
    assert time.monotonic() - started < 4
    request = server.requests[0].decode()
    assert request.startswith("GET /containers/n1/logs?follow=1&stdout=1&stderr=1 HTTP/1.0")


def test_the_head_and_body_may_arrive_together(server: LogServer) -> None:
    server.head += b"some output\r\n" + BOOT_LINE
    assert follow_log_until(server.url, "n1", BOOT_PATTERN, soon()) is True


def test_log_end_without_the_line_is_false(server: LogServer) -> None:
    server.parts = [b"INFO: starting\r\n", b"exiting\r\n"]
    assert follow_log_until(server.url, "n1", BOOT_PATTERN, soon()) is False


def test_engine_errors_are_false(server: LogServer) -> None:
    server.head = b"HTTP/1.0 404 Not Found\r\n\r\n"
    server.parts = [b'{"message": "No such container: n1"}', BOOT_LINE]
    assert follow_log_until(server.url, "n1", BOOT_PATTERN, soon()) is False


def test_deadline_is_kept(server: LogServer) -> None:
    server.parts = [b"still booting\r\n"]
    server.hold = True
    started = time.monotonic()
    assert follow_log_until(server.url, "n1", BOOT_PATTERN, soon(0.5)) is False
    assert time.monotonic() - started < 3


def test_other_transports_are_not_streamed() -> None:
    assert follow_log_until("ssh://user@host", "n1", BOOT_PATTERN, soon()) is None


def test_missing_socket_raises_oserror(tmp_path: Any) -> None:
    with pytest.raises(OSError):
        follow_log_until(f"unix://{tmp_path}/absent.sock", "n1", BOOT_PATTERN, soon())


class _Provider(EngineProvider):
    """Just enough of a provider for wait_for_boot: the log and state come from attributes."""

    name = "fake"
    display_name = "Fake"

    def __init__(self, endpoint: str) -> None:
        super().__init__(endpoint=endpoint, boot_timeout=5)
        self.logs = b""
        self.polls = 0

    def container_logs(self, name: str) -> bytes:
        self.polls += 1
        return self.logs

    def _inspect(self, name: str) -> dict[str, Any]:
        return {"State": {"Status": "running"}}


def test_wait_for_boot_uses_the_stream(server: LogServer) -> None:
    server.parts = [BOOT_LINE]
    server.hold = True
    provider = _Provider(server.url)
    provider.wait_for_boot("n1")
    assert provider.polls == 0


def test_wait_for_boot_polls_when_the_stream_fails(tmp_path: Any) -> None:
    provider = _Provider(f"unix://{tmp_path}/absent.sock")
    provider.logs = BOOT_LINE
    provider.wait_for_boot("n1")
    assert provider.polls == 1


def test_stop_ends_the_wait(server: LogServer) -> None:
    server.parts = [b"still booting\r\n"]
    server.hold = True
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    assert follow_log_until(server.url, "n1", BOOT_PATTERN, soon(30), stop) is False
    assert time.monotonic() - started < 5
