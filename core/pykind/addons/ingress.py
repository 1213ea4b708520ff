"""What ingress-controller add-ons share: kind's ingress set-up.

Host ports 80 and 443 are mapped to the first control plane, which gets the
``ingress-ready=true`` label the controllers' kind manifests select on.
"""

from __future__ import annotations

from pydantic import Field

from pykind.addons.manifest_addon import ManifestOptions
from pykind.addons.prepare import add_node_label, add_port_mapping, first_control_plane
from pykind.config.models import ClusterConfig

READY_LABEL = ("ingress-ready", "true")


class IngressOptions(ManifestOptions):
    """Options of an ingress add-on: the host side of ports 80/443."""

    http_port: int = Field(80, ge=0, le=65535, description="Host port mapped to port 80")
    https_port: int = Field(443, ge=0, le=65535, description="Host port mapped to port 443")
    listen_address: str = Field("0.0.0.0", description="Host address the ports listen on")


def prepare_ingress(config: ClusterConfig, options: IngressOptions, *, owner: str) -> ClusterConfig:
    """Ports 80/443 and the ``ingress-ready=true`` label on the first control plane."""
    node = first_control_plane(config)
    for container_port, host_port in ((80, options.http_port), (443, options.https_port)):
        add_port_mapping(
            config,
            node,
            container_port=container_port,
            host_port=host_port,
            listen_address=options.listen_address,
            owner=owner,
        )
    add_node_label(node, *READY_LABEL, owner=owner)
    return config
