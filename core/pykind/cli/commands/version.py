"""``kind version``."""

from __future__ import annotations

import click

from pykind import __version__
from pykind.cli.options import CONTEXT_SETTINGS, global_options
from pykind.cli.state import get_state
from pykind.cli.versioninfo import display_version

__all__ = ["display_version", "version"]


@click.command(context_settings=CONTEXT_SETTINGS)
@global_options
def version() -> None:
    """Prints the kind CLI version"""
    if get_state().quiet:
        click.echo(__version__)
    else:
        click.echo(display_version())
