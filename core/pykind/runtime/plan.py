"""Turn a cluster config into the containers to create: names and roles as upstream."""

from __future__ import annotations

from pathlib import Path

from pykind.config.models import ClusterConfig, NodeRole
from pykind.runtime.protocols import (
    ROLE_CONTROL_PLANE,
    ROLE_LOAD_BALANCER,
    ROLE_WORKER,
    NodeSpec,
    ProvisionPlan,
)

#: The load balancer image used when a cluster has several control planes (upstream's envoy).
DEFAULT_LOAD_BALANCER_IMAGE = "envoyproxy/envoy:v1.36.2"


def node_name(cluster: str, role: str, index: int) -> str:
    """Upstream's naming: ``<cluster>-control-plane``, ``<cluster>-control-plane2``, ..."""
    suffix = "" if index <= 1 else str(index)
    return f"{cluster}-{role}{suffix}"


def load_balancer_name(cluster: str) -> str:
    return f"{cluster}-{ROLE_LOAD_BALANCER}"


def plan_nodes(
    config: ClusterConfig,
    *,
    config_dir: Path | None = None,
    load_balancer_image: str = DEFAULT_LOAD_BALANCER_IMAGE,
) -> ProvisionPlan:
    """The provisioning plan for ``config`` (defaults must already be applied)."""
    name = config.name
    needs_lb = len(config.control_planes) > 1
    specs: list[NodeSpec] = []
    if needs_lb:
        specs.append(
            NodeSpec(
                name=load_balancer_name(name),
                role=ROLE_LOAD_BALANCER,
                image=load_balancer_image,
                publish_api_server=True,
            )
        )
    counts = {ROLE_CONTROL_PLANE: 0, ROLE_WORKER: 0}
    for node in config.nodes:
        role = ROLE_CONTROL_PLANE if node.role == NodeRole.CONTROL_PLANE else ROLE_WORKER
        counts[role] += 1
        specs.append(
            NodeSpec(
                name=node_name(name, role, counts[role]),
                role=role,
                image=node.image,
                config=node,
                publish_api_server=(role == ROLE_CONTROL_PLANE and not needs_lb),
            )
        )
    net = config.networking
    return ProvisionPlan(
        cluster=name,
        config=config,
        nodes=tuple(specs),
        config_dir=config_dir,
        api_server_port=net.api_server_port,
        api_server_address=net.api_server_address,
    )
