"""Step ``loadbalancer``: point the external load balancer at every control plane
(upstream's ``loadbalancer`` action). Runs only when the cluster has several control planes."""

from __future__ import annotations

from pykind.cluster.context import StepContext
from pykind.cluster.nodes import (
    API_SERVER_INTERNAL_PORT,
    control_plane_nodes,
    external_load_balancer,
)
from pykind.cluster.steps.provision import load_balancer_flavour
from pykind.config.models import ClusterConfig, IPFamily
from pykind.errors import ProviderError
from pykind.plugin.types import CreateStep, Phase
from pykind.status import step


def backends(ctx: StepContext) -> dict[str, str]:
    """Control plane name -> ``IP:6443`` on the cluster network (IPv6 for ipv6 clusters)."""
    ipv6 = ctx.config.networking.ip_family == IPFamily.IPV6
    result = {}
    for node in control_plane_nodes(ctx.nodes()):
        v4, v6 = node.ip()
        address = v6 if ipv6 else v4
        if not address:
            family = "IPv6" if ipv6 else "IPv4"
            raise ProviderError(f"node {node.name!r} has no {family} address")
        host = f"[{address}]" if ":" in address else address
        result[node.name] = f"{host}:{API_SERVER_INTERNAL_PORT}"
    return result


def run(ctx: StepContext) -> None:
    node = external_load_balancer(ctx.nodes())
    if node is None:
        return
    with step(ctx.status, "Configuring the external load balancer ⚖️"):
        load_balancer_flavour(ctx).configure(
            node,
            backends(ctx),
            port=API_SERVER_INTERNAL_PORT,
            ipv6=ctx.config.networking.ip_family == IPFamily.IPV6,
        )


def _single_control_plane(config: ClusterConfig) -> bool:
    return len(config.control_planes) <= 1


STEP = CreateStep(
    name="loadbalancer",
    phase=Phase.LOADBALANCER,
    run=run,
    skip_if=_single_control_plane,
    description="configure the load balancer in front of the control planes",
)
