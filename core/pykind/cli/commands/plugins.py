"""``kind plugins``: every plugin with its version, distribution and hooks."""

from __future__ import annotations

import click

from pykind.cli.formats import format_table, to_json
from pykind.cli.options import CONTEXT_SETTINGS, global_options
from pykind.cli.state import get_state


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "-o", "--output", type=click.Choice(["json"]), default=None, help="output format: json"
)
@global_options
def plugins(output: str | None) -> None:
    """Lists installed plugins and their hooks

    Built-in plugins, plugins found through the `pykind` entry-point group, and entry
    points that failed to load. Disable one with --disable-plugin NAME or
    PYKIND_DISABLE_PLUGINS=a,b.
    """
    state = get_state()
    state.setup()
    pm = state.plugin_manager()
    infos = [dict(info) for info in pm.plugin_infos()]
    for info in infos:
        info["name"] = str(info["name"])
        info["status"] = "loaded"
    for name, error in sorted(pm.failed.items()):
        infos.append(
            {
                "name": name,
                "version": "",
                "distribution": "",
                "hooks": [],
                "status": "failed",
                "error": error,
            }
        )
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: str(item[0])):
        if plugin is None:  # blocked with --disable-plugin / PYKIND_DISABLE_PLUGINS
            infos.append(
                {"name": name, "version": "", "distribution": "", "hooks": [], "status": "disabled"}
            )
    if output == "json":
        click.echo(to_json(infos))
        return
    rows = []
    for info in infos:
        if info["status"] == "loaded":
            hooks = ", ".join(info["hooks"]) or "-"
        elif info["status"] == "failed":
            hooks = f"failed to load: {info['error']}"
        else:
            hooks = "disabled"
        rows.append((info["name"], info["version"] or "-", info["distribution"] or "-", hooks))
    click.echo(format_table(["NAME", "VERSION", "DISTRIBUTION", "HOOKS"], rows))
