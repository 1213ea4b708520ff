"""``docker exec --privileged -i`` over an engine API, with stdin streamed in chunks.

Works with any client that offers the Docker Engine API's low-level exec calls the way the
``docker`` SDK's ``APIClient`` does (``exec_create``, ``exec_start(socket=True)``,
``exec_inspect``). Docker is used directly; Podman through its Docker-compatible API.

Standard input is written from a helper thread while the main thread reads the multiplexed
output, so neither side can stall the other and nothing is buffered whole in memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO
from urllib.parse import urlparse

from pykind.errors import ProviderError
from pykind.runtime.protocols import Stdin

CHUNK = 256 * 1024
_STDOUT = 1
_STDERR = 2


def iter_stdin(stdin: Stdin) -> Iterator[bytes]:
    """Chunks of ``stdin``: bytes are sliced, files read piecewise, iterables passed through."""
    if isinstance(stdin, bytes | bytearray | memoryview):
        view = memoryview(stdin)
        for start in range(0, len(view), CHUNK):
            yield bytes(view[start : start + CHUNK])
        return
    read = getattr(stdin, "read", None)
    if callable(read):
        while True:
            chunk = read(CHUNK)
            if not chunk:
                return
            yield bytes(chunk)
    for chunk in stdin:
        if chunk:
            yield bytes(chunk)


def _raw_socket(hijacked: Any) -> socket.socket:
    """The OS socket under what ``exec_start(socket=True)`` returns (a ``SocketIO`` on unix)."""
    sock = getattr(hijacked, "_sock", hijacked)
    if not isinstance(sock, socket.socket):  # pragma: no cover - exotic transports (npipe/ssh)
        raise TypeError(f"unsupported exec transport: {type(hijacked).__name__}")
    return sock


class _Conn:
    """A hijacked connection: the socket plus bytes already read past the HTTP headers."""

    def __init__(self, sock: socket.socket, pending: bytes = b"") -> None:
        self.sock = sock
        self.pending = pending

    def recv(self, size: int) -> bytes:
        """Up to ``size`` bytes; b"" at end of stream. A reset counts as the end: engines
        reset the connection when the command exits with stdin still being written."""
        if self.pending:
            data, self.pending = self.pending[:size], self.pending[size:]
            return data
        try:
            return self.sock.recv(size)
        except ConnectionResetError:
            return b""


def _plain_socket(endpoint: str | None) -> socket.socket | None:
    """A new connection to ``endpoint`` when it is a unix socket or plain-HTTP TCP; None for
    transports left to the SDK (TLS, ssh, named pipes)."""
    if not endpoint:
        return None
    url = urlparse(endpoint)
    if url.scheme in ("unix", "http+unix"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(url.path)
        return sock
    tls = os.environ.get("DOCKER_TLS_VERIFY") or os.environ.get("DOCKER_CERT_PATH")
    if url.scheme in ("tcp", "http") and not tls and url.hostname:
        return socket.create_connection((url.hostname, url.port or 2375))
    return None


def _start_hijacked(api: Any, exec_id: str, endpoint: str | None) -> tuple[_Conn, Any]:
    """Start the exec with ``Upgrade: tcp`` and take over the connection.

    On unix and plain TCP endpoints the request is written by hand, so bytes the engine sends
    right after its response headers cannot be lost in an HTTP library's read buffer.
    """
    sock = _plain_socket(endpoint)
    if sock is None:
        hijacked = api.exec_start(exec_id, socket=True, tty=False)
        return _Conn(_raw_socket(hijacked)), hijacked
    try:
        path = urlparse(api._url("/exec/{0}/start", exec_id)).path
        body = json.dumps({"Detach": False, "Tty": False}).encode()
        request = (
            f"POST {path} HTTP/1.1\r\nHost: engine\r\nContent-Type: application/json\r\n"
            f"Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        sock.sendall(request + body)
        head = b""
        while b"\r\n\r\n" not in head:
            data = sock.recv(4096)
            if not data:
                raise ProviderError("the engine closed the exec connection before answering")
            head += data
        head, rest = head.split(b"\r\n\r\n", 1)
        status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = status_line.split(" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        if status not in (101, 200):
            message = _error_body(sock, head, rest)
            raise ProviderError(f"starting the command failed ({status_line}): {message}")
    except BaseException:
        sock.close()
        raise
    return _Conn(sock, rest), None


def _error_body(sock: socket.socket, head: bytes, rest: bytes) -> str:
    length = 0
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length" and value.strip().isdigit():
            length = int(value.strip())
    while len(rest) < min(length, 65536):
        data = sock.recv(4096)
        if not data:
            break
        rest += data
    text = rest.decode("utf-8", "replace").strip()
    with contextlib.suppress(ValueError):
        doc = json.loads(text)
        if isinstance(doc, dict):
            text = str(doc.get("message") or doc.get("cause") or text)
    return text


def _recv_exact(sock: _Conn, size: int) -> bytes | None:
    parts = []
    while size:
        data = sock.recv(min(size, CHUNK))
        if not data:
            return None
        parts.append(data)
        size -= len(data)
    return b"".join(parts)


def _frames(sock: _Conn) -> Iterator[tuple[int, bytes]]:
    """(stream id, payload) frames of a non-tty attach stream until EOF."""
    while True:
        header = _recv_exact(sock, 8)
        if header is None:
            return
        stream, size = struct.unpack(">BxxxL", header)
        while size:
            data = sock.recv(min(size, CHUNK))
            if not data:
                return
            size -= len(data)
            yield stream, data


class _Feeder(threading.Thread):
    """Writes stdin chunks to the exec socket, then half-closes it (stdin EOF)."""

    def __init__(self, sock: socket.socket, chunks: Iterable[bytes]) -> None:
        super().__init__(name="pykind-exec-stdin", daemon=True)
        self.sock = sock
        self.chunks = chunks
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for chunk in self.chunks:
                try:
                    self.sock.sendall(chunk)
                except OSError:
                    # The command exited (or the engine hung up) before reading everything,
                    # which `docker exec -i` tolerates too; the exit code tells the story.
                    return
        except BaseException as exc:  # an error from the caller's stdin: re-raised later
            self.error = exc
        finally:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_WR)


def exec_stream(
    api: Any,
    container: str,
    argv: Sequence[str],
    *,
    stdin: Stdin | None,
    env: Mapping[str, str] | None,
    stdout: BinaryIO | None,
    endpoint: str | None = None,
    poll_interval: float = 0.05,
) -> tuple[int, bytes, bytes]:
    """Run ``argv`` in ``container``; return (exit code, stdout, stderr).

    ``endpoint`` is the engine URL ``api`` talks to; unix and plain TCP endpoints are
    hijacked directly (see :func:`_start_hijacked`). When ``stdout`` is given, standard output
    is written there as it arrives and the returned stdout is empty. SDK exceptions propagate
    for the caller to translate.
    """
    environment = [f"{k}={v}" for k, v in (env or {}).items()] or None
    created = api.exec_create(
        container,
        list(argv),
        stdout=True,
        stderr=True,
        stdin=stdin is not None,
        tty=False,
        privileged=True,
        environment=environment,
    )
    exec_id = created["Id"] if isinstance(created, dict) else str(created)
    conn, hijacked = _start_hijacked(api, exec_id, endpoint)
    sock = conn.sock
    sock.settimeout(None)  # long silent commands must not hit the client's request timeout
    feeder = None
    if stdin is not None:
        feeder = _Feeder(sock, iter_stdin(stdin))
        feeder.start()
    out: list[bytes] = []
    err: list[bytes] = []
    try:
        for stream, data in _frames(conn):
            if stream == _STDERR:
                err.append(data)
            elif stdout is not None:
                stdout.write(data)
            else:
                out.append(data)
    finally:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        if feeder is not None:
            feeder.join()
        sock.close()
        close = getattr(hijacked, "close", None)
        if hijacked is not None and callable(close):
            close()
    if feeder is not None and feeder.error is not None:
        raise feeder.error
    return _exit_code(api, exec_id, poll_interval), b"".join(out), b"".join(err)


def _exit_code(api: Any, exec_id: str, poll_interval: float) -> int:
    """The exec's exit code; engines may report it a moment after the stream closes."""
    deadline = time.monotonic() + 30
    while True:
        state = api.exec_inspect(exec_id)
        code = state.get("ExitCode")
        if not state.get("Running") and code is not None:
            return int(code)
        if time.monotonic() > deadline:
            return int(code) if code is not None else -1
        time.sleep(poll_interval)
