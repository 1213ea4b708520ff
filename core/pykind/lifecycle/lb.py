"""Re-point a running cluster's external load balancer at its current control planes.

The flavour (envoy or haproxy) is read from the load balancer container itself, since the
environment that chose it at create time may be gone.
"""

from __future__ import annotations

from collections.abc import Iterable

from pykind import loadbalancer
from pykind.cluster.nodes import API_SERVER_INTERNAL_PORT, control_plane_nodes
from pykind.config.models import IPFamily
from pykind.errors import ProviderError
from pykind.loadbalancer import envoy, haproxy
from pykind.runtime.protocols import Node


def detect_flavour(lb: Node) -> loadbalancer.LoadBalancerFlavour:
    """The flavour of the running load balancer ``lb`` (by its config files), else the one
    the environment selects."""
    for name, path in (("haproxy", haproxy.CONFIG_PATH), ("envoy", envoy.BOOTSTRAP_PATH)):
        if lb.run(["test", "-f", path], check=False).returncode == 0:
            return loadbalancer.selected({loadbalancer.FLAVOUR_ENV: name})
    return loadbalancer.selected()


def backends(nodes: Iterable[Node], family: IPFamily) -> dict[str, str]:
    """Control plane name -> ``address:6443`` on the cluster network."""
    ipv6 = family == IPFamily.IPV6
    result: dict[str, str] = {}
    for node in control_plane_nodes(nodes):
        v4, v6 = node.ip()
        address = v6 if ipv6 else v4
        if not address:
            raise ProviderError(f"node {node.name!r} has no {'IPv6' if ipv6 else 'IPv4'} address")
        host = f"[{address}]" if ":" in address else address
        result[node.name] = f"{host}:{API_SERVER_INTERNAL_PORT}"
    return result


def refresh(lb: Node, nodes: Iterable[Node], family: IPFamily) -> dict[str, str]:
    """Rewrite and reload the load balancer config for ``nodes``' control planes; the
    backends it now uses."""
    targets = backends(nodes, family)
    detect_flavour(lb).configure(
        lb, targets, port=API_SERVER_INTERNAL_PORT, ipv6=family == IPFamily.IPV6
    )
    return targets
