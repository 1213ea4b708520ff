"""Streaming exec (pykind.runtime.engine_exec) against a fake engine on a unix socket."""

from __future__ import annotations

import hashlib
import io
import json
import socket
import struct
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pykind.errors import ProviderError
from pykind.runtime.engine_exec import CHUNK, exec_stream, iter_stdin


def frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(data)) + data


class FakeEngine:
    """Answers one hijacked ``POST /exec/<id>/start`` per connection on a unix socket.

    The handler gets the connected socket (after the 101 response was sent, with ``early``
    bytes glued to the headers) and plays the command.
    """

    def __init__(
        self,
        handler: Callable[[socket.socket], None],
        *,
        status: str = "101 UPGRADED",
        early: bytes = b"",
        body: bytes = b"",
    ) -> None:
        self.dir = tempfile.mkdtemp(prefix="pykind-fake-engine-")
        self.path = str(Path(self.dir) / "engine.sock")
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(4)
        self.handler = handler
        self.status = status
        self.early = early
        self.body = body
        self.requests: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"unix://{self.path}"

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(1)
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = b""
            while len(body) < length:
                body += conn.recv(length - len(body))
            self.requests.append(head + body)
            extra = f"Content-Length: {len(self.body)}\r\n" if self.body else ""
            conn.sendall(
                f"HTTP/1.1 {self.status}\r\nContent-Type: application/vnd.docker.multiplexed"
                f"-stream\r\n{extra}\r\n".encode()
                + self.body
                + self.early
            )
            if self.status.startswith("101"):
                self.handler(conn)

    def close(self) -> None:
        self.server.close()


class FakeAPI:
    """The docker SDK's low-level exec calls, recorded."""

    def __init__(self, exit_code: int = 0) -> None:
        self.exit_code = exit_code
        self.created: list[dict[str, Any]] = []
        self.inspects = 0

    def exec_create(self, container: str, cmd: list[str], **kwargs: Any) -> dict[str, str]:
        self.created.append({"container": container, "cmd": cmd, **kwargs})
        return {"Id": "exec123"}

    def _url(self, template: str, *args: str) -> str:
        return "http+docker://localhost/v1.41" + template.format(*args)

    def exec_inspect(self, exec_id: str) -> dict[str, Any]:
        self.inspects += 1
        if self.inspects < 3:
            return {"Running": True, "ExitCode": None}  # engines may lag behind the stream
        return {"Running": False, "ExitCode": self.exit_code}


def hashing_handler(conn: socket.socket) -> None:
    """Reads stdin to EOF, answers the sha256 on stdout and the size on stderr."""
    digest = hashlib.sha256()
    size = 0
    while True:
        data = conn.recv(65536)
        if not data:
            break
        digest.update(data)
        size += len(data)
    conn.sendall(frame(1, digest.hexdigest().encode()) + frame(2, str(size).encode()))


@pytest.fixture
def engines() -> Iterator[list[FakeEngine]]:
    made: list[FakeEngine] = []
    yield made
    for engine in made:
        engine.close()


def start(
    engines: list[FakeEngine], handler: Callable[[socket.socket], None], **kwargs: Any
) -> FakeEngine:
    engine = FakeEngine(handler, **kwargs)
    engines.append(engine)
    return engine


def test_streams_a_large_stdin_and_demuxes(engines: list[FakeEngine]) -> None:
    engine = start(engines, hashing_handler, early=frame(1, b"early:"))
    api = FakeAPI(exit_code=7)
    chunks = [bytes([i]) * 1_000_003 for i in range(20)]  # ~20 MB, odd-sized chunks
    code, out, err = exec_stream(
        api,
        "node1",
        ["sha256sum"],
        stdin=iter(chunks),
        env={"A": "1"},
        stdout=None,
        endpoint=engine.endpoint,
        poll_interval=0.001,
    )
    assert code == 7
    assert out == b"early:" + hashlib.sha256(b"".join(chunks)).hexdigest().encode()
    assert err == str(sum(map(len, chunks))).encode()
    (created,) = api.created
    assert created["container"] == "node1" and created["cmd"] == ["sha256sum"]
    assert created["privileged"] is True and created["stdin"] is True
    assert created["tty"] is False and created["environment"] == ["A=1"]
    request = engine.requests[0]
    assert request.startswith(b"POST /v1.41/exec/exec123/start HTTP/1.1\r\n")
    assert b"Upgrade: tcp" in request
    assert json.loads(request.split(b"\r\n\r\n", 1)[1]) == {"Detach": False, "Tty": False}


def test_without_stdin_nothing_is_attached(engines: list[FakeEngine]) -> None:
    def handler(conn: socket.socket) -> None:
        conn.sendall(frame(1, b"out\n") + frame(2, b"err\n"))

    engine = start(engines, handler)
    api = FakeAPI()
    result = exec_stream(
        api,
        "n",
        ["true"],
        stdin=None,
        env=None,
        stdout=None,
        endpoint=engine.endpoint,
        poll_interval=0.001,
    )
    assert result == (0, b"out\n", b"err\n")
    assert api.created[0]["stdin"] is False and api.created[0]["environment"] is None


def test_stdout_goes_to_a_file_when_given(engines: list[FakeEngine]) -> None:
    def handler(conn: socket.socket) -> None:
        for i in range(100):
            conn.sendall(frame(1, bytes([i]) * 10000))

    engine = start(engines, handler)
    sink = io.BytesIO()
    code, out, _ = exec_stream(
        FakeAPI(),
        "n",
        ["cat"],
        stdin=None,
        env=None,
        stdout=sink,
        endpoint=engine.endpoint,
        poll_interval=0.001,
    )
    assert (code, out) == (0, b"")
    assert sink.getvalue() == b"".join(bytes([i]) * 10000 for i in range(100))


def test_command_exiting_early_does_not_hang_or_fail(engines: list[FakeEngine]) -> None:
    def handler(conn: socket.socket) -> None:
        conn.recv(10)
        conn.sendall(frame(1, b"bye"))
        conn.close()  # stops reading while the client still writes

    engine = start(engines, handler)
    endless = (b"x" * CHUNK for _ in range(10_000))  # 2.5 GB if it were all sent
    code, out, _ = exec_stream(
        FakeAPI(),
        "n",
        ["head", "-c1"],
        stdin=endless,
        env=None,
        stdout=None,
        endpoint=engine.endpoint,
        poll_interval=0.001,
    )
    assert (code, out) == (0, b"bye")


def test_errors_in_the_callers_stdin_are_raised(engines: list[FakeEngine]) -> None:
    engine = start(engines, hashing_handler)

    def broken() -> Iterator[bytes]:
        yield b"abc"
        raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        exec_stream(
            FakeAPI(),
            "n",
            ["cat"],
            stdin=broken(),
            env=None,
            stdout=None,
            endpoint=engine.endpoint,
            poll_interval=0.001,
        )


def test_engine_refusing_the_exec_is_a_provider_error(engines: list[FakeEngine]) -> None:
    body = json.dumps({"message": "container abc is not running"}).encode()
    engine = start(engines, hashing_handler, status="409 Conflict", body=body)
    with pytest.raises(ProviderError, match=r"409 Conflict.*container abc is not running"):
        exec_stream(
            FakeAPI(),
            "n",
            ["true"],
            stdin=None,
            env=None,
            stdout=None,
            endpoint=engine.endpoint,
            poll_interval=0.001,
        )


def test_sdk_socket_path_for_other_transports() -> None:
    """Without a unix/tcp endpoint the SDK's hijacked socket is used."""
    ours, theirs = socket.socketpair()

    class SocketAPI(FakeAPI):
        def exec_start(self, exec_id: str, socket: bool, tty: bool) -> Any:
            assert socket and not tty
            return ours

    def play() -> None:
        hashing_handler(theirs)
        theirs.close()

    threading.Thread(target=play, daemon=True).start()
    code, out, err = exec_stream(
        SocketAPI(),
        "n",
        ["x"],
        stdin=b"hello",
        env=None,
        stdout=None,
        endpoint=None,
        poll_interval=0.001,
    )
    assert (code, out, err) == (0, hashlib.sha256(b"hello").hexdigest().encode(), b"5")


def test_iter_stdin_shapes(tmp_path: Path) -> None:
    data = bytes(range(256)) * 4000  # 1 MB
    assert b"".join(iter_stdin(data)) == data
    assert max(len(c) for c in iter_stdin(data)) <= CHUNK
    path = tmp_path / "f"
    path.write_bytes(data)
    with path.open("rb") as f:
        assert b"".join(iter_stdin(f)) == data
    assert list(iter_stdin([b"a", b"", b"b"])) == [b"a", b"b"]
    assert list(iter_stdin(b"")) == []
