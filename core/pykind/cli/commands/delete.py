"""``kind delete cluster`` and ``kind delete clusters``."""

from __future__ import annotations

import click

from pykind.cli.errors import CommandError
from pykind.cli.formats import go_quote, go_quote_list
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
def delete() -> None:
    """Deletes one of [cluster]"""


@delete.command("cluster", context_settings=CONTEXT_SETTINGS)
@name_option("the cluster name")
@kubeconfig_option
@provider_option
@global_options
def delete_cluster(name: str | None, kubeconfig: str | None, provider: str | None) -> None:
    """Deletes a cluster"""
    from pykind.errors import PykindError

    state = get_state()
    state.setup()
    name = default_name(name)
    manager = state.manager(provider)
    state.info(f"Deleting cluster {go_quote(name)} ...")
    try:
        deleted = manager.delete(name, kubeconfig=kubeconfig)
    except PykindError as exc:
        raise CommandError(f"failed to delete cluster {go_quote(name)}", exc) from exc
    if deleted:
        state.info(f"Deleted nodes: {go_quote_list(deleted)}")


@delete.command("clusters", context_settings=CONTEXT_SETTINGS)
@click.argument("names", nargs=-1, metavar="[NAME...]")
@click.option("-A", "--all", "all_", is_flag=True, help="delete all clusters")
@kubeconfig_option
@provider_option
@global_options
def delete_clusters(
    names: tuple[str, ...], all_: bool, kubeconfig: str | None, provider: str | None
) -> None:
    """Deletes one or more clusters

    Deletes one or more Kind clusters from the system.

    This is an idempotent operation, meaning it may be called multiple times without
    failing (like "rm -f"). If the cluster resources exist they will be deleted, and
    if the cluster is already gone it will just return success.

    Errors will only occur if the cluster resources exist and are not able to be deleted.
    """
    from pykind.errors import PykindError

    state = get_state()
    state.setup()
    if not all_ and not names:
        raise click.UsageError("no cluster names provided")
    manager = state.manager(provider)
    targets = list(names)
    if all_:
        try:
            targets = manager.list_clusters()
        except PykindError as exc:
            raise CommandError("failed listing clusters for delete", exc) from exc
    deleted = []
    for name in targets:
        try:
            manager.delete(name, kubeconfig=kubeconfig)
        except PykindError as exc:
            state.info(str(CommandError(f"failed to delete cluster {go_quote(name)}", exc)))
            continue
        deleted.append(name)
    state.info(f"Deleted clusters: {go_quote_list(deleted)}")
