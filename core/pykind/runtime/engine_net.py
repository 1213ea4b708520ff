"""Host-side helpers shared by the container engine providers (no engine SDK imported here).

Upstream facts kept here: the IPv6 ULA subnet kind derives from the network name, how a free
host port is picked for ``hostPort: 0``, and a cheap "is the engine socket answering" probe.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import os
import socket
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

from pykind.errors import ProviderError

#: Seconds a network lock is waited for before giving up.
NETWORK_LOCK_TIMEOUT = 120.0


def ula_subnet(name: str, attempt: int = 0) -> str:
    """The IPv6 /64 upstream kind gives the network ``name`` on probing ``attempt``.

    Bytes 0-1 are ``fc00``; bytes 2-7 come from SHA-1 over the name followed by the attempt
    number as a little-endian int32 (upstream's ``generateULASubnetFromName``).
    """
    digest = hashlib.sha1(name.encode() + struct.pack("<i", attempt)).digest()
    raw = bytes([0xFC, 0x00]) + digest[2:8] + bytes(8)
    return str(ipaddress.IPv6Network((raw, 64)))


def join_host_port(host: str, port: int | str) -> str:
    """``host:port``, with IPv6 hosts bracketed (Go's ``net.JoinHostPort``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def free_port(listen_address: str) -> int:
    """A free TCP port on ``listen_address``, picked like upstream: listen on port 0, read the
    port the kernel chose, close the listener."""
    family = socket.AF_INET6 if ":" in listen_address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.bind((listen_address, 0))
            sock.listen(1)
            return int(sock.getsockname()[1])
    except OSError as exc:
        raise ProviderError(
            f"cannot pick a free host port on {listen_address!r}: {exc.strerror or exc}"
        ) from exc


@contextlib.contextmanager
def network_lock(engine: str, endpoint: str, network: str) -> Iterator[None]:
    """A host-wide lock around creating ``network`` on one engine endpoint.

    Docker accepts duplicate network names; this lock (plus upstream's re-check and duplicate
    clean-up) keeps concurrent ``create cluster`` runs on this host from making two.
    """
    from filelock import FileLock, Timeout

    key = hashlib.sha256(f"{engine}\0{endpoint}\0{network}".encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"pykind-network-{key}.lock"
    lock = FileLock(str(path), timeout=NETWORK_LOCK_TIMEOUT, mode=0o666)
    try:
        with lock:
            yield
    except Timeout as exc:
        raise ProviderError(
            f"timed out waiting for the lock on network {network!r} ({path}); "
            "is another cluster creation stuck?"
        ) from exc


def ping(url: str, timeout: float = 1.0) -> bool:
    """True when an engine API answers ``GET /_ping`` at ``url`` within ``timeout`` seconds.

    Supports ``unix://`` and ``tcp://``/``http://`` URLs; for TLS and ssh endpoints only
    reachability of the host port is checked (the SDK does the real handshake later).
    """
    parsed = urlparse(url)
    try:
        if parsed.scheme in ("unix", "http+unix", ""):
            path = parsed.path or url
            if not os.path.exists(path):
                return False
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(path)
        elif parsed.scheme in ("tcp", "http", "https", "ssh"):
            default_port = {"ssh": 22, "https": 2376}.get(parsed.scheme, 2375)
            sock = socket.create_connection(
                (parsed.hostname or "localhost", parsed.port or default_port), timeout=timeout
            )
            if parsed.scheme in ("https", "ssh"):
                sock.close()
                return True
        else:
            return False
    except OSError:
        return False
    try:
        sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: engine\r\n\r\n")
        head = sock.recv(64)
    except OSError:
        return False
    finally:
        sock.close()
    return head.startswith(b"HTTP/1.") and b" 200 " in head
