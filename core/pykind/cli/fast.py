"""Fast paths for ``kind version`` and ``kind get clusters`` (scripts and prompts run them often).

A plain ``kind get clusters`` would import click, pluggy, pydantic and an engine SDK and scan
every installed distribution for entry points: several hundred milliseconds for one API call.
Here the same answer comes from one ``GET /containers/json`` written by hand to the engine's
unix socket, with only ``socket`` and ``json`` imported.

A fast path runs only when nothing could make the full CLI behave differently:

- the arguments are exactly ``version`` / ``--version`` / ``get clusters``, optionally with
  ``-q``/``--quiet`` (and ``--provider NAME`` for ``get clusters``);
- no ``pykind`` entry point comes from a distribution other than pykind itself (a third-party
  plugin might add a node provider), and ``PYKIND_DISABLE_PLUGINS``/``PYKIND_TRACE_PLUGINS``
  are unset;
- the provider is docker or podman with a ``unix://`` endpoint, and the engine answers 200.

Anything else (including every error) returns None and the full CLI handles the invocation,
so output, messages and exit codes are the full CLI's. ``PYKIND_NO_FAST_PATH=1`` turns the
fast paths off.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

DISABLE_ENV = "PYKIND_NO_FAST_PATH"
PROVIDER_ENV = "KIND_EXPERIMENTAL_PROVIDER"
CLUSTER_LABEL = "io.x-k8s.kind.cluster"
#: The entry-point group plugins register in, and the distribution whose entry points are ours.
GROUP = "pykind"
OWN_DISTRIBUTION = "pykind"
#: Built-in node providers, by auto-detection priority (as their plugins register them).
PROVIDERS = ("docker", "podman")
#: ``GET /containers/json?all=1&filters={"label":["io.x-k8s.kind.cluster"]}`` (Docker API;
#: Podman serves it too), i.e. ``docker ps -a --filter label=io.x-k8s.kind.cluster``.
LIST_PATH = "/containers/json?all=1&filters=%7B%22label%22%3A%5B%22io.x-k8s.kind.cluster%22%5D%7D"
#: Seconds to wait for the engine before leaving the request to the full CLI.
REQUEST_TIMEOUT = 30.0
_QUIET = ("-q", "--quiet")


class _Unreachable(Exception):
    """The engine's socket is absent or refuses connections (the provider is not available)."""


def run_fast(argv: Sequence[str]) -> int | None:
    """Handle ``argv`` on a fast path and return the exit code, or None when the full CLI
    must handle it (nothing has been printed then)."""
    if os.environ.get(DISABLE_ENV):
        return None
    args = list(argv)
    if args == ["--version"]:
        return _version(quiet=False)
    quiet = any(a in _QUIET for a in args)
    rest = [a for a in args if a not in _QUIET]
    if rest == ["version"]:
        return _version(quiet=quiet)
    if rest[:2] != ["get", "clusters"]:
        return None
    provider: str | None = None
    options = rest[2:]
    if len(options) == 2 and options[0] == "--provider":
        provider = options[1]
    elif len(options) == 1 and options[0].startswith("--provider="):
        provider = options[0].split("=", 1)[1]
    elif options:
        return None
    return _get_clusters(provider, quiet=quiet)


# ---------------------------------------------------------------- version
def _version(*, quiet: bool) -> int:
    from pykind import __version__

    if quiet:
        sys.stdout.write(__version__ + "\n")
    else:
        from pykind.cli.versioninfo import display_version

        sys.stdout.write(display_version() + "\n")
    return 0


# ---------------------------------------------------------------- get clusters
def _get_clusters(flag: str | None, *, quiet: bool) -> int | None:
    if os.environ.get("PYKIND_DISABLE_PLUGINS") or os.environ.get("PYKIND_TRACE_PLUGINS"):
        return None
    if foreign_plugins():
        return None
    env_choice = os.environ.get(PROVIDER_ENV) or None
    choice = flag or env_choice
    clusters: list[str] | None
    try:
        if choice:
            name = choice.strip().lower()
            if name not in PROVIDERS:
                return None
            clusters = list_clusters(_endpoint(name))
        else:
            clusters = _auto_detect()
    except Exception:
        return None
    if clusters is None:
        return None
    lines = []
    if flag is None and env_choice and not quiet:
        lines.append(f"using {env_choice} due to {PROVIDER_ENV}")
    if not clusters and not quiet:
        lines.append("No kind clusters found.")
    _write_stderr(lines)
    try:
        if clusters:
            sys.stdout.write("\n".join(clusters) + "\n")
            sys.stdout.flush()
    except BrokenPipeError:  # `kind get clusters | head -1`: like the full CLI
        _silence_stdout()
        return 1
    return 0


def _auto_detect() -> list[str] | None:
    """Clusters of the first provider whose engine answers, by priority; None when none does
    (the full CLI then reports the problem)."""
    for name in PROVIDERS:
        try:
            return list_clusters(_endpoint(name))
        except _Unreachable:
            continue
    return None


def _endpoint(provider: str) -> str:
    if provider == "docker":
        from pykind_docker.endpoint import default_endpoint
    else:
        from pykind_podman.endpoint import default_endpoint
    return default_endpoint()


def list_clusters(endpoint: str) -> list[str]:
    """Sorted names of the clusters whose containers exist at the ``unix://`` ``endpoint``.

    Raises _Unreachable when nothing listens there, ValueError for other endpoints and any
    other exception for an unexpected answer."""
    import json

    status, body = http_get(endpoint, LIST_PATH)
    if status != 200:
        raise ValueError(f"engine answered {status}")
    names = set()
    for container in json.loads(body):
        value = (container.get("Labels") or {}).get(CLUSTER_LABEL)
        if value:
            names.add(str(value))
    return sorted(names)


def http_get(endpoint: str, path: str, timeout: float = REQUEST_TIMEOUT) -> tuple[int, bytes]:
    """(status, body) of an HTTP/1.0 ``GET path`` on a ``unix://`` endpoint."""
    import socket

    if not endpoint.startswith("unix://"):
        raise ValueError(f"not a unix socket endpoint: {endpoint}")
    address = endpoint[len("unix://") :]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise _Unreachable(str(exc)) from exc
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: engine\r\n\r\n".encode())
        parts = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            parts.append(data)
    finally:
        sock.close()
    return parse_response(b"".join(parts))


def parse_response(raw: bytes) -> tuple[int, bytes]:
    """(status, body) of a complete HTTP/1.x response (identity or chunked body)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError("incomplete HTTP response")
    lines = head.split(b"\r\n")
    status_parts = lines[0].split(b" ", 2)
    if len(status_parts) < 2 or not lines[0].startswith(b"HTTP/1."):
        raise ValueError("not an HTTP response")
    status = int(status_parts[1])
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(b":")
        headers[key.strip().lower()] = value.strip().lower()
    if headers.get(b"transfer-encoding") == b"chunked":
        body = _dechunk(body)
    return status, body


def _dechunk(data: bytes) -> bytes:
    out: list[bytes] = []
    while True:
        size_line, sep, data = data.partition(b"\r\n")
        if not sep:
            raise ValueError("truncated chunked body")
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            return b"".join(out)
        if len(data) < size + 2:
            raise ValueError("truncated chunked body")
        out.append(data[:size])
        data = data[size + 2 :]


# ---------------------------------------------------------------- plugins
def foreign_plugins(paths: Sequence[str] | None = None) -> bool:
    """True when a distribution other than pykind may register ``pykind`` entry points, or
    when that cannot be ruled out cheaply (zip or egg entries on the path).

    Reads the ``entry_points.txt`` of the ``*.dist-info``/``*.egg-info`` folders on the path
    directly (what importlib.metadata would find), without importing importlib.metadata.
    """
    for entry in sys.path if paths is None else paths:
        folder = entry or "."
        try:
            names = os.listdir(folder)
        except NotADirectoryError:
            return True  # a zip archive on the path
        except OSError:
            continue
        for name in names:
            if name.endswith(".egg"):
                return True
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            project = name.rsplit(".", 1)[0].split("-", 1)[0]
            if _normalize(project) == OWN_DISTRIBUTION:
                continue
            if _declares_group(os.path.join(folder, name, "entry_points.txt")):
                return True
    return False


def _normalize(project: str) -> str:
    return project.lower().replace("_", "-").replace(".", "-")


def _declares_group(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return any(line.strip() == f"[{GROUP}]" for line in handle)
    except OSError:
        return False


# ---------------------------------------------------------------- output
def _write_stderr(lines: list[str]) -> None:
    if not lines:
        return
    try:
        sys.stderr.write("".join(line + "\n" for line in lines))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
