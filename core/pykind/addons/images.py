"""Images add-ons run: loaded from the host engine into the nodes before install.

An image present in the host engine is streamed into every Kubernetes node's containerd; an
absent one is listed in one warning (the nodes pull it themselves when a registry is reachable).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pykind.addons.kubectl import kubernetes_nodes
from pykind.runtime.protocols import Node, NodeProvider

#: upstream kind's import command (``nodeutils.LoadImageArchive``), without the snapshotter flag.
CTR_IMPORT = ("ctr", "--namespace=k8s.io", "images", "import", "--all-platforms", "--digests", "-")


@dataclass(frozen=True, slots=True)
class PreloadPlan:
    """``present`` maps each wanted image to the reference found in the host engine."""

    present: tuple[tuple[str, str], ...]
    missing: tuple[str, ...]


def without_digest(image: str) -> str:
    """``name:tag@sha256:...`` -> ``name:tag`` (engines keep tags; a digest needs a pull)."""
    name, _, _ = image.partition("@")
    return name


def plan_preload(provider: NodeProvider, images: Sequence[str]) -> PreloadPlan:
    """Which images the host engine has. A digest-pinned reference also matches its tag."""
    present: list[tuple[str, str]] = []
    missing: list[str] = []
    for image in dict.fromkeys(images):
        candidates = [image]
        if "@" in image and ":" in without_digest(image).rsplit("/", 1)[-1]:
            candidates.append(without_digest(image))
        found = next((ref for ref in candidates if provider.image_id(ref)), None)
        if found is None:
            missing.append(image)
        else:
            present.append((image, found))
    return PreloadPlan(present=tuple(present), missing=tuple(missing))


def load_into_nodes(provider: NodeProvider, nodes: Sequence[Node], refs: Sequence[str]) -> None:
    """Stream one archive of ``refs`` from the engine into each node's containerd."""
    if not refs:
        return
    for node in nodes:
        node.run(list(CTR_IMPORT), stdin=provider.save_images(list(refs)))


def preload_images(
    provider: NodeProvider, nodes: Sequence[Node], images: Sequence[str]
) -> PreloadPlan:
    """Plan, then load the present images into the Kubernetes nodes; returns the plan."""
    plan = plan_preload(provider, images)
    load_into_nodes(provider, kubernetes_nodes(nodes), [ref for _, ref in plan.present])
    return plan
