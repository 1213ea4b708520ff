"""Registers the ``ingress-nginx`` add-on (an entry point, like any third-party plugin).

The manifest is ``deploy/static/provider/kind/deploy.yaml`` of a pinned controller release.
Its sha256 is pinned only once it has been computed from the published file; until then users
pass ``sha256=`` (after checking the file) or ``manifest=PATH`` (a local copy).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from pydantic import Field

import pykind
from pykind.addons.kubectl import control_plane_node, wait_for_pods
from pykind.addons.manifest_addon import ManifestAddon, ManifestOptions
from pykind.addons.prepare import add_node_label, add_port_mapping, first_control_plane
from pykind.cluster.context import StepContext
from pykind.config.models import ClusterConfig
from pykind.plugin.types import AddonSpec

NAME = "ingress-nginx"
DEFAULT_VERSION = "controller-v1.15.1"
MANIFEST_URL = (
    "https://raw.githubusercontent.com/kubernetes/ingress-nginx/{version}"
    "/deploy/static/provider/kind/deploy.yaml"
)
#: Release -> sha256 of its kind manifest. None: not verified yet (see the module docstring).
PINS: dict[str, str | None] = {DEFAULT_VERSION: None}
NAMESPACE = "ingress-nginx"
CONTROLLER_SELECTOR = "app.kubernetes.io/component=controller"
READY_LABEL = ("ingress-ready", "true")


class IngressNginxOptions(ManifestOptions):
    """Options of the ingress-nginx add-on."""

    PINS: ClassVar[dict[str, str | None]] = PINS

    version: str = Field(DEFAULT_VERSION, description="ingress-nginx controller release tag")
    http_port: int = Field(80, ge=0, le=65535, description="Host port mapped to port 80")
    https_port: int = Field(443, ge=0, le=65535, description="Host port mapped to port 443")
    listen_address: str = Field("0.0.0.0", description="Host address the ports listen on")


def prepare(config: ClusterConfig, options: IngressNginxOptions) -> ClusterConfig:
    """Ports 80/443 and the ``ingress-ready=true`` label on the first control plane."""
    node = first_control_plane(config)
    for container_port, host_port in ((80, options.http_port), (443, options.https_port)):
        add_port_mapping(
            config,
            node,
            container_port=container_port,
            host_port=host_port,
            listen_address=options.listen_address,
            owner=NAME,
        )
    add_node_label(node, *READY_LABEL, owner=NAME)
    return config


def ready(ctx: StepContext, options: IngressNginxOptions) -> None:
    """Upstream's ``kubectl wait --namespace ingress-nginx --for=condition=ready pod
    --selector=app.kubernetes.io/component=controller``."""
    wait_for_pods(
        control_plane_node(ctx.nodes()),
        namespace=NAMESPACE,
        selector=CONTROLLER_SELECTOR,
        timeout=options.timeout,
    )


ADDON = ManifestAddon(
    name=NAME,
    url_template=MANIFEST_URL,
    options_model=IngressNginxOptions,
    description="NGINX ingress controller on host ports 80/443 (kind provider manifest)",
    prepare=prepare,
    ready=ready,
    conflicts=("contour",),
)


@pykind.hookimpl
def pykind_addons() -> Iterator[AddonSpec]:
    yield ADDON.spec()
