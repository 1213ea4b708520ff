"""``kind get clusters|nodes|kubeconfig``."""

from __future__ import annotations

import logging
from typing import Any

import click

from pykind.cli.formats import format_table, go_quote, to_json
from pykind.cli.group import KindGroup
from pykind.cli.options import CONTEXT_SETTINGS, global_options, name_option, provider_option
from pykind.cli.state import AppState, default_name, get_state

log = logging.getLogger(__name__)


@click.group(cls=KindGroup, context_settings=CONTEXT_SETTINGS)
@global_options
def get() -> None:
    """Gets one of [clusters, nodes, kubeconfig]"""


@get.command("clusters", context_settings=CONTEXT_SETTINGS)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["wide", "json"]),
    default=None,
    help="wide or json: list clusters of every engine with engine, node count and API "
    "endpoint (default: names only)",
)
@provider_option
@global_options
def get_clusters(output: str | None, provider: str | None) -> None:
    """Lists existing kind clusters by their name"""
    state = get_state()
    state.setup()
    if output is None:
        clusters = state.manager(provider).list_clusters()
        if not clusters:
            state.info("No kind clusters found.")
            return
        for name in clusters:
            click.echo(name)
        return
    rows = cluster_rows(state, provider)
    if output == "json":
        click.echo(to_json(rows))
    elif not rows:
        state.info("No kind clusters found.")
    else:
        table = [(r["name"], r["engine"], r["nodes"], r["endpoint"] or "-") for r in rows]
        click.echo(format_table(["NAME", "ENGINE", "NODES", "API ENDPOINT"], table))


def cluster_rows(state: AppState, provider: str | None) -> list[dict[str, Any]]:
    """Clusters of ``provider``, or of every installed provider whose engine answers."""
    from pykind.errors import PykindError

    if provider is not None:
        managers = [(provider, state.manager(provider))]
    else:
        managers = []
        specs = state.plugin_manager().node_providers()
        for spec in sorted(specs.values(), key=lambda s: (s.priority, s.name)):
            try:
                if not spec.is_available():
                    log.debug("provider %s is not available; skipped", spec.name)
                    continue
                managers.append((spec.name, state.manager(spec.name)))
            except PykindError as exc:
                state.warn(f"skipping {spec.name}: {exc}")
            except Exception as exc:  # a dead socket in an SDK must not hide the others
                log.debug("provider %s failed: %r", spec.name, exc)
    rows: list[dict[str, Any]] = []
    for engine, manager in managers:
        try:
            clusters = manager.list_clusters()
        except PykindError as exc:
            if provider is not None:
                raise
            state.warn(f"skipping {engine}: {exc}")
            continue
        for name in clusters:
            nodes = manager.list_nodes(name)
            try:
                endpoint = manager.provider.api_server_endpoint(name)
            except PykindError as exc:
                log.debug("no API endpoint for %s on %s: %s", name, engine, exc)
                endpoint = ""
            rows.append({"name": name, "engine": engine, "nodes": len(nodes), "endpoint": endpoint})
    return rows


@get.command("nodes", context_settings=CONTEXT_SETTINGS)
@name_option()
@click.option(
    "-A",
    "--all-clusters",
    is_flag=True,
    help="If present, list all the available nodes across all cluster contexts. "
    "Current context is ignored even if specified with --name.",
)
@click.option(
    "-o", "--output", type=click.Choice(["json"]), default=None, help="output format: json"
)
@provider_option
@global_options
def get_nodes(
    name: str | None, all_clusters: bool, output: str | None, provider: str | None
) -> None:
    """Lists existing kind nodes by their name"""
    state = get_state()
    state.setup()
    name = default_name(name)
    manager = state.manager(provider)
    clusters = manager.list_clusters() if all_clusters else [name]
    nodes = [(cluster, node) for cluster in clusters for node in manager.list_nodes(cluster)]
    if output == "json":
        data = [{"name": n.name, "role": n.role, "cluster": c} for c, n in nodes]
        click.echo(to_json(data))
        return
    if not nodes:
        if all_clusters:
            state.info("No kind nodes for any cluster.")
        else:
            state.info(f"No kind nodes found for cluster {go_quote(name)}.")
        return
    for _, node in nodes:
        click.echo(node.name)


@get.command("kubeconfig", context_settings=CONTEXT_SETTINGS)
@name_option()
@click.option("--internal", is_flag=True, help="use internal address instead of external")
@provider_option
@global_options
def get_kubeconfig(name: str | None, internal: bool, provider: str | None) -> None:
    """Prints cluster kubeconfig"""
    state = get_state()
    state.setup()
    text = state.manager(provider).kubeconfig(default_name(name), internal=internal)
    click.echo(text)
