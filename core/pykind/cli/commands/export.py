"""``kind export kubeconfig|logs``."""

from __future__ import annotations

from pathlib import Path
from tempfile import mkdtemp

import click

from pykind.cli.formats import go_quote
from pykind.cli.group import KindGroup
from pykind.cli.options import (
    CONTEXT_SETTINGS,
    global_options,
    kubeconfig_option,
    name_option,
    provider_option,
)
from pykind.cli.state import default_name, get_state


@click.group(cls=KindGroup, context_settings=CONTEXT_SETTINGS)
@global_options
def export() -> None:
    """Exports one of [kubeconfig, logs]"""


@export.command("kubeconfig", context_settings=CONTEXT_SETTINGS)
@name_option()
@kubeconfig_option
@click.option("--internal", is_flag=True, help="use internal address instead of external")
@provider_option
@global_options
def export_kubeconfig(
    name: str | None, kubeconfig: str | None, internal: bool, provider: str | None
) -> None:
    """Exports cluster kubeconfig"""
    state = get_state()
    state.setup()
    name = default_name(name)
    state.manager(provider).export_kubeconfig(name, internal=internal, kubeconfig=kubeconfig)
    state.info(f"Set kubectl context to {go_quote('kind-' + name)}")


@export.command("logs", context_settings=CONTEXT_SETTINGS)
@click.argument("output_dir", required=False, metavar="[OUTPUT-DIR]")
@name_option()
@provider_option
@global_options
def export_logs(output_dir: str | None, name: str | None, provider: str | None) -> None:
    """Exports logs to a tempdir or [output-dir] if specified"""
    from pykind.errors import ClusterNotFoundError

    state = get_state()
    state.setup()
    name = default_name(name)
    manager = state.manager(provider)
    if not manager.list_nodes(name):
        raise ClusterNotFoundError(f"unknown cluster {go_quote(name)}")
    dest = Path(output_dir) if output_dir else Path(mkdtemp(prefix="kind-logs-"))
    # The path is the command's output (stdout), for calling tools to capture.
    state.info(f"Exporting logs for cluster {go_quote(name)} to:")
    click.echo(str(dest))
    manager.collect_logs(name, dest)
