"""Registers the ``contour`` add-on.

The manifest is Contour's rendered ``examples/render/contour.yaml`` of a pinned release; after
applying it, the envoy DaemonSet is patched to run on the ``ingress-ready`` node and tolerate
the control-plane taint (kind's ``examples/ingress/contour/patch.json``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import ClassVar

from pydantic import Field

import pykind
from pykind.addons.kubectl import control_plane_node, kubectl, rollout_status
from pykind.addons.manifest_addon import ManifestAddon, ManifestOptions
from pykind.addons.prepare import add_node_label, add_port_mapping, first_control_plane
from pykind.cluster.context import StepContext
from pykind.config.models import ClusterConfig
from pykind.plugin.types import AddonSpec

NAME = "contour"
DEFAULT_VERSION = "v1.33.5"
MANIFEST_URL = (
    "https://raw.githubusercontent.com/projectcontour/contour/{version}"
    "/examples/render/contour.yaml"
)
#: Release -> sha256 of its rendered manifest. None: not verified yet.
PINS: dict[str, str | None] = {DEFAULT_VERSION: None}
NAMESPACE = "projectcontour"
READY_LABEL = ("ingress-ready", "true")

#: kind's patch: schedule envoy on the labelled node, tolerate the control-plane taints.
ENVOY_PATCH = {
    "spec": {
        "template": {
            "spec": {
                "nodeSelector": {READY_LABEL[0]: READY_LABEL[1]},
                "tolerations": [
                    {
                        "key": "node-role.kubernetes.io/control-plane",
                        "operator": "Equal",
                        "effect": "NoSchedule",
                    },
                    {
                        "key": "node-role.kubernetes.io/master",
                        "operator": "Equal",
                        "effect": "NoSchedule",
                    },
                ],
            }
        }
    }
}


class ContourOptions(ManifestOptions):
    """Options of the contour add-on."""

    PINS: ClassVar[dict[str, str | None]] = PINS

    version: str = Field(DEFAULT_VERSION, description="Contour release tag")
    http_port: int = Field(80, ge=0, le=65535, description="Host port mapped to port 80")
    https_port: int = Field(443, ge=0, le=65535, description="Host port mapped to port 443")
    listen_address: str = Field("0.0.0.0", description="Host address the ports listen on")


def prepare(config: ClusterConfig, options: ContourOptions) -> ClusterConfig:
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


def patch_envoy(ctx: StepContext, options: ContourOptions) -> None:
    kubectl(
        control_plane_node(ctx.nodes()),
        [
            "patch",
            "daemonsets",
            f"--namespace={NAMESPACE}",
            "envoy",
            "--patch",
            json.dumps(ENVOY_PATCH, separators=(",", ":")),
        ],
    )


def ready(ctx: StepContext, options: ContourOptions) -> None:
    node = control_plane_node(ctx.nodes())
    for resource in ("deployment/contour", "daemonset/envoy"):
        rollout_status(node, namespace=NAMESPACE, resource=resource, timeout=options.timeout)


ADDON = ManifestAddon(
    name=NAME,
    url_template=MANIFEST_URL,
    options_model=ContourOptions,
    description="Contour ingress controller with Envoy on host ports 80/443",
    prepare=prepare,
    after_apply=patch_envoy,
    ready=ready,
    conflicts=("ingress-nginx",),
)


@pykind.hookimpl
def pykind_addons() -> Iterator[AddonSpec]:
    yield ADDON.spec()
