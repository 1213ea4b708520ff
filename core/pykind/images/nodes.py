"""Choosing the nodes of a cluster that commands act on (``--nodes a,b``)."""

from __future__ import annotations

from collections.abc import Sequence

from pykind.errors import ClusterNotFoundError, ConfigError
from pykind.runtime.protocols import ROLE_LOAD_BALANCER, Node, NodeProvider


def internal_nodes(provider: NodeProvider, cluster: str) -> list[Node]:
    """The cluster's Kubernetes nodes (the external load balancer excluded), sorted by name."""
    found = [n for n in provider.list_nodes(cluster) if n.role != ROLE_LOAD_BALANCER]
    if not found:
        raise ClusterNotFoundError(f"no nodes found for cluster {cluster!r}")
    return sorted(found, key=lambda n: n.name)


def select_nodes(
    provider: NodeProvider, cluster: str, names: Sequence[str] | None = None
) -> list[Node]:
    """All internal nodes, or those named in ``names`` (each must belong to the cluster)."""
    nodes = internal_nodes(provider, cluster)
    wanted = [n.strip() for n in names or () if n.strip()]
    if not wanted:
        return nodes
    by_name = {n.name: n for n in nodes}
    unknown = [n for n in dict.fromkeys(wanted) if n not in by_name]
    if unknown:
        raise ConfigError(
            f"unknown node{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(u) for u in unknown)} in cluster {cluster!r} "
            f"(nodes: {', '.join(sorted(by_name))})",
            field="nodes",
        )
    return [by_name[n] for n in dict.fromkeys(wanted)]
