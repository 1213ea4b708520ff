"""The version line of ``kind version`` (no click here: the fast path prints it too)."""

from __future__ import annotations

import os
import sys

from pykind import __version__

_ARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "i386": "386",
    "i686": "386",
    "armv7l": "arm",
    "armv6l": "arm",
}
_OS = {"win32": "windows", "cygwin": "windows"}


def _machine() -> str:
    uname = getattr(os, "uname", None)
    if uname is not None:
        return str(uname().machine)
    import platform  # Windows: no os.uname

    return platform.machine()


def display_version() -> str:
    """Like upstream's ``kind v0.23.0 go1.22.2 linux/amd64``: ``pykind v0.1.0 python3.11.7
    linux/amd64``."""
    machine = _machine().lower()
    system = _OS.get(sys.platform, sys.platform)
    python = sys.version.split()[0]  # what platform.python_version() reports
    return f"pykind v{__version__} python{python} {system}/{_ARCH.get(machine, machine)}"
