"""``docker exec --privileged -i`` over an engine API, with stdin streamed in chunks.

Works with any client that offers the Docker Engine API's low-level exec calls the way the
``docker`` SDK's ``APIClient`` does (``exec_create``, ``exec_start(socket=True)``,
``exec_inspect``). Docker is used directly; Podman through its Docker-compatible API.

Standard input is written from a helper thread while the main thread reads the multiplexed
output, so neither side can stall the other and nothing is buffered whole in memory.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO

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


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    parts = []
    while size:
        data = sock.recv(min(size, CHUNK))
        if not data:
            return None
        parts.append(data)
        size -= len(data)
    return b"".join(parts)


def _frames(sock: socket.socket) -> Iterator[tuple[int, bytes]]:
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
    poll_interval: float = 0.05,
) -> tuple[int, bytes, bytes]:
    """Run ``argv`` in ``container``; return (exit code, stdout, stderr).

    When ``stdout`` is given, standard output is written there as it arrives and the returned
    stdout is empty. SDK exceptions propagate for the caller to translate.
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
    hijacked = api.exec_start(exec_id, socket=True, tty=False)
    sock = _raw_socket(hijacked)
    sock.settimeout(None)  # long silent commands must not hit the client's request timeout
    feeder = None
    if stdin is not None:
        feeder = _Feeder(sock, iter_stdin(stdin))
        feeder.start()
    out: list[bytes] = []
    err: list[bytes] = []
    try:
        for stream, data in _frames(sock):
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
        if callable(close):
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
