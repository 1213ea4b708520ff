"""Where the Podman API service is: ``CONTAINER_HOST``, else the root or rootless socket."""

from __future__ import annotations

import os

ROOT_SOCKET = "unix:///run/podman/podman.sock"


def default_endpoint() -> str:
    host = os.environ.get("CONTAINER_HOST")
    if host:
        return host
    if os.geteuid() == 0:
        return ROOT_SOCKET
    runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    return f"unix://{runtime}/podman/podman.sock"
