"""Day-2 operations on existing clusters: add and remove nodes, stop and start clusters.

Upstream kind leaves these out; pykind builds them from the same pieces as ``create``
(provider, kubeadm config rendering, load balancer configs)::

    from pykind.lifecycle import add_node, remove_node, start_cluster, stop_cluster

    add_node(provider, "dev", role="worker", labels={"tier": "db"})
    stop_cluster(provider, "dev")
    start_cluster(provider, "dev", wait=60)
"""

from __future__ import annotations

from pykind.lifecycle.nodes import AddNodeResult, RemoveNodeResult, add_node, remove_node
from pykind.lifecycle.power import PowerResult, start_cluster, stop_cluster

__all__ = [
    "AddNodeResult",
    "PowerResult",
    "RemoveNodeResult",
    "add_node",
    "remove_node",
    "start_cluster",
    "stop_cluster",
]
