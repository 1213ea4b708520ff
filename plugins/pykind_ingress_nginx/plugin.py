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
from pykind.addons.ingress import IngressOptions, prepare_ingress
from pykind.addons.kubectl import control_plane_node, wait_for_pods
from pykind.addons.manifest_addon import ManifestAddon
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


class IngressNginxOptions(IngressOptions):
    """Options of the ingress-nginx add-on."""

    PINS: ClassVar[dict[str, str | None]] = PINS

    version: str = Field(DEFAULT_VERSION, description="ingress-nginx controller release tag")


def prepare(config: ClusterConfig, options: IngressNginxOptions) -> ClusterConfig:
    """Ports 80/443 and the ``ingress-ready=true`` label on the first control plane."""
    return prepare_ingress(config, options, owner=NAME)


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
