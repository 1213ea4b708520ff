"""Where the Docker Engine API is: ``DOCKER_HOST``, else the default unix socket."""

from __future__ import annotations

import os

DEFAULT_SOCKET = "unix:///var/run/docker.sock"


def default_endpoint() -> str:
    return os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET
