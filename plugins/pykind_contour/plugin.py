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
from pykind.addons.ingress import READY_LABEL, IngressOptions, prepare_ingress
from pykind.addons.kubectl import control_plane_node, kubectl, rollout_status
from pykind.addons.manifest_addon import ManifestAddon
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


class ContourOptions(IngressOptions):
    """Options of the contour add-on."""

    PINS: ClassVar[dict[str, str | None]] = PINS

    version: str = Field(DEFAULT_VERSION, description="Contour release tag")


def prepare(config: ClusterConfig, options: ContourOptions) -> ClusterConfig:
    """Ports 80/443 and the ``ingress-ready=true`` label on the first control plane."""
    return prepare_ingress(config, options, owner=NAME)


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
