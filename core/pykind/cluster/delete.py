"""``delete cluster``: upstream kind's ``delete.Cluster``.

Idempotent: deleting a cluster without containers removes its kubeconfig entries (if any) and
succeeds; containers already gone or a missing kubeconfig entry are fine.
"""

from __future__ import annotations

from pathlib import Path

from pykind.errors import PluginError, PykindError
from pykind.plugin.manager import PykindPluginManager
from pykind.runtime.protocols import Node, NodeProvider


def remove_kubeconfig_entries(name: str, kubeconfig: Path | str | None) -> list[Path]:
    """Remove ``kind-<name>`` from the kubeconfig files (``--kubeconfig``, else every file of
    ``$KUBECONFIG``, else ``~/.kube/config``, as upstream); the files changed."""
    from pykind import kubeconfig as kc

    return list(kc.remove_from_kubeconfigs(name, kubeconfig))


def delete_cluster(
    pm: PykindPluginManager,
    provider: NodeProvider,
    name: str,
    *,
    kubeconfig: Path | str | None = None,
) -> list[str]:
    """Delete cluster ``name``'s containers and kubeconfig entries; the deleted node names.

    Plugins hear about it first (``pykind_cluster_deleting``). A failing plugin or kubeconfig
    update does not stop the containers from being removed; the error is raised afterwards.
    """
    nodes: list[Node] = list(provider.list_nodes(name))
    deferred: PykindError | None = None
    if nodes:
        try:
            pm.hook.pykind_cluster_deleting(name=name, nodes=nodes)
        except Exception as exc:
            deferred = PluginError(
                f"a pykind_cluster_deleting hook failed for cluster {name!r}: {exc}"
            )
            deferred.__cause__ = exc
    try:
        remove_kubeconfig_entries(name, kubeconfig)
    except Exception as exc:
        if deferred is None:
            message = f"failed to update kubeconfig while deleting cluster {name!r}: {exc}"
            deferred = exc if isinstance(exc, PykindError) else PykindError(message)
            if deferred is not exc:
                deferred.__cause__ = exc
    if nodes:
        provider.delete_nodes(nodes)
    if deferred is not None:
        raise deferred
    return sorted(node.name for node in nodes)
