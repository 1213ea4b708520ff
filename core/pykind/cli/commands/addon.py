"""``kind addon list|show|install|remove``: add-ons registered by plugins.

Listing and showing use the plugin manager; installing and removing call
:mod:`pykind.addons` (imported only then).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from pykind.cli.commands.create import parse_addon
from pykind.cli.errors import CommandError
from pykind.cli.formats import format_table, go_quote, to_json
from pykind.cli.group import KindGroup
from pykind.cli.options import (
    CONTEXT_SETTINGS,
    F,
    global_options,
    name_option,
    provider_option,
)
from pykind.cli.state import AppState, default_name, get_state

_output = click.option(
    "-o", "--output", type=click.Choice(["json"]), default=None, help="output format: json"
)


@click.group(cls=KindGroup, context_settings=CONTEXT_SETTINGS)
@global_options
def addon() -> None:
    """Lists, shows, installs and removes add-ons

    Add-ons come from plugins. Install them at creation time with
    `kind create cluster --addon NAME[:key=value,...]`, or later with `kind addon install`.
    """


def _spec(state: AppState, name: str) -> Any:
    from pykind.errors import AddonError

    specs = state.plugin_manager().addons()
    key = name.strip().lower()
    if key not in specs:
        available = ", ".join(sorted(specs)) or "none installed"
        raise AddonError(f"unknown add-on {go_quote(name)}; available: {available}")
    return specs[key]


@addon.command("list", context_settings=CONTEXT_SETTINGS)
@_output
@global_options
def addon_list(output: str | None) -> None:
    """Lists the add-ons plugins provide"""
    state = get_state()
    state.setup()
    specs = state.plugin_manager().addons()
    data = [{"name": n, "description": s.description} for n, s in sorted(specs.items())]
    if output == "json":
        click.echo(to_json(data))
    elif not data:
        state.info("No add-ons installed.")
    else:
        click.echo(
            format_table(["NAME", "DESCRIPTION"], [(d["name"], d["description"]) for d in data])
        )


def option_rows(schema: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(option, type, default, description) rows from a JSON schema."""
    required = set(schema.get("required", ()))
    rows = []
    for key, prop in schema.get("properties", {}).items():
        kind = prop.get("type") or " | ".join(
            str(p.get("type", "?")) for p in prop.get("anyOf", ())
        )
        if key in required:
            default = "(required)"
        elif "default" in prop:
            default = str(prop["default"])
        else:
            default = "-"
        rows.append((key, kind or "-", default, prop.get("description", "")))
    return rows


@addon.command("show", context_settings=CONTEXT_SETTINGS)
@click.argument("addon_name", metavar="NAME")
@_output
@global_options
def addon_show(addon_name: str, output: str | None) -> None:
    """Shows an add-on's description and options"""
    state = get_state()
    state.setup()
    spec = _spec(state, addon_name)
    schema = spec.options_model.model_json_schema()
    if output == "json":
        click.echo(to_json({"name": spec.name, "description": spec.description, "options": schema}))
        return
    click.echo(f"{spec.name}: {spec.description}" if spec.description else spec.name)
    rows = option_rows(schema)
    if rows:
        click.echo("")
        click.echo(format_table(["OPTION", "TYPE", "DEFAULT", "DESCRIPTION"], rows))
    else:
        click.echo("(no options)")


def _set_options(_: click.Context, __: click.Parameter, value: tuple[str, ...]) -> dict[str, str]:
    options: dict[str, str] = {}
    for item in value:
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not key=value")
        options[key.strip().replace("-", "_")] = val
    return options


def _change_options(set_help: str) -> Callable[[F], F]:
    """The arguments and options ``install`` and ``remove`` share; ``set_help`` documents
    their repeatable ``--set KEY=VALUE``."""

    def decorate(func: F) -> F:
        for decorator in reversed(
            (
                click.argument("addon_spec", metavar="NAME[:K=V,...]"),
                name_option(),
                click.option(
                    "--set",
                    "set_options",
                    multiple=True,
                    metavar="KEY=VALUE",
                    callback=_set_options,
                    help=set_help,
                ),
                provider_option,
                global_options,
            )
        ):
            func = decorator(func)
        return func

    return decorate


@addon.command("install", context_settings=CONTEXT_SETTINGS)
@_change_options("an add-on option (repeatable); `kind addon show NAME` lists them")
def addon_install(
    addon_spec: str, name: str | None, set_options: dict[str, str], provider: str | None
) -> None:
    """Installs an add-on into an existing cluster"""
    _change(addon_spec, name, set_options, provider, remove=False)


def _change(
    addon_spec: str,
    name: str | None,
    set_options: dict[str, str],
    provider: str | None,
    *,
    remove: bool,
) -> None:
    """The body of ``addon install`` (``remove=False``) and ``addon remove``."""
    from pykind.errors import PykindError

    state = get_state()
    state.setup()
    addon_name, options = parse_addon(addon_spec)
    options.update(set_options)
    cluster = default_name(name)
    manager = state.manager(provider)
    from pykind import addons as api

    action = api.remove_addon if remove else api.install_addon
    try:
        warnings = action(
            manager, cluster, addon_name, options, pm=state.plugin_manager(), status=state.status
        )
    except PykindError as exc:
        verb = "remove" if remove else "install"
        raise CommandError(f"failed to {verb} add-on {go_quote(addon_name)}", exc) from exc
    _finish(state, warnings)
    done = "removed from" if remove else "installed in"
    state.info(f"Add-on {go_quote(addon_name)} {done} cluster {go_quote(cluster)}.")


def _finish(state: AppState, warnings: Any) -> None:
    """Flush the status and print warnings the status did not show already."""
    state.status.flush()
    shown = set(state.status.shown_infos)
    for warning in warnings or ():
        if warning not in shown and f"WARNING: {warning}" not in shown:
            state.warn(str(warning))


@addon.command("remove", context_settings=CONTEXT_SETTINGS)
@_change_options("an option the add-on was installed with (repeatable)")
def addon_remove(
    addon_spec: str, name: str | None, set_options: dict[str, str], provider: str | None
) -> None:
    """Removes an add-on from a cluster (give the options it was installed with)"""
    _change(addon_spec, name, set_options, provider, remove=True)
