"""``kind version``."""

from __future__ import annotations

import platform
import sys

import click

from pykind import __version__
from pykind.cli.options import CONTEXT_SETTINGS, global_options
from pykind.cli.state import get_state

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


def display_version() -> str:
    """Like upstream's ``kind v0.23.0 go1.22.2 linux/amd64``: ``pykind v0.1.0 python3.11.7
    linux/amd64``."""
    machine = platform.machine().lower()
    system = _OS.get(sys.platform, sys.platform)
    return (
        f"pykind v{__version__} python{platform.python_version()} "
        f"{system}/{_ARCH.get(machine, machine)}"
    )


@click.command(context_settings=CONTEXT_SETTINGS)
@global_options
def version() -> None:
    """Prints the kind CLI version"""
    if get_state().quiet:
        click.echo(__version__)
    else:
        click.echo(display_version())
